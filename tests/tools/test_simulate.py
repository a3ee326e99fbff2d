"""Impact analysis: Guangdong's school-based hours requirement lowered from 25 to 20."""

from __future__ import annotations

import json

import pytest

from kaohe.engine.evaluation import Evaluator
from kaohe.engine.records import Dataset
from kaohe.tools.simulate import (InvalidAssignment, InvalidValue, SimulationError, StatusChange, UnknownParameter,
                                   apply_overrides, compile_with_overrides, parse_assignments, run, simulate_overrides)

HOURS_RULE = "gd.teacher.school-based-hours"
REVIEW_RULE = "gd.school.all-teachers-pass-review"

# teacher id → school-based hours credited; every teacher meets every other rule unless listed in NO_PLAN
SCHOOL_A = {"A-20": 20, "A-22": 22, "A-24.5": 24.5}  # county C1: all between 20 and 25
SCHOOL_B = {"B-19.9": 19.9, "B-25": 25, "B-30": 30, "B-23-noplan": 23}  # county C1
SCHOOL_C = {"C-0": 0, "C-10": 10, "C-24.9": 24.9}  # county C2
NO_PLAN = {"B-23-noplan"}


@pytest.fixture
def dataset(build) -> Dataset:
    def teachers(school_id, hours):
        return [build.teacher(tid, school_id, h, plan=tid not in NO_PLAN) for tid, h in hours.items()]

    return Dataset(
        regions=[build.region("C1", "霞山区"), build.region("C2", "赤坎区")],
        schools=[build.school("A", teachers("A", SCHOOL_A), county_id="C1", name="第一小学"),
                 build.school("B", teachers("B", SCHOOL_B), county_id="C1", name="第二小学"),
                 build.school("C", teachers("C", SCHOOL_C), county_id="C2", name="第三中学")])


@pytest.fixture
def impact(gd_ruleset, dataset, as_of):
    return simulate_overrides(gd_ruleset, dataset, as_of, ["school_based_hours_required=20"])


def test_the_records_credit_the_hours_they_were_built_with(gd_ruleset, dataset, as_of):
    cap = gd_ruleset.parameters["school_based_hours_cap"]
    evaluation = Evaluator(gd_ruleset).dataset(dataset, as_of)
    credited = {t.record.id: t.values["school_based_hours"] for s in evaluation.schools for t in s.members}
    assert credited == {tid: min(h, cap) for tid, h in {**SCHOOL_A, **SCHOOL_B, **SCHOOL_C}.items()}
    failing = {t.record.id: [r.id for r, _ in t.failed()] for s in evaluation.schools for t in s.members if t.verdict == "fail"}
    assert all(rules == [HOURS_RULE] for tid, rules in failing.items() if tid not in NO_PLAN), failing
    school_a = evaluation.schools[0]
    assert [r.id for r, _ in school_a.failed()] == [REVIEW_RULE]  # only its teachers' hours hold school A back


def test_lowering_the_hours_passes_exactly_the_teachers_credited_between_20_and_25(impact):
    everyone = {**SCHOOL_A, **SCHOOL_B, **SCHOOL_C}
    expected = {tid for tid, h in everyone.items() if 20 <= h < 25 and tid not in NO_PLAN}
    assert expected == {"A-20", "A-22", "A-24.5", "C-24.9"}
    assert {c.id for c in impact.affected_teachers("fail_to_pass")} == expected
    assert impact.affected_teachers("pass_to_fail") == []
    assert (impact.teachers.total, impact.teachers.fail_to_pass, impact.teachers.pass_to_fail) == (10, 4, 0)
    assert (impact.teachers.passing_before, impact.teachers.passing_after) == (2, 6)


def test_each_affected_teacher_shows_school_verdicts_and_the_rule_that_changed(impact):
    change = next(c for c in impact.teacher_changes if c.id == "C-24.9")
    assert (change.school_id, change.school_name, change.county_id) == ("C", "第三中学", "C2")
    assert (change.old_verdict, change.new_verdict, change.direction) == ("fail", "pass", "fail_to_pass")
    assert change.rules == [StatusChange(HOURS_RULE, "fail", "pass")]


def test_a_teacher_failing_another_rule_changes_on_the_rule_but_keeps_the_verdict(impact):
    change = next(c for c in impact.teacher_changes if c.id == "B-23-noplan")
    assert change.direction is None
    assert (change.old_verdict, change.new_verdict) == ("fail", "fail")
    assert change.rules == [StatusChange(HOURS_RULE, "fail", "pass")]


