"""POST /v1/evaluations and /v1/evaluations/teacher: the engine's verdicts and explanations, over HTTP."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import orjson
import pytest

from kaohe.api.deps import get_today
from kaohe.api.examples import EXAMPLE_REGION, EXAMPLE_SCHOOL, EXAMPLE_TEACHER, EXAMPLE_TEACHER_PASSING
from kaohe.api.schemas import EvaluationResponse, TeacherEvaluationResponse
from kaohe.engine import explain
from kaohe.engine.inputs import dataset_from_data, teacher_from_data

AS_OF = "2022-12-31"


def engine_evaluation(registry, body: dict, lang: str = "zh") -> dict:
    """What the engine itself says for this request, normalised through JSON."""
    as_of = dt.date.fromisoformat(body["as_of"])
    dataset = dataset_from_data({"schools": body["schools"], "regions": body.get("regions", [])})
    evaluation = registry.evaluator(body["ruleset"], as_of).dataset(dataset, as_of)
    return json.loads(orjson.dumps(explain.evaluation_dict(evaluation, lang, body.get("detail", "full"))))


def engine_teacher(registry, teacher: dict, as_of: str, lang: str = "zh", detail: str = "full") -> dict:
    day = dt.date.fromisoformat(as_of)
    result = registry.evaluator("guangdong", day).teacher(teacher_from_data(teacher), day)
    return json.loads(orjson.dumps(explain.teacher_dict(result, lang, detail)))


def without_decision(answer: dict) -> dict:
    out = dict(answer)
    out.pop("decision_id")
    return out


@pytest.mark.parametrize("detail", ["full", "compact"])
def test_dataset_verdicts_are_the_engines(client, api_registry, gd_dataset, detail):
    body = {"ruleset": "guangdong", "as_of": AS_OF, "detail": detail, "schools": gd_dataset["schools"],
            "regions": gd_dataset["regions"]}
    response = client.post("/v1/evaluations", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert without_decision(response.json()) == engine_evaluation(api_registry, body)


def test_every_evaluation_names_ruleset_revision_and_a_new_decision_id(client, api_registry):
    body = {"ruleset": "guangdong", "as_of": AS_OF, "schools": [EXAMPLE_SCHOOL]}
    first, second = client.post("/v1/evaluations", json=body), client.post("/v1/evaluations", json=body)
    revision = api_registry.get("guangdong", dt.date.fromisoformat(AS_OF)).revision
    ids = set()
    for response in (first, second):
        answer = response.json()
        assert answer["ruleset"]["id"] == response.headers["kaohe-ruleset"] == "guangdong"
        assert answer["ruleset"]["revision"] == response.headers["kaohe-ruleset-revision"] == revision
        assert str(uuid.UUID(answer["decision_id"])) == answer["decision_id"] == response.headers["kaohe-decision-id"]
        ids.add(answer["decision_id"])
    assert len(ids) == 2


def test_accept_language_en_gives_the_english_explanations(client, api_registry):
    body = {"ruleset": "guangdong", "as_of": AS_OF, "schools": [EXAMPLE_SCHOOL]}
    english = client.post("/v1/evaluations", json=body, headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    chinese = client.post("/v1/evaluations", json=body)
    assert english.headers["content-language"] == "en" and chinese.headers["content-language"] == "zh-CN"
    assert without_decision(english.json()) == engine_evaluation(api_registry, body, "en")
    assert without_decision(chinese.json()) == engine_evaluation(api_registry, body, "zh")
    assert english.json()["schools"][0]["rules"][0]["title"] != chinese.json()["schools"][0]["rules"][0]["title"]


@pytest.mark.parametrize("header, lang", [(None, "zh"), ("en", "en"), ("zh-CN", "zh"), ("fr, en;q=0.3", "en"),
                                          ("en;q=0.2, zh-TW;q=0.8", "zh"), ("de", "zh"), ("en;q=0", "zh")])
def test_language_negotiation(header, lang):
    from kaohe.api.deps import negotiate_language

    assert negotiate_language(header) == lang


@pytest.mark.parametrize("teacher", [EXAMPLE_TEACHER, EXAMPLE_TEACHER_PASSING], ids=["failing", "passing"])
@pytest.mark.parametrize("detail", ["full", "compact"])
def test_one_teacher_gets_the_engines_teacher_verdict(client, api_registry, teacher, detail):
    response = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "detail": detail,
                                                            "teacher": teacher})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["teacher"] == engine_teacher(api_registry, teacher, AS_OF, detail=detail)
    assert answer["as_of"] == AS_OF and answer["language"] == "zh"
    compiled = api_registry.get("guangdong", dt.date.fromisoformat(AS_OF))
    assert answer["ruleset"] == explain.ruleset_header(compiled, "zh")
    TeacherEvaluationResponse.model_validate(answer)


def test_one_teacher_is_judged_by_teacher_rules_only(client, api_registry):
    answer = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF,
                                                          "teacher": EXAMPLE_TEACHER}).json()
    compiled = api_registry.get("guangdong", dt.date.fromisoformat(AS_OF))
    assert [r["id"] for r in answer["teacher"]["rules"]] == [r.id for r in compiled.rules["teacher"]]
    assert compiled.rules["school"], "the ruleset has school rules, none of which may appear here"


def test_the_example_teachers_fail_and_pass_as_the_examples_say(client):
    short = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "detail": "compact",
                                                         "teacher": EXAMPLE_TEACHER}).json()["teacher"]
    assert short["verdict"] == "fail"
    assert "gd.teacher.school-based-hours" in [r["id"] for r in short["failed_rules"]]
    passing = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "detail": "compact",
                                                           "teacher": EXAMPLE_TEACHER_PASSING}).json()["teacher"]
    assert passing["verdict"] == "pass" and passing["failed_rules"] == []


def test_regions_are_evaluated_over_the_schools_sent(client, api_registry):
    body = {"ruleset": "guangdong", "as_of": AS_OF, "schools": [EXAMPLE_SCHOOL], "regions": [EXAMPLE_REGION]}
    answer = client.post("/v1/evaluations", json=body).json()
    assert answer["regions"][0]["id"] == EXAMPLE_REGION["id"]
    assert answer["regions"][0]["schools"] == [EXAMPLE_SCHOOL["id"]]
    assert without_decision(answer) == engine_evaluation(api_registry, body)
    EvaluationResponse.model_validate(answer)


def test_as_of_defaults_to_today_in_china(app, api_registry):
    from fastapi.testclient import TestClient

    app.dependency_overrides[get_today] = lambda: dt.date(2023, 3, 1)
    with TestClient(app) as client:
        answer = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "teacher": EXAMPLE_TEACHER}).json()
    assert answer["as_of"] == "2023-03-01"


def test_today_is_taken_in_the_configured_time_zone():
    from kaohe.api.settings import Settings

    shanghai = get_today(Settings(timezone="Asia/Shanghai"))
    kiritimati = get_today(Settings(timezone="Pacific/Kiritimati"))  # UTC+14
    assert shanghai == dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert kiritimati == dt.datetime.now(dt.timezone(dt.timedelta(hours=14))).date()


def test_the_same_teacher_id_with_different_records_gets_each_its_own_verdict(client):
    worse = copy.deepcopy(EXAMPLE_TEACHER_PASSING)
    worse["artefacts"] = [a for a in worse["artefacts"] if a["kind"] != "提升计划"]
    answers = [client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "detail": "compact",
                                                            "teacher": t}).json()["teacher"]
               for t in (EXAMPLE_TEACHER_PASSING, worse)]
    assert answers[0]["id"] == answers[1]["id"]
    assert [a["verdict"] for a in answers] == ["pass", "fail"]
