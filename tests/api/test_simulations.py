"""POST /v1/simulations: the impact of a change, the same as `kaohe simulate`, compiled in a child process."""

from __future__ import annotations

import asyncio
import copy
import gc
import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kaohe.api.compile_worker import CompileWorker
from kaohe.api.examples import EXAMPLE_SCHOOL
from kaohe.engine.jsonio import dumps
from kaohe.api.problems import TYPES, Problem
from kaohe.api.schemas import ProblemDetails, SimulationResponse
from kaohe.engine import durable_backend
from kaohe.tools import simulate
from kaohe.engine.records import Dataset

ROOT = Path(__file__).resolve().parents[2]
GUANGDONG = (ROOT / "rulesets" / "guangdong.yaml").read_text(encoding="utf-8")
AS_OF = "2022-12-31"
HOURS_RULE = "gd.teacher.school-based-hours"
LOWER = {"school_based_hours_required": 20}

# teacher id → school-based research hours recorded; every teacher meets every other teacher rule,
# except the one without an improvement plan (提升计划)
SCHOOL_A = {"A-20": 20, "A-22": 22, "A-24.5": 24.5}  # county C1
SCHOOL_B = {"B-19.9": 19.9, "B-25": 25, "B-30": 30, "B-23-noplan": 23}  # county C1
SCHOOL_C = {"C-0": 0, "C-10": 10, "C-24.9": 24.9}  # county C2
NO_PLAN = {"B-23-noplan"}
POINTS = ["GD:B1", "GD:B2", "GD:B4"]


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    assert code in TYPES, f"{code} has no problem page"
    assert "Traceback" not in response.text
    return body


