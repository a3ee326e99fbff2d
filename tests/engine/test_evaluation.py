"""Evaluation: every rule explained, nothing short-circuited, memoisation invisible."""

import datetime as dt

import pytest
from gd_records import complete_teacher

from kaohe.engine import explain
from kaohe.engine.compiler import compile_ruleset
from kaohe.engine.errors import NoRevisionInForce, UnknownRuleset
from kaohe.engine.evaluation import Evaluator

AS_OF = dt.date(2022, 12, 31)


def test_a_complete_teacher_passes_every_rule(guangdong):
    result = guangdong.teacher(complete_teacher(), AS_OF)
    assert result.verdict == "pass"
    statuses = {rule.id: outcome.status for rule, outcome in zip(result.rules, result.outcomes)}
    assert {s for r, s in statuses.items() if r.startswith("gd.")} == {"pass"}
    assert set(statuses.values()) <= {"pass", "not_applicable"}  # inherited rules may not apply in Guangdong


def test_a_teacher_sees_everything_missing_at_once(guangdong):
    result = guangdong.teacher(complete_teacher(hours=[], artefacts=[], ability_points=["GD:B1"], assessments=[]), AS_OF)
    failed = [rule.id for rule, _ in result.failed()]
    assert failed == ["gd.teacher.school-based-hours", "gd.teacher.improvement-plan", "gd.teacher.ability-points",
                      "gd.teacher.point-summaries", "gd.teacher.point-assessment"]


def test_remedy_says_how_many_hours_are_missing(guangdong):
    hours = [{"category": "校本研修", "kind": "教学研讨", "hours": 2, "date": "2022-05-01"}] * 11  # 22 h
    outcome = guangdong.teacher(complete_teacher(hours=hours), AS_OF).outcome_of("gd.teacher.school-based-hours")
    assert outcome.remedy["zh"].startswith("还差 3学时: ")
    assert outcome.actual_text == {"zh": "22学时", "en": "22 h"}
    assert outcome.expected == {"zh": "≥ 25学时", "en": "≥ 25 h"}


def test_measures_say_how_hours_were_credited_and_capped(guangdong):
    hours = [{"category": "校本研修", "kind": "线下活动", "hours": 12, "date": "2022-05-01"}] * 3 \
        + [{"category": "网络研修", "kind": "课程", "hours": 9, "date": "2022-05-02"}]
    result = guangdong.teacher(complete_teacher(hours=hours), AS_OF)
    how = explain.teacher_dict(result)["measures"]["school_based_hours"]
    assert how["value"] == 25
    assert [e["credited"] for e in how["how"]["entries"]] == [10, 10, 10]
    assert [e["how"] for e in how["how"]["entries"]] == ["capped"] * 3
    assert how["how"]["total_before_cap"] == 30 and how["how"]["cap_applied"] is True


def test_json_result_has_every_rule_with_citation(guangdong):
    entry = explain.teacher_dict(guangdong.teacher(complete_teacher(), AS_OF))
    own = [rule for rule in entry["rules"] if rule["id"].startswith("gd.")]
    assert len(own) == 9  # with gd.teacher.process-review-result
    for rule in entry["rules"]:
        assert set(rule) >= {"id", "status", "actual", "expected", "explanation", "remedy", "citation"}
        assert rule["citation"]["seed"].endswith(".txt") and rule["citation"]["clause"]
    assert {rule["citation"]["seed"] for rule in own} == {"004_6ea7855eae3d58ce.txt"}


def test_english_explanations(guangdong):
    result = guangdong.teacher(complete_teacher(artefacts=[]), AS_OF)
    entry = {r["id"]: r for r in explain.teacher_dict(result, "en")["rules"]}
    assert entry["gd.teacher.improvement-plan"]["explanation"] == "No personal improvement plan has been uploaded."


def test_school_lists_the_teachers_failing_each_rule(guangdong):
    from kaohe.engine.records import School

    teachers = [complete_teacher(id="A"), complete_teacher(id="B", artefacts=[])]
    result = guangdong.school(School(id="S-1", teachers=teachers), AS_OF)
    assert result.failing_teachers()["gd.teacher.improvement-plan"] == ["B"]
    assert result.values["process_review_share"] == 50.0
    assert result.status_of("gd.school.all-teachers-pass-review") == "fail"


def test_parameter_override_changes_verdicts_without_touching_the_original(registry):
    compiled = registry.get("guangdong", AS_OF)
    lowered = Evaluator(compiled.with_overrides({"school_based_hours_required": 20}))
    hours = [{"category": "校本研修", "kind": "研修作业", "hours": 5, "date": "2022-05-01"}] * 4  # 20 h
    teacher = complete_teacher(hours=hours)
    assert lowered.teacher(teacher, AS_OF).status_of("gd.teacher.school-based-hours") == "pass"
    assert registry.evaluator("guangdong", AS_OF).teacher(teacher, AS_OF).status_of("gd.teacher.school-based-hours") == "fail"


def test_reading_switched_off_by_parameter_makes_rule_not_applicable(registry):
    compiled = registry.get("guangdong", AS_OF)
    off = Evaluator(compiled.with_overrides({"point_assessment_in_teacher_verdict": False}))
    result = off.teacher(complete_teacher(assessments=[]), AS_OF)
    assert result.status_of("gd.teacher.point-assessment") == "not_applicable"
    assert result.verdict == "pass"


def test_revision_in_force_and_clear_error_before_it(registry):
    assert registry.get("guangdong", dt.date(2022, 4, 14)).id == "guangdong"
    with pytest.raises(NoRevisionInForce) as caught:
        registry.get("guangdong", dt.date(2020, 1, 1))
    assert "2022-04-14" in caught.value.hint


