"""The single-teacher fast path answers exactly as the FastAPI route does, problems included."""

from __future__ import annotations

import copy
import json

import pytest
from fastapi.testclient import TestClient

from kaohe.api.deps import get_today
from kaohe.api.examples import EXAMPLE_TEACHER, EXAMPLE_TEACHER_PASSING
from kaohe.api.keys import hash_key, new_key

KEY = new_key()
GOOD = {"ruleset": "guangdong", "as_of": "2022-12-31", "teacher": EXAMPLE_TEACHER}
BAD_RECORD = copy.deepcopy(GOOD)
BAD_RECORD["teacher"]["hours"][0]["hours"] = -1
CASES = [
    ("full", json.dumps(GOOD).encode(), {}),
    ("compact en", json.dumps({**GOOD, "detail": "compact", "teacher": EXAMPLE_TEACHER_PASSING}).encode(),
     {"accept-language": "en"}),
    ("record error", json.dumps(BAD_RECORD).encode(), {}),
    ("unknown ruleset", json.dumps({**GOOD, "ruleset": "atlantis"}).encode(), {}),
    ("not in force", json.dumps({**GOOD, "as_of": "2001-01-01"}).encode(), {}),
    ("malformed", b"{", {}),
    ("request field", json.dumps({**GOOD, "detail": "all"}).encode(), {}),
    ("media type", b"x", {"content-type": "text/csv"}),
    ("too large", json.dumps({**GOOD, "pad": "x" * 5000}).encode(), {}),
    ("no key", json.dumps(GOOD).encode(), {"x-api-key": None}),
    ("wrong key", json.dumps(GOOD).encode(), {"x-api-key": "kh_wrong"}),
]
COMPARED_HEADERS = ("content-type", "content-language", "kaohe-ruleset", "kaohe-ruleset-revision", "www-authenticate",
                    "vary")


def answer(client, body: bytes, headers: dict) -> tuple:
    sent = {"content-type": "application/json", "x-api-key": KEY, **headers}
    response = client.post("/v1/evaluations/teacher", content=body, headers={k: v for k, v in sent.items() if v is not None})
    payload = response.json()
    decision = payload.pop("decision_id")
    payload.pop("instance", None)
    if response.status_code == 200:
        assert response.headers["kaohe-decision-id"] == decision
    return response.status_code, payload, {h: response.headers.get(h) for h in COMPARED_HEADERS}


@pytest.fixture(scope="module")
def clients(app_factory):
    settings = dict(allow_anonymous=False, api_key_hashes=(hash_key(KEY),), max_body_bytes=4000)
    with TestClient(app_factory(**settings)) as fast, TestClient(app_factory(fast_path=False, **settings)) as routed:
        yield fast, routed


@pytest.mark.parametrize("name, body, headers", CASES, ids=[c[0] for c in CASES])
def test_fast_path_and_route_agree(clients, name, body, headers):
    fast, routed = clients
    assert answer(fast, body, headers) == answer(routed, body, headers)


def test_the_fast_path_is_counted_under_the_route(clients):
    fast, _ = clients
    fast.post("/v1/evaluations/teacher", json=GOOD, headers={"x-api-key": KEY})
    metrics = fast.get("/metrics").text
    assert 'kaohe_http_requests_total{method="POST",route="/v1/evaluations/teacher",status="200"}' in metrics


def test_overriding_a_dependency_routes_through_fastapi(app_factory):
    import datetime as dt

    app = app_factory()
    app.dependency_overrides[get_today] = lambda: dt.date(2023, 5, 4)
    with TestClient(app) as client:
        got = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "teacher": EXAMPLE_TEACHER}).json()
    assert got["as_of"] == "2023-05-04"
