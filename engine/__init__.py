"""The ruleset language, its compiler, evaluation and explanations. Never imports the API."""
