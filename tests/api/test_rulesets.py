"""GET /v1/rulesets, GET /v1/rulesets/{id}, POST /v1/rulesets/validate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaohe.api.schemas import RulesetDetail, RulesetList, ValidationResult
from kaohe.engine import durable_backend

ROOT = Path(__file__).resolve().parents[2]
GUANGDONG = (ROOT / "rulesets" / "guangdong.yaml").read_text(encoding="utf-8")
YAML = {"content-type": "application/yaml"}


@pytest.fixture(scope="module")
def client(app_factory):
    """One app for the module, so the ruleset checker's child process starts once."""
    with TestClient(app_factory()) as test_client:
        yield test_client


def test_the_list_is_every_loaded_ruleset_with_its_revisions(client, api_registry):
    answer = client.get("/v1/rulesets").json()
    RulesetList.model_validate(answer)
    assert [r["id"] for r in answer["rulesets"]] == api_registry.ids()
    for entry in answer["rulesets"]:
        assert [r["revision"] for r in entry["revisions"]] == [c.revision for c in api_registry.revisions(entry["id"])]


def test_one_ruleset_shows_rules_parameters_citations_and_period(client, api_registry):
    as_of = dt.date(2022, 12, 31)
    compiled = api_registry.get("guangdong", as_of)
    answer = client.get("/v1/rulesets/guangdong", params={"as_of": as_of.isoformat()}).json()
    RulesetDetail.model_validate(answer)
    assert (answer["id"], answer["revision"]) == ("guangdong", compiled.revision)
    assert answer["effective"]["from"] == compiled.resolved.effective_from.isoformat()
    assert [(r["id"], r["title"], r["level"]) for r in answer["rules"]] == \
        [(r.id, r.title["zh"], r.level) for r in compiled.all_rules()]
    assert all(r["citation"]["source"] and r["citation"]["clause"] for r in answer["rules"])
    params = {p["name"]: p for p in answer["parameters"]}
    assert set(params) == set(compiled.resolved.parameters)
    questioned = [name for name, spec in compiled.resolved.parameters.items() if "question" in spec]
    assert questioned, "the Guangdong ruleset records open questions of reading"
    for name in questioned:
        spec = compiled.resolved.parameters[name]
        assert params[name]["question"] == spec["question"]["zh"] and params[name]["reading"] == spec["reading"]["zh"]
    hours = params["school_based_hours_required"]
    assert (hours["value"], hours["unit"]) == (compiled.parameters["school_based_hours_required"],
                                               compiled.resolved.parameters["school_based_hours_required"]["unit"])


def test_ruleset_text_follows_accept_language(client, api_registry):
    compiled = api_registry.revisions("guangdong")[-1]
    answer = client.get("/v1/rulesets/guangdong", headers={"Accept-Language": "en"}).json()
    assert answer["title"] == compiled.resolved.title["en"]
    assert answer["rules"][0]["title"] == compiled.all_rules()[0].title["en"]


def test_unknown_ruleset_revision_or_period(client):
    assert client.get("/v1/rulesets/atlantis").json()["code"] == "ruleset.not_found"
    assert client.get("/v1/rulesets/guangdong", params={"revision": "000000000000"}).status_code == 404
    response = client.get("/v1/rulesets/guangdong", params={"as_of": "2001-01-01"})
    assert (response.status_code, response.json()["code"]) == (422, "ruleset.not_in_force")


def test_validate_reports_every_error_with_line_and_column(client):
    broken = GUANGDONG.replace("require: school_based_hours", "require: school_based_hour", 1)
    line = GUANGDONG[:GUANGDONG.index("require: school_based_hours")].count("\n") + 1
    answer = client.post("/v1/rulesets/validate", content=broken.encode(), headers=YAML).json()
    ValidationResult.model_validate(answer)
    assert answer["valid"] is False
    unknown = next(e for e in answer["errors"] if e["code"] == "ruleset.unknown_name")
    assert unknown["line"] == line and unknown["column"] > 1 and unknown["file"] == "ruleset.yaml"
    assert "school_based_hours" in unknown["hint"]


