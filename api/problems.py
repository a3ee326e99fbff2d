"""Every error the API returns, as one RFC 9457 problem+json shape.

    {"type": "/problems/record.invalid_field", "title": "记录未通过校验", "status": 422,
     "detail": "…", "instance": "urn:uuid:…", "code": "record.invalid_field", "decision_id": "…",
     "errors": [{"record": "schools[0].teachers[1]", "record_type": "teacher", "record_index": 1,
                 "record_id": "GD-S00001-T0002", "field": "hours[0].hours", "problem": "…",
                 "pointer": "/schools/0/teachers/1/hours/0/hours"}]}

`code` is the stable kaohe error code (the engine's codes, plus the API's own below); `type` is
the page that explains it (`GET /problems/{code}`). Nothing here ever shows a stack trace.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Iterable

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from kaohe.engine.errors import InputFormatError, KaoheError, NoRevisionInForce, RecordError, UnknownRuleset

from kaohe.engine.jsonio import dumps
from kaohe.engine.messages import validation_problem

from .language import request_language

log = logging.getLogger("kaohe.api")
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: dict  # zh, en
    description: str  # what it means and how to fix it (the page at /problems/{code})


_TYPES = [
    ProblemType("record.invalid_field", 422, {"zh": "记录未通过校验", "en": "The records do not validate"},
                "One or more records (schools, teachers, regions) break the record format: a wrong type, a "
                "negative number of hours, an unknown field, a missing id. Each entry of `errors` names the "
                "record (path, type, index, id), the field path inside it and what is wrong. Fix those fields "
                "and send the request again; nothing was evaluated."),
    ProblemType("record.not_evaluable", 422, {"zh": "记录无法评估", "en": "The record could not be evaluated"},
                "The record validates, but evaluating it failed inside the server. It has been logged under the "
                "decision id; quote it when you report the problem. In a request with several schools, the others "
                "are evaluated and this one is named in `errors`."),
    ProblemType("request.invalid", 422, {"zh": "请求参数不正确", "en": "The request is not valid"},
                "A field of the request itself (not of a record) is missing or wrong: `ruleset`, `as_of` "
                "(YYYY-MM-DD), `detail` (full or compact), or a query parameter. `errors[].field` names it."),
    ProblemType("request.malformed_json", 400, {"zh": "请求体不是有效的 JSON", "en": "The body is not valid JSON"},
                "The body could not be read as JSON (UTF-8). `detail` says where reading stopped."),
    ProblemType("request.incomplete", 400, {"zh": "请求体不完整", "en": "The body ended early"},
                "The client closed the connection before the whole body arrived; nothing was evaluated."),
    ProblemType("request.timeout", 408, {"zh": "请求体超时", "en": "The body took too long"},
                "The body did not arrive in the time this server allows (body_timeout_seconds); the connection is "
                "closed. Send it again at once, or send large exports to POST /v1/evaluations/stream."),
    ProblemType("request.too_large", 413, {"zh": "请求体过大", "en": "The body is too large"},
                "The body is larger than this server accepts for this endpoint. Send fewer schools per "
                "request, or use POST /v1/evaluations/stream, which reads JSON Lines as they arrive."),
    ProblemType("request.unsupported_media_type", 415, {"zh": "不支持的内容类型", "en": "Unsupported content type"},
                "The Content-Type of the body is not one this endpoint reads: application/json for the JSON "
                "endpoints, application/x-ndjson for the stream, YAML or text for ruleset validation."),
    ProblemType("auth.required", 401, {"zh": "需要 API 密钥", "en": "An API key is required"},
                "Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`."),
    ProblemType("auth.invalid", 401, {"zh": "API 密钥无效", "en": "The API key is not valid"},
                "The key sent is not one this server knows. Ask the operator for a key."),
    ProblemType("auth.forbidden", 403, {"zh": "API 密钥无此权限", "en": "The API key may not do this"},
                "The key is known but lacks the scope this endpoint needs (`scope`): evaluate, decisions:read "
                "or admin. The operator grants scopes in the keys file (`scopes=…` after the key's name)."),
    ProblemType("decision.not_found", 404, {"zh": "没有此决定记录", "en": "No such decision"},
                "No decision with this id is recorded here: it was never made, made while recording was off, "
                "or purged by the retention policy."),
    ProblemType("decision.not_replayable", 422, {"zh": "该决定无法重放", "en": "The decision cannot be replayed"},
                "The policy the decision was made under could not be rebuilt from the store (see `detail`)."),
    ProblemType("decision.replay_mismatch", 409, {"zh": "重放结果与记录不符", "en": "The replay does not match the record"},
                "The stored input, evaluated again under the stored policy revision, does not give the stored "
                "outcome: the record was altered, or the engine or a plugin's measure changed. `replay` lists "
                "every difference. This is logged as an error; do not answer an appeal from this record alone."),
    ProblemType("store.unavailable", 503, {"zh": "决定记录库不可用", "en": "The decision store is unavailable"},
                "The database of decision records cannot be reached or is not set up. Try again shortly."),
    ProblemType("store.disabled", 404, {"zh": "未记录决定", "en": "Decisions are not recorded here"},
                "This server runs without a decision store (KAOHE_RECORD=0), so there is nothing to look up."),
    ProblemType("ruleset.reload_failed", 422, {"zh": "规则集重新加载失败", "en": "The rulesets did not reload"},
                "The rulesets on disk did not load or check; the last good ones keep serving. `problems` lists "
                "what is wrong; /readyz shows it too."),
    ProblemType("ruleset.not_found", 404, {"zh": "没有此规则集", "en": "No such ruleset"},
                "No ruleset with this id is loaded. GET /v1/rulesets lists the ids this server has."),
    ProblemType("ruleset.not_in_force", 422, {"zh": "该日期没有生效的规则集修订",
                                              "en": "No revision of the ruleset is in force on that date"},
                "The ruleset exists, but none of its revisions covers `as_of`. Pass a date inside one of "
                "the effective periods that `detail` lists (GET /v1/rulesets/{id} shows them)."),
    ProblemType("ruleset.lint_timeout", 422, {"zh": "规则集校验超时", "en": "Checking the ruleset took too long"},
                "The ruleset could not be checked in the time allowed. Split it, or check it with `kaohe lint`."),
    ProblemType("simulate.unknown_parameter", 422, {"zh": "没有此参数", "en": "No such parameter"},
                "`set` names a parameter the ruleset does not have. `parameter` names it and `hint` suggests the "
                "closest name; GET /v1/rulesets/{id} lists the parameters. Nothing was simulated."),
    ProblemType("simulate.invalid_value", 422, {"zh": "参数取值类型不符", "en": "The value does not fit the parameter"},
                "A value in `set` is not of the parameter's type: a number (20, 92.5), true or false, text, a date "
                "(\"YYYY-MM-DD\"), a list or an object, as the ruleset declares it or as its current value is. "
                "`parameter` names it. Nothing was simulated."),
    ProblemType("simulate.nothing_changed", 422, {"zh": "没有要比较的变更", "en": "There is nothing to compare"},
                "A simulation needs a change: `set` with at least one parameter, a `changed_ruleset`, or both."),
    ProblemType("simulate.invalid_ruleset", 422, {"zh": "变更后的规则集未通过校验", "en": "The changed ruleset does not check"},
                "`changed_ruleset` has errors. `diagnostics` lists every one with line and column in the text "
                "sent (file changed_ruleset.yaml), as POST /v1/rulesets/validate reports them. Nothing was simulated."),
    ProblemType("simulate.timeout", 422, {"zh": "模拟超时", "en": "The simulation took too long"},
                "The simulation did not finish in the time this server allows. Send fewer schools, or run "
                "`kaohe simulate` on the records."),
    ProblemType("simulate.failed", 422, {"zh": "无法完成模拟", "en": "The simulation could not be run"},
                "The process running simulations stopped on this request twice. Check `changed_ruleset` with "
                "POST /v1/rulesets/validate or `kaohe lint`."),
    ProblemType("http.not_found", 404, {"zh": "没有此路径", "en": "Not found"},
                "There is no endpoint at this path. GET /docs lists them."),
    ProblemType("http.method_not_allowed", 405, {"zh": "不支持此请求方法", "en": "Method not allowed"},
                "This path does not accept this HTTP method; the Allow header lists the ones it does."),
    ProblemType("http.error", 400, {"zh": "请求错误", "en": "Bad request"}, "The request could not be served."),
    ProblemType("service.not_ready", 503, {"zh": "服务尚未就绪", "en": "The service is not ready"},
                "The rulesets are not loaded (yet). Try again shortly; /readyz says when the server is ready."),
    ProblemType("service.busy", 503, {"zh": "服务繁忙", "en": "The service is busy"},
                "Too many ruleset checks and simulations are waiting for the process that compiles rulesets. "
                "Try again shortly (Retry-After)."),
    ProblemType("internal.error", 500, {"zh": "服务器内部错误", "en": "Internal error"},
                "Something went wrong inside the server. It has been logged under the decision id; "
                "quote it when you report the problem."),
    # lines of the JSON Lines stream (the stream itself answers 200; these arrive as error lines)
    ProblemType("stream.line_too_long", 413, {"zh": "该行过长", "en": "The line is too long"},
                "A line of the stream is longer than this server accepts; it was skipped."),
    ProblemType("stream.unsupported_record", 422, {"zh": "流中不支持此类记录", "en": "This record is not supported in the stream"},
                "The stream evaluates schools and teachers. Regions need all their schools at once: send "
                "them to POST /v1/evaluations."),
    ProblemType("stream.not_grouped", 422, {"zh": "同一学校的教师不连续", "en": "The teachers of a school are not on consecutive lines"},
                "Teacher lines are grouped into their school by consecutive school_id. A teacher whose school "
                "already ended earlier in the stream is not evaluated: sort the export by school_id."),
    ProblemType("stream.school_withheld", 422, {"zh": "学校结论暂不给出", "en": "The school's verdict is withheld"},
                "A line that may belong to this school could not be read or did not validate, so a school "
                "verdict would rest on an incomplete roster. Fix the lines named and send the school again."),
    ProblemType("stream.too_large", 413, {"zh": "数据流过大", "en": "The stream is too large"},
                "The stream is longer than this server accepts; reading stopped here."),
]
TYPES: dict[str, ProblemType] = {t.code: t for t in _TYPES}
_TYPES_BY_STATUS = {404: "http.not_found", 405: "http.method_not_allowed", 413: "request.too_large",
                    415: "request.unsupported_media_type", 401: "auth.required", 503: "service.not_ready"}


def problem_type(code: str) -> ProblemType:
    return TYPES.get(code) or ProblemType(code, 422, {"zh": "请求无法处理", "en": "The request cannot be processed"},
                                          f"kaohe error {code}.")


class Problem(Exception):
    """Raise anywhere in a request: the handler turns it into problem+json."""

    def __init__(self, code: str, detail: str, *, status: int | None = None, errors: list[dict] | None = None,
                 headers: dict | None = None, hint: str | None = None, **extra: Any):
        super().__init__(detail)
        self.code, self.detail, self.errors, self.headers, self.hint, self.extra = code, detail, errors, headers, hint, extra
        self.status = status or problem_type(code).status

    def __reduce__(self):  # crosses the boundary of the compiling child process (compile_worker.py)
        return (_rebuild, (self.code, self.detail, self.status, self.errors, self.headers, self.hint, self.extra))


def _rebuild(code, detail, status, errors, headers, hint, extra) -> Problem:
    return Problem(code, detail, status=status, errors=errors, headers=headers, hint=hint, **extra)


def problem_body(code: str, detail: str, *, lang: str = "zh", status: int | None = None, decision_id: str | None = None,
                 errors: list[dict] | None = None, hint: str | None = None, **extra: Any) -> dict:
    kind = problem_type(code)
    decision_id = decision_id or str(uuid.uuid4())
    body = {"type": f"/problems/{code}", "title": kind.title.get(lang, kind.title["en"]), "status": status or kind.status,
            "detail": detail, "instance": f"urn:uuid:{decision_id}", "code": code, "decision_id": decision_id}
    if hint:
        body["hint"] = hint
    if errors is not None:
        body["errors"] = [_in_language(e, lang) for e in errors]
    body.update(extra)
    return body


def _in_language(error: dict, lang: str) -> dict:
    """A record problem worded in `lang`: validation keeps pydantic's English and kaohe's Chinese."""
    if "problem_zh" not in error:
        return error
    out = {k: v for k, v in error.items() if k != "problem_zh"}
    if lang == "zh" and error["problem_zh"]:
        out["problem"] = error["problem_zh"]
    return out


def render_problem(problem: Problem, lang: str, decision_id: str | None, metrics=None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a problem, for callers below the framework (the fast path)."""
    if metrics is not None:
        metrics.problem(problem.code)
    body = problem_body(problem.code, problem.detail, lang=lang, status=problem.status, decision_id=decision_id,
                        errors=problem.errors, hint=problem.hint, **problem.extra)
    headers = {"content-type": PROBLEM_JSON, "content-language": "zh-CN" if lang == "zh" else "en"}
    headers.update({k.lower(): v for k, v in (problem.headers or {}).items()})
    return body["status"], headers, dumps(body)


