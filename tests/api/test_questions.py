"""GET /v1/questions: the open-questions register, as `kaohe questions` gives it."""

from __future__ import annotations

import json

import pytest

from kaohe.engine.jsonio import dumps
from kaohe.api.schemas import OpenQuestions
from kaohe.tools import questions


@pytest.fixture(scope="module")
def client(app_factory):
    from fastapi.testclient import TestClient

    with TestClient(app_factory()) as test_client:
        yield test_client


def test_guangdongs_questions_with_value_reading_and_who_decides(client, api_registry):
    response = client.get("/v1/questions", params={"ruleset": "guangdong"})
    assert response.status_code == 200
    answer = response.json()
    OpenQuestions.model_validate(answer)
    assert answer == json.loads(dumps(questions.register(api_registry, "guangdong").to_dict()))
    assert {q["ruleset"] for q in answer["questions"]} == {"guangdong"}
    cap = next(q for q in answer["questions"] if q["parameter"] == "offline_activity_cap")
    compiled = api_registry.revisions("guangdong")[-1]
    spec = compiled.resolved.parameters["offline_activity_cap"]
    assert cap["value"] == compiled.parameters["offline_activity_cap"]
    assert (cap["question"]["zh"], cap["reading"]["zh"]) == (spec["question"]["zh"], spec["reading"]["zh"])
    assert cap["decided_by"]["zh"] and cap["revision"] == compiled.revision


def test_without_a_ruleset_every_loaded_rulesets_questions(client, api_registry):
    answer = client.get("/v1/questions").json()
    assert answer == json.loads(dumps(questions.register(api_registry).to_dict()))
    assert answer["count"] == len(answer["questions"])
    assert {"guangdong", "national"} <= {q["ruleset"] for q in answer["questions"]}


def test_the_text_register_follows_accept_language(client, api_registry):
    register = questions.register(api_registry, "guangdong")
    zh = client.get("/v1/questions", params={"ruleset": "guangdong", "format": "text"})
    assert zh.headers["content-type"].startswith("text/plain") and zh.headers["content-language"] == "zh-CN"
    assert zh.text == register.text("zh") and "offline_activity_cap" in zh.text
    en = client.get("/v1/questions", params={"ruleset": "guangdong", "format": "text"}, headers={"Accept-Language": "en"})
    assert en.text == register.text("en") and en.headers["content-language"] == "en"


def test_an_unknown_ruleset_is_not_found(client):
    response = client.get("/v1/questions", params={"ruleset": "atlantis"})
    assert (response.status_code, response.json()["code"]) == (404, "ruleset.not_found")
    assert response.headers["content-type"] == "application/problem+json"
