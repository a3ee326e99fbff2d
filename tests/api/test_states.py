"""The outcome states a policy officer must not have to overturn, over HTTP: not in scope, not yet due,
cannot be judged from this data, and records seen as of the evaluation date."""

from __future__ import annotations

import copy

from kaohe.api.examples import EXAMPLE_TEACHER_PASSING
from kaohe.api.schemas import EvaluationResponse, TeacherEvaluationResponse


def test_a_teacher_off_post_is_not_in_scope_not_failed(client):
    teacher = {"id": "W99", "school_id": "WFD-9", "status": "离岗"}
    answer = client.post("/v1/evaluations/teacher", json={"ruleset": "liaoning-wafangdian", "as_of": "2023-12-10",
                                                          "teacher": teacher}).json()
    TeacherEvaluationResponse.model_validate(answer)
    verdict = answer["teacher"]
    assert verdict["verdict"] == "not_in_scope" and verdict["verdict_text"] == "不在本轮培训范围"
    assert {rule["status"] for rule in verdict["rules"]} == {"not_in_scope"}
    assert verdict["scope"]["in_scope"] == "全市在职在岗全学科教师"


def test_a_deadline_not_come_is_not_yet_due_and_does_not_fail_the_school(client):
    school = {"id": "WFD-9", "name": "示例学校", "teachers": [],
              "documents": [{"kind": "学校信息化教育教学发展规划", "filed_on": "2023-08-01"}]}
    answer = client.post("/v1/evaluations", json={"ruleset": "liaoning-wafangdian", "as_of": "2023-08-10",
                                                  "detail": "compact", "schools": [school]}, headers={"Accept-Language": "en"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    EvaluationResponse.model_validate(body)
    due = {rule["id"]: rule for rule in body["schools"][0]["not_yet_due_rules"]}
    assert due["wfd.school.plans-filed"]["status"] == "not_yet_due"
    assert due["wfd.school.plans-filed"]["explanation"] == "Due 2023-08-30 (20 days left); not filed yet: 校本研修方案, 考核方案."
    assert "wfd.school.plans-filed" not in {rule["id"] for rule in body["schools"][0]["failed_rules"]}
    assert body["summary"]["with_rules_not_yet_due"]["schools"] == 1


def test_facts_the_source_does_not_carry_cannot_be_judged(client):
    teacher = copy.deepcopy(EXAMPLE_TEACHER_PASSING)
    teacher["assessments"] = [a for a in teacher.get("assessments", []) if a["kind"] != "应用能力点测评"]
    teacher["not_recorded"] = ["assessments:应用能力点测评"]
    answer = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": "2022-12-31",
                                                          "detail": "compact", "teacher": teacher}).json()
    TeacherEvaluationResponse.model_validate(answer)
    verdict = answer["teacher"]
    assert verdict["verdict"] == "cannot_judge" and verdict["failed_rules"] == []
    assert [rule["id"] for rule in verdict["cannot_judge_rules"]] == ["gd.teacher.point-assessment"]


def test_an_unknown_fact_names_the_field(client):
    teacher = {"id": "T1", "school_id": "S1", "not_recorded": ["考核结果"]}
    response = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": "2022-12-31",
                                                            "teacher": teacher})
    assert response.status_code == 422
    assert "not_recorded" in response.text


def test_hours_after_the_as_of_date_are_left_out_and_said_so(client):
    teacher = {"id": "T1", "school_id": "S1",
               "hours": [{"category": "校本研修", "kind": "研修作业", "hours": 5, "date": "2022-05-10"}] * 4
               + [{"category": "校本研修", "kind": "研修作业", "hours": 5, "date": "2023-03-01"}]}
    answer = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": "2022-12-31",
                                                          "teacher": teacher}).json()
    TeacherEvaluationResponse.model_validate(answer)
    verdict = answer["teacher"]
    assert verdict["measures"]["school_based_hours"]["value"] == 20
    assert verdict["left_out"] == {"entries": {"hours": 1},
                                   "explanation": "日期晚于评估日期 2022-12-31 的 1 条学时记录未计入"}
