"""GET /healthz, /readyz (open), /metrics (Prometheus), and /problems/{code} (what an error means)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from ..deps import MetricsAccessDep, MetricsDep
from kaohe.engine.jsonio import dumps
from ..problems import TYPES, Problem, ProblemType, without_paths
from ..schemas import Health, ProblemDetails, ProblemPage, Readiness

router = APIRouter(tags=["operations 运维"])


def _json(obj, status: int = 200) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.get("/healthz", summary="The process is alive", response_model=Health)
async def healthz() -> Response:
    return _json({"status": "ok"})


@router.get("/readyz", summary="Every configured ruleset is loaded and requests can be served", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "not ready: still loading, or a ruleset or plugin "
                             "failed to load (`problems` says which)"}})
async def readyz(request: Request) -> Response:
    loaded = getattr(request.app.state, "loaded", None)
    ids = loaded.registry.ids() if loaded is not None else []
    # open to anyone: the reasons name files by their base name, never by the server's paths
    problems = [{"plugin": without_paths(str(p.plugin)), "reason": without_paths(str(p.reason))}
                for p in (loaded.problems if loaded is not None else [])]
    # ready only when every configured ruleset and plugin is serving: one that failed to load would
    # otherwise be answered "no such ruleset" while the load balancer thinks all is well
    ready = bool(ids) and not problems
    return _json({"status": "ready" if ready else "not_ready", "rulesets": ids, "problems": problems,
                  "reload": _reload_status(request)},
                 200 if ready else 503)


def _reload_status(request: Request) -> dict | None:
    status = getattr(request.app.state, "reload_status", None)
    if not status:
        return None
    return {**status, "problems": [{"plugin": without_paths(str(p["plugin"])), "reason": without_paths(str(p["reason"]))}
                                   for p in status.get("problems", [])]}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
async def metrics(metrics: MetricsDep, _access: MetricsAccessDep) -> Response:
    return Response(metrics.render(), media_type=metrics.content_type)


problems_router = APIRouter(prefix="/problems", tags=["operations 运维"])


def _page(kind: ProblemType) -> dict:
    return {"code": kind.code, "status": kind.status, "title": kind.title, "description": kind.description}


@problems_router.get("", summary="Every kind of problem the API reports", response_model=list[ProblemPage])
async def list_problem_types() -> Response:
    return _json([_page(k) for k in TYPES.values()])


@problems_router.get("/{code}", summary="What one kind of problem means and how to fix it", response_model=ProblemPage,
                     responses={404: {"model": ProblemDetails, "content": {"application/problem+json": {}}},
                                422: {"model": ProblemDetails, "content": {"application/problem+json": {}}}})
async def problem_type_page(code: Annotated[str, Path(max_length=100)]) -> Response:
    kind = TYPES.get(code)
    if kind is None:
        raise Problem("http.not_found", f"no problem type '{code}'")
    return _json(_page(kind))