def teacher(tid: str, school_id: str, hours: float) -> dict:
    """Research homework (5 h each), then one offline activity for the rest (under its 10 h cap),
    as tests/tools builds them."""
    whole = int(hours // 5)
    entries = [{"category": "校本研修", "kind": "研修作业", "hours": 5, "date": f"2022-05-{i + 1:02d}"} for i in range(whole)]
    rest = round(hours - 5 * whole, 2)
    if rest:
        entries.append({"category": "校本研修", "kind": "线下活动", "hours": rest, "date": "2022-06-10"})
    artefacts = [{"kind": "提升总结", "point": p, "file_name": f"{tid}-{p}.pdf", "format": "pdf", "size_kb": 300}
                 for p in POINTS]
    if tid not in NO_PLAN:
        artefacts.append({"kind": "提升计划", "file_name": f"{tid}-提升计划.docx", "format": "docx", "size_kb": 120})
    return {"id": tid, "school_id": school_id, "name": f"教师{tid}", "full_time": True, "research_group": "语文组",
            "ability_points": POINTS, "hours": entries, "artefacts": artefacts,
            "assessments": [{"kind": "应用能力点测评", "point": "GD:B1", "result": "合格"}]}


def school(sid: str, hours: dict, county: str, name: str) -> dict:
    return {"id": sid, "name": name, "county_id": county, "teachers": [teacher(t, sid, h) for t, h in hours.items()]}


RECORDS = {"schools": [school("A", SCHOOL_A, "C1", "第一小学"), school("B", SCHOOL_B, "C1", "第二小学"),
                       school("C", SCHOOL_C, "C2", "第三中学")],
           "regions": [{"id": "C1", "level": "county", "name": "霞山区"}, {"id": "C2", "level": "county", "name": "赤坎区"}]}


def request(**change) -> dict:
    return {"ruleset": "guangdong", "as_of": AS_OF, **copy.deepcopy(RECORDS), **change}


def in_process(registry, assignments=(), changed_path=None) -> dict:
    """What `kaohe simulate` computes for RECORDS, as JSON."""
    import datetime as dt

    dataset = Dataset.model_validate(RECORDS)
    impact = simulate.run(registry, "guangdong", dataset, dt.date.fromisoformat(AS_OF), list(assignments), changed_path)
    return json.loads(dumps(impact.to_dict()))


@pytest.fixture(scope="module")
def client(app_factory):
    """One app for the module, so the compiling child process starts once."""
    with TestClient(app_factory()) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def lowered(client) -> dict:
    response = client.post("/v1/simulations", json=request(set=LOWER))
    assert response.status_code == 200, response.text
    return response.json()


# ---- the impact ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evaluated(client) -> dict:
    return client.post("/v1/evaluations", json=request()).json()


@pytest.fixture(scope="module")
def counted(evaluated) -> dict:
    """Teacher id → school-based hours counted by the ruleset in force."""
    return {t["id"]: t["measures"]["school_based_hours"]["value"] for s in evaluated["schools"] for t in s["teachers"]}


def test_the_records_credit_the_hours_they_were_built_with(evaluated, counted, api_registry):
    import datetime as dt

    cap = api_registry.get("guangdong", dt.date.fromisoformat(AS_OF)).parameters["school_based_hours_cap"]
    assert counted == {tid: min(hours, cap) for tid, hours in {**SCHOOL_A, **SCHOOL_B, **SCHOOL_C}.items()}
    answer = evaluated
    for s in answer["schools"]:
        for t in s["teachers"]:
            failing = [r["id"] for r in t["rules"] if r["status"] == "fail" and r["severity"] == "required"]
            expected = [HOURS_RULE] if counted[t["id"]] < 25 else []
            if t["id"] in NO_PLAN:
                assert HOURS_RULE in failing and len(failing) == 2, failing
            else:
                assert failing == expected, (t["id"], failing)


def test_lowering_the_hours_to_20_passes_exactly_the_teachers_counted_between_20_and_25(lowered, counted):
    SimulationResponse.model_validate(lowered)
    expected = {tid for tid, hours in counted.items() if 20 <= hours < 25 and tid not in NO_PLAN}
    assert expected == {"A-20", "A-22", "A-24.5", "C-24.9"}
    teachers = lowered["impact"]["teachers"]
    assert {t["id"] for t in teachers if t["direction"] == "fail_to_pass"} == expected
    assert [t for t in teachers if t["direction"] == "pass_to_fail"] == []
    assert lowered["impact"]["summary"]["teachers"] == {"total": 10, "passing_before": 2, "passing_after": 6,
                                                         "pass_to_fail": 0, "fail_to_pass": 4}
    no_plan = next(t for t in teachers if t["id"] == "B-23-noplan")  # passes the hours rule, still fails
    assert (no_plan["direction"], no_plan["rules_changed"]) == (None, [{"rule_id": HOURS_RULE, "old": "fail", "new": "pass"}])
    by_county = {g["id"]: g["teachers"]["fail_to_pass"] for g in lowered["impact"]["by_county"]}
    assert by_county == {"C1": 3, "C2": 1}
    assert [p["name"] for p in lowered["impact"]["parameters"]] == ["school_based_hours_required"]


def test_the_answer_is_what_simulate_run_gives_in_process(lowered, api_registry):
    assert lowered["impact"] == in_process(api_registry, ["school_based_hours_required=20"])
    baseline = api_registry.get("guangdong", __import__("datetime").date.fromisoformat(AS_OF))
    assert (lowered["ruleset"], lowered["as_of"], lowered["baseline_revision"]) == ("guangdong", AS_OF, baseline.revision)
    assert lowered["changed_revision"] == lowered["impact"]["changed"]["revision"] != baseline.revision
    assert lowered["language"] == "zh" and lowered["warnings"] == []


def test_the_headers_name_both_revisions_and_the_decision(client, lowered):
    response = client.post("/v1/simulations", json=request(set=LOWER))
    body = response.json()
    assert response.headers["kaohe-ruleset"] == "guangdong"
    assert response.headers["kaohe-ruleset-revision"] == body["baseline_revision"]
    assert response.headers["kaohe-changed-revision"] == body["changed_revision"]
    assert response.headers["kaohe-decision-id"] == body["decision_id"] != lowered["decision_id"]
    assert response.headers["content-language"] == "zh-CN"


def test_a_changed_ruleset_gives_what_simulate_run_gives_for_the_file(client, api_registry, tmp_path):
    anchor = "  school_based_hours_required:\n    value: 25\n"
    assert anchor in GUANGDONG
    changed = GUANGDONG.replace(anchor, anchor.replace("25", "20"))
    answer = client.post("/v1/simulations", json=request(changed_ruleset=changed)).json()
    path = tmp_path / "guangdong.yaml"
    path.write_text(changed, encoding="utf-8")
    assert answer["impact"] == in_process(api_registry, changed_path=path)
    assert {t["id"] for t in answer["impact"]["teachers"] if t["direction"] == "fail_to_pass"} == \
        {"A-20", "A-22", "A-24.5", "C-24.9"}


def test_values_set_on_a_changed_ruleset_apply_to_it(client, api_registry, tmp_path):
    child = ("kaohe: 1\nid: zhanjiang\nextends: guangdong\nversion: \"2022.1\"\ntitle:\n  zh: 湛江\n  en: Zhanjiang\n"
             "jurisdiction:\n  level: city\n  name: {zh: 湛江市, en: Zhanjiang}\neffective:\n  from: \"2022-01-01\"\n"
             "parameters:\n  school_based_hours_required:\n    value: 20\n")  # 30 would exceed the cap of 25: an error
    answer = client.post("/v1/simulations", json=request(changed_ruleset=child, set={"school_based_hours_required": 24.5}))
    assert answer.status_code == 200, answer.text
    path = tmp_path / "zhanjiang.yaml"
    path.write_text(child, encoding="utf-8")
    assert answer.json()["impact"] == in_process(api_registry, ["school_based_hours_required=24.5"], path)
    assert answer.json()["impact"]["changed"]["id"] == "zhanjiang"


@pytest.mark.parametrize("name, value", [("offline_activity_cap", 8), ("point_assessment_in_teacher_verdict", False),
                                         ("max_upload_kb", 4096.5)])
def test_typed_values_of_each_kind_give_what_the_cli_text_gives(client, api_registry, name, value):
    answer = client.post("/v1/simulations", json=request(set={name: value}))
    assert answer.status_code == 200, answer.text
    text = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
    assert answer.json()["impact"] == in_process(api_registry, [f"{name}={text}"])


def test_text_report_follows_accept_language(client, api_registry):
    import datetime as dt

    impact = simulate.run(api_registry, "guangdong", Dataset.model_validate(RECORDS), dt.date.fromisoformat(AS_OF),
                          ["school_based_hours_required=20"])
    for header, lang, content_language in ((None, "zh", "zh-CN"), ("en", "en", "en")):
        response = client.post("/v1/simulations", params={"format": "text"}, json=request(set=LOWER),
                               headers={"Accept-Language": header} if header else {})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        assert response.headers["content-language"] == content_language
        assert response.text == impact.text(lang)
    assert "教师: 共 10 名; 通过 2 → 6; 由不通过变为通过 4 名, 由通过变为不通过 0 名" in impact.text("zh").splitlines()


def test_text_report_of_a_change_from_needs_review(client, gd_dataset):
    school = next(s for s in gd_dataset["schools"] if s["id"] == EXAMPLE_SCHOOL["id"])
    reviewed = next(t for t in school["teachers"] if t["id"] == "GD-S00002-T0011")  # needs_review; fails at 30 h
    answer = client.post("/v1/simulations", params={"format": "text"},
                         json={"ruleset": "guangdong", "as_of": AS_OF, "schools": [dict(school, teachers=[reviewed])],
                               "set": {"school_based_hours_required": 30}})
    assert answer.status_code == 200, answer.text
    assert "待人工复核 → 不通过" in answer.text


# ---- problems ------------------------------------------------------------------------------------

def test_an_unknown_parameter_is_named_with_the_closest_one(client):
    body = assert_problem(client.post("/v1/simulations", json=request(set={"school_based_hour_required": 20})),
                          422, "simulate.unknown_parameter")
    ProblemDetails.model_validate(body)
    assert body["parameter"] == "school_based_hour_required" and "school_based_hour_required" in body["detail"]
    assert body["hint"] == "did you mean 'school_based_hours_required'?"
    assert body["pointer"] == "/set/school_based_hour_required"


@pytest.mark.parametrize("name, value", [("school_based_hours_required", "20"), ("school_based_hours_required", True),
                                         ("school_based_hours_required", None),
                                         ("point_assessment_in_teacher_verdict", "yes"), ("offline_activity_cap", [10])])
def test_a_value_of_the_wrong_type_is_named(client, name, value):
    body = assert_problem(client.post("/v1/simulations", json=request(set={name: value})), 422, "simulate.invalid_value")
    assert body["parameter"] == name and name in body["detail"]


def test_changed_yaml_with_an_error_answers_its_diagnostics_with_line_and_column(client):
    broken = GUANGDONG.replace("require: school_based_hours", "require: school_based_hour", 1)
    line = GUANGDONG[:GUANGDONG.index("require: school_based_hours")].count("\n") + 1
    body = assert_problem(client.post("/v1/simulations", json=request(changed_ruleset=broken)), 422, "simulate.invalid_ruleset")
    unknown = next(d for d in body["diagnostics"] if d["code"] == "ruleset.unknown_name")
    assert (unknown["file"], unknown["line"]) == ("changed_ruleset.yaml", line) and unknown["column"] > 1
    assert "school_based_hours" in unknown["hint"]
    assert body["detail"].startswith(f"changed_ruleset.yaml:{line}:{unknown['column']}")
    # the same diagnostics as the validate endpoint gives for the same text
    checked = client.post("/v1/rulesets/validate", params={"file": "changed_ruleset.yaml"}, content=broken.encode(),
                          headers={"content-type": "application/yaml"}).json()
    assert body["diagnostics"] == checked["errors"]


def test_changed_yaml_is_never_executed(client, tmp_path):
    marker = tmp_path / "executed"
    hostile = f"kaohe: 1\nid: !!python/object/apply:os.system ['touch {marker}']\n"
    body = assert_problem(client.post("/v1/simulations", json=request(changed_ruleset=hostile)), 422, "simulate.invalid_ruleset")
    assert body["diagnostics"] and not marker.exists()


def test_a_record_that_does_not_validate_is_answered_as_the_evaluations_endpoint_answers_it(client):
    bad = copy.deepcopy(RECORDS)
    bad["schools"][1]["teachers"][2]["hours"][0]["hours"] = -3
    bad["schools"][0]["self_score"] = "high"
    evaluated = assert_problem(client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF, **bad}),
                               422, "record.invalid_field")
    simulated = assert_problem(client.post("/v1/simulations", json={"ruleset": "guangdong", "as_of": AS_OF, "set": LOWER, **bad}),
                               422, "record.invalid_field")
    assert (simulated["detail"], simulated["errors"]) == (evaluated["detail"], evaluated["errors"])
    assert {e["pointer"] for e in simulated["errors"]} == {"/schools/1/teachers/2/hours/0/hours", "/schools/0/self_score"}


