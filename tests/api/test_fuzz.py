"""Property-based fuzzing of the OpenAPI document (schemathesis) against a real `kaohe serve` on
127.0.0.1: every generated request, valid and invalid, is sent with the API key, without one and with
a wrong one, and the JSON Lines stream gets bodies from a generator of its own (good, bad, truncated
and binary lines). No answer may be a 5xx, and every answer must keep to the schema: a documented
status, a documented content type, a body of the documented shape (each stream line a StreamLine).

Budget: FUZZ_EXAMPLES cases per operation and generation mode (KAOHE_FUZZ_EXAMPLES scales them all),
more for the cheap single-teacher and stream endpoints, fewer for those whose nested bodies take
hypothesis long to generate or whose answers take long to compute (a simulation compiles and runs a
ruleset; a reload compiles every ruleset); each case is sent three times, so that at least MIN_REQUESTS requests are sent in a few
minutes on two cores. Answers to requests without a valid key are short problems: their status and
content type are checked.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

from kaohe.api.keys import hash_key, new_key  # noqa: E402
from live_server import running_server  # noqa: E402
from kaohe.api.schemas import StreamLine  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FUZZ_EXAMPLES = int(os.environ.get("KAOHE_FUZZ_EXAMPLES", "200"))
# cheap to generate and to answer: more; slow to generate (nested schools) or to answer (a simulation
# compiles and runs a ruleset): fewer
BUDGET = {"/v1/evaluations/teacher": 470, "/v1/evaluations": 20, "/v1/simulations": 6, "/v1/questions": 60,
          "/v1/rulesets/validate": 120, "/v1/rulesets/reload": 2}  # a reload compiles every ruleset
STREAM_EXAMPLES = int(os.environ.get("KAOHE_FUZZ_STREAM_EXAMPLES", "1000"))
MIN_REQUESTS = int(os.environ.get("KAOHE_FUZZ_MIN_REQUESTS", "10000"))
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
LIGHT_CHECKS = [status_code_conformance, content_type_conformance]


def key_variants(with_key: dict) -> tuple:
    """Each case is sent with the key, without one, and with a wrong one."""
    return ((with_key, "key"), ({}, "no key"), ({"X-API-Key": "kh_not-a-key"}, "wrong key"))

# serialise the text bodies (JSON Lines, YAML) as the strings the schema says they are
for media_type in ("application/x-ndjson", "application/yaml"):
    try:
        schemathesis.serializer.alias(media_type, "text/plain")
    except Exception:  # already registered by schemathesis itself
        pass


@pytest.fixture(scope="module")
def kaohe_serve(tmp_path_factory, free_port):
    """`kaohe serve` on a loopback port with one API key, as an operator starts it."""
    key = new_key()
    keys = tmp_path_factory.mktemp("fuzz-keys") / "keys"
    keys.write_text(f"{hash_key(key)}  fuzz\n", encoding="utf-8")
    port = free_port()
    command = Path(sys.executable).with_name("kaohe")
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "kaohe.api.server"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_API")}
    with running_server(argv + (["serve"] if command.exists() else []) +
                        ["--host", "127.0.0.1", "--port", str(port), "--keys-file", str(keys), "--log-level", "critical"],
                        port, env=env) as url:
        yield url, key


class Tally:
    def __init__(self):
        self.statuses: list[int] = []
        self.failures: list[str] = []

    def check(self, case, response, label: str, checks=CHECKS) -> None:
        self.statuses.append(response.status_code)
        if response.status_code >= 500:
            self.failures.append(f"{label} -> {response.status_code}: {response.text[:300]}\n  {case.as_curl_command()[:400]}")
            return
        if "Traceback" in response.text:
            self.failures.append(f"{label}: a traceback in the answer")
        try:
            case.validate_response(response, checks=checks)
        except Exception as exc:  # schemathesis' FailureGroup: the answer breaks the schema
            self.failures.append(f"{label} -> {response.status_code}: breaks the schema: {str(exc)[:400]}")


# ---- JSON Lines for the stream ------------------------------------------------------------------------

_IDS = st.one_of(st.sampled_from(["S-1", "S-2", "S-3"]), st.text(min_size=1, max_size=12),
                 st.just("44080219850612003X"), st.integers(), st.none())
_HOURS = st.fixed_dictionaries({
    "category": st.sampled_from(["校本研修", "网络研修", ""]), "kind": st.sampled_from(["教学研讨", "研修作业", "听课评课"]),
    "hours": st.one_of(st.floats(min_value=0, max_value=1000), st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(min_value=-10, max_value=10 ** 30), st.text(max_size=5)),
    "date": st.one_of(st.dates().map(str), st.integers(), st.text(max_size=12))})
_TEACHER = st.fixed_dictionaries({"id": _IDS, "school_id": _IDS},
                                 optional={"hours": st.lists(_HOURS, max_size=3),
                                           "ability_points": st.lists(st.sampled_from(["GD:A1", "GD:B2", "x"]), max_size=3),
                                           "full_time": st.one_of(st.booleans(), st.text(max_size=3))})
_SCHOOL = st.fixed_dictionaries({"id": _IDS}, optional={"name": st.text(max_size=10),
                                                        "teachers": st.lists(_TEACHER, max_size=3)})
_RECORD_LINE = st.one_of(_TEACHER, _SCHOOL, st.fixed_dictionaries({"id": _IDS, "level": st.just("county")})).map(
    lambda record: json.dumps(record, ensure_ascii=False))
_LINE = st.one_of(
    _RECORD_LINE, _RECORD_LINE,
    st.tuples(_RECORD_LINE, st.integers(min_value=1, max_value=40)).map(lambda pair: pair[0][:-pair[1]]),  # truncated
    st.text(max_size=30), st.binary(max_size=30).map(lambda raw: raw.decode("latin-1")), st.just("[1, 2]"))
JSON_LINES = st.lists(_LINE, max_size=8).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


def check_stream_lines(response, tally: Tally, label: str) -> None:
    if response.status_code != 200:
        return
    lines = response.content.decode("utf-8").split("\n")[:-1]  # JSON Lines end at "\n" only (not U+2028, \x85 …)
    try:
        parsed = [StreamLine.model_validate_json(line) for line in lines]
    except Exception as exc:
        tally.failures.append(f"{label}: a stream line breaks StreamLine: {str(exc)[:300]}")
        return
    if not parsed or parsed[-1].type != "end" or not parsed[-1].model_extra.get("complete"):
        tally.failures.append(f"{label}: the stream does not end with a complete end line")


def test_generated_requests_never_get_a_server_error_or_break_the_schema(kaohe_serve):
    url, key = kaohe_serve
    schema = schemathesis.openapi.from_dict(requests.get(url + "/openapi.json", timeout=10).json())
    session = requests.Session()
    tally = Tally()
    with_key = {"X-API-Key": key}
    for result in schema.get_all_operations():
        operation = result.ok()
        started, before = time.time(), len(tally.statuses)
        run_operation(operation, url, session, with_key, tally)
        print(f"{operation.label}: {len(tally.statuses) - before} requests in {time.time() - started:.1f} s")
    sent = tally.statuses
    print(f"{len(sent)} requests sent; statuses: {sorted(set(sent))}")
    assert not tally.failures, "\n".join(tally.failures[:10])
    assert len(sent) >= MIN_REQUESTS, f"only {len(sent)} requests were sent"
    assert sum(s == 401 for s in sent) and sum(s == 200 for s in sent) and sum(s == 422 for s in sent)


def examples_for(path: str) -> int:
    """The budget of an operation, scaled with KAOHE_FUZZ_EXAMPLES (200 is the default scale)."""
    return max(1, BUDGET.get(path, FUZZ_EXAMPLES) * FUZZ_EXAMPLES // 200) if path in BUDGET else FUZZ_EXAMPLES


def run_operation(operation, url, session, with_key, tally: Tally) -> None:
    if operation.path == "/v1/evaluations/stream":
        fuzz_stream(operation, url, session, with_key, tally)
        return
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(max_examples=examples_for(operation.path), deadline=None, database=None,
                  derandomize=True, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            for headers, who in key_variants(with_key):
                base = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-api-key"}
                case.headers = {**base, **headers}
                response = case.call(base_url=url, session=session, timeout=60)
                # without a (valid) key the answer is a short problem: its status and type are what can break
                tally.check(case, response, f"{operation.label} [{mode.value}, {who}]",
                            CHECKS if who == "key" else LIGHT_CHECKS)

        try:
            fuzz()
        except Unsatisfiable:  # nothing to make invalid (e.g. GET /healthz has no inputs)
            continue


def fuzz_stream(operation, url, session, with_key, tally: Tally) -> None:
    queries = st.fixed_dictionaries({"ruleset": st.sampled_from(["guangdong", "national", "hunan-yueyang", "nope"])},
                                    optional={"detail": st.sampled_from(["full", "compact", "x"]),
                                              "as_of": st.sampled_from(["2022-12-31", "2023-06-30", "0", "9999-12-31"])})

    @settings(max_examples=STREAM_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(body=JSON_LINES, query=queries)
    def fuzz(body, query):
        for headers, who in key_variants(with_key):
            case = operation.Case(body=body, query=query, headers={"Content-Type": "application/x-ndjson", **headers},
                                  media_type="application/x-ndjson")
            response = session.post(url + operation.path, params=query, data=body, timeout=60,
                                    headers={"Content-Type": "application/x-ndjson", **headers})
            label = f"{operation.label} [jsonl, {who}]"
            tally.check(case, response, label, CHECKS if who == "key" else LIGHT_CHECKS)
            check_stream_lines(response, tally, label)

    fuzz()
