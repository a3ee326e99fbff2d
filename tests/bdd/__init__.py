"""Executable policy specs: the shared step library every jurisdiction's features use.

    features/<ruleset>/*.feature   Chinese Gherkin, one `规则:` block per rule, tagged @rule:<rule id>
    tests/bdd/steps.py              the steps (generic: nothing here knows a jurisdiction)
    tests/bdd/tables.py             the data-table columns the steps read, with typed cell parsers
    tests/bdd/world.py              what one scenario builds up: ruleset, records, results
    tests/bdd/coverage.py           rule coverage: every rule seen passing and failing (a pytest plugin)
    tests/bdd/test_features.py      binds every feature file under features/
    tests/bdd/test_*.py             the library, the policy document, and a new scenario run with no code change

features/README.md is the guide for spec writers (every step and every column; a test keeps it complete).
"""
