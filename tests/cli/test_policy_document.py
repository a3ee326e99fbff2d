"""docs/policy/guangdong.md is the living policy document: it must match the ruleset and the specs."""

import datetime as dt
from pathlib import Path

from kaohe.tools.policydoc import render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_committed_guangdong_document_is_current(registry):
    rendered = render_markdown(registry.get("guangdong", dt.date(2022, 12, 31)), [ROOT / "features" / "guangdong"], lang="zh")
    committed = (ROOT / "docs" / "policy" / "guangdong.md").read_text(encoding="utf-8")
    assert committed == rendered, ("docs/policy/guangdong.md is out of date: run "
                                   "kaohe doc --ruleset guangdong --features features/guangdong --as-of 2022-12-31 "
                                   "-o docs/policy/guangdong.md")
