"""Property-based fuzzing of the OpenAPI document (schemathesis): thousands of generated requests
against the real server on loopback, valid and invalid ones; none may be answered with a 5xx.

Budget: FUZZ_EXAMPLES per operation and generation mode (KAOHE_FUZZ_EXAMPLES overrides), fewer for
POST /v1/evaluations and /v1/simulations, whose nested bodies take hypothesis ~0.2 s each to generate
(the simulation's OpenAPI examples, which run whole simulations, are always sent), and for
GET /v1/questions, which has two query parameters, and POST /v1/rulesets/reload, which compiles
every ruleset; so that at least MIN_REQUESTS requests are sent
in well under three minutes.
"""

from __future__ import annotations

import os

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("KAOHE_FUZZ_EXAMPLES", "200"))
SMALLER_BUDGET = {"/v1/evaluations": 40, "/v1/simulations": 20, "/v1/questions": 50,
                  "/v1/rulesets/reload": 3}  # each reload loads and compiles every ruleset again
MIN_REQUESTS = int(os.environ.get("KAOHE_FUZZ_MIN_REQUESTS", "2000"))

# serialise the text bodies (JSON Lines, YAML) as the strings the schema says they are
for media_type in ("application/x-ndjson", "application/yaml"):
    try:
        schemathesis.serializer.alias(media_type, "text/plain")
    except Exception:  # already registered by schemathesis itself
        pass


def test_generated_requests_never_get_a_server_error(live_server, app_factory):
    schema = schemathesis.openapi.from_dict(app_factory().openapi())
    session = requests.Session()
    sent: list[int] = []
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=SMALLER_BUDGET.get(operation.path, FUZZ_EXAMPLES), deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                response = case.call(base_url=live_server.url, session=session, timeout=30)
                sent.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{operation.label} [{mode.value}] -> {response.status_code}: "
                                    f"{response.text[:300]}\n  {case.as_curl_command()[:500]}")
                assert "Traceback" not in response.text

            try:
                fuzz()
            except Unsatisfiable:  # nothing to make invalid (e.g. GET /healthz has no inputs)
                continue
    print(f"{len(sent)} requests sent; statuses: {sorted(set(sent))}")
    assert not failures, "\n".join(failures[:10])
    assert len(sent) >= MIN_REQUESTS, f"only {len(sent)} requests were sent"
    assert sum(400 <= s < 500 for s in sent) and sum(s == 200 for s in sent), "both accepted and refused requests"