def problem_response(request: Request | None, code: str, detail: str, *, status: int | None = None,
                     headers: dict | None = None, **kwargs: Any) -> Response:
    lang = "zh"
    decision_id = None
    if request is not None:
        lang = request_language(request)
        decision_id = getattr(request.state, "decision_id", None)
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None:
            metrics.problem(code)
    body = problem_body(code, detail, lang=lang, status=status, decision_id=decision_id, **kwargs)
    out_headers = {"Content-Language": "zh-CN" if lang == "zh" else "en"}
    out_headers.update(headers or {})
    return Response(dumps(body), status_code=body["status"], media_type=PROBLEM_JSON, headers=out_headers)


# ---- record problems from pydantic ----------------------------------------------------------------

_RECORD_LISTS = {"schools": "school", "regions": "region", "teachers": "teacher"}


def _path(parts: Iterable) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def _pointer(parts: Iterable) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _lookup(data: Any, parts: Iterable) -> Any:
    node = data
    try:
        for part in parts:
            node = node[part]
    except (KeyError, IndexError, TypeError):
        return None
    return node


def _record_model(kind: str | None):
    """The record model an error sits in, for the did-you-mean of an unknown field."""
    from kaohe.engine import Region, School, Teacher

    return {"teacher": Teacher, "school": School, "region": Region}.get(kind or "")