def test_unknown_ruleset_lists_what_is_loaded(registry):
    with pytest.raises(UnknownRuleset) as caught:
        registry.get("guangdongg")
    assert "guangdong" in caught.value.hint


def test_revision_is_a_content_hash(registry):
    compiled = registry.get("guangdong", AS_OF)
    assert len(compiled.revision) == 12
    changed = dict(compiled.resolved.parameters)
    from kaohe.engine.language import content_hash
    import dataclasses

    other = dataclasses.replace(compiled.resolved, parameters={**changed, "min_ability_points": {**changed["min_ability_points"], "value": 4}})
    assert content_hash(other) != compiled.revision


REGION_PROBE = """
kaohe: 1
id: probe-members
version: "1"
title: {zh: 探针, en: Probe}
jurisdiction: {level: province, name: {zh: 省, en: Province}}
effective: {from: "2020-01-01"}
sources: {S: {title: 文件}}
measures:
  cities_with_pilots: {level: region, title: {zh: 有试点校的地市, en: Cities with pilots}, distinct_count: {of: schools, by: city_id, where: {is_pilot: true}}}
  focus_missing: {level: region, title: {zh: 缺席的重点校, en: Focus schools missing}, missing: {each: [一中, 二中], in: schools, by: name}}
  school_is_pilot: {level: teacher, title: {zh: 所在学校为试点校, en: In a pilot school}, field: school.is_pilot}
rules:
  - id: probe.region
    level: region
    title: {zh: 覆盖, en: Coverage}
    require: cities_with_pilots >= 2 and len(focus_missing) == 0
    explain: {pass: {zh: 是, en: yes}, fail: {zh: "缺 {focus_missing}", en: "missing {focus_missing}"}}
    remedy: {zh: 补, en: fix}
    cite: {source: S, clause: 一}
  - id: probe.teacher
    level: teacher
    title: {zh: 试点校教师, en: Pilot-school teacher}
    require: school_is_pilot
    explain: {pass: {zh: 是, en: yes}, fail: {zh: 否, en: no}}
    remedy: {zh: 补, en: fix}
    cite: {source: S, clause: 一}
"""


def test_region_measures_read_their_schools_records():
    from kaohe.engine.language import read_document, resolve
    from kaohe.engine.records import Region, School

    evaluator = Evaluator(compile_ruleset(resolve(read_document(REGION_PROBE, "probe.yaml"), lambda _: None)))
    schools = [School(id="a", name="一中", city_id="c1", province_id="P", is_pilot=True, teachers=[complete_teacher(school_id="a")]),
               School(id="b", name="三中", city_id="c2", province_id="P", is_pilot=True),
               School(id="c", name="二中", city_id="c3", province_id="P", is_pilot=False)]
    results = [evaluator.school(s, AS_OF) for s in schools]
    region = evaluator.region(Region(id="P", level="province"), results[:2], AS_OF)
    assert region.values["cities_with_pilots"] == 2 and region.values["focus_missing"] == ("二中",)
    assert region.outcome_of("probe.region").explanation["zh"] == "缺 二中"
    assert evaluator.region(Region(id="P", level="province"), results, AS_OF).status_of("probe.region") == "pass"
    # a teacher evaluated within a school reads its fields; alone, the value is empty and the rule fails
    assert results[0].teachers[0].status_of("probe.teacher") == "pass"
    assert evaluator.teacher(complete_teacher(), AS_OF).status_of("probe.teacher") == "fail"


def test_a_decision_is_remembered_by_what_the_condition_compares_and_worded_for_each_teacher(registry):
    evaluator = Evaluator(registry.get("guangdong", AS_OF).with_overrides({"max_upload_kb": 4096}))
    points = ["GD:B1", "GD:B2", "GD:B4", "GD:G4"]
    summaries = [{"kind": "提升总结", "point": p, "format": "pdf", "size_kb": 300} for p in points]
    plan = [{"kind": "提升计划", "format": "docx", "size_kb": 100}]
    first = evaluator.teacher(complete_teacher(ability_points=points, artefacts=plan + summaries[1:]), AS_OF)
    second = evaluator.teacher(complete_teacher(ability_points=points, artefacts=plan + summaries[:3]), AS_OF)
    decided = evaluator.decisions("gd.teacher.point-summaries")
    assert list(decided.values()) == ["fail"]  # one missing summary, whichever it is: decided once
    assert first.outcome_of("gd.teacher.point-summaries").explanation["zh"] == "以下能力点还没有提升总结: GD:B1。"
    assert second.outcome_of("gd.teacher.point-summaries").explanation["zh"] == "以下能力点还没有提升总结: GD:G4。"
    assert evaluator.stats("teacher")["decided"] == 1


def test_an_unknown_status_reads_as_its_name_and_does_not_decide_a_verdict():
    from kaohe.engine.evaluation import level_verdict
    from kaohe.engine.wording import label

    assert level_verdict(("pass", "on_hold", "needs_review"), (True, True, True)) == "needs_review"
    assert level_verdict(("pass", "not_yet_due"), (True, True)) == "pass"  # judged on what is due
    assert level_verdict(("needs_review", "fail"), (True, True)) == "fail"
    assert level_verdict(("fail", "pass"), (False, True)) == "pass"
    assert label({}, "teacher", "on_hold", "zh") == "on_hold"
    assert label({}, "teacher", "not_yet_due", "zh") == "未到期"
