"""Every jurisdiction ruleset loads, compiles and lints clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.engine.lint import lint_paths

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"
JURISDICTIONS = ("national", "guangdong", "hunan-yueyang", "liaoning-wafangdian", "jilin-baishan")


def test_every_plugin_and_ruleset_loads(loaded):
    assert loaded.problems == []


@pytest.mark.parametrize("ruleset_id", JURISDICTIONS)
def test_ruleset_is_loaded(registry, ruleset_id):
    assert ruleset_id in registry.ids()


@pytest.mark.parametrize("ruleset_id", JURISDICTIONS)
def test_ruleset_lints_without_errors_or_warnings(registry, ruleset_id):
    # linted together with its parent, the way `kaohe lint rulesets/*.yaml` does
    files = sorted({RULESETS / f"{ruleset_id}.yaml", RULESETS / "national.yaml"})
    assert [str(d) for d in lint_paths(files, extensions=registry.extensions)] == []  # the plugins' catalogues too


def test_guangdong_extends_national(registry):
    assert registry.get("guangdong").resolved.lineage == ("guangdong", "national")
