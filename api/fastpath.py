"""POST /v1/evaluations/teacher without the framework's per-request machinery: the hot path.

A single-teacher evaluation takes well under a tenth of a millisecond in the engine; FastAPI's
routing, dependency solving and Request objects cost more than that again (measured in
bench/api_load.md). This ASGI middleware answers that one route itself, with the same functions the
FastAPI route uses (`check_key`, `negotiate_language`, `evaluate_teacher`, `render_problem`), so
both give byte-for-byte the same answers (tests/api/test_fastpath.py checks it).

It steps aside, and the FastAPI route answers, whenever `app.dependency_overrides` is not empty:
tests that override a dependency get the documented behaviour.
"""

from __future__ import annotations

import logging
import uuid

import anyio
from types import SimpleNamespace

from kaohe.engine.errors import KaoheError

from .deps import check_key, content_language, get_today, key_from_headers, negotiate_language
from .evaluate import evaluate_teacher
from .problems import Problem, problem_for, render_problem

log = logging.getLogger("kaohe.api")
PATH = "/v1/evaluations/teacher"
_JSON = (b"application/json",)


class TeacherFastPath:
    # what the metrics middleware reads for its route label, as the router would have set it
    route = SimpleNamespace(path=PATH)

    def __init__(self, app, fastapi_app):
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST"
                or self.fastapi_app.dependency_overrides):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        headers = {}
        for name, value in scope["headers"]:
            if name in (b"authorization", b"x-api-key", b"accept-language", b"content-type", b"content-length"):
                headers[name] = value.decode("latin-1")
        lang = negotiate_language(headers.get(b"accept-language"))
        decision_id = str(uuid.uuid4())
        state = self.fastapi_app.state
        try:
            status, out_headers, body = await self._answer(state, headers, receive, lang, decision_id)
        except Problem as problem:
            status, out_headers, body = render_problem(problem, lang, decision_id, state.metrics)
        except KaoheError as exc:
            status, out_headers, body = render_problem(problem_for(exc), lang, decision_id, state.metrics)
        except Exception as exc:  # noqa: BLE001 - same contract as the app's catch-all handler
            log.error("internal error in POST %s (decision %s)", PATH, decision_id, exc_info=(type(exc), exc, exc.__traceback__))
            status, out_headers, body = render_problem(
                Problem("internal.error", "an internal error occurred; it has been logged under the decision id"),
                lang, decision_id, state.metrics)
        raw = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in out_headers.items()]
        raw.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, state, headers, receive, lang, decision_id):
        settings = state.settings
        caller = check_key(settings, key_from_headers(headers.get(b"authorization"), headers.get(b"x-api-key")), state.metrics)
        loaded = getattr(state, "loaded", None)
        if loaded is None:
            raise Problem("service.not_ready", "the rulesets are not loaded yet", headers={"Retry-After": "1"})
        media = headers.get(b"content-type")
        if media:
            kind = media.split(";", 1)[0].strip().lower()
            if kind != "application/json" and not kind.endswith("+json"):
                raise Problem("request.unsupported_media_type", f"this endpoint reads application/json, not {kind}")
        with anyio.move_on_after(settings.body_timeout_seconds) as deadline:
            body = await _read_body(receive, headers.get(b"content-length"), settings.max_body_bytes)
        if deadline.cancelled_caught:
            raise Problem("request.timeout", f"the body did not arrive within {settings.body_timeout_seconds:g} s",
                          headers={"Connection": "close"})
        decided = evaluate_teacher(body, loaded.registry, get_today(settings), lang, decision_id, state.metrics)
        if state.decisions is not None:
            await state.decisions.record(decided.evaluated, decision_id, body, caller)
        return 200, {"content-type": "application/json", "kaohe-decision-id": decision_id,
                     "kaohe-ruleset": decided.ruleset_id, "kaohe-ruleset-revision": decided.revision,
                     "content-language": content_language(lang), "vary": "Accept-Language"}, decided.body


async def _read_body(receive, declared: str | None, limit: int) -> bytes:
    if limit and declared and declared.isdigit() and int(declared) > limit:
        raise Problem("request.too_large", f"the body is {declared} bytes; this endpoint accepts at most {limit}",
                      max_bytes=limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Problem("request.incomplete", "the client closed the connection before the body ended")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if limit and size > limit:
                raise Problem("request.too_large", f"the body is over {limit} bytes, the most this endpoint accepts",
                              max_bytes=limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
