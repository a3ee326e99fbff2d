"""The real server over loopback: uvicorn in a thread, and `python -m kaohe.api.server` in a process."""

from __future__ import annotations

import concurrent.futures
import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kaohe.api.examples import EXAMPLE_SCHOOL
from kaohe.api.keys import hash_key, new_key
from live_server import running_server

AS_OF = "2022-12-31"
ROOT = Path(__file__).resolve().parents[2]


def comparable(answer: dict) -> str:
    answer = dict(answer)
    answer.pop("decision_id")
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)


def teacher_requests(gd_dataset) -> list[dict]:
    teachers = [t for s in gd_dataset["schools"] for t in s["teachers"]]
    # the same teacher id with a different record: one of them must not get the other's verdict
    twin = copy.deepcopy(teachers[0])
    twin["artefacts"] = []
    twin["hours"] = twin["hours"][:1]
    bodies = [{"ruleset": "guangdong", "as_of": AS_OF, "detail": "full", "teacher": t} for t in teachers + [twin]]
    bodies += [{"ruleset": "guangdong", "as_of": AS_OF, "detail": "compact", "teacher": t} for t in teachers[:10]]
    return bodies


def test_concurrent_requests_get_exactly_the_sequential_answers(live_server, gd_dataset):
    bodies = teacher_requests(gd_dataset)
    school_bodies = [{"ruleset": "guangdong", "as_of": AS_OF, "schools": [s]} for s in gd_dataset["schools"]]
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        expected = [comparable(http.post("/v1/evaluations/teacher", json=b).json()) for b in bodies]
        expected_schools = [comparable(http.post("/v1/evaluations", json=b).json()) for b in school_bodies]
    assert expected[0] != expected[len(bodies) - 11], "the twin teacher must get a different answer"

    work = [("teacher", i) for i in range(len(bodies))] * 6 + [("school", i) for i in range(len(school_bodies))] * 4
    random.Random(7).shuffle(work)

    def call(item):
        kind, index = item
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            if kind == "teacher":
                response = http.post("/v1/evaluations/teacher", json=bodies[index])
            else:
                response = http.post("/v1/evaluations", json=school_bodies[index])
        assert response.status_code == 200, response.text
        return kind, index, comparable(response.json()), response.json()["decision_id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(call, work))
    for kind, index, got, _ in results:
        assert got == (expected[index] if kind == "teacher" else expected_schools[index]), (kind, index)
    assert len({decision for *_, decision in results}) == len(results)


def test_health_and_an_evaluation_over_http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        response = http.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF, "schools": [EXAMPLE_SCHOOL]},
                             headers={"Accept-Language": "en"})
        assert response.status_code == 200 and response.headers["content-language"] == "en"
        assert response.json()["summary"]["teachers"] == len(EXAMPLE_SCHOOL["teachers"])
        big = b"{" + b" " * (11 * 1024 * 1024) + b"}"
        too_big = http.post("/v1/evaluations", content=big, headers={"content-type": "application/json"})
        assert too_big.status_code == 413 and too_big.json()["code"] == "request.too_large"


@pytest.fixture(scope="module")
def served_process(tmp_path_factory, free_port):
    """`python -m kaohe.api.server` with two workers and a keys file, on a loopback port."""
    key = new_key()
    keys = tmp_path_factory.mktemp("keys") / "keys"
    keys.write_text(f"{hash_key(key)}  test-client\n", encoding="utf-8")
    port = free_port()
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    argv = [sys.executable, "-m", "kaohe.api.server", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
            "--keys-file", str(keys), "--log-level", "warning"]
    with running_server(argv, port, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                        output=lambda p: p.stdout.read().decode(errors="replace")) as url:
        yield url, key


def test_the_server_process_needs_its_key_and_sums_metrics_over_workers(served_process):
    url, key = served_process
    body = {"ruleset": "guangdong", "as_of": AS_OF, "detail": "compact", "schools": [EXAMPLE_SCHOOL]}
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.post("/v1/evaluations", json=body).status_code == 401
        for _ in range(20):  # new connections, so both workers are likely to answer some
            with httpx.Client(base_url=url, timeout=30) as one:
                assert one.post("/v1/evaluations", json=body, headers={"X-API-Key": key}).status_code == 200
        lint = http.post("/v1/rulesets/validate", content=b"kaohe: 1\nid: x\n", headers={"X-API-Key": key,
                                                                                           "content-type": "application/yaml"})
        assert lint.status_code == 200 and lint.json()["valid"] is False  # the checker process runs under the server
        text = http.get("/metrics").text
    line = next(l for l in text.splitlines()
                if l.startswith("kaohe_http_requests_total") and 'route="/v1/evaluations"' in l and 'status="200"' in l)
    assert float(line.rsplit(" ", 1)[1]) == 20
    teachers = next(l for l in text.splitlines() if l.startswith("kaohe_evaluations_total") and 'level="school"' in l)
    assert float(teachers.rsplit(" ", 1)[1]) == 20


def test_the_server_refuses_to_start_on_an_open_address_without_keys(free_port):
    result = subprocess.run([sys.executable, "-m", "kaohe.api.server", "--host", "0.0.0.0", "--port", str(free_port())],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if not k.startswith("KAOHE_API")})
    assert result.returncode == 2 and "no API keys" in result.stderr