def validation_errors(error: ValidationError, data: Any, *, root_record: tuple[str, str] | None = None,
                      record_roots: dict[str, str] | None = None, prefix: tuple = (), limit: int = 100) -> list[dict]:
    """Pydantic errors → [{record, record_type, record_index, record_id, field, problem, pointer}].

    `data` is the parsed body (for record ids); `record_roots` maps a top-level key that holds one
    record to its type (the teacher endpoint's "teacher"); `root_record` (label, type) says the whole
    of `data` is one record (a line of the stream). Entries outside any record have record None.
    """
    out = []
    roots = record_roots or {}
    for item in error.errors(include_url=False, include_input=False)[:limit]:
        loc = list(item["loc"])
        cut, kind, index = None, None, None
        for i in range(len(loc) - 1):
            if loc[i] in _RECORD_LISTS and isinstance(loc[i + 1], int):
                cut, kind, index = i + 2, _RECORD_LISTS[loc[i]], loc[i + 1]
        if cut is None and loc and loc[0] in roots:
            cut, kind, index = 1, roots[loc[0]], 0
        if cut is None and root_record is not None:
            cut, kind, index = 0, root_record[1], 0
        entry: dict[str, Any] = {"record": None, "record_type": None, "record_index": None, "record_id": None}
        if cut is not None:
            node = _lookup(data, loc[:cut])
            ident = node.get("id") if isinstance(node, dict) else None
            label = _path(loc[:cut]) if cut else root_record[0]
            entry.update(record=label, record_type=kind, record_index=index,
                         record_id=ident if isinstance(ident, (str, int, float)) and not isinstance(ident, bool) else None)
        else:
            cut = 0
        entry["field"] = _path(loc[cut:]) or None
        entry["problem"], entry["problem_zh"] = validation_problem(item, _record_model(kind), loc[cut:])
        entry["pointer"] = _pointer(list(prefix) + loc)
        out.append(entry)
    return out


