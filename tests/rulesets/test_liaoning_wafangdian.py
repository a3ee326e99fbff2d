"""liaoning-wafangdian: the Wafangdian implementation plan (seed 002), rule by rule."""

from __future__ import annotations

import pytest

from kaohe.engine.evaluation import Evaluator

from ruleset_cases import (Case, artefact, assessment, check_every_rule_passes_and_fails, day, document, entry,
                           evaluate, member, principal_led_team, run, school, teacher)

RULESET = "liaoning-wafangdian"
AS_OF = day("2023-10-15")  # before the summary deadline
AFTER_SUMMARY = day("2023-12-10")
POINTS = ("A1", "A3", "B6")


def wfd_teacher(online=25, practice=25, points=POINTS, plan=True, certified=None, guidance=1, results=("合格",),
                id="t1", **fields):
    """A teacher who meets every teacher rule unless told otherwise."""
    hours = ([entry("网络研修", online)] if online else []) + ([entry("校本实践", practice)] if practice else [])
    artefacts = [artefact("个人研修计划")] if plan else []
    artefacts += [artefact("微能力认证材料", p) for p in (points if certified is None else certified)]
    artefacts += [artefact("信息技术融合教学学习指导案")] * guidance
    return teacher(id=id, ability_points=list(points), hours=hours, artefacts=artefacts,
                   assessments=[assessment("校本应用考核", r) for r in results], **fields)


def t(**kw):
    return lambda: wfd_teacher(**kw)


PLANS = ("学校信息化教育教学发展规划", "校本研修方案", "考核方案")


def wfd_school(plans_on="2023-08-30", bodies=("校项目办", "教学指导团队"), summary_on=None, team=None, teachers=None,
               cases=None):
    documents = [document(kind, plans_on) for kind in PLANS] + [document(kind, "2023-08-10") for kind in bodies]
    if summary_on:
        documents.append(document("提升工程工作总结", summary_on))
    counts = {} if cases is None else {"优秀案例": cases}
    return school(documents=documents, management_team=principal_led_team(3) if team is None else team,
                  teachers=[wfd_teacher()] if teachers is None else teachers, counts=counts)


def s(**kw):
    return lambda: wfd_school(**kw)


def roster(passing: int, failing: int = 0, off_post: int = 0):
    out = [wfd_teacher(id=f"p{i}") for i in range(passing)]
    out += [wfd_teacher(id=f"f{i}", results=("不合格",)) for i in range(failing)]
    out += [wfd_teacher(id=f"x{i}", results=(), status="离岗") for i in range(off_post)]
    return out


