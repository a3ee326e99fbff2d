"""Not in scope, not yet due, cannot be judged, as of: what a school officer reads in JSON and in the report."""

from __future__ import annotations

import datetime as dt

from kaohe.engine import explain
from kaohe.engine.inputs import dataset_from_data

AS_OF = dt.date(2023, 12, 10)
PASSING = {"ability_points": ["A1", "A3", "B6"],
           "hours": [{"category": "网络研修", "kind": "课程学习", "hours": 25, "date": "2023-09-20"},
                     {"category": "校本实践", "kind": "研修活动", "hours": 25, "date": "2023-10-10"}],
           "artefacts": [{"kind": "个人研修计划", "file_name": "计划.docx", "format": "docx", "size_kb": 120}]
           + [{"kind": "微能力认证材料", "point": p, "file_name": f"{p}.pdf", "format": "pdf", "size_kb": 500}
              for p in ("A1", "A3", "B6")]
           + [{"kind": "信息技术融合教学学习指导案", "file_name": "指导案.docx", "format": "docx", "size_kb": 300}],
           "assessments": [{"kind": "校本应用考核", "result": "合格", "date": "2023-10-12"}]}


def wafangdian(registry, teachers, as_of=AS_OF):
    data = {"schools": [{"id": "S", "name": "示例学校", "teachers": teachers}]}
    return registry.evaluator("liaoning-wafangdian", as_of).dataset(dataset_from_data(data), as_of)


def test_a_teacher_off_post_is_listed_and_counted_in_no_share(registry):
    teachers = [dict(PASSING, id=f"T{i}", school_id="S") for i in range(3)] + [{"id": "OFF", "school_id": "S", "status": "离岗"}]
    evaluation = wafangdian(registry, teachers)
    school = explain.school_dict(evaluation.schools[0])
    assert school["teachers_not_in_scope"] == ["OFF"]
    assert school["teacher_verdicts"]["not_in_scope"] == 1 and school["teacher_verdicts"]["pass"] == 3
    rate = school["measures"]["pass_rate"]
    assert rate["value"] == 100 and rate["how"]["denominator"] == 3 and rate["how"]["not_meeting"] == []
    report = explain.text_report(evaluation)
    assert "教师 OFF [OFF]: 不在本轮培训范围\n    不在本轮培训范围: 培训对象为在职在岗教师, 该教师记录为离岗。" in report
    assert "教师结论: 不在本轮培训范围 1" in report


def test_the_report_says_what_is_not_yet_due_and_what_was_left_out(registry):
    teachers = [dict(PASSING, id="T1", school_id="S")]
    evaluation = wafangdian(registry, teachers, dt.date(2023, 10, 1))
    report = explain.text_report(evaluation, "en")
    assert "[not yet due]: Due 2023-11-30 (60 days left); not reported yet: 提升工程工作总结." in report
    assert "(left out: 1 hour entries, 1 assessment results dated after the as-of date 2023-10-01 left out)" in report
    assert "with requirements not yet due: 1 schools, 0 teachers, 0 regions" in report
    compact = explain.evaluation_dict(evaluation, "zh", "compact")
    school = compact["schools"][0]
    assert [r["id"] for r in school["not_yet_due_rules"]] == ["wfd.school.summary-reported"]
    plans = next(r for r in school["failed_rules"] if r["id"] == "wfd.school.plans-filed")  # due 30 August: late
    assert plans["explanation"].endswith("(已逾期 32 天)。")


def test_a_scope_cites_its_document_as_a_rule_does():
    """Scopes and rules read citations in one place: both show the document (title in both
    languages, 文号, date) from rulesets/sources.yaml, not only the seed file."""
    import datetime as dt

    from kaohe.plugins.manager import build_registry

    compiled = build_registry(entry_points=False).registry.get("liaoning-wafangdian", dt.date(2023, 8, 1))
    scope, rule = compiled.scope["teacher"].citation, compiled.all_rules()[0].citation
    assert scope["document"] == rule["document"] == "瓦房店市中小学教师信息技术应用能力提升工程2.0实施方案"
    assert set(scope) - {"quote"} == set(rule) - {"quote"}
