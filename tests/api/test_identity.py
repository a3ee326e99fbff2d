"""A record given twice is an input error (422 naming both places), never merged or counted twice."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kaohe.engine.records import School

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gd_records import complete_teacher  # noqa: E402

from .test_problems import assert_problem  # noqa: E402


def school_of_19_with_18_qualified() -> dict:
    """18 of 19 full-time teachers qualified: 94.7%, below the 95% gate (guangdong.yaml qualified_share_required)."""
    teachers = [complete_teacher(id=f"T-{i:02d}") for i in range(18)]
    teachers.append(complete_teacher(id="T-18", assessments=[{"kind": "应用能力点测评", "point": "GD:B1", "result": "不合格"}]))
    return School(id="S-1", name="示例中学", teachers=teachers).model_dump(mode="json", exclude_defaults=True)


def share_rule(body: dict) -> dict:
    (school,) = body["schools"]
    return next(r for r in school["rules"] if r["id"] == "gd.school.qualified-share")


def test_repeating_a_qualified_teacher_does_not_lift_a_school_over_the_95_percent_gate(client):
    school = school_of_19_with_18_qualified()
    answer = client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": "2022-12-31", "schools": [school]})
    assert answer.status_code == 200, answer.text
    assert share_rule(answer.json())["status"] == "fail" and round(share_rule(answer.json())["actual"], 1) == 94.7

    school["teachers"].append(dict(school["teachers"][3]))  # 20 listed, 19 "qualified": 95% if counted twice
    body = assert_problem(client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": "2022-12-31",
                                                               "schools": [school]}), 422, "record.duplicate_id")
    (error,) = body["errors"]
    assert error["record"] == "schools[0].teachers[19]" and error["record_id"] == "T-03" and error["field"] == "id"
    assert error["pointer"] == "/schools/0/teachers/19/id" and error["duplicate_of"] == "/schools/0/teachers/3"
    assert "schools[0].teachers[3]" in error["problem"] and "schools[0].teachers[19]" in error["problem"]
    assert "schools" not in body  # nothing was evaluated


def test_the_same_teacher_in_two_schools_and_a_school_twice_in_english(client):
    one = school_of_19_with_18_qualified()
    other = {"id": "S-2", "teachers": [dict(one["teachers"][0], school_id="S-2")]}
    body = assert_problem(client.post("/v1/evaluations", headers={"Accept-Language": "en"},
                                      json={"ruleset": "guangdong", "schools": [one, other, {"id": "S-1"}]}),
                          422, "record.duplicate_id")
    found = {(e["record"], e["duplicate_of"]): e["problem"] for e in body["errors"]}
    assert set(found) == {("schools[1].teachers[0]", "/schools/0/teachers/0"), ("schools[2]", "/schools/0")}
    assert "two schools" in found[("schools[1].teachers[0]", "/schools/0/teachers/0")]


def test_a_simulation_refuses_a_teacher_listed_twice(client):
    school = school_of_19_with_18_qualified()
    school["teachers"].append(dict(school["teachers"][0]))
    assert_problem(client.post("/v1/simulations", json={"ruleset": "guangdong", "as_of": "2022-12-31", "schools": [school],
                                                        "set": {"qualified_share_required": 90}}), 422, "record.duplicate_id")


def test_the_stream_withholds_a_school_whose_teacher_is_listed_twice(client):
    school = school_of_19_with_18_qualified()
    teachers = school.pop("teachers")
    lines = [school] + teachers + [teachers[5]] + [{"id": "S-2"}, dict(teachers[7], school_id="S-2")]
    answer = client.post("/v1/evaluations/stream", params={"ruleset": "guangdong", "as_of": "2022-12-31"},
                         content="\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n",
                         headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200
    out = [json.loads(line) for line in answer.text.splitlines()]
    errors = [o for o in out if o["type"] == "error"]
    assert [e["problem"]["code"] for e in errors] == ["record.duplicate_id", "record.duplicate_id"]
    assert "line 7" in errors[0]["problem"]["errors"][0]["problem"] and "line 21" in errors[0]["problem"]["errors"][0]["problem"]
    assert "line 9" in errors[1]["problem"]["errors"][0]["problem"] and "line 23" in errors[1]["problem"]["errors"][0]["problem"]
    assert not [o for o in out if o["type"] == "school"]
    assert out[-1]["summary"]["schools_withheld"] == 2 and out[-1]["summary"]["teachers"] == 0
