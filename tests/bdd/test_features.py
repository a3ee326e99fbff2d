"""Every feature file under `features/` (the ini's bdd_features_base_dir), bound to the shared steps.

A new jurisdiction adds `features/<ruleset>/…feature` and nothing here changes.
"""

from pytest_bdd import scenarios

scenarios(".")
