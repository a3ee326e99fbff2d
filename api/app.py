"""`create_app(settings)`: the FastAPI application. The registry is built once, at start-up."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from kaohe import __version__
from kaohe.console import install as install_console
from kaohe.plugins.manager import Loaded, build_registry

from . import problems
from .routes import evaluations, operations, questions, rulesets, simulations
from .reload import install_sighup
from .routes import decisions as routes_decisions
from .fastpath import TeacherFastPath
from .compile_worker import CompileWorker
from .metrics import ApiMetrics, MetricsMiddleware
from .schemas import EvaluationRequest, SimulationRequest, TeacherEvaluationRequest
from .settings import Settings

log = logging.getLogger("kaohe.api")

DESCRIPTION = """\
考核 (kaohe): 教师信息技术应用能力提升工程2.0 的政策即代码. Records in, explained verdicts out.

- `POST /v1/evaluations`: schools with their teachers → per-teacher and per-school verdicts, each rule
  with its explanation, actual and expected values, remedy and citation.
- `POST /v1/evaluations/teacher`: one teacher, teacher rules only (the low-latency path).
- `POST /v1/evaluations/stream`: JSON Lines in, JSON Lines out, school by school as the body arrives.
- `POST /v1/simulations`: the same records under the ruleset in force and under a changed one (parameter
  values set, or changed YAML) → who changes verdict, by rule, county and school.
- `GET /v1/rulesets`, `GET /v1/rulesets/{id}`, `POST /v1/rulesets/validate`, `GET /v1/questions` (the open
  questions of reading the policies, the reading applied and who decides).

Every evaluation names the ruleset id, the revision that decided and a decision id (uuid).
`Accept-Language: en` for English explanations; Chinese (zh-CN) is the default.
Errors are RFC 9457 problem+json with a stable `code`; `GET /problems/{code}` explains each.
Send the API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""

REQUEST_MODELS = (EvaluationRequest, TeacherEvaluationRequest, SimulationRequest)


def create_app(settings: Settings | None = None, *, loaded: Loaded | None = None) -> FastAPI:
    """The app. `loaded` (a prebuilt registry) is for tests; normally it is built at start-up."""
    settings = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        config: Settings = app.state.settings
        if app.state.loaded is None:
            app.state.loaded = await run_in_threadpool(
                build_registry, tuple(config.ruleset_paths), config.entry_points, tuple(config.plugin_modules))
            if getattr(app.state, "after_load", None):
                app.state.after_load()
        for problem in app.state.loaded.problems:
            log.warning("plugin %s not loaded: %s", problem.plugin, problem.reason)
        log.info("kaohe API ready: rulesets %s", ", ".join(app.state.loaded.registry.ids()) or "none")
        if not config.api_key_hashes:
            if config.allow_anonymous:
                log.warning("no API keys are configured: every request is served without a key")
            else:
                log.warning("no API keys are configured and anonymous access is off: /v1 refuses every request")
        # ruleset checks and simulations compile rulesets: in a child process, never in this one
        app.state.worker = CompileWorker(config.ruleset_paths, config.plugin_modules, config.entry_points,
                                         lint_timeout=config.lint_timeout_seconds,
                                         simulate_timeout=config.simulate_timeout_seconds,
                                         recycle_after=config.worker_recycle_after, queue_limit=config.worker_queue_limit)
        if getattr(app.state, "worker_prestart", False):
            app.state.worker.prestart()
        if config.record and config.database_url and app.state.decisions is None:
            from kaohe.store.service import DecisionService  # SQLAlchemy only when decisions are recorded

            app.state.decisions = await run_in_threadpool(
                DecisionService, config.database_url, lambda: app.state.loaded.registry, config.record_queue_size)
        if getattr(app.state, "reload_on_sighup", False):
            import asyncio

            install_sighup(app, asyncio.get_running_loop())
        try:
            yield
        finally:
            app.state.worker.close()
            app.state.worker = None
            if app.state.decisions is not None:
                await run_in_threadpool(app.state.decisions.close)  # writes what is still queued
                app.state.decisions = None

    app = FastAPI(title="kaohe 考核 API", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served offline by the console (install_console below)
                  openapi_url="/openapi.json" if settings.docs else None)
    app.state.settings = settings
    app.state.loaded = loaded
    app.state.worker = None
    app.state.decisions = None  # kaohe.store.service.DecisionService when decisions are recorded
    app.state.reload_status = None
    app.state.metrics = ApiMetrics(settings.multiprocess_metrics_dir)
    problems.install(app)
    if settings.fast_path:
        app.add_middleware(TeacherFastPath, fastapi_app=app)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # added last: outermost
    # one router per resource
    app.include_router(evaluations.router)
    app.include_router(simulations.router)
    app.include_router(rulesets.router)
    app.include_router(questions.router)
    app.include_router(routes_decisions.router)
    app.include_router(routes_decisions.reload_router)
    app.include_router(operations.router)
    app.include_router(operations.problems_router)
    install_console(app, docs=settings.docs)  # /console, `/` → /console/, /docs and /redoc from local files

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi
    return app


ACCEPT_LANGUAGE = {"name": "Accept-Language", "in": "header", "required": False,
                   "description": "zh-CN (default) or en: the language of explanations, reports and problems; "
                                  "the answer says which in Content-Language",
                   "schema": {"type": "string", "default": "zh-CN", "examples": ["zh-CN", "en"]}}


def build_openapi(app: FastAPI) -> dict:
    """FastAPI's document plus the request bodies the routes read themselves (they parse raw bytes,
    so FastAPI does not see the models)."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in REQUEST_MODELS:
        doc = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
        definitions = doc.pop("$defs", {})
        definitions[model.__name__] = doc
        for name, definition in definitions.items():
            if name in components and components[name] != definition:
                raise RuntimeError(f"OpenAPI schema name clash: {name}")
            components[name] = definition
    # every /v1 route answers in the language Accept-Language asks for (read by LanguageDep from the
    # request itself, so FastAPI does not see it as a parameter)
    schema["components"].setdefault("parameters", {})["AcceptLanguage"] = ACCEPT_LANGUAGE
    for name, path in schema.get("paths", {}).items():
        if name.startswith("/v1/"):
            for operation in path.values():
                operation.setdefault("parameters", []).append({"$ref": "#/components/parameters/AcceptLanguage"})
    # a non-JSON response class makes FastAPI write `type: string` beside the model's $ref
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for response in (operation.get("responses") or {}).values():
                for media in (response.get("content") or {}).values():
                    found = media.get("schema")
                    if isinstance(found, dict) and "$ref" in found:
                        media["schema"] = {"$ref": found["$ref"]}
    return schema