def test_breakdown_by_rule_counts_every_status_change(impact):
    by_rule = {r.rule_id: (r.fail_to_pass, r.pass_to_fail, r.other) for r in impact.by_rule}
    assert by_rule == {HOURS_RULE: (5, 0, 0), REVIEW_RULE: (1, 0, 0)}
    hours = next(r for r in impact.by_rule if r.rule_id == HOURS_RULE)
    assert sorted(hours.records) == ["A-20", "A-22", "A-24.5", "B-23-noplan", "C-24.9"]


def test_breakdown_by_county_and_by_school(impact):
    counties = {g.id: (g.name, g.teachers.fail_to_pass, g.teachers.pass_to_fail, g.schools.fail_to_pass) for g in impact.by_county}
    assert counties == {"C1": ("霞山区", 3, 0, 1), "C2": ("赤坎区", 1, 0, 0)}
    schools = {g.id: (g.teachers.total, g.teachers.fail_to_pass, g.schools.fail_to_pass) for g in impact.by_school}
    assert schools == {"A": (3, 3, 1), "B": (4, 0, 0), "C": (3, 1, 0)}
    assert [(c.id, c.direction) for c in impact.school_changes] == [("A", "fail_to_pass")]
    assert (impact.schools.fail_to_pass, impact.schools.pass_to_fail) == (1, 0)


def test_the_parameter_change_is_reported_with_old_and_new_value(impact, gd_ruleset):
    assert [(p.name, p.old, p.new) for p in impact.parameters] == [
        ("school_based_hours_required", gd_ruleset.parameters["school_based_hours_required"], 20)]
    assert impact.changed["revision"] != impact.baseline["revision"] == gd_ruleset.revision


def test_the_baseline_still_decides_with_its_own_threshold_after_a_simulation(impact, gd_ruleset, build, as_of):
    # an override compiled under the baseline's revision would share its durable_rules registration
    teacher = build.teacher("T-22", "S", 22)
    assert Evaluator(gd_ruleset).teacher(teacher, as_of).status_of(HOURS_RULE) == "fail"
    lowered = compile_with_overrides(gd_ruleset, {"school_based_hours_required": 20})
    assert Evaluator(lowered).teacher(teacher, as_of).status_of(HOURS_RULE) == "pass"
    assert Evaluator(gd_ruleset).teacher(teacher, as_of).status_of(HOURS_RULE) == "fail"


def test_chinese_report_wording(impact, gd_ruleset):
    title = "校本研修累计20学时"  # rules are named as in the changed revision: the title names its parameter
    assert gd_ruleset.rule(HOURS_RULE).title["zh"] == "校本研修累计25学时"
    lines = impact.text("zh").splitlines()
    assert "  school_based_hours_required (校本研修应累计学时): 25学时 → 20学时" in lines
    assert "教师: 共 10 名; 通过 2 → 6; 由不通过变为通过 4 名, 由通过变为不通过 0 名" in lines
    assert "学校: 共 3 所; 通过 0 → 1; 由不通过变为通过 1 所, 由通过变为不通过 0 所" in lines
    assert f"  {HOURS_RULE} {title} (教师): 不通过→通过 5, 通过→不通过 0" in lines
    assert "  霞山区 [C1]: 教师 不通过→通过 3, 通过→不通过 0; 学校 不通过→通过 1, 通过→不通过 0" in lines
    assert f"  C-24.9 (学校 第三中学): 不通过 → 通过; 规则: {HOURS_RULE} ({title}) 不通过→通过" in lines
    assert "另有 1 名教师结论未变, 但有规则状态改变 (见 JSON 输出)。" in lines


def test_english_report_and_json(impact):
    lines = impact.text("en").splitlines()
    assert "Teachers: 10; passing 2 → 6; fail→pass 4, pass→fail 0" in lines
    data = json.loads(json.dumps(impact.to_dict(), ensure_ascii=False))
    assert data["summary"]["teachers"] == {"total": 10, "passing_before": 2, "passing_after": 6, "pass_to_fail": 0, "fail_to_pass": 4}
    assert data["parameters"][0]["name"] == "school_based_hours_required" and data["parameters"][0]["new"] == 20
    flipped = [t for t in data["teachers"] if t["direction"] == "fail_to_pass"]
    assert {t["id"] for t in flipped} == {"A-20", "A-22", "A-24.5", "C-24.9"}
    assert flipped[0]["rules_changed"] == [{"rule_id": HOURS_RULE, "old": "fail", "new": "pass"}]


