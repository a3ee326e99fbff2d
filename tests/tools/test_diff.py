"""Ruleset diff: a changed copy of guangdong.yaml against the loaded revision."""

from __future__ import annotations

import json

import pytest

from kaohe.tools.diff import diff, load_revision
from kaohe.tools.simulate import compile_with_overrides

PLAN_RULE = "gd.teacher.improvement-plan"
POINTS_RULE = "gd.teacher.ability-points"
HOURS_RULE = "gd.teacher.school-based-hours"


def edit(text: str, anchor: str, old: str, new: str) -> str:
    """Replace the first `old` after `anchor`, and insist there was one."""
    start = text.index(anchor)
    at = text.index(old, start)
    assert at - start < 2000, f"'{old}' is not near '{anchor}'"
    return text[:at] + new + text[at + len(old):]


@pytest.fixture
def changed(registry, gd_ruleset, tmp_path):
    text = gd_ruleset.resolved.documents[0].text
    text = edit(text, "  school_based_hours_required:\n", "value: 25", "value: 20")
    text = edit(text, "  max_upload_kb:\n", "value: 2048", "value: 4096")
    text = edit(text, "  allowed_upload_formats:\n", "value: [doc, docx, pdf]", "value: [doc, docx, pdf, wps]")
    text = edit(text, f"  - id: {PLAN_RULE}\n", 'zh: "上传个人提升计划"', 'zh: "已上传个人信息技术应用能力提升计划"')
    text = edit(text, f"  - id: {POINTS_RULE}\n", "clause: 任务单,", "clause: 任务单 能力点,")
    text = edit(text, f"  - id: {HOURS_RULE}\n", "require: school_based_hours >= school_based_hours_required",
                "require: school_based_hours > school_based_hours_required")
    text = edit(text, "effective:\n", 'from: "2022-04-14"', 'from: "2022-09-01"')
    path = tmp_path / "guangdong-next.yaml"
    path.write_text(text, encoding="utf-8")
    return load_revision(str(path), registry)


def test_each_changed_parameter_with_old_and_new_value(gd_ruleset, changed):
    d = diff(gd_ruleset, changed)
    assert {p.name: (p.change, p.old, p.new) for p in d.parameters} == {
        "school_based_hours_required": ("changed", 25, 20),
        "max_upload_kb": ("changed", 2048, 4096),
        "allowed_upload_formats": ("changed", ["doc", "docx", "pdf"], ["doc", "docx", "pdf", "wps"]),
    }


def test_reworded_rule_and_changed_condition_are_told_apart(gd_ruleset, changed):
    rules = {r.id: r for r in diff(gd_ruleset, changed).rules}
    assert set(rules) == {PLAN_RULE, HOURS_RULE}
    plan = rules[PLAN_RULE]
    assert (plan.change, plan.reworded, plan.condition_changed) == ("changed", True, False)
    assert [(f.path, f.old, f.new) for f in plan.fields] == [("title.zh", "上传个人提升计划", "已上传个人信息技术应用能力提升计划")]
    hours = rules[HOURS_RULE]
    assert (hours.reworded, hours.condition_changed) == (False, True)
    assert [f.path for f in hours.fields] == ["require"]


def test_citation_and_effective_period(gd_ruleset, changed):
    d = diff(gd_ruleset, changed)
    assert [(c.kind, c.name, c.old["clause"], c.new["clause"]) for c in d.citations] == [
        ("rule", POINTS_RULE, "任务单", "任务单 能力点")]
    assert (d.effective.old, d.effective.new) == (["2022-04-14", None], ["2022-09-01", None])


def test_chinese_text(gd_ruleset, changed):
    lines = diff(gd_ruleset, changed).text("zh").splitlines()
    assert "生效期间：2022-04-14 – 至今 → 2022-09-01 – 至今" in lines
    assert "  school_based_hours_required (校本研修应累计学时)：25学时 → 20学时" in lines
    assert "  allowed_upload_formats (提升总结允许的文件格式)：doc、docx、pdf → doc、docx、pdf、wps" in lines
    assert f"  {PLAN_RULE} (已上传个人信息技术应用能力提升计划) [措辞修改]" in lines
    assert "    title.zh: 上传个人提升计划 → 已上传个人信息技术应用能力提升计划" in lines
    assert f"  {HOURS_RULE} (校本研修累计20学时) [判定条件修改]" in lines  # the title names its parameter
    assert "    require: school_based_hours >= school_based_hours_required → school_based_hours > school_based_hours_required" in lines


def test_english_text_shows_the_chinese_change_when_only_chinese_changed(gd_ruleset, changed):
    lines = diff(gd_ruleset, changed).text("en").splitlines()
    assert "  max_upload_kb (Largest summary file): 2048 KB → 4096 KB" in lines
    assert "    title.zh: 上传个人提升计划 → 已上传个人信息技术应用能力提升计划" in lines


def test_json_is_plain(gd_ruleset, changed):
    data = json.loads(json.dumps(diff(gd_ruleset, changed).to_dict(), ensure_ascii=False))
    assert data["identical"] is False
    formats = next(p for p in data["parameters"] if p["name"] == "allowed_upload_formats")
    assert (formats["old"], formats["new"]) == (["doc", "docx", "pdf"], ["doc", "docx", "pdf", "wps"])
    assert data["effective"] == {"path": "effective", "old": ["2022-04-14", None], "new": ["2022-09-01", None]}


def test_a_revision_against_itself_is_identical(gd_ruleset):
    d = diff(gd_ruleset, gd_ruleset.resolved)
    assert d.empty
    assert d.text("zh").splitlines()[-1] == "两个修订在政策上没有差别。"


def test_a_ruleset_compiled_with_overrides_shows_them(gd_ruleset):
    lowered = compile_with_overrides(gd_ruleset, {"min_ability_points": 2})
    assert [(p.name, p.old, p.new) for p in diff(gd_ruleset, lowered).parameters] == [("min_ability_points", 3, 2)]


def test_added_and_removed_rules(gd_ruleset, registry, tmp_path):
    text = gd_ruleset.resolved.documents[0].text
    start = text.index("  - id: gd.teacher.catalogue\n")
    end = text.index("  # ======== 三、学校 school ========")
    path = tmp_path / "without-catalogue.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    smaller = load_revision(str(path), registry)
    removed = [(r.id, r.change) for r in diff(gd_ruleset, smaller).rules]
    assert removed == [("gd.teacher.catalogue", "removed")]
    assert [(r.id, r.change) for r in diff(smaller, gd_ruleset).rules] == [("gd.teacher.catalogue", "added")]