def test_nothing_to_compare_unknown_ruleset_and_request_errors(client):
    assert_problem(client.post("/v1/simulations", json=request()), 422, "simulate.nothing_changed")
    assert_problem(client.post("/v1/simulations", json=request(ruleset="atlantis", set=LOWER)), 404, "ruleset.not_found")
    assert_problem(client.post("/v1/simulations", json=request(as_of="2001-01-01", set=LOWER)), 422, "ruleset.not_in_force")
    body = assert_problem(client.post("/v1/simulations", json=request(set=LOWER, detial="full")), 422, "request.invalid")
    assert body["errors"][0]["field"] == "detial"  # detail itself is accepted (test_detail_is_accepted_as_on_evaluations)
    assert_problem(client.post("/v1/simulations", content=b"{", headers={"content-type": "application/json"}),
                   400, "request.malformed_json")
    assert_problem(client.post("/v1/simulations", content=b"x", headers={"content-type": "text/csv"}),
                   415, "request.unsupported_media_type")


def test_body_and_changed_ruleset_sizes_are_limited(app_factory):
    with TestClient(app_factory(max_simulation_bytes=20_000, max_ruleset_bytes=1000)) as small:
        big = request(set=LOWER)
        big["schools"] = big["schools"] * 10
        assert_problem(small.post("/v1/simulations", json=big), 413, "request.too_large")
        body = assert_problem(small.post("/v1/simulations", json={**request(), "schools": RECORDS["schools"][:1],
                                                                  "regions": [], "changed_ruleset": GUANGDONG[:5000]}),
                              413, "request.too_large")
        assert body["max_bytes"] == 1000


