"""/metrics: Prometheus text with requests, latency, evaluations and failures by rule."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from kaohe.engine.inputs import dataset_from_data


def samples(text: str) -> dict:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_requests_latency_verdicts_and_failed_rules(client, api_registry, gd_dataset):
    body = {"ruleset": "guangdong", "as_of": "2022-12-31", "detail": "compact", "schools": gd_dataset["schools"]}
    for _ in range(2):
        assert client.post("/v1/evaluations", json=body).status_code == 200
    client.post("/v1/evaluations", json={"ruleset": "atlantis", "schools": gd_dataset["schools"]})
    got = samples(client.get("/metrics").text)

    route = (("method", "POST"), ("route", "/v1/evaluations"))
    assert got[("kaohe_http_requests_total", route + (("status", "200"),))] == 2
    assert got[("kaohe_http_requests_total", route + (("status", "404"),))] == 1
    assert got[("kaohe_http_request_duration_seconds_count", route)] == 3
    assert got[("kaohe_problems_total", (("code", "ruleset.not_found"),))] == 1

    day = dt.date(2022, 12, 31)
    evaluation = api_registry.evaluator("guangdong", day).dataset(dataset_from_data({"schools": gd_dataset["schools"]}), day)
    teachers = [t for s in evaluation.schools for t in s.members]
    verdicts = Counter(t.verdict for t in teachers)
    failures = Counter(rule.id for t in teachers for rule, outcome in zip(t.rules, t.outcomes) if outcome.status == "fail")
    failures.update(rule.id for s in evaluation.schools for rule, outcome in zip(s.rules, s.outcomes) if outcome.status == "fail")
    for verdict, count in verdicts.items():
        key = (("level", "teacher"), ("ruleset", "guangdong"), ("verdict", verdict))
        assert got[("kaohe_evaluations_total", key)] == 2 * count
    for rule_id, count in failures.items():
        assert got[("kaohe_rule_failures_total", (("rule", rule_id), ("ruleset", "guangdong")))] == 2 * count
    assert failures, "the Guangdong sample has failing rules"


def test_unmatched_paths_share_one_label(client):
    for n in range(5):
        client.get(f"/nothing/{n}")
    got = samples(client.get("/metrics").text)
    assert got[("kaohe_http_requests_total", (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))] == 5
