"""Fixtures shared by the whole suite: the registry is built (and compiled) once per session."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
AS_OF = dt.date(2022, 12, 31)
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "tests"))  # shared record builders: gd_records

# servers started by tests keep no decisions unless a test asks (KAOHE_RECORD=1, or its own settings),
# and whatever is recorded goes to a temporary file, never into the checkout
os.environ.setdefault("KAOHE_RECORD", "0")
if "KAOHE_DATABASE_URL" not in os.environ:
    import tempfile

    os.environ["KAOHE_DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="kaohe-test-db-"), "decisions.db")

# rule coverage of the policy specs: which rules were seen passing and failing (tests/bdd/coverage.py)
pytest_plugins = ["bdd.coverage"]


@pytest.fixture(scope="session")
def loaded():
    from kaohe.plugins.manager import build_registry

    result = build_registry()
    assert not result.problems, result.problems
    return result


@pytest.fixture(scope="session")
def registry(loaded):
    return loaded.registry


@pytest.fixture(scope="session")
def guangdong(registry):
    return registry.evaluator("guangdong", AS_OF)
