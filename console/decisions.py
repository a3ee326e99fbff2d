"""The decisions page: a recorded decision looked up by its id or by teacher, its explanation as it
was given (rendered again from the stored input and the stored policy revision), and its replay.

Only when the server records decisions (`kaohe.store`, app.state.decisions); reading them needs a
key with the `decisions:read` scope, as GET /v1/decisions does.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from kaohe.api.deps import check_key
from kaohe.api.problems import Problem
from kaohe.engine import KaoheError

from . import auth
from .pages import TimedRoute, page_language, problem_view, render, today

router = APIRouter(prefix="/console/decisions", route_class=TimedRoute, include_in_schema=False)
PAGE_SIZE = 50


def _service(request: Request):
    return getattr(request.app.state, "decisions", None)


def _may_read(request: Request) -> dict | None:
    """None when the caller may read decisions; else the problem to show."""
    settings = request.app.state.settings
    if not settings.auth_enabled:
        return None
    from kaohe.api.deps import READ_DECISIONS

    try:
        check_key(settings, request.cookies.get(auth.COOKIE), request.app.state.metrics, READ_DECISIONS)
        return None
    except Problem as exc:
        return problem_view(exc, page_language(request))


async def _call(fn, *args):
    from kaohe.store.database import StoreError

    try:
        return await run_in_threadpool(fn, *args)
    except StoreError:
        raise Problem("store.unavailable", "the decision store cannot be reached; try again shortly") from None


def as_result(explanation: dict, decision: dict) -> dict:
    """A stored decision's explanation in the shape the try-a-record page shows."""
    out = {"ruleset": explanation.get("ruleset"), "as_of": explanation.get("as_of"), "decision_id": decision["id"],
           "recorded": True, "notes": []}
    if "teacher" in explanation:
        return {**out, "kind": "teacher", "teacher": explanation["teacher"]}
    schools = [explanation["school"]] if "school" in explanation else explanation.get("schools", [])
    teachers = [t for s in schools for t in s.get("teachers", [])]
    summary = explanation.get("summary") or {
        "teachers": len(teachers), "teachers_passing": sum(t["verdict"] == "pass" for t in teachers),
        "schools": len(schools), "schools_passing": sum(s["verdict"] == "pass" for s in schools)}
    return {**out, "kind": "dataset", "schools": schools, "regions": explanation.get("regions", []), "summary": summary}


@router.get("", response_class=HTMLResponse)
async def decisions_page(request: Request, id: str | None = None, teacher_id: str | None = None) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    service = _service(request)
    context = dict(decision=None, explanation=None, listed=None, replayed=None, problem=None,
                   id=(id or "").strip(), teacher_id=(teacher_id or "").strip(), recording=service is not None)
    if service is None:
        return render(request, "decisions.html", **context)
    refused = _may_read(request)
    if refused is not None:
        context["problem"] = refused
        return render(request, "decisions.html", status=403, **context)
    try:
        if context["id"]:
            decision = await _call(service.store.get, context["id"])
            if decision is None:
                raise Problem("decision.not_found", f"no decision {context['id']} is recorded here")
            context["decision"] = decision
            context["explanation"] = as_result(await _call(service.replayer.explanation, decision, lang), decision)
        elif context["teacher_id"]:
            from kaohe.store.decisions import DecisionFilter

            page = await _call(service.store.list, DecisionFilter(teacher_id=context["teacher_id"]), None, PAGE_SIZE)
            context["listed"] = page.items
    except (Problem, KaoheError) as exc:
        context["problem"] = problem_view(exc, lang)
    return render(request, "decisions.html", status=404 if context["problem"] else 200, **context)


@router.post("/{decision_id}/replay", response_class=HTMLResponse)
async def replay(request: Request, decision_id: str) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    service = _service(request)
    context = dict(decision=None, explanation=None, listed=None, replayed=None, problem=None, id=decision_id,
                   teacher_id="", recording=service is not None)
    if service is None:
        return render(request, "decisions.html", status=404, **context)
    refused = _may_read(request)
    if refused is not None:
        context["problem"] = refused
        return render(request, "decisions.html", status=403, **context)
    try:
        context["replayed"] = await _call(service.replayer.replay, decision_id, today(request))
        context["decision"] = await _call(service.store.get, decision_id)
        context["explanation"] = as_result(await _call(service.replayer.explanation, context["decision"], lang),
                                           context["decision"])
    except (Problem, KaoheError) as exc:
        context["problem"] = problem_view(exc, lang)
    return render(request, "decisions.html", status=422 if context["problem"] else 200, **context)
