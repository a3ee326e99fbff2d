"""Every dependency a route uses, as an `Annotated` alias, in one module.

Tests override the functions (`app.dependency_overrides[get_settings] = …`,
`app.dependency_overrides[get_loaded] = …`); routes only name the aliases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from kaohe.engine.registry import Registry
from kaohe.plugins.manager import Loaded

from .keys import ADMIN, EVALUATE, READ_DECISIONS, KeyChecker, allows
from .language import content_language, negotiate_language, request_language
from .compile_worker import CompileWorker
from .metrics import ApiMetrics
from .problems import Problem
from .settings import Settings


# ---- settings, registry, services -----------------------------------------------------------------

def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_loaded(request: Request) -> Loaded:
    loaded = getattr(request.app.state, "loaded", None)
    if loaded is None:
        raise Problem("service.not_ready", "the rulesets are not loaded yet", headers={"Retry-After": "1"})
    return loaded


LoadedDep = Annotated[Loaded, Depends(get_loaded)]


def get_registry(loaded: LoadedDep) -> Registry:
    return loaded.registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


def get_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


def get_worker(request: Request) -> CompileWorker:
    worker = getattr(request.app.state, "worker", None)
    if worker is None:
        raise Problem("service.not_ready", "the process that compiles rulesets is not running", headers={"Retry-After": "1"})
    return worker


WorkerDep = Annotated[CompileWorker, Depends(get_worker)]


LanguageDep = Annotated[str, Depends(request_language)]


# ---- time, decision ids --------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone(dt.timedelta(hours=8))  # China Standard Time has no DST


def get_today(settings: SettingsDep) -> dt.date:
    return dt.datetime.now(_zone(settings.timezone)).date()


TodayDep = Annotated[dt.date, Depends(get_today)]


def new_decision_id(request: Request) -> str:
    decision_id = str(uuid.uuid4())
    request.state.decision_id = decision_id
    return decision_id


DecisionIdDep = Annotated[str, Depends(new_decision_id)]


# ---- API keys ----------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _checker(hashes: tuple[str, ...], names: tuple[str, ...], scopes: tuple[str, ...] = ()) -> KeyChecker:
    return KeyChecker(hashes, names, scopes)


_bearer = HTTPBearer(auto_error=False, scheme_name="bearer", description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey", description="X-API-Key: <API key>")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="kaohe"'}


def check_key(settings: Settings, key: str | None, metrics: ApiMetrics | None = None,
              scope: str = EVALUATE) -> str | None:
    """The name of the caller's key; anonymous (None) only when no keys are configured and
    `allow_anonymous` is set. With no keys and anonymous access not allowed, everything is refused.
    A known key without `scope` is refused with 403."""
    if not settings.api_key_hashes and settings.allow_anonymous:
        return None
    if not key:
        raise Problem("auth.required", "this endpoint needs an API key", headers=_CHALLENGE)
    checker = _checker(settings.api_key_hashes, settings.api_key_names, settings.api_key_scopes)
    name = checker.identify(key)
    if name is None:
        if metrics is not None:
            metrics.auth_failure()
        raise Problem("auth.invalid", "the API key is not valid", headers=_CHALLENGE)
    if not allows(checker.scopes_of(name), scope):
        raise Problem("auth.forbidden", f"the key '{name}' may not do this: it needs the scope '{scope}'", scope=scope)
    return name


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return x_api_key or None


def require_api_key(request: Request, settings: SettingsDep,
                    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                    header_key: Annotated[str | None, Depends(_header)]) -> str | None:
    key = (bearer.credentials.strip() if bearer is not None else None) or header_key
    name = check_key(settings, key, request.app.state.metrics)
    request.state.api_key = name
    return name


ApiKeyDep = Annotated[str | None, Depends(require_api_key)]


def _scoped(scope: str):
    def require(request: Request, settings: SettingsDep,
                bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                header_key: Annotated[str | None, Depends(_header)]) -> str | None:
        key = (bearer.credentials.strip() if bearer is not None else None) or header_key
        name = check_key(settings, key, request.app.state.metrics, scope)
        request.state.api_key = name
        return name
    return require


ReadDecisionsKeyDep = Annotated[str | None, Depends(_scoped(READ_DECISIONS))]
AdminKeyDep = Annotated[str | None, Depends(_scoped(ADMIN))]


def require_metrics_access(request: Request, settings: SettingsDep) -> None:
    if not settings.metrics_public:
        key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
        check_key(settings, key, request.app.state.metrics)


MetricsAccessDep = Annotated[None, Depends(require_metrics_access)]


# ---- bodies ------------------------------------------------------------------------------------

_JSON_TYPES = ("application/json",)


def check_media_type(request: Request, accepted: tuple[str, ...], suffixes: tuple[str, ...] = ()) -> None:
    """A missing Content-Type is read as the endpoint's own; a different one is refused (415)."""
    value = request.headers.get("content-type")
    if not value:
        return
    media = value.split(";", 1)[0].strip().lower()
    if media in accepted or any(media.endswith(s) for s in suffixes):
        return
    raise Problem("request.unsupported_media_type", f"this endpoint reads {', '.join(accepted)}, not {media}")


async def read_limited_body(request: Request, limit: int, timeout: float | None = None) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` bytes (0 = no limit), and with
    408 when it is not whole within `timeout` seconds (default: the settings' body_timeout_seconds)."""
    declared = request.headers.get("content-length")
    if limit and declared and declared.isdigit() and int(declared) > limit:
        raise Problem("request.too_large", f"the body is {declared} bytes; this endpoint accepts at most {limit}",
                      max_bytes=limit)
    if timeout is None:
        timeout = request.app.state.settings.body_timeout_seconds
    chunks, size = [], 0
    with anyio.move_on_after(timeout) as deadline:
        async for chunk in request.stream():
            size += len(chunk)
            if limit and size > limit:
                raise Problem("request.too_large", f"the body is over {limit} bytes, the most this endpoint accepts",
                              max_bytes=limit)
            chunks.append(chunk)
    if deadline.cancelled_caught:
        raise Problem("request.timeout", f"the body did not arrive within {timeout:g} s", headers={"Connection": "close"})
    return b"".join(chunks)


async def json_body(request: Request, settings: SettingsDep) -> bytes:
    check_media_type(request, _JSON_TYPES, ("+json",))
    return await read_limited_body(request, settings.max_body_bytes)


JsonBodyDep = Annotated[bytes, Depends(json_body)]


async def simulation_body(request: Request, settings: SettingsDep) -> bytes:
    check_media_type(request, _JSON_TYPES, ("+json",))
    return await read_limited_body(request, settings.max_simulation_bytes)


SimulationBodyDep = Annotated[bytes, Depends(simulation_body)]
