"""hunan-yueyang: 岳教体办通〔2021〕8号 (seed 001), rule by rule."""

from __future__ import annotations

import pytest

from kaohe.engine.evaluation import Evaluator

from ruleset_cases import (Case, check_every_rule_passes_and_fails, dataset, day, document, entry, evaluate, group,
                           member, principal_led_team, region, run, school, teacher)

RULESET = "hunan-yueyang"
AS_OF = day("2023-07-01")  # before the completion deadline, after the training the cases record
AFTER_DEADLINE = day("2024-01-15")


def training(workshop=60, school_based=10, assessment=10, assessment_date="2023-06-20"):
    entries = []
    if workshop:
        entries.append(entry("工作坊混合式研修", workshop, "2022-11-10"))
    if school_based:
        entries.append(entry("校本研修", school_based, "2023-03-15"))
    if assessment:
        entries.append(entry("校本应用考核", assessment, assessment_date))
    return entries


def trained(**split):
    return lambda: teacher(hours=training(**split))


def pilot(**fields):
    fields.setdefault("management_team", principal_led_team(3))
    return lambda: school(is_pilot=True, **fields)


ANNEXES = [document("整校推进方案", "2021-05-28"), document("参培教师信息表", "2021-05-30")]


PILOT_TRAINING = [entry("工作坊混合式研修", 60, "2021-09-10"), entry("校本研修", 10, "2021-10-15"),
                  entry("校本应用考核", 10, "2021-12-20")]


def county(pilots: int, others: int = 0, summary_filed: str | None = "2021-05-29", level="county", trained=None):
    """`pilots` schools marked pilot, the first `trained` of them (all, by default) with 80 h recorded in 2021."""
    trained = pilots if trained is None else trained
    schools = [school(id=f"p{i}", county_id="C1", is_pilot=True,
                      teachers=[teacher(id=f"p{i}t", school_id=f"p{i}", hours=PILOT_TRAINING)] if i < trained else [])
               for i in range(pilots)]
    schools += [school(id=f"o{i}", county_id="C1") for i in range(others)]
    documents = [document("试点学校汇总表", summary_filed)] if summary_filed else []
    return lambda: dataset([region(level, "C1", documents=documents)], schools)


