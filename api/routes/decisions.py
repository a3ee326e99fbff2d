"""GET /v1/decisions/{id}, GET /v1/decisions, POST /v1/decisions/{id}/replay, POST /v1/rulesets/reload.

Reading decisions needs the `decisions:read` scope (they hold teachers' records); reloading the
rulesets needs `admin`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from kaohe.engine.errors import KaoheError
from kaohe.engine.jsonio import dumps
from kaohe.store.database import StoreError
from kaohe.store.decisions import BadCursor, DecisionFilter
from kaohe.store.replay import ReplayError
from kaohe.store.service import DecisionService

from ..deps import AdminKeyDep, LanguageDep, ReadDecisionsKeyDep, TodayDep, content_language
from ..problems import Problem
from ..reload import reload_rulesets
from ..schemas import ProblemDetails

log = logging.getLogger("kaohe.api")
router = APIRouter(prefix="/v1/decisions", tags=["decisions 决定记录"])
reload_router = APIRouter(prefix="/v1/rulesets", tags=["rulesets 规则集"])

_PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}
ERRORS = {401: {**_PROBLEM, "description": "no API key, or an unknown one"},
          403: {**_PROBLEM, "description": "the key lacks the decisions:read scope"},
          404: {**_PROBLEM, "description": "no such decision (decision.not_found), or none are recorded (store.disabled)"},
          422: {**_PROBLEM, "description": "a parameter does not validate (request.invalid)"},
          503: {**_PROBLEM, "description": "the decision store cannot be reached (store.unavailable)"}}
DecisionId = Annotated[str, Path(min_length=1, max_length=64, description="the decision id a response gave (Kaohe-Decision-Id)")]
Verdict = Literal["pass", "fail", "needs_review", "not_applicable"]


def _service(request: Request) -> DecisionService:
    service = getattr(request.app.state, "decisions", None)
    if service is None:
        raise Problem("store.disabled", "this server does not record decisions (KAOHE_RECORD=0)")
    return service


def _json(obj, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


async def _call(fn, *args):
    try:
        return await run_in_threadpool(fn, *args)
    except BadCursor as exc:
        raise Problem("request.invalid", exc.message, hint=exc.hint) from None
    except ReplayError as exc:
        raise Problem(exc.code, exc.message, hint=exc.hint) from None
    except StoreError as exc:
        log.error("decision store: %s", exc)
        raise Problem("store.unavailable", "the decision store cannot be reached; try again shortly",
                      headers={"Retry-After": "5"}) from None


def _found(decision: dict | None, decision_id: str) -> dict:
    if decision is None:
        raise Problem("decision.not_found", f"no decision {decision_id} is recorded here")
    return decision


@router.get("/{decision_id}", summary="一项决定的记录 One decision: input, policy revision, verdicts, every rule",
            responses=ERRORS)
async def get_decision(request: Request, decision_id: DecisionId, lang: LanguageDep, _key: ReadDecisionsKeyDep,
                       explain: Annotated[bool, Query(description="also render the full explanation again "
                                                      "(in the Accept-Language) from the stored input and policy")] = False
                       ) -> Response:
    """The decision as recorded: when, for whom (the API key's name), under which ruleset revision and
    policy, as of which day, the input as evaluated (ID-card numbers masked), each subject's verdict and
    every rule's outcome with its actual and expected values."""
    service = _service(request)
    decision = _found(await _call(service.store.get, decision_id), decision_id)
    if explain:
        decision["explanation"] = await _call(service.replayer.explanation, decision, lang)
    return _json(decision, headers={"Content-Language": content_language(lang), "Vary": "Accept-Language"})


@router.get("", summary="决定记录列表 Decisions, newest first, filtered, a page at a time", responses=ERRORS)
async def list_decisions(
        request: Request, _key: ReadDecisionsKeyDep,
        teacher_id: Annotated[Optional[str], Query(max_length=200, description="decisions that judged this teacher")] = None,
        school_id: Annotated[Optional[str], Query(max_length=200, description="decisions that judged this school or its teachers")] = None,
        ruleset: Annotated[Optional[str], Query(max_length=100)] = None,
        verdict: Annotated[Optional[Verdict], Query(description="the verdict (of the teacher or school filtered by, "
                                                    "else of the decision)")] = None,
        since: Annotated[Optional[dt.datetime], Query(description="made at or after (ISO 8601; UTC when no zone)")] = None,
        until: Annotated[Optional[dt.datetime], Query(description="made before")] = None,
        batch_id: Annotated[Optional[str], Query(max_length=64)] = None,
        cursor: Annotated[Optional[str], Query(max_length=200, description="next_cursor of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Response:
    service = _service(request)
    where = DecisionFilter(teacher_id=teacher_id, school_id=school_id, ruleset=ruleset, verdict=verdict,
                           since=_utc(since), until=_utc(until), batch_id=batch_id)
    page = await _call(service.store.list, where, cursor, limit)
    return _json({"items": page.items, "next_cursor": page.next_cursor})


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


@router.post("/{decision_id}/replay", summary="重放决定 Replay: under its own revision, and under today's",
             responses={**ERRORS, 409: {**_PROBLEM, "description": "the stored revision did NOT reproduce the stored "
                                           "outcome (decision.replay_mismatch; `replay` holds every difference)"},
                        422: {**_PROBLEM, "description": "the stored policy cannot be rebuilt (decision.not_replayable)"}})
async def replay_decision(request: Request, decision_id: DecisionId, today: TodayDep, _key: ReadDecisionsKeyDep) -> Response:
    """Evaluates the stored input again under the stored policy revision — it must give the stored
    outcome exactly; if it does not, the answer is 409 with every difference — and under the
    revision in force today (same as-of date), listing rule by rule what would change."""
    service = _service(request)
    outcome = await _call(service.replayer.replay, decision_id, today)
    if not outcome["under_stored_revision"]["reproduced"]:
        log.error("REPLAY MISMATCH: decision %s does not reproduce under its stored revision %s: %s", decision_id,
                  outcome["ruleset"]["revision"], outcome["under_stored_revision"]["mismatches"][:3])
        raise Problem("decision.replay_mismatch", f"decision {decision_id} does not reproduce under its stored revision "
                      f"{outcome['ruleset']['revision']}: the record or the engine changed", replay=outcome,
                      headers={"Kaohe-Replay": "mismatch"})
    return _json(outcome, headers={"Kaohe-Replay": "reproduced"})


@reload_router.post("/reload", summary="重新加载规则集 Reload the rulesets from disk (admin)",
                    responses={401: ERRORS[401], 403: {**_PROBLEM, "description": "the key lacks the admin scope"},
                               422: {**_PROBLEM, "description": "the rulesets did not load; the last good ones keep serving"}})
async def reload(request: Request, _key: AdminKeyDep) -> Response:
    """Compiles the rulesets aside and swaps them in at once; requests already running finish on the
    revision they started with. If any ruleset fails to load or check, nothing changes and the answer
    names the problems (also shown by /readyz)."""
    status = await run_in_threadpool(reload_rulesets, request.app)
    if status["status"] != "reloaded":
        raise Problem("ruleset.reload_failed", "the rulesets did not reload; the last good ones keep serving: "
                      + "; ".join(f"{p['plugin']}: {p['reason']}" for p in status["problems"])[:2000],
                      problems=status["problems"], serving=status["serving"])
    return _json(status)


__all__ = ["router", "reload_router", "KaoheError"]
