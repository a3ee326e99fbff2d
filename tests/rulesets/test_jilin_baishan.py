"""jilin-baishan: 白山教基字〔2020〕15号 (seed 003), rule by rule. School and city duties only."""

from __future__ import annotations

import pytest

from kaohe.engine.errors import NoRevisionInForce

from ruleset_cases import (Case, check_every_rule_passes_and_fails, dataset, day, document, member, region, run,
                           school)

RULESET = "jilin-baishan"
AS_OF = day("2021-10-01")  # implementation phase, after the documents the cases file
AFTER_PROJECT = day("2022-08-10")
SUMMARY_PHASE = day("2022-07-20")
FOCUS = ("市朝鲜族学校", "第八中学", "星泰外国语学校")


def cio_team():
    return [member("校长", "首席信息官", principal=True, leader=True), member("主任", "教学主任")]


def summaries(semesters=4, years=2, final=True):
    out = [document("学期工作总结", f"202{1 + i // 2}-0{1 + 6 * (i % 2)}-20") for i in range(semesters)]
    out += [document("年度工作总结", f"202{1 + i}-07-10") for i in range(years)]
    if final:
        out.append(document("项目全面总结", "2022-07-15"))
    return out


def with_team(team):
    return lambda: school(management_team=team)


def with_documents(*documents):
    return lambda: school(documents=list(documents))


def city(schools=FOCUS, bodies=("统筹领导小组", "推进指导小组"), tasks=12, targets=29, level="city"):
    return lambda: dataset(
        [region(level, "220600", documents=[document(b, "2020-10-20") for b in bodies],
                counts={"主要任务已分解": tasks, "任务靶点已分解": targets})],
        [school(id=f"s{i}", name=name, city_id="220600", county_id="220600") for i, name in enumerate(schools)])


CASES = [
    # ---- 校长任 CIO, 第一责任人 ----
    Case("bs.school.principal-cio", "pass", with_team(cio_team()), AS_OF, "principal is CIO"),
    Case("bs.school.principal-cio", "pass", with_team([member("校长", "首席信息官(CIO)", principal=True)]), AS_OF,
         "role written with (CIO)"),
    Case("bs.school.principal-cio", "fail", with_team([member("校长", "校长", principal=True, leader=True),
                                                       member("主任", "首席信息官")]), AS_OF,
         "someone else is CIO"),
    Case("bs.school.principal-cio", "fail", with_team([]), AS_OF, "no team"),
    Case("bs.school.principal-first-responsible", "pass", with_team(cio_team()), AS_OF, "principal leads"),
    Case("bs.school.principal-first-responsible", "fail", with_team([member("校长", "首席信息官", principal=True),
                                                                     member("副校长", "副校长", leader=True)]), AS_OF,
         "the vice-principal leads"),
    # ---- 领导机构和工作机构 ----
    Case("bs.school.project-bodies", "pass", with_documents(document("领导机构"), document("工作机构")), AS_OF, "both"),
    Case("bs.school.project-bodies", "fail", with_documents(document("领导机构")), AS_OF, "no working body"),
    Case("bs.school.project-bodies", "fail", with_documents(document("领导机构"), document("工作机构", None)), AS_OF,
         "working body not filed"),
    # ---- 实施计划 ----
    Case("bs.school.implementation-plan", "pass", with_documents(document("实施计划", "2022-06-30")), SUMMARY_PHASE,
         "filed on the last day of the implementation phase"),
    Case("bs.school.implementation-plan", "fail", with_documents(document("实施计划", "2022-07-01")), SUMMARY_PHASE,
         "filed after the phase"),
    Case("bs.school.implementation-plan", "fail", with_documents(), SUMMARY_PHASE, "no plan"),
    Case("bs.school.implementation-plan", "not_yet_due", with_documents(), AS_OF, "no plan yet, phase not over"),
    # ---- 学期、年度、全面总结 ----
    Case("bs.school.semester-summaries", "pass", with_documents(*summaries()), SUMMARY_PHASE, "four"),
    Case("bs.school.semester-summaries", "fail", with_documents(*summaries(semesters=3)), SUMMARY_PHASE, "three"),
    Case("bs.school.semester-summaries", "not_yet_due", with_documents(), AS_OF, "implementation phase not over"),
    Case("bs.school.annual-summaries", "pass", with_documents(*summaries()), SUMMARY_PHASE, "two"),
    Case("bs.school.annual-summaries", "fail", with_documents(*summaries(years=1)), SUMMARY_PHASE, "one"),
    Case("bs.school.annual-summaries", "not_yet_due", with_documents(), AS_OF, "implementation phase not over"),
    Case("bs.school.final-summary", "pass", with_documents(*summaries()), SUMMARY_PHASE, "filed"),
    Case("bs.school.final-summary", "fail", with_documents(*summaries(final=False)), AFTER_PROJECT, "missing"),
    Case("bs.school.final-summary", "not_yet_due", with_documents(*summaries(final=False)), SUMMARY_PHASE,
         "summary phase not over"),
    # ---- 市 ----
    Case("bs.region.focus-schools", "pass", city(), AS_OF, "all three focus schools"),
    Case("bs.region.focus-schools", "pass", city(FOCUS + ("市直实验小学",)), AS_OF, "focus schools and one more"),
    Case("bs.region.focus-schools", "fail", city(FOCUS[:2] + ("市直实验小学",)), AS_OF, "星泰外国语学校 missing"),
    Case("bs.region.focus-schools", "not_applicable", city(level="county"), AS_OF, "a county"),
    Case("bs.region.leading-groups", "pass", city(), AS_OF, "both groups"),
    Case("bs.region.leading-groups", "fail", city(bodies=("统筹领导小组",)), AS_OF, "no guidance group"),
    Case("bs.region.tasks-assigned", "pass", city(), AS_OF, "12 and 29"),
    Case("bs.region.tasks-assigned", "fail", city(targets=27), AS_OF, "27 targets"),
    Case("bs.region.tasks-assigned", "fail", city(tasks=11), AS_OF, "11 tasks"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(registry, case):
    assert run(registry, RULESET, case).status_of(case.rule) == case.status


def test_every_rule_has_a_passing_and_a_failing_case(registry):
    check_every_rule_passes_and_fails(registry, RULESET, CASES, SUMMARY_PHASE)


def test_no_teacher_rules(registry):
    """The Jilin provincial 2.0 rule was not found (policy-research §7 Q20): teachers are not judged here."""
    assert registry.get(RULESET, AS_OF).rules["teacher"] == []


def test_in_force_from_the_notice_and_after_the_project_ends(registry):
    """No end date: the final summary is due on the project's last day, so lateness shows only after it."""
    assert registry.get(RULESET, day("2020-10-08")).id == RULESET
    assert registry.get(RULESET, day("2022-08-01")).id == RULESET
    with pytest.raises(NoRevisionInForce):
        registry.get(RULESET, day("2020-10-07"))


def test_tasks_wording(registry):
    result = run(registry, RULESET, Case("bs.region.tasks-assigned", "fail", city(targets=27), AS_OF, ""))
    assert result.outcome_of("bs.region.tasks-assigned").explanation["zh"] == (
        "已分解到部门的主要任务 12 项 (应为 12 项)、任务靶点 27 个 (应为 29 个)。")
