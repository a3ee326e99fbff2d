"""The policy document (`kaohe.tools.policydoc`): every rule, its parameters and its example scenarios."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

from kaohe.tools.policydoc import feature_files, read_feature, render_markdown, rule_inputs, scenarios_by_rule

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
AS_OF = dt.date(2022, 6, 30)


@pytest.fixture(scope="module")
def guangdong(kaohe_rulesets):
    return kaohe_rulesets.registry.get("guangdong", AS_OF)


@pytest.fixture(scope="module")
def document(guangdong) -> str:
    return render_markdown(guangdong, [FEATURES])


def sections(document: str) -> dict[str, str]:
    """rule id → its section of the document."""
    parts = re.split(r'<a id="rule-', document)
    out = {}
    for part in parts[1:]:
        rule_id = re.search(r"^`([^`]+)`$", part, re.M).group(1)
        out[rule_id] = part
    return out


def test_the_guangdong_document_shows_every_rule_with_at_least_one_scenario(guangdong, document):
    found = sections(document)
    assert set(found) == {r.id for r in guangdong.all_rules()}
    for rule in guangdong.all_rules():
        section = found[rule.id]
        assert f"### {rule.title['zh']}\n" in section
        assert "```gherkin\n" in section, f"{rule.id} has no example scenario"
        assert "(尚无示例场景)" not in section
        assert rule.citation["clause"] in section
    assert "未对应到本规则集规则的场景标签" not in document


@pytest.mark.parametrize("ruleset_id", ["national", "hunan-yueyang", "liaoning-wafangdian", "jilin-baishan"])
def test_every_built_in_ruleset_document_shows_every_rule_with_a_scenario(kaohe_rulesets, ruleset_id):
    for compiled in kaohe_rulesets.registry.revisions(ruleset_id):
        document = render_markdown(compiled, [FEATURES])
        found = sections(document)
        assert set(found) == {r.id for r in compiled.all_rules()}
        missing = [r.id for r in compiled.all_rules() if "```gherkin\n" not in found[r.id]]
        assert not missing, f"{ruleset_id}: rules without an example scenario: {missing}"
        assert "未对应到本规则集规则的场景标签" not in document


def test_a_rule_section_shows_requirement_parameters_readings_citation_and_scenarios(document):
    section = sections(document)["gd.teacher.school-based-hours"]
    assert "- **性质**: 必备 (不满足即不通过)" in section
    assert "- **要求**: ≥ 25学时" in section
    assert "| 每次线下活动最多计学时 (`offline_activity_cap`) | 10 | 学时/次 |" in section
    assert "**采用的读法**: 每次上限10学时, 超出部分按10学时计" in section
    assert "「确认个人校本研修活动是否累计25学时或以上」" in section
    assert "- **整改提示**: 还差 〈差额〉: 请联系教研组长" in section
    assert "场景大纲: 线下活动每次最多计10学时, 次数不限" in section
    advisory = sections(document)["gd.teacher.research-group"]
    assert "- **性质**: 建议项 (只作提示, 不影响结论)" in advisory


def test_parameters_reached_through_measures_are_listed(guangdong):
    params, measures = rule_inputs(guangdong, guangdong.rule("gd.school.qualified-share"))
    assert "qualified_share_required" in params and "qualified_results" in params  # via the teachers' assessment
    assert measures[:2] == ["qualified_share", "point_assessment_qualified"]
    params, _ = rule_inputs(guangdong, guangdong.rule("gd.school.all-teachers-pass-review"))
    assert params == ["process_review_pass_share"]


def test_the_english_document_uses_the_english_words(guangdong):
    text = render_markdown(guangdong, [FEATURES], lang="en")
    assert "### 25 hours of school-based research" in text
    assert "- **Severity**: required" in text and "**Example scenarios**" in text


def test_scenarios_are_placed_by_rule_tag_or_by_rule_block_title_and_bad_tags_are_shown(guangdong, tmp_path):
    feature = tmp_path / "guangdong" / "extra.feature"
    feature.parent.mkdir()
    feature.write_text(
        "# language: zh-CN\n功能: 试验\n  背景:\n    假如 采用规则集 \"guangdong\", 评估日期为 \"2022-06-30\"\n\n"
        "  规则: 上传个人提升计划\n    场景: 没有标签, 按规则标题归入\n      当 评估教师 \"甲\"\n\n"
        "  @rule:gd.teacher.no-such-rule\n  规则: 别的\n    场景: 标签写错了\n      当 评估教师 \"甲\"\n",
        encoding="utf-8")
    other = tmp_path / "guangdong" / "other.feature"
    other.write_text("# language: zh-CN\n功能: 别的规则集\n  背景:\n    假如 采用规则集 \"national\", 评估日期为 \"2022-06-30\"\n\n"
                     "  @rule:gd.teacher.improvement-plan\n  场景: 另一个规则集的场景\n    当 评估教师 \"甲\"\n",
                     encoding="utf-8")
    found, unmatched = scenarios_by_rule(guangdong, [tmp_path])
    assert [s.name for s in found["gd.teacher.improvement-plan"]] == ["没有标签, 按规则标题归入"]
    assert [(s.name, tag) for s, tag in unmatched] == [("标签写错了", "gd.teacher.no-such-rule")]
    assert "`@rule:gd.teacher.no-such-rule` —" in render_markdown(guangdong, [tmp_path])


def test_the_feature_reader_agrees_with_pytest_bdd(tmp_path):
    """policydoc reads feature files itself (no test-only dependency); it must see what pytest-bdd sees."""
    files = feature_files([FEATURES])
    assert files
    for path in files:
        ours = read_feature(path)
        theirs = FeatureParser(str(path.parent), path.name).parse()
        assert [s.name for s in ours] == list(theirs.scenarios), path
        for scenario in ours:
            template = theirs.scenarios[scenario.name]
            tags = template.tags | template.feature.tags | (template.rule.tags if template.rule else set())
            assert set(scenario.tags) == tags, (path, scenario.name)
            assert scenario.line == template.line_number
            assert scenario.rule_block == (template.rule.name if template.rule else None)


def test_scenario_names_are_unique_within_a_feature():
    """pytest-bdd keys scenarios by name: a second scenario with the same name would silently never run."""
    for path in feature_files([FEATURES]):
        names = [s.name for s in read_feature(path)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        assert not duplicates, f"{path}: {duplicates}"


def test_every_rule_tag_names_a_rule_of_the_ruleset_the_scenario_adopts(kaohe_rulesets):
    registry = kaohe_rulesets.registry
    problems = []
    for path in feature_files([FEATURES]):
        for scenario in read_feature(path):
            for ruleset_id in scenario.ruleset_ids():
                known = {r.id for c in registry.revisions(ruleset_id) for r in c.all_rules()}
                problems += [f"{path.name}:{scenario.line} @rule:{t}" for t in scenario.rule_ids if t not in known]
    assert not problems


def test_policydoc_does_not_import_the_api():
    tree = ast.parse((ROOT / "tools" / "policydoc.py").read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if "api" in m.split(".") or m.startswith("fastapi")]
    assert not [m for m in imported if m.split(".")[0] in ("pytest_bdd", "gherkin", "pytest")]
