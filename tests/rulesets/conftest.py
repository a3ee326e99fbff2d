"""Fixtures for the jurisdiction rulesets.

The registry is built once per session. Unlike the suite-wide fixture, building it here does not
assert that every plugin loaded: `test_loading.py` checks that on its own, so one broken plugin
shows up as one failing test instead of an error in every ruleset test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ruleset_cases: builders and the case runner


@pytest.fixture(scope="session")
def loaded():
    from kaohe.plugins.manager import build_registry

    return build_registry()


@pytest.fixture(scope="session")
def registry(loaded):
    return loaded.registry
