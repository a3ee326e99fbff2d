"""Prometheus metrics: requests, latency, evaluations, failures by rule, problems by code.

Each app has its own `CollectorRegistry` (two apps in one test process do not clash). When
`kaohe serve` runs several worker processes it sets ``PROMETHEUS_MULTIPROC_DIR`` before they
start, and /metrics then adds up every worker's values.
"""

from __future__ import annotations

import os
import time
from typing import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNMATCHED = "<unmatched>"


class ApiMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, multiprocess_dir: str | None = None):
        self.multiprocess_dir = multiprocess_dir if multiprocess_dir and _multiprocess_active() else None
        self.registry = CollectorRegistry(auto_describe=True)
        target = None if self.multiprocess_dir else self.registry
        self.requests = Counter("kaohe_http_requests_total", "HTTP requests answered, by route template and status",
                                ["method", "route", "status"], registry=target)
        self.latency = Histogram("kaohe_http_request_duration_seconds", "Time to answer a request (whole stream for "
                                 "the streaming endpoint)", ["method", "route"], buckets=LATENCY_BUCKETS, registry=target)
        self.in_progress = Gauge("kaohe_http_requests_in_progress", "Requests being answered", registry=target,
                                 multiprocess_mode="livesum")
        self.evaluations = Counter("kaohe_evaluations_total", "Records evaluated, by ruleset, level and verdict",
                                   ["ruleset", "level", "verdict"], registry=target)
        self.rule_failures = Counter("kaohe_rule_failures_total", "Rule outcomes 'fail', by ruleset and rule",
                                     ["ruleset", "rule"], registry=target)
        self.problems = Counter("kaohe_problems_total", "Problem responses and stream error lines, by code",
                                ["code"], registry=target)
        self.auth_failures = Counter("kaohe_auth_failures_total", "Requests refused for an unknown API key",
                                     registry=target)
        self.stream_lines = Counter("kaohe_stream_lines_total", "JSON Lines read by the streaming endpoint, by outcome",
                                    ["outcome"], registry=target)
        self._children: dict = {}

    # -- recording
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        pair = self._children.get(key)
        if pair is None:
            pair = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._children[key] = pair
        pair[0].inc()
        pair[1].observe(seconds)

    def evaluated(self, ruleset: str, results: Iterable, level: str) -> None:
        """Count verdicts and failed rules of `results` (TeacherResult/SchoolResult/RegionResult)."""
        verdicts: dict = {}
        failures: dict = {}
        for result in results:
            verdicts[result.verdict] = verdicts.get(result.verdict, 0) + 1
            for rule, outcome in zip(result.rules, result.outcomes):
                if outcome.status == "fail":
                    failures[rule.id] = failures.get(rule.id, 0) + 1
        children = self._children
        for verdict, count in verdicts.items():
            child = children.get(("evaluations", ruleset, level, verdict))
            if child is None:
                child = children[("evaluations", ruleset, level, verdict)] = self.evaluations.labels(ruleset, level, verdict)
            child.inc(count)
        for rule_id, count in failures.items():
            child = children.get(("failures", ruleset, rule_id))
            if child is None:
                child = children[("failures", ruleset, rule_id)] = self.rule_failures.labels(ruleset, rule_id)
            child.inc(count)

    def problem(self, code: str) -> None:
        self.problems.labels(code).inc()

    def auth_failure(self) -> None:
        self.auth_failures.inc()

    def stream_line(self, outcome: str, count: int = 1) -> None:
        if count:
            self.stream_lines.labels(outcome).inc(count)

    # -- exposition
    def render(self) -> bytes:
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
            return generate_latest(registry)
        return generate_latest(self.registry)


def _multiprocess_active() -> bool:
    from prometheus_client import values

    return values.ValueClass is not values.MutexValue and bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class MetricsMiddleware:
    """Pure ASGI (no per-request task or body buffering): status and time of every HTTP request."""

    def __init__(self, app, metrics: ApiMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        self.metrics.in_progress.inc()

        async def send_and_note(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.in_progress.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            self.metrics.observe_request(scope["method"], template, status, time.perf_counter() - start)