# ---- the child process ---------------------------------------------------------------------------

def test_simulations_compile_in_the_child_not_in_the_server(client):
    before = durable_backend.registered_count()
    for hours in (11, 12, 13):
        answer = client.post("/v1/simulations", json=request(set={"school_based_hours_required": hours}))
        assert answer.status_code == 200
    assert durable_backend.registered_count() == before
    assert client.app.state.worker.child_pids(), "a child process answered"


def test_answers_stay_identical_across_child_replacements(app_factory, api_registry):
    with TestClient(app_factory(worker_recycle_after=2)) as recycling:
        worker = recycling.app.state.worker
        for hours in (20, 21, 20, 22, 23):
            answer = recycling.post("/v1/simulations", json=request(set={"school_based_hours_required": hours}))
            assert answer.json()["impact"] == in_process(api_registry, [f"school_based_hours_required={hours}"])
        assert worker.children_started >= 3
        assert recycling.post("/v1/rulesets/validate", content=GUANGDONG.encode(),
                              headers={"content-type": "application/yaml"}).json()["valid"] is True


def test_a_simulation_that_takes_too_long_is_stopped(app_factory):
    with TestClient(app_factory(simulate_timeout_seconds=0.001)) as hurried:
        assert_problem(hurried.post("/v1/simulations", json=request(set=LOWER)), 422, "simulate.timeout")
        assert hurried.app.state.worker.child_pids() == []  # killed


