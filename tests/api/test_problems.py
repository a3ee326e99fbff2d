"""Every error is RFC 9457 problem+json with a stable code; never a 500 for bad input, never a trace."""

from __future__ import annotations

import copy
import re

import pytest
from fastapi.testclient import TestClient

from kaohe.api.deps import get_registry
from kaohe.api.examples import EXAMPLE_SCHOOL, EXAMPLE_TEACHER
from kaohe.api.problems import TYPES

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "decision_id"}
ERROR_KEYS = {"record", "record_type", "record_index", "record_id", "field", "problem", "pointer"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status and body["code"] == code and body["type"] == f"/problems/{code}"
    assert body["instance"] == f"urn:uuid:{body['decision_id']}"
    assert code in TYPES, f"{code} has no problem page"
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def test_a_record_that_does_not_validate_is_named_by_index_id_field_and_pointer(client):
    school = copy.deepcopy(EXAMPLE_SCHOOL)
    school["teachers"][1]["hours"][2]["hours"] = -3
    school["teachers"][2]["full_time"] = "sometimes"
    body = assert_problem(client.post("/v1/evaluations", json={"ruleset": "guangdong", "schools": [EXAMPLE_SCHOOL, school]}),
                          422, "record.invalid_field")
    assert [set(e) for e in body["errors"]] == [ERROR_KEYS, ERROR_KEYS]
    first, second = body["errors"]
    assert first == {"record": "schools[1].teachers[1]", "record_type": "teacher", "record_index": 1,
                     "record_id": school["teachers"][1]["id"], "field": "hours[2].hours",
                     "problem": first["problem"], "pointer": "/schools/1/teachers/1/hours/2/hours"}
    assert first["problem"] == "应不小于 0"  # Chinese unless Accept-Language asks for English
    assert (second["record"], second["record_id"], second["field"]) == ("schools[1].teachers[2]", school["teachers"][2]["id"],
                                                                        "full_time")
    assert school["teachers"][1]["id"] in body["detail"]


def test_a_school_field_error_names_the_school(client):
    school = copy.deepcopy(EXAMPLE_SCHOOL)
    school["self_score"] = -1
    school["unknown_field"] = 1
    body = assert_problem(client.post("/v1/evaluations", json={"ruleset": "guangdong", "schools": [school]}),
                          422, "record.invalid_field")
    assert {(e["record"], e["record_type"], e["record_index"], e["record_id"], e["field"]) for e in body["errors"]} == {
        ("schools[0]", "school", 0, school["id"], "self_score"), ("schools[0]", "school", 0, school["id"], "unknown_field")}


def test_an_id_card_number_as_teacher_id_is_refused_without_echoing_it(client):
    teacher = dict(EXAMPLE_TEACHER, id="44080219800101123X")
    body = assert_problem(client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "teacher": teacher}),
                          422, "record.invalid_field")
    (error,) = body["errors"]
    assert (error["record"], error["record_type"], error["field"]) == ("teacher", "teacher", "id")
    assert "身份证" in error["problem"]


def test_a_teacher_endpoint_error_points_into_the_teacher(client):
    teacher = copy.deepcopy(EXAMPLE_TEACHER)
    teacher["artefacts"][0]["size_kb"] = "big"
    body = assert_problem(client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "teacher": teacher}),
                          422, "record.invalid_field")
    (error,) = body["errors"]
    assert error == {"record": "teacher", "record_type": "teacher", "record_index": 0, "record_id": teacher["id"],
                     "field": "artefacts[0].size_kb", "problem": error["problem"], "pointer": "/teacher/artefacts/0/size_kb"}


@pytest.mark.parametrize("envelope, field", [({"detail": "everything"}, "detail"), ({"as_of": "31/12/2022"}, "as_of"),
                                             ({"ruleset": "Guang Dong"}, "ruleset"), ({"extra": 1}, "extra")])
