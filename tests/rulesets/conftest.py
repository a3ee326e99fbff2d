"""Fixtures for the jurisdiction rulesets.

The registry is the suite's own (`tests/conftest.py`), built once per session.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ruleset_cases: builders and the case runner