def test_jobs_beyond_the_queue_limit_are_refused_as_busy():
    async def three_at_once():
        worker = CompileWorker(queue_limit=1, lint_timeout=60)
        try:
            jobs = [worker.lint("kaohe: 1\nid: x\n", f"{i}.yaml") for i in range(3)]
            return await asyncio.gather(*jobs, return_exceptions=True)
        finally:
            worker.close()

    results = asyncio.run(three_at_once())
    busy = [r for r in results if isinstance(r, Problem)]
    assert [p.code for p in busy] == ["service.busy"] and busy[0].headers == {"Retry-After": "1"}
    assert sum(isinstance(r, list) and r[0]["severity"] == "error" for r in results) == 2


def _rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_the_servers_memory_does_not_grow_over_30_distinct_simulations(live_server_factory, app_factory):
    app = app_factory()
    with live_server_factory(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        def post(hours):
            answer = http.post("/v1/simulations", json=request(set={"school_based_hours_required": hours}))
            assert answer.status_code == 200, answer.text

        for hours in (40, 41, 42):  # warm up: the child, the connection, the routes
            post(hours)
        gc.collect()
        child = app.state.worker.child_pids()[0]
        server_before, child_before = _rss_kb(), _rss_kb(child)
        registered = durable_backend.registered_count()
        for hours in range(5, 35):  # 30 revisions the server has never compiled
            post(hours)
        gc.collect()
        server_growth, child_growth = _rss_kb() - server_before, _rss_kb(child) - child_before
    assert durable_backend.registered_count() == registered
    assert server_growth < 4 * 1024, f"the server grew by {server_growth} kB"
    assert child_growth > 10 * 1024, f"the child grew by only {child_growth} kB: did it compile?"


def test_detail_is_accepted_as_on_evaluations(client):
    full = client.post("/v1/simulations", json=request(set={"school_based_hours_required": 20}, detail="full"))
    compact = client.post("/v1/simulations", json=request(set={"school_based_hours_required": 20}, detail="compact"))
    assert full.status_code == 200 and compact.status_code == 200, compact.text
    teachers_full, teachers_compact = full.json()["impact"]["teachers"], compact.json()["impact"]["teachers"]
    assert teachers_full and [t["id"] for t in teachers_full] == [t["id"] for t in teachers_compact]
    assert all("rules_changed" in t for t in teachers_full) and not any("rules_changed" in t for t in teachers_compact)
    wrong = client.post("/v1/simulations", json=request(set={"school_based_hours_required": 20}, detail="everything"))
    assert wrong.status_code == 422