def first_json_error(error: ValidationError) -> str | None:
    """The message if pydantic failed on the JSON itself (not on a field)."""
    for item in error.errors(include_url=False, include_input=False):
        if item["type"] == "json_invalid":
            return item["msg"]
    return None


def engine_record_errors(exc: RecordError) -> list[dict]:
    """The engine's RecordError problems ({record, field, problem}) in the API's shape."""
    return [{"record": p.get("record"), "record_type": None, "record_index": None, "record_id": None,
             "field": p.get("field") or None, "problem": p.get("problem"), "problem_zh": p.get("problem_zh"),
             "pointer": None} for p in exc.problems]


def summarise(errors: list[dict]) -> str:
    first = errors[0]
    where = " ".join(str(x) for x in (first.get("record"), f"({first['record_id']})" if first.get("record_id") else None)
                     if x)
    text = f"{where + ': ' if where else ''}{first.get('field') or '(record)'}: {first['problem']}"
    if len(errors) > 1:
        text = f"{len(errors)} problems; first: {text}"
    return text


# ---- handlers --------------------------------------------------------------------------------

async def handle_problem(request: Request, exc: Problem) -> Response:
    return problem_response(request, exc.code, exc.detail, status=exc.status, headers=exc.headers, errors=exc.errors,
                            hint=exc.hint, **exc.extra)


