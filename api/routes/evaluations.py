"""POST /v1/evaluations, /v1/evaluations/teacher, /v1/evaluations/stream."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from ..deps import (ApiKeyDep, DecisionIdDep, JsonBodyDep, LanguageDep, MetricsDep, RegistryDep, SettingsDep, TodayDep,
                    check_media_type, content_language)
from kaohe.engine.records import Day

from ..evaluate import Decided, evaluate_dataset, evaluate_teacher
from ..problems import Problem
from ..schemas import (DETAIL_DESCRIPTION, EVALUATION_EXAMPLES, TEACHER_EXAMPLES, Detail, EvaluationRequest,
                       EvaluationResponse, ProblemDetails, RulesetId, StreamLine, TeacherEvaluationRequest,
                       TeacherEvaluationResponse)
from ..streaming import NDJSON, JSONLinesResponse, StreamEvaluation, StreamLimits, evaluate_stream

router = APIRouter(prefix="/v1/evaluations", tags=["evaluations 评估"])

_PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}
ERRORS = {400: {**_PROBLEM, "description": "body is not valid JSON"},
          401: {**_PROBLEM, "description": "no API key, or an unknown one"},
          404: {**_PROBLEM, "description": "unknown ruleset (ruleset.not_found)"},
          413: {**_PROBLEM, "description": "body too large"},
          415: {**_PROBLEM, "description": "not JSON"},
          422: {**_PROBLEM, "description": "records or request fields do not validate (record.invalid_field, "
                "request.invalid), or no revision in force on as_of (ruleset.not_in_force)"}}


def _json_body_doc(model, examples: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}, "examples": examples}}}}


async def _record(request: Request, decided: Decided, decision_id: str, body: bytes, caller: str | None) -> None:
    """Hand the decision to the store's writer (no work here beyond a queue put)."""
    service = request.app.state.decisions
    if service is not None:
        await service.record(decided.evaluated, decision_id, body, caller)


def _answer(decided: Decided, decision_id: str, lang: str) -> Response:
    return Response(decided.body, media_type="application/json", headers={
        "Kaohe-Decision-Id": decision_id, "Kaohe-Ruleset": decided.ruleset_id,
        "Kaohe-Ruleset-Revision": decided.revision, "Content-Language": content_language(lang),
        "Vary": "Accept-Language"})


@router.post("", summary="评估学校与教师 Evaluate schools and their teachers",
             response_model=EvaluationResponse, responses=ERRORS,
             openapi_extra=_json_body_doc(EvaluationRequest, EVALUATION_EXAMPLES))
async def evaluate(request: Request, body: JsonBodyDep, registry: RegistryDep, lang: LanguageDep, today: TodayDep,
                   decision_id: DecisionIdDep, metrics: MetricsDep, key: ApiKeyDep) -> Response:
    """Per-teacher and per-school verdicts (and per-region, for the regions sent), each rule with
    its explanation, expected and actual values, remedy and citation. `Accept-Language: en` for
    English explanations (default zh-CN)."""
    decided = await run_in_threadpool(evaluate_dataset, body, registry, today, lang, decision_id, metrics)
    await _record(request, decided, decision_id, body, key)
    return _answer(decided, decision_id, lang)


@router.post("/teacher", summary="评估单个教师 Evaluate one teacher (teacher rules only)",
             response_model=TeacherEvaluationResponse, responses=ERRORS,
             openapi_extra=_json_body_doc(TeacherEvaluationRequest, TEACHER_EXAMPLES))
async def evaluate_one_teacher(request: Request, body: JsonBodyDep, registry: RegistryDep, lang: LanguageDep,
                               today: TodayDep, decision_id: DecisionIdDep, metrics: MetricsDep,
                               key: ApiKeyDep) -> Response:
    """The low-latency path: one teacher, no school context, so only teacher-level rules are
    evaluated (school rules such as the 95% qualified share need the whole school)."""
    # evaluated on the event loop: it takes tens of microseconds, less than a hop to a thread
    decided = evaluate_teacher(body, registry, today, lang, decision_id, metrics)
    await _record(request, decided, decision_id, body, key)
    return _answer(decided, decision_id, lang)


_STREAM_DOC = {"requestBody": {"required": True, "description": "JSON Lines: one school (with or without its "
                               "teachers) or one teacher (with school_id) a line; teachers of a school on consecutive lines",
                               "content": {NDJSON: {"schema": {"type": "string"}, "examples": {"teachers": {
                                   "summary": "按学校连续排列的教师记录",
                                   "value": '{"id": "GD-S00002", "name": "湛江市示例第二中学"}\n'
                                            '{"id": "GD-S00002-T0012", "school_id": "GD-S00002", "name": "马磊", "ability_points": ["GD:B1"]}\n'}}}}}}


@router.post("/stream", summary="流式批量评估 Evaluate a JSON Lines export as it arrives",
             responses={200: {"model": StreamLine, "description": "JSON Lines: one line per school, error line or "
                              "end line, each a StreamLine"}, **{k: v for k, v in ERRORS.items() if k != 400}},
             response_class=JSONLinesResponse,
             openapi_extra=_STREAM_DOC)
async def evaluate_stream_route(
        request: Request, registry: RegistryDep, lang: LanguageDep, today: TodayDep, decision_id: DecisionIdDep,
        metrics: MetricsDep, settings: SettingsDep, _key: ApiKeyDep,
        ruleset: Annotated[RulesetId, Query(description="ruleset id")],
        as_of: Annotated[Optional[Day], Query(description="evaluate as of this day (default: today)")] = None,
        detail: Annotated[Detail, Query(description=DETAIL_DESCRIPTION)] = "compact") -> Response:
    """Reads the body as it arrives and answers one line per school as soon as the school's
    lines are all read; a line that is bad yields an error line with its line number, and the
    stream goes on. The last line is `{"type": "end", "complete": true, …}`."""
    check_media_type(request, (NDJSON, "application/jsonl", "application/json", "text/plain", "application/x-jsonlines",
                               "application/octet-stream"))
    limit = settings.max_stream_bytes
    declared = request.headers.get("content-length")
    if limit and declared and declared.isdigit() and int(declared) > limit:
        raise Problem("request.too_large", f"the stream is {declared} bytes; this server accepts at most {limit}",
                      max_bytes=limit)
    day = as_of or today
    evaluator = registry.evaluator(ruleset, day)  # unknown ruleset / nothing in force: a problem, before the 200
    state = StreamEvaluation(evaluator, day, lang, detail, decision_id,
                             StreamLimits(settings.max_stream_line_bytes, settings.max_stream_school_teachers, limit),
                             metrics)
    compiled = evaluator.ruleset
    return JSONLinesResponse(evaluate_stream(request.stream(), state), headers={
        "Kaohe-Decision-Id": decision_id, "Kaohe-Ruleset": compiled.id, "Kaohe-Ruleset-Revision": compiled.revision,
        "Content-Language": content_language(lang), "Vary": "Accept-Language", "X-Content-Type-Options": "nosniff"})


__all__ = ["router", "StreamLine"]