def test_a_changed_ruleset_file_gives_the_same_impact(registry, tmp_path, dataset, as_of):
    source = registry.get("guangdong", as_of).resolved.documents[0]
    anchor = "  school_based_hours_required:\n    value: 25\n"
    assert anchor in source.text
    changed = tmp_path / "guangdong.yaml"
    changed.write_text(source.text.replace(anchor, anchor.replace("25", "20")), encoding="utf-8")
    impact = run(registry, "guangdong", dataset, as_of, changed_path=changed)
    assert {c.id for c in impact.affected_teachers("fail_to_pass")} == {"A-20", "A-22", "A-24.5", "C-24.9"}
    assert [(p.name, p.old, p.new) for p in impact.parameters] == [("school_based_hours_required", 25, 20)]


def test_nothing_to_compare_is_an_error(registry, dataset, as_of):
    with pytest.raises(SimulationError) as caught:
        run(registry, "guangdong", dataset, as_of)
    assert caught.value.code == "simulate.nothing_changed"


# ---- --set values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, name, value", [
    ("school_based_hours_required=20", "school_based_hours_required", 20),
    ("qualified_share_required=92.5", "qualified_share_required", 92.5),
    ("summary_for_every_chosen_point=false", "summary_for_every_chosen_point", False),
    ('allowed_upload_formats=["doc", "docx", "pdf", "wps"]', "allowed_upload_formats", ["doc", "docx", "pdf", "wps"]),
    ("school_based_hours_required = 20 ", "school_based_hours_required", 20),
])
def test_set_values_are_read_as_the_parameters_type(gd_ruleset, text, name, value):
    parsed = parse_assignments(gd_ruleset.resolved, [text])
    assert parsed == {name: value}
    assert type(parsed[name]) is type(value)


def test_unknown_parameter_is_named_with_a_suggestion(gd_ruleset):
    with pytest.raises(UnknownParameter) as caught:
        parse_assignments(gd_ruleset.resolved, ["school_based_hour_required=20"])
    assert caught.value.code == "simulate.unknown_parameter"
    assert "'school_based_hour_required'" in str(caught.value)
    assert "school_based_hours_required" in caught.value.hint


@pytest.mark.parametrize("text, error, code", [
    ("school_based_hours_required=twenty", InvalidValue, "simulate.invalid_value"),
    ("school_based_hours_required=__import__('os').getcwd()", InvalidValue, "simulate.invalid_value"),
    ("school_based_hours_required=nan", InvalidValue, "simulate.invalid_value"),
    ("school_based_hours_required=true", InvalidValue, "simulate.invalid_value"),
    ("summary_for_every_chosen_point=yes", InvalidValue, "simulate.invalid_value"),
    ("allowed_upload_formats=pdf", InvalidValue, "simulate.invalid_value"),
    ('allowed_upload_formats=["pdf", 3]', InvalidValue, "simulate.invalid_value"),
    ("allowed_upload_formats={}", InvalidValue, "simulate.invalid_value"),
    ("school_based_hours_required", InvalidAssignment, "simulate.invalid_assignment"),
    ("=20", InvalidAssignment, "simulate.invalid_assignment"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_parameter(gd_ruleset, text, error, code):
    with pytest.raises(error) as caught:
        parse_assignments(gd_ruleset.resolved, [text])
    assert caught.value.code == code
    name = text.partition("=")[0].strip()
    if name and "=" in text:
        assert f"'{name}'" in str(caught.value)


def test_setting_a_parameter_twice_is_refused(gd_ruleset):
    with pytest.raises(InvalidAssignment, match="set twice"):
        parse_assignments(gd_ruleset.resolved, ["min_ability_points=2", "min_ability_points=4"])


def test_typed_overrides_are_checked_too(gd_ruleset):
    with pytest.raises(InvalidValue, match="'school_based_hours_required'"):
        apply_overrides(gd_ruleset.resolved, {"school_based_hours_required": "20"})
    with pytest.raises(UnknownParameter):
        apply_overrides(gd_ruleset.resolved, {"no_such_parameter": 1})


def test_an_override_makes_a_new_revision_and_leaves_the_baseline_untouched(gd_ruleset):
    before = dict(gd_ruleset.resolved.parameters["school_based_hours_required"])
    changed = apply_overrides(gd_ruleset.resolved, {"school_based_hours_required": 20})
    assert changed.revision != gd_ruleset.revision
    assert changed.parameters["school_based_hours_required"]["value"] == 20
    assert gd_ruleset.resolved.parameters["school_based_hours_required"] == before
    same = apply_overrides(gd_ruleset.resolved, {"school_based_hours_required": before["value"]})
    assert same.revision == gd_ruleset.revision
