"""The policy staff's tools, built on the engine's public surface: impact simulation (`simulate`),
revision diffs in policy terms (`diff`), the open-questions register (`questions`), the living
policy document (`policydoc`), and spreadsheets and charts (`reports`)."""