def test_validate_a_good_ruleset_and_a_child_of_a_loaded_one(client):
    assert client.post("/v1/rulesets/validate", content=GUANGDONG.encode(), headers=YAML).json()["valid"] is True
    child = ("kaohe: 1\nid: zhanjiang\nextends: guangdong\nversion: \"2023.1\"\ntitle:\n  zh: 湛江\n  en: Zhanjiang\n"
             "jurisdiction:\n  level: city\n  name: {zh: 湛江市, en: Zhanjiang}\neffective:\n  from: \"2023-01-01\"\n"  # 20: more than the cap of 25 could never pass
             "parameters:\n  school_based_hours_required:\n    value: 20\n")
    answer = client.post("/v1/rulesets/validate", params={"file": "zhanjiang.yaml"}, content=child.encode(), headers=YAML).json()
    assert answer["valid"] is True, answer
    orphan = child.replace("extends: guangdong", "extends: nowhere")
    answer = client.post("/v1/rulesets/validate", content=orphan.encode(), headers=YAML).json()
    assert [e["code"] for e in answer["errors"]] == ["ruleset.unknown_parent"]


def test_validate_executes_nothing(client, tmp_path):
    marker = tmp_path / "executed"
    hostile = f"kaohe: 1\nid: !!python/object/apply:os.system ['touch {marker}']\n"
    answer = client.post("/v1/rulesets/validate", content=hostile.encode(), headers=YAML).json()
    assert answer["valid"] is False and answer["errors"]
    assert not marker.exists()


def test_validate_does_not_grow_the_servers_rule_engine(client):
    before = durable_backend.registered_count()
    for version in range(3):
        text = GUANGDONG.replace('version: "2022.1"', f'version: "2022.9{version}"')
        assert client.post("/v1/rulesets/validate", content=text.encode(), headers=YAML).json()["valid"] is True
    assert durable_backend.registered_count() == before  # the checks compiled in the child process


def test_validate_keeps_working_across_child_replacements(app_factory):
    with TestClient(app_factory(worker_recycle_after=1)) as client:
        for _ in range(3):
            assert client.post("/v1/rulesets/validate", content=GUANGDONG.encode(), headers=YAML).json()["valid"] is True


def test_validate_limits_size_and_reads_text_only(app_factory):
    with TestClient(app_factory(max_ruleset_bytes=1000)) as client:
        assert client.post("/v1/rulesets/validate", content=GUANGDONG.encode(), headers=YAML).status_code == 413
        answer = client.post("/v1/rulesets/validate", content=b"kaohe: 1\nid: \xff\n", headers=YAML).json()
        assert answer["errors"][0]["code"] == "ruleset.unreadable"
        response = client.post("/v1/rulesets/validate", content=b"x", headers={"content-type": "image/png"})
        assert response.status_code == 415


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "a: [\n", "kaohe: 99\nid: x\n", "&a [*a]"])
def test_validate_answers_odd_documents_with_diagnostics(client, text):
    answer = client.post("/v1/rulesets/validate", content=text.encode(), headers=YAML).json()
    assert answer["valid"] is False and all(e["severity"] == "error" for e in answer["errors"])


def test_validate_speaks_the_requested_language_with_a_did_you_mean(client):
    child = ("kaohe: 1\nid: zhanjiang\nextends: guangdong\nversion: \"2023.1\"\ntitle:\n  zh: 湛江\n  en: Zhanjiang\n"
             "jurisdiction:\n  level: city\n  name: {zh: 湛江市, en: Zhanjiang}\neffective:\n  from: \"2023-01-01\"\n"
             "parameters:\n  school_based_hours_requird:\n    value: 20\n")
    zh = client.post("/v1/rulesets/validate", params={"file": "zhanjiang.yaml"}, content=child.encode(), headers=YAML).json()
    en = client.post("/v1/rulesets/validate", params={"file": "zhanjiang.yaml"}, content=child.encode(),
                     headers={**YAML, "Accept-Language": "en"}).json()
    (error_zh,), (error_en,) = zh["errors"], en["errors"]
    assert (error_zh["line"], error_zh["code"]) == (14, "ruleset.unknown_name") == (error_en["line"], error_en["code"])
    assert "没有覆盖任何参数" in error_zh["message"] and error_zh["hint"] == "是否想写 'school_based_hours_required'？"
    assert "overrides nothing" in error_en["message"] and error_en["hint"] == "did you mean 'school_based_hours_required'?"
    assert "message_zh" not in error_zh and "message_zh" not in error_en