def test_a_request_field_error_is_request_invalid_not_a_record_error(client, envelope, field):
    payload = {"ruleset": "guangdong", "schools": [EXAMPLE_SCHOOL], **envelope}
    body = assert_problem(client.post("/v1/evaluations", json=payload), 422, "request.invalid")
    assert [(e["record"], e["field"]) for e in body["errors"]] == [(None, field)]


def test_no_schools_is_a_request_error(client):
    body = assert_problem(client.post("/v1/evaluations", json={"ruleset": "guangdong", "schools": []}), 422, "request.invalid")
    assert body["errors"][0]["field"] == "schools"


def test_unknown_ruleset_is_404(client):
    body = assert_problem(client.post("/v1/evaluations/teacher", json={"ruleset": "atlantis", "teacher": EXAMPLE_TEACHER}),
                          404, "ruleset.not_found")
    assert "atlantis" in body["detail"] and "guangdong" in body["hint"]


def test_no_revision_in_force_is_422_with_the_periods(client):
    body = assert_problem(client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": "2001-01-01",
                                                               "schools": [EXAMPLE_SCHOOL]}), 422, "ruleset.not_in_force")
    assert "2001-01-01" in body["detail"] and re.search(r"\d{4}-\d{2}-\d{2}", body["hint"])


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff\xfe", b"[1, 2"])
def test_a_body_that_is_not_json_is_400(client, raw):
    assert_problem(client.post("/v1/evaluations", content=raw, headers={"content-type": "application/json"}),
                   400, "request.malformed_json")


def test_a_json_body_that_is_not_an_object_is_a_request_error(client):
    assert_problem(client.post("/v1/evaluations", json=[1, 2]), 422, "request.invalid")


def test_wrong_content_type_is_415(client):
    assert_problem(client.post("/v1/evaluations", content=b"ruleset=guangdong",
                               headers={"content-type": "application/x-www-form-urlencoded"}),
                   415, "request.unsupported_media_type")


def test_body_over_the_limit_is_413_declared_or_not(app_factory):
    with TestClient(app_factory(max_body_bytes=2000)) as client:
        payload = {"ruleset": "guangdong", "schools": [EXAMPLE_SCHOOL]}
        body = assert_problem(client.post("/v1/evaluations", json=payload), 413, "request.too_large")
        assert body["max_bytes"] == 2000

        def chunks():  # no Content-Length: the limit is enforced while reading
            yield b'{"ruleset": "guangdong", "schools": ['
            for _ in range(50):
                yield b'{"id": "S", "teachers": [{"id": "T", "school_id": "S"}]},'
            yield b'{"id": "S", "teachers": [{"id": "T", "school_id": "S"}]}]}'
        assert_problem(client.post("/v1/evaluations", content=chunks(), headers={"content-type": "application/json"}),
                       413, "request.too_large")
        small = {"ruleset": "guangdong", "teacher": {"id": "T", "school_id": "S"}}
        assert client.post("/v1/evaluations/teacher", json=small).status_code == 200


def test_unknown_path_and_method_are_problems(client):
    assert_problem(client.get("/v1/nothing-here"), 404, "http.not_found")
    response = client.get("/v1/evaluations")
    assert_problem(response, 405, "http.method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_an_unexpected_failure_is_a_generic_500_problem_without_a_trace(app, caplog):
    def broken():
        raise RuntimeError("secret internals: /etc/kaohe/db.conf")

    app.dependency_overrides[get_registry] = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "teacher": EXAMPLE_TEACHER})
    body = assert_problem(response, 500, "internal.error")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["decision_id"] in caplog.text and "secret internals" in caplog.text  # logged, with the decision id


def test_problem_titles_follow_accept_language(client):
    zh = client.post("/v1/evaluations", json={"ruleset": "atlantis", "schools": [EXAMPLE_SCHOOL]})
    en = client.post("/v1/evaluations", json={"ruleset": "atlantis", "schools": [EXAMPLE_SCHOOL]},
                     headers={"Accept-Language": "en"})
    assert zh.json()["title"] == TYPES["ruleset.not_found"].title["zh"]
    assert en.json()["title"] == TYPES["ruleset.not_found"].title["en"]


