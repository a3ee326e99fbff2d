"""Fail closed, never crash, never leak: the holes an attacker and a careless client found (issue 13)."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from kaohe.api.examples import EXAMPLE_SCHOOL, EXAMPLE_TEACHER
from kaohe.engine.evaluation import Evaluator

AS_OF = "2022-12-31"
ID_CARD = "44080219850612003X"  # made up, of the ID-card shape
ROOT = str(Path(__file__).resolve().parents[2])
STREAM = f"/v1/evaluations/stream?ruleset=guangdong&as_of={AS_OF}"


@pytest.fixture(scope="module")
def client(app_factory):
    with TestClient(app_factory(), raise_server_exceptions=False) as test_client:
        yield test_client


def teacher(**changes) -> dict:
    record = copy.deepcopy(EXAMPLE_TEACHER)
    record.update(changes)
    return record


def school(teachers: list[dict], **changes) -> dict:
    record = copy.deepcopy(EXAMPLE_SCHOOL)
    record["teachers"] = teachers
    for t in teachers:
        t["school_id"] = record["id"]
    record.update(changes)
    return record


def absurd_hours(value) -> dict:
    record = teacher()
    record["hours"] = [dict(record["hours"][0], hours=value)]
    return record


# ---- absurd numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ruleset", ["national", "hunan-yueyang", "guangdong"])
@pytest.mark.parametrize("value", [1e20, 1e300, 10 ** 30, -1])
def test_absurd_hours_are_refused_with_the_field_named(client, ruleset, value):
    body = json.dumps({"ruleset": ruleset, "as_of": AS_OF, "teacher": absurd_hours(value)})
    response = client.post("/v1/evaluations/teacher", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "record.invalid_field" and problem["errors"][0]["field"] == "hours[0].hours"


def test_absurd_hours_in_a_batch_of_schools_name_the_record_and_spare_nothing_silently(client):
    body = {"ruleset": "national", "as_of": AS_OF, "schools": [school([absurd_hours(1e20)])]}
    response = client.post("/v1/evaluations", json=body)
    assert response.status_code == 422 and response.json()["errors"][0]["record"] == "schools[0].teachers[0]"


@pytest.mark.parametrize("value", [1e308, 10 ** 30, -1e300])
def test_absurd_simulation_values_are_a_4xx_naming_the_parameter(client, value):
    body = json.dumps({"ruleset": "guangdong", "as_of": AS_OF, "set": {"school_based_hours_required": value},
                       "schools": [EXAMPLE_SCHOOL]})
    response = client.post("/v1/simulations", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert "school_based_hours_required" in response.json()["detail"]


# ---- one record that cannot be evaluated does not sink the others --------------------------------------

@pytest.fixture()
def broken_teacher(monkeypatch):
    """Evaluating the teacher with id BROKEN fails inside the engine (as 1e300 hours once did in durable_rules)."""
    original = Evaluator.teacher

    def teacher_or_fail(self, record, as_of, school=None):
        if record.id == "BROKEN":
            raise RuntimeError("error 202 from the rule engine")
        return original(self, record, as_of, school)

    monkeypatch.setattr(Evaluator, "teacher", teacher_or_fail)
    return "BROKEN"


def test_a_school_that_cannot_be_evaluated_is_named_and_the_others_are_answered(client, broken_teacher):
    good = school([teacher(id="T-GOOD")])
    bad = school([teacher(id="T-OK"), teacher(id=broken_teacher)], id="S-BAD", county_id=good["county_id"])
    region = {"id": good["county_id"], "level": "county"}
    body = {"ruleset": "guangdong", "as_of": AS_OF, "schools": [good, bad], "regions": [region]}
    response = client.post("/v1/evaluations", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [s["id"] for s in answer["schools"]] == [good["id"]] and answer["summary"]["schools"] == 1
    errors = answer["errors"]
    assert errors[0]["record"] == "schools[1].teachers[1]" and errors[0]["record_id"] == broken_teacher
    assert errors[0]["pointer"] == "/schools/1/teachers/1" and "error 202" not in json.dumps(answer)
    assert errors[1]["record_type"] == "region" and answer["regions"] == []  # withheld: one of its schools is missing


def test_one_teacher_that_cannot_be_evaluated_is_a_per_record_problem(client, broken_teacher):
    response = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF,
                                                            "teacher": teacher(id=broken_teacher)})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "record.not_evaluable" and problem["errors"][0]["record_id"] == broken_teacher
    assert "RuntimeError" not in response.text and "202" not in response.text


def test_the_stream_names_the_school_that_cannot_be_evaluated_and_goes_on(client, broken_teacher):
    first = school([teacher(id=broken_teacher)], id="S-1")
    second = school([teacher(id="T-2")], id="S-2")
    body = b"".join(json.dumps(s).encode() + b"\n" for s in (first, second))
    lines = [json.loads(l) for l in client.post(STREAM, content=body).text.splitlines()]
    assert [l["type"] for l in lines] == ["error", "school", "end"]
    assert lines[0]["problem"]["code"] == "record.not_evaluable" and lines[0]["problem"]["school_id"] == "S-1"
    assert lines[1]["school"]["id"] == "S-2" and lines[2]["complete"] is True


# ---- ID-card numbers ------------------------------------------------------------------------------

def test_id_card_numbers_are_masked_in_every_error_of_every_endpoint(client):
    masked = ID_CARD[:6] + "*" * 11 + ID_CARD[-1]
    answers = [
        client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "teacher": teacher(id=ID_CARD)}),
        client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF,
                                             "schools": [school([teacher(id=ID_CARD)])]}),
        client.post(STREAM, content=json.dumps(teacher(id=ID_CARD)).encode() + b"\n"),
        client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF,
                                             "schools": [school([teacher()], id=ID_CARD)]}),
        client.post(STREAM, content=json.dumps(school([], id=ID_CARD)).encode() + b"\n"),
    ]
    for response in answers:
        assert ID_CARD not in response.text and masked in response.text, response.text
    problem = answers[0].json()
    assert problem["errors"][0]["record_id"] == masked and masked in problem["detail"]
    school_problem = answers[3].json()["errors"][0]
    assert (school_problem["record_type"], school_problem["field"]) == ("school", "id")


def test_a_school_id_shaped_like_an_id_card_is_refused_not_evaluated(client):
    response = client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF,
                                                    "schools": [school([teacher()], id=ID_CARD)]})
    assert response.status_code == 422 and response.json()["code"] == "record.invalid_field"


def test_an_id_card_number_typed_into_free_text_is_masked_in_the_answer(client):
    record = teacher(name=f"马磊 {ID_CARD}")
    response = client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF, "detail": "full",
                                                    "schools": [school([record])]})
    assert response.status_code == 200 and ID_CARD not in response.text


def test_log_lines_mask_id_card_numbers_in_messages_and_tracebacks():
    from kaohe.api.logmask import MaskIdCards
    from kaohe.api.server import log_config

    try:
        raise ValueError(f"bad id {ID_CARD}")
    except ValueError:
        import sys

        record = logging.LogRecord("kaohe.api", logging.ERROR, __file__, 1, "teacher %s failed", (ID_CARD,), sys.exc_info())
    assert MaskIdCards().filter(record)
    text = logging.Formatter().format(record)
    assert ID_CARD not in text and ID_CARD[:6] + "*" * 11 in text and "ValueError" in text
    config = log_config()
    assert all("mask_id_cards" in handler["filters"] for handler in config["handlers"].values())


# ---- nothing of the server's insides -----------------------------------------------------------------

def test_validate_names_no_file_of_the_server_and_no_python_message(client):
    child = ("kaohe: 1\nid: zj\nextends: guangdong\nversion: '1'\ntitle: {zh: 湛江, en: ZJ}\n"
             "jurisdiction: {level: city, name: {zh: 湛江, en: ZJ}}\neffective: {from: '2023-01-01'}\n"
             "parameters:\n  school_based_hours_required:\n    value: '30'\n")
    for text in (child, child.replace("'30'", "5" * 5000)):
        response = client.post("/v1/rulesets/validate", content=text.encode(), headers={"content-type": "application/yaml"})
        assert response.status_code == 200 and response.json()["valid"] is False
        assert ROOT not in response.text and "set_int_max_str_digits" not in response.text
        assert all(not (d.get("file") or "").startswith("/") for d in response.json()["errors"])


def test_a_checker_failure_reports_no_exception_text(monkeypatch):
    from kaohe.api import compile_worker
    import kaohe.engine.lint as lint

    def broken(*args, **kwargs):
        raise ValueError(f"Exceeds the limit (4300 digits) in {ROOT}/engine/lint.py")

    monkeypatch.setattr(lint, "lint_text", broken)
    [diagnostic] = compile_worker.lint_in_child("kaohe: 1\n", "x.yaml")
    assert diagnostic["code"] == "ruleset.check_failed" and "4300" not in diagnostic["message"]
    assert ROOT not in diagnostic["message"]


def test_get_validate_is_no_ruleset_id(client):
    response = client.get("/v1/rulesets/validate")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["code"] == "http.method_not_allowed"


# ---- strict types, as the schema says ---------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("date", 0), ("date", "0"), ("date", 1672444800), ("date", "1990-13-01"), ("date", "1970-01-01"),
    ("hours", "3"), ("hours", True), ("hours", float("nan")),
])
def test_hour_entries_are_typed_as_the_schema_says(client, field, value):
    record = teacher()
    record["hours"] = [dict(record["hours"][0], **{field: value})]
    body = json.dumps({"ruleset": "guangdong", "as_of": AS_OF, "teacher": record})
    response = client.post("/v1/evaluations/teacher", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"hours[0].{field}"


@pytest.mark.parametrize("changes, field", [({"full_time": "yes"}, "full_time"), ({"full_time": 1}, "full_time")])
def test_flags_are_true_or_false_only(client, changes, field):
    response = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF,
                                                            "teacher": teacher(**changes)})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("as_of", [0, "0", "20221231"])
def test_as_of_is_a_date_written_as_a_date(client, as_of):
    body = {"ruleset": "guangdong", "as_of": as_of, "teacher": teacher()}
    response = client.post("/v1/evaluations/teacher", json=body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "as_of"
    stream = client.post(f"/v1/evaluations/stream?ruleset=guangdong&as_of={as_of}", content=b"")
    assert stream.status_code == 422


def test_the_record_schema_documents_its_bounds():
    from kaohe.engine.records import MAX_HOURS, json_schema

    schema = json_schema()
    hours = schema["$defs"]["HourEntry"]["properties"]["hours"]
    assert (hours["minimum"], hours["maximum"]) == (0, MAX_HOURS)
    assert schema["$defs"]["HourEntry"]["properties"]["date"]["formatMinimum"] == "1980-01-01"


def test_the_json_writer_masks_text_but_leaves_numbers_and_fractions():
    from kaohe.engine.jsonio import dumps, mask_id_cards

    written = dumps({"id": ID_CARD, "note": f"身份证 {ID_CARD[:-1]}x 已核", "share": 0.30000000000000004,
                     "hash": "a" + ID_CARD[:-1] + "7b", "count": 110101199001011234, "debt": [-110101199001011234],
                     "dashed": f"ID-{ID_CARD}"})
    orjson.loads(written)  # still JSON: numbers, negative ones too, are not masked
    assert ID_CARD not in written.decode() and b'"share":0.30000000000000004' in written
    assert b'"count":110101199001011234' in written and b"[-110101199001011234]" in written
    assert f"ID-{ID_CARD[:6]}".encode() + b"*" * 11 in written and ("a" + ID_CARD[:-1] + "7b").encode() in written
    assert mask_id_cards(f"teacher {ID_CARD} failed") == f"teacher {ID_CARD[:6]}{'*' * 11}{ID_CARD[-1]} failed"
