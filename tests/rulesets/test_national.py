"""national: the whole-school implementation guide (seed 000), rule by rule."""

from __future__ import annotations

import pytest

from kaohe.engine.evaluation import Evaluator

from ruleset_cases import (Case, check_every_rule_passes_and_fails, dataset, day, document, entry, evaluate, group,
                           member, principal_led_team, region, run, school, teacher)

RULESET = "national"
AS_OF = day("2022-06-01")


def hours(**by_category):
    return [entry(category, amount) for category, amount in by_category.items()]


def with_hours(**by_category):
    return lambda: teacher(hours=hours(**by_category))


def pilot(size: int = 4, **fields):
    fields.setdefault("management_team", principal_led_team(size))
    return lambda: school(is_pilot=True, **fields)


def plain_school(**fields):
    return lambda: school(**fields)


def city_with(*schools_):
    return lambda: dataset([region("city", "M1")], [school(id=f"s{i}", city_id="M1", **s) for i, s in enumerate(schools_)])


def county_with(*kinds, level="county"):
    return lambda: dataset([region(level, "C1", documents=[document(k) for k in kinds])])


ALL_COUNTY_DOCUMENTS = ("整校推进评估指标", "校本应用考核实施细则", "学校整校推进考核电子档案")

CASES = [
    # ---- 实践应用学时 ≥ 50% ----
    Case("nat.teacher.practice-share", "pass", with_hours(网络研修=25, 校本研修=25), AS_OF, "exactly 50% practice"),
    Case("nat.teacher.practice-share", "pass", with_hours(网络研修=30, 校本研修=20, 校本应用考核=10), AS_OF,
         "assessment hours count as practice"),
    Case("nat.teacher.practice-share", "pass", with_hours(网络研修=20, 校本实践=15, 实践应用=15), AS_OF,
         "school-based practice and practice application count"),
    Case("nat.teacher.practice-share", "fail", with_hours(网络研修=26, 校本研修=24), AS_OF, "48% practice"),
    Case("nat.teacher.practice-share", "fail", with_hours(网络研修=40, 校本研修=20), AS_OF, "33% practice"),
    Case("nat.teacher.practice-share", "fail", with_hours(网络研修=50), AS_OF, "online only"),
    Case("nat.teacher.practice-share", "fail", with_hours(), AS_OF, "no hours recorded"),
    # ---- 总学时 50 (建议项) ----
    Case("nat.teacher.total-hours", "pass", with_hours(网络研修=25, 校本研修=25), AS_OF, "50 h"),
    Case("nat.teacher.total-hours", "fail", with_hours(网络研修=24.5, 校本研修=25), AS_OF, "49.5 h"),
    # ---- 校长领衔 ----
    Case("nat.school.team-led-by-principal", "pass", plain_school(management_team=principal_led_team(4)), AS_OF,
         "principal leads"),
    Case("nat.school.team-led-by-principal", "fail", plain_school(management_team=[
        member("校长", "校长", principal=True), member("副校长", "副校长", leader=True)]), AS_OF,
         "a vice-principal leads"),
    Case("nat.school.team-led-by-principal", "fail", plain_school(management_team=[
        member("校长", "校长", principal=True), member("主任", "教学主任")]), AS_OF, "nobody leads"),
    Case("nat.school.team-led-by-principal", "fail", plain_school(), AS_OF, "no team"),
    # ---- 试点校团队 3-5 人 ----
    Case("nat.school.pilot-team-size", "pass", pilot(3), AS_OF, "3 members"),
    Case("nat.school.pilot-team-size", "pass", pilot(5), AS_OF, "5 members"),
    Case("nat.school.pilot-team-size", "fail", pilot(2), AS_OF, "2 members"),
    Case("nat.school.pilot-team-size", "fail", pilot(6), AS_OF, "6 members"),
    Case("nat.school.pilot-team-size", "not_applicable", plain_school(management_team=principal_led_team(7)), AS_OF,
         "not a pilot school"),
    # ---- 规划与方案报备 ----
    Case("nat.school.plans-filed", "pass", plain_school(documents=[document("学校信息化发展规划"), document("校本研修方案")]),
         AS_OF, "both filed"),
    Case("nat.school.plans-filed", "fail", plain_school(documents=[document("学校信息化发展规划"),
                                                                   document("校本研修方案", filed_on=None)]),
         AS_OF, "research plan written, not filed"),
    Case("nat.school.plans-filed", "fail", plain_school(documents=[document("校本研修方案")]), AS_OF, "no IT plan"),
    # ---- 教研组有计划 ----
    Case("nat.school.research-group-plans", "pass", plain_school(research_groups=[
        group("语文组", ["研修计划", "教学设计"]), group("数学组", ["研修计划"])]), AS_OF, "every group has a plan"),
    Case("nat.school.research-group-plans", "fail", plain_school(research_groups=[
        group("语文组", ["研修计划"]), group("数学组", ["教学设计"])]), AS_OF, "one group without a plan"),
    Case("nat.school.research-group-plans", "fail", plain_school(), AS_OF, "no research group"),
    # ---- 试点覆盖各地市 ----
    Case("nat.region.city-has-pilot", "pass", city_with({"is_pilot": True}, {"is_pilot": False}), AS_OF,
         "one pilot school in the city"),
    Case("nat.region.city-has-pilot", "fail", city_with({"is_pilot": False}), AS_OF, "no pilot school in the city"),
    Case("nat.region.city-has-pilot", "not_applicable",
         lambda: dataset([region("province", "P1")], [school(province_id="P1", is_pilot=False)]), AS_OF,
         "a province is checked city by city"),
    # ---- 区县考核文件 ----
    Case("nat.region.county-assessment-documents", "pass", county_with(*ALL_COUNTY_DOCUMENTS), AS_OF, "all three"),
    Case("nat.region.county-assessment-documents", "fail", county_with(*ALL_COUNTY_DOCUMENTS[:2]), AS_OF,
         "no e-records"),
    Case("nat.region.county-assessment-documents", "not_applicable", county_with(level="city"), AS_OF,
         "cities are not checked"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(registry, case):
    assert run(registry, RULESET, case).status_of(case.rule) == case.status


def test_every_rule_has_a_passing_and_a_failing_case(registry):
    check_every_rule_passes_and_fails(registry, RULESET, CASES, AS_OF)


def test_total_hours_is_advisory_and_does_not_fail_the_teacher(registry):
    result = run(registry, RULESET, Case("nat.teacher.total-hours", "fail", with_hours(网络研修=20, 校本研修=20), AS_OF, ""))
    assert result.status_of("nat.teacher.total-hours") == "fail"
    assert result.verdict == "pass"


def test_team_size_wording(registry):
    result = run(registry, RULESET, Case("nat.school.pilot-team-size", "fail", pilot(6), AS_OF, ""))
    outcome = result.outcome_of("nat.school.pilot-team-size")
    assert outcome.explanation["zh"] == "信息化管理团队 6人, 不在 3-5 人之间。"
    assert outcome.explanation["en"] == "The IT management team has 6 members, outside 3 to 5."


def test_practice_share_wording(registry):
    result = run(registry, RULESET, Case("nat.teacher.practice-share", "fail", with_hours(网络研修=40, 校本研修=20), AS_OF, ""))
    assert result.outcome_of("nat.teacher.practice-share").explanation["zh"] == (
        "实践应用学时 20学时, 只占总学时 60学时的 33.3%, 不足 50% (无学时记录时比例为“无”)。")


def _variant(registry, **overrides):
    return Evaluator(registry.get(RULESET, AS_OF).with_overrides(overrides))


def test_reading_team_size_for_every_school(registry):
    """§7 Q21: with the other reading, a non-pilot school's team of 7 fails too."""
    big_team = school(management_team=principal_led_team(7))
    assert evaluate(registry.evaluator(RULESET, AS_OF), big_team, AS_OF).status_of("nat.school.pilot-team-size") == "not_applicable"
    other_reading = _variant(registry, team_size_applies_to_all_schools=True)
    assert evaluate(other_reading, big_team, AS_OF).status_of("nat.school.pilot-team-size") == "fail"


def test_hour_rules_do_not_apply_to_a_partial_ledger(registry):
    partial = _variant(registry, hour_ledger_complete=False)
    result = evaluate(partial, teacher(hours=hours(校本研修=25)), AS_OF)
    assert result.status_of("nat.teacher.practice-share") == "not_applicable"
    assert result.status_of("nat.teacher.total-hours") == "not_applicable"
