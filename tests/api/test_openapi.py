"""The OpenAPI document: served at /docs, Chinese examples from the Guangdong dataset, bodies documented."""

from __future__ import annotations

import datetime as dt

from kaohe.api.examples import EXAMPLE_REGION, EXAMPLE_SCHOOL
from kaohe.api.schemas import (EVALUATION_EXAMPLES, SIMULATION_EXAMPLES, TEACHER_EXAMPLES, EvaluationRequest,
                               SimulationRequest, TeacherEvaluationRequest)


def test_docs_are_served(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower() and "/openapi.json" in page.text


def test_examples_are_records_of_the_guangdong_dataset(gd_dataset):
    school = next(s for s in gd_dataset["schools"] if s["id"] == EXAMPLE_SCHOOL["id"])
    assert {k: v for k, v in school.items() if k != "teachers"} == {k: v for k, v in EXAMPLE_SCHOOL.items() if k != "teachers"}
    dataset_teachers = {t["id"]: t for t in school["teachers"]}
    for teacher in EXAMPLE_SCHOOL["teachers"]:
        assert dataset_teachers[teacher["id"]] == teacher
    region = next(r for r in gd_dataset["regions"] if r["id"] == EXAMPLE_REGION["id"])
    assert (region["level"], region["name"]) == (EXAMPLE_REGION["level"], EXAMPLE_REGION["name"])


def test_every_request_example_validates_and_evaluates(client):
    for name, example in EVALUATION_EXAMPLES.items():
        EvaluationRequest.model_validate(example["value"])
        assert client.post("/v1/evaluations", json=example["value"]).status_code == 200, name
    for name, example in TEACHER_EXAMPLES.items():
        TeacherEvaluationRequest.model_validate(example["value"])
        assert client.post("/v1/evaluations/teacher", json=example["value"]).status_code == 200, name
    for name, example in SIMULATION_EXAMPLES.items():
        SimulationRequest.model_validate(example["value"])
        assert client.post("/v1/simulations", json=example["value"]).status_code == 200, name


def test_the_simulation_example_lowers_the_hours_to_20_over_the_dataset_school(client):
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/v1/simulations"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/SimulationRequest"}
    example = body["examples"]["lower_hours"]
    assert example["value"]["set"] == {"school_based_hours_required": 20}
    assert [t["id"] for s in example["value"]["schools"] for t in s["teachers"]] == [t["id"] for t in EXAMPLE_SCHOOL["teachers"]]
    assert "学时" in example["summary"]
    impact = client.post("/v1/simulations", json=example["value"]).json()["impact"]
    assert [(t["name"], t["direction"]) for t in impact["teachers"] if t["direction"]] == [("冯玉", "fail_to_pass")]
    for name in ("SimulationRequest", "SimulationResponse", "Impact", "OpenQuestions"):
        assert name in doc["components"]["schemas"], name
    assert "set" in doc["components"]["schemas"]["SimulationRequest"]["properties"]
    questions = doc["paths"]["/v1/questions"]["get"]
    assert {p.get("name") or p["$ref"] for p in questions["parameters"]} == {"ruleset", "format", "#/components/parameters/AcceptLanguage"}
    assert questions["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OpenQuestions"}


def test_the_document_carries_the_chinese_examples_and_the_record_schemas(client):
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/v1/evaluations"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EvaluationRequest"}
    assert body["examples"]["school"]["value"]["schools"][0]["name"] == "湛江市示例第二中学"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["examples"]["school"]["summary"])
    teacher = doc["paths"]["/v1/evaluations/teacher"]["post"]["requestBody"]["content"]["application/json"]
    assert teacher["examples"]["short_hours"]["value"]["teacher"]["name"] == "冯玉"
    for name in ("EvaluationRequest", "TeacherEvaluationRequest", "School", "Teacher", "HourEntry", "ProblemDetails",
                 "StreamLine", "EvaluationResponse"):
        assert name in doc["components"]["schemas"], name
    stream = doc["paths"]["/v1/evaluations/stream"]["post"]
    assert "application/x-ndjson" in stream["requestBody"]["content"]
    assert stream["responses"]["200"]["content"]["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/StreamLine"}
    security = doc["paths"]["/v1/evaluations/teacher"]["post"]["security"]
    assert {"bearer": []} in security and {"apiKey": []} in security
    assert "security" not in doc["paths"]["/healthz"]["get"]


def test_problem_responses_are_documented_as_problem_json(client):
    doc = client.get("/openapi.json").json()
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path.startswith("/v1"):
                    assert "application/problem+json" in response["content"], (path, method, status)


def test_responses_match_their_documented_models(client):
    from kaohe.api.schemas import EvaluationResponse, ProblemDetails, StreamLine

    example = EVALUATION_EXAMPLES["school"]["value"]
    EvaluationResponse.model_validate(client.post("/v1/evaluations", json=example).json())
    ProblemDetails.model_validate(client.post("/v1/evaluations", json={"ruleset": "guangdong", "schools": [{"id": 1}]}).json())
    import json

    body = (json.dumps(EXAMPLE_SCHOOL, ensure_ascii=False) + "\n{\n").encode()
    for line in client.post(f"/v1/evaluations/stream?ruleset=guangdong&as_of={dt.date(2022, 12, 31)}", content=body).text.splitlines():
        StreamLine.model_validate_json(line)


def test_accept_language_is_declared_on_every_endpoint_that_speaks(client):
    spec = client.get("/openapi.json").json()
    for path in ("/v1/evaluations", "/v1/evaluations/teacher", "/v1/evaluations/stream", "/v1/simulations"):
        declared = [spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                    for p in spec["paths"][path]["post"].get("parameters", [])]
        headers = {p["name"]: p for p in declared if p["in"] == "header"}
        assert "Accept-Language" in headers, path
        assert headers["Accept-Language"]["required"] is False and "zh-CN" in headers["Accept-Language"]["description"]