def test_every_problem_code_has_a_page(client):
    listing = client.get("/problems").json()
    assert {p["code"] for p in listing} == set(TYPES)
    for code, kind in TYPES.items():
        page = client.get(f"/problems/{code}")
        assert page.status_code == 200
        assert page.json() == {"code": code, "status": kind.status, "title": kind.title, "description": kind.description}
    assert_problem(client.get("/problems/no.such.code"), 404, "http.not_found")


def test_a_school_without_teachers_is_evaluated_in_full_detail(client):
    response = client.post("/v1/evaluations", json={"ruleset": "guangdong", "detail": "full", "schools": [{"id": "S"}]})
    assert response.status_code == 200, response.text
    (school,) = response.json()["schools"]
    assert school["measures"]["qualified_share"] == {"value": None, "unit": "%", "how": {"numerator": 0, "denominator": 0, "not_meeting": []}}


@pytest.mark.parametrize("path, body", [
    ("/v1/evaluations/teacher", b'{"ruleset": "guangdong", "teacher": {"id": "\\ud952x", "school_id": "S"}}'),
    ("/v1/evaluations/teacher", b'{"ruleset": "guangdong", "teacher": {"id": "T", "school_id": "S", "\\udc00": 1}}'),
    ("/v1/rulesets/validate", b'{"\\ud952\\udd17": [], "": true}'),
])
def test_text_that_is_not_valid_unicode_is_answered_not_a_500(client, path, body):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    response.json()  # valid JSON, lone surrogates replaced


def test_jsonio_replaces_lone_surrogates():
    from kaohe.engine.jsonio import dumps

    assert dumps({"a\ud800": ["x\udfff", 1, None]}) == '{"a\ufffd":["x\ufffd",1,null]}'.encode()


@pytest.mark.parametrize("path", ["/v1/evaluations", "/v1/evaluations/teacher"])
def test_a_client_that_goes_away_mid_body_is_not_an_internal_error(app, path, caplog):
    import anyio

    async def call():
        messages = [{"type": "http.request", "body": b'{"ruleset": "guang', "more_body": True}, {"type": "http.disconnect"}]
        sent = []

        async def receive():
            return messages.pop(0)

        async def send(message):
            sent.append(message)
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"x"), (b"content-type", b"application/json")], "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 2), "state": {}}
        await app(scope, receive, send)
        return sent

    sent = anyio.run(call)
    assert sent[0]["status"] == 400
    assert b'"code":"request.incomplete"' in sent[1]["body"]
    assert "internal error" not in caplog.text


def test_record_problems_follow_accept_language_and_an_unknown_field_gets_a_did_you_mean(client):
    school = copy.deepcopy(EXAMPLE_SCHOOL)
    school["teachers"][0]["hours"][0]["hours"] = "三十"
    school["teachers"][0]["ful_time"] = True
    request = {"ruleset": "guangdong", "schools": [school]}
    zh = assert_problem(client.post("/v1/evaluations", json=request), 422, "record.invalid_field")
    en = assert_problem(client.post("/v1/evaluations", json=request, headers={"Accept-Language": "en"}), 422,
                        "record.invalid_field")
    assert {e["field"]: e["problem"] for e in zh["errors"]} == {
        "hours[0].hours": "应为数字 (阿拉伯数字, 不加引号)", "ful_time": "未知字段 (是否想写 'full_time'？)"}
    problems = {e["field"]: e["problem"] for e in en["errors"]}
    assert problems["hours[0].hours"].startswith("Input should be a valid number")
    assert problems["ful_time"] == "Extra inputs are not permitted (did you mean 'full_time'?)"
    assert all("problem_zh" not in e for e in zh["errors"] + en["errors"])