CASES = [
    # ---- 学时 ----
    Case("wfd.teacher.total-hours", "pass", t(), AS_OF, "25 + 25"),
    Case("wfd.teacher.total-hours", "fail", t(online=25, practice=24), AS_OF, "49 h"),
    Case("wfd.teacher.online-hours", "pass", t(), AS_OF, "25 h online"),
    Case("wfd.teacher.online-hours", "fail", t(online=24, practice=26), AS_OF, "24 h online, 50 in total"),
    Case("wfd.teacher.practice-hours", "pass", t(), AS_OF, "25 h practice"),
    Case("wfd.teacher.practice-hours", "pass",
         lambda: teacher(hours=[entry("网络研修", 25), entry("校本培训", 15), entry("实践应用", 10)]), AS_OF,
         "校本培训 and 实践应用 count as practice"),
    Case("wfd.teacher.practice-hours", "fail", t(online=30, practice=20), AS_OF, "20 h practice"),
    Case("wfd.teacher.practice-share", "pass", t(), AS_OF, "exactly 50%"),
    Case("wfd.teacher.practice-share", "fail", t(online=40, practice=25), AS_OF, "40 + 25: 38% (§7 Q4)"),
    Case("wfd.teacher.practice-share", "fail", t(online=0, practice=0), AS_OF, "no hours"),
    # ---- 微能力 ----
    Case("wfd.teacher.micro-abilities", "pass", t(), AS_OF, "three"),
    Case("wfd.teacher.micro-abilities", "pass", t(points=("A1", "A3", "B6", "B1")), AS_OF, "four (a minimum)"),
    Case("wfd.teacher.micro-abilities", "fail", t(points=("A1", "B6")), AS_OF, "two"),
    Case("wfd.teacher.research-plan", "pass", t(), AS_OF, "plan submitted"),
    Case("wfd.teacher.research-plan", "fail", t(plan=False), AS_OF, "no plan"),
    Case("wfd.teacher.certification-materials", "pass", t(), AS_OF, "one per point"),
    Case("wfd.teacher.certification-materials", "fail", t(certified=("A1", "A3")), AS_OF, "B6 without material"),
    Case("wfd.teacher.certification-materials", "fail", t(points=(), certified=()), AS_OF, "no point chosen"),
    Case("wfd.teacher.guidance-lesson-plan", "pass", t(), AS_OF, "one guidance plan"),
    Case("wfd.teacher.guidance-lesson-plan", "fail", t(guidance=0), AS_OF, "none"),
    Case("wfd.teacher.application-assessment", "pass", t(), AS_OF, "合格"),
    Case("wfd.teacher.application-assessment", "pass", t(results=("优秀",)), AS_OF, "优秀"),
    Case("wfd.teacher.application-assessment", "pass", t(results=("不合格", "合格")), AS_OF,
         "passed after one-to-one help"),
    Case("wfd.teacher.application-assessment", "fail", t(results=("不合格",)), AS_OF, "不合格"),
    Case("wfd.teacher.application-assessment", "fail", t(results=()), AS_OF, "not assessed"),
    # ---- 一划两案 ----
    Case("wfd.school.plans-filed", "pass", s(plans_on="2023-08-30"), AS_OF, "filed on 30 August"),
    Case("wfd.school.plans-filed", "fail", s(plans_on="2023-08-31"), AS_OF, "filed on 31 August"),
    Case("wfd.school.plans-filed", "fail", lambda: school(documents=[document(k, "2023-08-01") for k in PLANS[:2]]),
         AS_OF, "no assessment scheme"),
    # ---- 校长领衔, 机构 ----
    Case("wfd.school.team-led-by-principal", "pass", s(), AS_OF, "principal leads"),
    Case("wfd.school.team-led-by-principal", "fail", s(team=[member("校长", "校长", principal=True),
                                                            member("主任", "教学主任", leader=True)]), AS_OF,
         "the director leads"),
    Case("wfd.school.bodies", "pass", s(), AS_OF, "both set up"),
    Case("wfd.school.bodies", "fail", s(bodies=("校项目办",)), AS_OF, "no teaching guidance team"),
    # ---- 合格率 100% ----
    Case("wfd.school.pass-rate", "pass", s(teachers=roster(4)), AS_OF, "4 of 4"),
    Case("wfd.school.pass-rate", "pass", s(teachers=roster(4, off_post=1)), AS_OF, "off-post teacher left out"),
    Case("wfd.school.pass-rate", "fail", s(teachers=roster(33, failing=1)), AS_OF, "33 of 34"),
    Case("wfd.school.pass-rate", "fail",
         s(teachers=roster(3) + [wfd_teacher(id="new", results=(), status="调岗")]), AS_OF,
         "a transferred teacher still counts"),
    # ---- 优秀案例 ≥ 3% ----
    Case("wfd.school.excellent-cases", "pass", s(teachers=roster(20), cases=1), AS_OF, "1 case, 20 teachers (5%)"),
    Case("wfd.school.excellent-cases", "pass", s(teachers=roster(100), cases=3), AS_OF, "3 cases, 100 teachers (3%)"),
    Case("wfd.school.excellent-cases", "fail", s(teachers=roster(34), cases=1), AS_OF, "1 case, 34 teachers (2.9%)"),
    Case("wfd.school.excellent-cases", "fail", s(teachers=roster(20), cases=0), AS_OF, "no case"),
    Case("wfd.school.excellent-cases", "fail", s(teachers=roster(20)), AS_OF, "cases not reported"),
    # ---- 11月末总结 ----
    Case("wfd.school.summary-reported", "pass", s(summary_on="2023-11-30"), AFTER_SUMMARY, "reported on 30 November"),
    Case("wfd.school.summary-reported", "fail", s(summary_on="2023-12-01"), AFTER_SUMMARY, "reported on 1 December"),
    Case("wfd.school.summary-reported", "fail", s(), AFTER_SUMMARY, "not reported"),
    Case("wfd.school.summary-reported", "not_yet_due", s(), AS_OF, "deadline not passed yet"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(registry, case):
    assert run(registry, RULESET, case).status_of(case.rule) == case.status


def test_every_rule_has_a_passing_and_a_failing_case(registry):
    check_every_rule_passes_and_fails(registry, RULESET, CASES, AS_OF)


def test_a_complete_teacher_passes(registry):
    assert evaluate(registry.evaluator(RULESET, AS_OF), wfd_teacher(), AS_OF).verdict == "pass"


def test_excellent_cases_wording(registry):
    result = run(registry, RULESET, Case("wfd.school.excellent-cases", "fail", s(teachers=roster(34), cases=1), AS_OF, ""))
    assert result.outcome_of("wfd.school.excellent-cases").explanation["zh"] == (
        "报送优秀案例 1 个, 只占教师数 34 的 2.9%, 不足 3%。")


def _variant(registry, **overrides):
    return Evaluator(registry.get(RULESET, AS_OF).with_overrides(overrides))


def test_reading_exactly_three_micro_abilities(registry):
    """§7 Q5: under the exact reading a fourth point fails the teacher."""
    four = wfd_teacher(points=("A1", "A3", "B6", "B1"))
    assert evaluate(_variant(registry, micro_abilities_exact=True), four, AS_OF).status_of(
        "wfd.teacher.micro-abilities") == "fail"


def test_reading_without_the_share_check(registry):
    """§7 Q4: with the share check off, 40 online + 25 practice passes."""
    result = evaluate(_variant(registry, practice_share_checked=False), wfd_teacher(online=40), AS_OF)
    assert result.status_of("wfd.teacher.practice-share") == "not_applicable"
    assert result.verdict == "pass"