def problem_for(exc: KaoheError) -> Problem:
    """The engine's errors as problems: stable code → HTTP status."""
    if isinstance(exc, RecordError):
        return Problem("record.invalid_field", str(exc.message), errors=engine_record_errors(exc))
    if isinstance(exc, UnknownRuleset):
        return Problem("ruleset.not_found", exc.message, hint=exc.hint)
    if isinstance(exc, NoRevisionInForce):
        return Problem("ruleset.not_in_force", exc.message, hint=exc.hint)
    if isinstance(exc, InputFormatError):
        return Problem("request.malformed_json", without_paths(exc.message), hint=exc.hint)
    # anything else may quote a file the server read (a simulation's temporary copy, a parent ruleset)
    return Problem(exc.code, without_paths(exc.message), status=422,
                   hint=without_paths(exc.hint) if exc.hint else None)


async def handle_kaohe_error(request: Request, exc: KaoheError) -> Response:
    return await handle_problem(request, problem_for(exc))


async def handle_request_validation(request: Request, exc: RequestValidationError) -> Response:
    errors = []
    for item in exc.errors():
        loc = [p for p in item.get("loc", ()) if p not in ("query", "path", "header", "body")]
        errors.append({"record": None, "record_type": None, "record_index": None, "record_id": None,
                       "field": _path(loc) or None, "problem": item.get("msg", "invalid"), "pointer": None})
    return problem_response(request, "request.invalid", summarise(errors) if errors else "invalid request", errors=errors)


async def handle_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    code = _TYPES_BY_STATUS.get(exc.status_code, "http.error")
    detail = exc.detail if isinstance(exc.detail, str) else problem_type(code).title["en"]
    return problem_response(request, code, detail, status=exc.status_code, headers=getattr(exc, "headers", None))


async def handle_disconnect(request: Request, exc: Exception) -> Response:
    log.info("%s %s: the client went away before the body ended", request.method, request.url.path)
    return problem_response(request, "request.incomplete", "the client closed the connection before the body ended")


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    decision_id = getattr(request.state, "decision_id", None) or str(uuid.uuid4())
    request.state.decision_id = decision_id
    log.error("internal error in %s %s (decision %s)", request.method, request.url.path, decision_id,
              exc_info=(type(exc), exc, exc.__traceback__))
    return problem_response(request, "internal.error", "an internal error occurred; it has been logged under the decision id")


def install(app) -> None:
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(KaoheError, handle_kaohe_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(ClientDisconnect, handle_disconnect)
    app.add_exception_handler(Exception, handle_unexpected)


# ---- diagnostics of ruleset checks, as a client may see them -------------------------------------------

# an absolute path of this machine: /a/b/c.yaml, or C:\a\b.yaml
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s'\"/:]+)+/?|[A-Za-z]:\\[^\s'\"]+")


def public_diagnostic(diagnostic: dict, file: str) -> dict:
    """A diagnostic as a client may see it: files of the server (a parent ruleset's) by their base
    name only, and no absolute paths of this machine in the message or hint."""
    out = dict(diagnostic)
    where = out.get("file")
    if isinstance(where, str) and where != file:
        out["file"] = PurePath(where).name or where
    for key in ("message", "hint", "message_zh", "hint_zh"):
        if isinstance(out.get(key), str):
            out[key] = without_paths(out[key])
    return out


def without_paths(text: str) -> str:
    """`text` with every absolute path of this machine cut to its base name."""
    return _ABSOLUTE_PATH.sub(lambda m: PurePath(m.group(0)).name or "…", text)