CASES = [
    # ---- 60 + 10 + 10 = 80 ----
    Case("yy.teacher.workshop-hours", "pass", trained(), AS_OF, "60 h"),
    Case("yy.teacher.workshop-hours", "pass", trained(workshop=70), AS_OF, "70 h (a minimum)"),
    Case("yy.teacher.workshop-hours", "fail", trained(workshop=59, school_based=11), AS_OF,
         "59 h; school-based hours do not make up for it"),
    Case("yy.teacher.school-based-hours", "pass", trained(), AS_OF, "10 h"),
    Case("yy.teacher.school-based-hours", "fail", trained(school_based=8), AS_OF, "8 h"),
    Case("yy.teacher.application-assessment-hours", "pass", trained(), AS_OF, "10 h"),
    Case("yy.teacher.application-assessment-hours", "fail", trained(assessment=0), AS_OF, "no assessment"),
    Case("yy.teacher.total-hours", "pass", trained(), AS_OF, "80 h"),
    Case("yy.teacher.total-hours", "pass", trained(workshop=59, school_based=11), AS_OF, "80 h in another split"),
    Case("yy.teacher.total-hours", "fail", trained(school_based=8), AS_OF, "78 h"),
    Case("yy.teacher.total-hours", "fail",
         lambda: teacher(hours=training(workshop=50) + [entry("网络研修", 20)]), AS_OF,
         "other categories do not count"),
    # ---- 2023年底前完成 ----
    Case("yy.teacher.completed-by-deadline", "pass", trained(assessment_date="2023-12-31"), AFTER_DEADLINE,
         "finished on 31 December 2023"),
    Case("yy.teacher.completed-by-deadline", "fail", trained(assessment_date="2024-01-02"), AFTER_DEADLINE,
         "finished in January 2024"),
    Case("yy.teacher.completed-by-deadline", "fail", trained(workshop=40), AFTER_DEADLINE, "never finished"),
    Case("yy.teacher.completed-by-deadline", "not_yet_due", trained(workshop=40), day("2023-12-31"),
         "deadline not passed yet"),
    Case("yy.teacher.completed-by-deadline", "pass", trained(), day("2023-07-01"), "finished before the deadline"),
    # ---- 试点学校附件 ----
    Case("yy.school.pilot-documents", "pass", pilot(documents=ANNEXES), AS_OF, "both annexes by 30 May"),
    Case("yy.school.pilot-documents", "fail", pilot(documents=[document("整校推进方案", "2021-05-31"), ANNEXES[1]]),
         AS_OF, "plan filed on 31 May"),
    Case("yy.school.pilot-documents", "fail", pilot(documents=ANNEXES[:1]), AS_OF, "no teacher roster"),
    Case("yy.school.pilot-documents", "not_applicable", lambda: school(), AS_OF, "not a pilot school"),
    # ---- 校长任领导小组组长 ----
    Case("yy.school.principal-heads-team", "pass", pilot(), AS_OF, "principal heads the team"),
    Case("yy.school.principal-heads-team", "fail", pilot(management_team=[
        member("校长", "校长", principal=True), member("副校长", "副校长", leader=True)]), AS_OF, "vice-principal heads it"),
    Case("yy.school.principal-heads-team", "fail", pilot(management_team=[]), AS_OF, "no team"),
    Case("yy.school.principal-heads-team", "not_applicable", lambda: school(), AS_OF, "not a pilot school"),
    # ---- 教研组研修计划 ----
    Case("yy.school.research-group-plans", "pass", pilot(research_groups=[group("语文组", ["研修计划"])]), AS_OF,
         "the group has a plan"),
    Case("yy.school.research-group-plans", "fail", pilot(research_groups=[
        group("语文组", ["研修计划"]), group("数学组")]), AS_OF, "one group without a plan"),
    Case("yy.school.research-group-plans", "fail", pilot(), AS_OF, "no research group"),
    Case("yy.school.research-group-plans", "not_applicable", lambda: school(), AS_OF, "not a pilot school"),
    # ---- 能力点选择 ----
    Case("yy.school.teacher-point-choices", "pass", pilot(teachers=[
        teacher(id="a", ability_points=["A1"]), teacher(id="b", ability_points=["A1", "B6"])]), AS_OF,
         "every teacher chose a point"),
    Case("yy.school.teacher-point-choices", "fail", pilot(teachers=[
        teacher(id="a", ability_points=["A1"]), teacher(id="b")]), AS_OF, "one teacher chose none"),
    Case("yy.school.teacher-point-choices", "fail", pilot(), AS_OF, "no teacher listed"),
    Case("yy.school.teacher-point-choices", "not_applicable", lambda: school(teachers=[teacher()]), AS_OF,
         "not a pilot school"),
    # ---- 县市区 ----
    Case("yy.region.county-pilot-schools", "pass", county(2), AS_OF, "two pilot schools"),
    Case("yy.region.county-pilot-schools", "pass", county(3), AS_OF, "three pilot schools"),
    Case("yy.region.county-pilot-schools", "fail", county(1, others=3), AS_OF, "one pilot school"),
    Case("yy.region.county-pilot-schools", "fail", county(2, trained=0), AS_OF, "two pilot flags, nobody trained"),
    Case("yy.region.county-pilot-schools", "not_yet_due", county(2, trained=0), day("2021-11-01"),
         "pilot deadline not passed yet"),
    Case("yy.region.county-pilot-schools", "not_applicable", county(0, level="city"), AS_OF, "a city"),
    Case("yy.region.pilot-summary-filed", "pass", county(2, summary_filed="2021-05-30"), AS_OF, "filed on 30 May"),
    Case("yy.region.pilot-summary-filed", "fail", county(2, summary_filed="2021-06-01"), AS_OF, "filed on 1 June"),
    Case("yy.region.pilot-summary-filed", "fail", county(2, summary_filed=None), AS_OF, "not filed"),
    Case("yy.region.pilot-summary-filed", "not_applicable", county(0, level="city"), AS_OF, "a city"),
    Case("yy.region.pilot-summary-filed", "not_yet_due", county(2, summary_filed=None), day("2021-05-20"),
         "filing deadline not passed yet"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(registry, case):
    assert run(registry, RULESET, case).status_of(case.rule) == case.status


def test_every_rule_has_a_passing_and_a_failing_case(registry):
    check_every_rule_passes_and_fails(registry, RULESET, CASES, AS_OF)


def test_a_fully_trained_teacher_completes_the_training(registry):
    result = evaluate(registry.evaluator(RULESET, AFTER_DEADLINE), teacher(hours=training()), AFTER_DEADLINE)
    assert result.verdict == "pass"
    assert result.ruleset.label("teacher", result.verdict, "zh") == "完成培训"


def test_workshop_wording(registry):
    result = run(registry, RULESET, Case("yy.teacher.workshop-hours", "fail", trained(workshop=59), AS_OF, ""))
    outcome = result.outcome_of("yy.teacher.workshop-hours")
    assert outcome.explanation["zh"] == "工作坊混合式研修 59学时, 不符合 60 学时的要求。"
    assert outcome.remedy["zh"] == "与规定的 60学时不符 (现为 59学时): 不足的在工作坊补足, 超出的请核对学时记录。"


def test_reading_exact_hours(registry):
    """§7 Q3: under the exact reading, 70 workshop hours no longer meet the 60 h figure, and 90 h not the 80 h."""
    exact = Evaluator(registry.get(RULESET, AS_OF).with_overrides({"hours_exact": True}))
    result = evaluate(exact, teacher(hours=training(workshop=70)), AS_OF)
    assert result.status_of("yy.teacher.workshop-hours") == "fail"
    assert result.status_of("yy.teacher.total-hours") == "fail"
    assert evaluate(exact, teacher(hours=training()), AS_OF).verdict == "pass"
