"""Compiling: what each rule compares, one durable_rules ruleset per level, wording compiled once."""

import datetime as dt

import pytest
from gd_records import complete_teacher

from kaohe.engine import Evaluator, RulesetError, School, compile_ruleset, read_document, resolve
from kaohe.engine.wording import Template

AS_OF = dt.date(2022, 12, 31)


def probe(rules: str, measures: int) -> str:
    """A school-level ruleset with `measures` measures m0… (each the school's self score) and the given rules."""
    lines = [f"  m{i}: {{level: school, title: {{zh: 量{i}, en: m{i}}}, field: self_score}}" for i in range(measures)]
    return f"""
kaohe: 1
id: probe-wide
version: "1"
title: {{zh: 探针, en: Probe}}
jurisdiction: {{level: province, name: {{zh: 省, en: Province}}}}
effective: {{from: "2020-01-01"}}
sources: {{S: {{title: 文件}}}}
measures:
{chr(10).join(lines)}
rules:
{rules}"""


def rule(rule_id: str, names: range) -> str:
    require = " and ".join(f"m{i} >= 0" for i in names)
    return f"""  - id: {rule_id}
    level: school
    title: {{zh: 宽, en: Wide}}
    require: {require}
    explain: {{pass: {{zh: 是, en: yes}}, fail: {{zh: 否, en: no}}}}
    remedy: {{zh: 补, en: fix}}
    cite: {{source: S, clause: 一}}
"""


def compile_text(text: str):
    return compile_ruleset(resolve(read_document(text, "probe.yaml"), lambda _: None))


def test_a_rule_compares_counts_not_the_lists_its_explanation_prints(registry):
    compiled = registry.get("guangdong", AS_OF)
    summaries = compiled.rule("gd.teacher.point-summaries")
    # len(points_without_summary) is computed and compared; the list itself is only shown
    assert "v_points_without_summary" not in summaries.properties
    assert any(p.startswith("e_") for p in summaries.key_properties)
    assert "points_without_summary" in summaries.inputs
    catalogue = compiled.rule("gd.teacher.catalogue")
    assert all(not p.startswith("v_") for p in catalogue.key_properties)
    points = compiled.rule("gd.teacher.ability-points")
    assert points.key_properties == ("v_chosen_points",)


def test_every_condition_of_a_level_is_one_durable_rules_ruleset(registry):
    compiled = registry.get("guangdong", AS_OF)
    teacher = compiled.matchers["teacher"]
    assert len(teacher.parts) == 1
    tags = {c.tag for c in teacher.parts[0].conditions}
    assert tags == {r.id for r in compiled.rules["teacher"] if not r.never_applies}
    labels = {(c.tag, c.label) for c in teacher.parts[0].conditions}
    assert ("gd.teacher.catalogue", "review") in labels
    # a parameter that is always true is folded away: nothing to match
    assert ("gd.teacher.point-assessment", "applies") not in labels
    school = {(c.tag, c.label) for part in compiled.matchers["school"].parts for c in part.conditions}
    assert ("nat.school.pilot-team-size", "applies") in school


def test_overridden_parameters_get_durable_rules_names_of_their_own(registry):
    compiled = registry.get("guangdong", AS_OF)
    lowered = compiled.with_overrides({"school_based_hours_required": 20})
    assert lowered.matchers["teacher"].name != compiled.matchers["teacher"].name
    assert lowered.matchers["teacher"] is compiled.with_overrides({"school_based_hours_required": 20}).matchers["teacher"]


def test_a_rule_comparing_more_values_than_a_fact_holds_is_refused():
    with pytest.raises(RulesetError) as caught:
        compile_text(probe(rule("probe.too-wide", range(253)), 253))
    assert [d.code for d in caught.value.diagnostics if d.severity == "error"] == ["ruleset.too_many_values"]


def test_a_level_comparing_more_values_than_a_fact_holds_is_split_and_still_judges_every_rule():
    compiled = compile_text(probe(rule("probe.left", range(0, 200)) + rule("probe.right", range(200, 400)), 400))
    assert len(compiled.matchers["school"].parts) == 2
    evaluator = Evaluator(compiled)
    scored = evaluator.school(School(id="S", self_score=80), AS_OF)
    assert scored.statuses == ("pass", "pass") and scored.verdict == "pass"
    unscored = evaluator.school(School(id="T"), AS_OF)
    assert unscored.statuses == ("fail", "fail")


def test_wording_is_compiled_once_into_text_and_names(registry):
    points = registry.get("guangdong", AS_OF).rule("gd.teacher.ability-points")
    fail = points.templates["fail"]["zh"]
    assert isinstance(fail, Template) and fail.names == ("actual", "min_ability_points")
    assert fail.fill({"actual": "2个", "min_ability_points": "3"}) == "只选择了 2个能力点, 至少需要 3个。"
    assert Template("还差 {gap}, 见 {nothing}").fill({"gap": "2学时"}) == "还差 2学时, 见 {nothing}"


def test_titles_name_parameter_values(registry):
    lowered = registry.get("guangdong", AS_OF).with_overrides({"school_based_hours_required": 20})
    assert lowered.rule("gd.teacher.school-based-hours").title == {"zh": "校本研修累计20学时", "en": "20 hours of school-based research"}


def test_a_complete_teacher_still_passes_with_a_recompiled_ruleset(registry):
    compiled = registry.get("guangdong", AS_OF)
    again = Evaluator(compile_ruleset(compiled.resolved, None, compiled.extensions))
    assert again.teacher(complete_teacher(), AS_OF).verdict == "pass"
