"""The console's pages: server-rendered HTML over the registry, the engine and the API's services.

Every page works without JavaScript (plain links and form posts); with htmx, forms answer in place
(only the result is sent back, `HX-Request`). Each response carries `Server-Timing: app;dur=…`,
the time this process spent on it, which the tests hold to the 200 ms budget.

One module of some 570 lines: each page is a short handler over the same few helpers (the key
check, the language, the form a record schema builds), and the pages share them more than they
differ.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import orjson
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kaohe.api.deps import get_today, negotiate_language
from kaohe.api.problems import Problem, problem_type
from kaohe.engine import InputFormatError, KaoheError, RecordError, explain, mask_id_card, read_dataset
from kaohe.engine.inputs import dataset_from_data, teacher_from_data  # not on the engine's surface (yet)
from kaohe.plugins.tabular import read_table
from kaohe.tools import diff as ruleset_diff
from kaohe.tools import questions, reports, simulate

from . import auth, forms, views
from .words import LEVEL_WORDS, words

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(row_ids=forms.row_ids, row_fields=forms.row_fields)
LANG_COOKIE = "kaohe_lang"
MAX_UPLOAD_FILES = 4
MAX_FORM_FIELDS = 5000


# The console's pages load nothing but this server's own files: no inline script, no other host.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class TimedRoute(APIRoute):
    """A route whose response says how long this process took to make it (Server-Timing), and
    that may load nothing from another host (Content-Security-Policy)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def timed(request: Request) -> Response:
            started = time.perf_counter()
            response = await handler(request)
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            return response

        return timed


router = APIRouter(prefix="/console", route_class=TimedRoute, include_in_schema=False)


# ---- shared ------------------------------------------------------------------------------------

def page_language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    return negotiate_language(request.headers.get("accept-language"))


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    lang = page_language(request)
    settings = request.app.state.settings
    context.update(request=request, lang=lang, w=words(lang), level_words=LEVEL_WORDS, switch=language_links(request),
                   signed_in=settings.auth_enabled and bool(request.cookies.get(auth.COOKIE)),
                   docs=settings.docs, store=_store_available(request), path=request.url.path,
                   partial=request.headers.get("hx-request") == "true" and not request.headers.get("hx-boosted"))
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["Vary"] = "Accept-Language, Cookie, HX-Request"
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, path=auth.PATH,
                            samesite="lax")
    return response


def language_links(request: Request) -> dict[str, str]:
    """This page in each language (the same query; after a form post, the page's own address)."""
    links = {}
    for code in ("zh", "en"):
        url = request.url.include_query_params(lang=code) if request.method == "GET" else None
        links[code] = f"{url.path}?{url.query}" if url is not None else f"{request.url.path}?lang={code}"
    return links


def _store_available(request: Request) -> bool:
    return getattr(request.app.state, "decisions", None) is not None


def loaded(request: Request):
    found = getattr(request.app.state, "loaded", None)
    if found is None:
        raise Problem("service.not_ready", "the rulesets are not loaded yet", headers={"Retry-After": "1"})
    return found


def today(request: Request) -> dt.date:
    return get_today(request.app.state.settings)


def parse_day(value: str | None, default: dt.date) -> tuple[dt.date, str | None]:
    """A YYYY-MM-DD from a form; the default and a problem when it is not one."""
    if not value or not value.strip():
        return default, None
    try:
        return dt.date.fromisoformat(value.strip()), None
    except ValueError:
        return default, value


def problem_view(exc: Exception, lang: str) -> dict:
    """An error as the page shows it: a title in the reader's language, the detail, each field."""
    if isinstance(exc, RecordError):
        return {"title": problem_type("record.invalid_field").title[lang], "detail": None,
                "errors": [{"record": p.get("record"), "field": p.get("field"), "problem": p.get("problem")}
                           for p in exc.problems]}
    if isinstance(exc, Problem):
        errors = [{"record": e.get("record"), "field": e.get("field") or e.get("pointer"), "problem": e.get("message") or e.get("problem")}
                  for e in (exc.errors or [])]
        for d in (exc.extra or {}).get("diagnostics", []) or []:
            where = ":".join(str(x) for x in (d.get("file"), d.get("line"), d.get("column")) if x is not None)
            errors.append({"record": where, "field": d.get("path"), "problem": d.get("message")})
        return {"title": problem_type(exc.code).title[lang], "detail": exc.detail, "hint": exc.hint, "errors": errors}
    if isinstance(exc, KaoheError):
        code = getattr(exc, "code", "request.invalid")
        return {"title": problem_type(code).title[lang], "detail": exc.message, "hint": exc.hint, "errors": []}
    raise exc


def bad(lang: str, field: str, key: str, code: str = "request.invalid", **values) -> KaoheError:
    """A problem with one field of a console form, worded in the reader's language."""
    return KaoheError(f"{field}: {words(lang)[key].format(**values)}", code=code)


async def read_form(request: Request, limit: int) -> FormData:
    declared = request.headers.get("content-length")
    if limit and declared and declared.isdigit() and int(declared) > limit:
        raise Problem("request.too_large", f"the form is {declared} bytes; the console accepts at most {limit}",
                      max_bytes=limit)
    return await request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_FORM_FIELDS, max_part_size=max(limit, 1024 * 1024))


async def upload_bytes(upload: UploadFile, what: str, limit: int) -> bytes:
    """The file's bytes, refused past `limit` (a chunked body declares no length up front)."""
    raw = await upload.read(limit + 1) if limit else await upload.read()
    if limit and len(raw) > limit:
        raise Problem("request.too_large", f"{what} '{upload.filename}' is over {limit} bytes, the most the console "
                      "accepts", max_bytes=limit)
    return raw


async def upload_text(upload: Any, what: str, limit: int = 0, lang: str = "zh") -> tuple[str, str] | None:
    """(file name, text) of an uploaded text file; None when no file was chosen."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    raw = await upload_bytes(upload, what, limit)
    try:
        return upload.filename, raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad(lang, what, "not_utf8", name=upload.filename) from None


def ruleset_choices(request: Request, lang: str) -> list[dict]:
    return views.ruleset_rows(loaded(request).registry, today(request), lang)


# ---- entry points ------------------------------------------------------------------------------

@router.get("", response_class=RedirectResponse)
async def console_root() -> RedirectResponse:
    return RedirectResponse(auth.PATH + "/", status_code=307)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    return render(request, "home.html", rulesets=ruleset_choices(request, lang))


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None, wrong: str | None = None) -> Response:
    return render(request, "login.html", next=auth.safe_next(next), wrong=bool(wrong), missing=False)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await read_form(request, 64 * 1024)
    key = str(form.get("key") or "").strip()
    target = auth.safe_next(str(form.get("next") or ""))
    if not key or not auth.key_is_valid(request, key):
        return render(request, "login.html", status=401, next=target, wrong=bool(key), missing=not key)
    response = RedirectResponse(target, status_code=303)
    auth.remember(response, request, key)
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse(auth.PATH + "/login", status_code=303)
    auth.forget(response)
    return response


# ---- rulesets ----------------------------------------------------------------------------------

@router.get("/rulesets", response_class=HTMLResponse)
async def rulesets(request: Request) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    return render(request, "rulesets.html", rulesets=ruleset_choices(request, lang))


@router.get("/rulesets/{rid}", response_class=HTMLResponse)
async def ruleset_page(request: Request, rid: str, revision: str | None = None) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    registry = loaded(request).registry
    if rid not in registry.ids():
        return render(request, "not_found.html", status=404)
    day = today(request)
    compiled = views.pick_revision(registry, rid, revision, day)
    return render(request, "ruleset.html", doc=views.ruleset_document(compiled, lang),
                  revisions=views.revision_rows(registry, rid, day, lang))


# ---- try a record ------------------------------------------------------------------------------

_ID_CARD_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def unechoed(text: str) -> str:
    """Text sent back into a form, with any ID-card number masked: never echoed whole."""
    return _ID_CARD_IN_TEXT.sub(lambda m: mask_id_card(m.group(0)), text)


def _try_context(request: Request, lang: str, **extra) -> dict:
    importers = loaded(request).importers
    context = dict(rulesets=ruleset_choices(request, lang), fields={lvl: forms.record_fields(lvl) for lvl in ("teacher", "school")},
                   row_fields=forms.row_fields, initial_rows=[str(i) for i in range(forms.INITIAL_ROWS)],
                   importers=[{"name": n, "title": views.text(getattr(i, "title", n), lang)} for n, i in sorted(importers.items())],
                   chosen=request.query_params.get("ruleset") or "", as_of=today(request).isoformat(),
                   mode=request.query_params.get("mode") or "form", level=request.query_params.get("level") or "teacher",
                   values={}, pasted="", result=None, problem=None)
    context.update(extra)
    return context


@router.get("/try", response_class=HTMLResponse)
async def try_page(request: Request) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    return render(request, "try.html", **_try_context(request, lang))


@router.get("/try/row", response_class=HTMLResponse)
async def try_row(request: Request, level: str, key: str) -> Response:
    """One more empty row of a table field (htmx's 'add a row')."""
    auth.key_name(request)
    rows = forms.find_rows_field(level if level in ("teacher", "school") else "teacher", key)
    if rows is None:
        return render(request, "not_found.html", status=404)
    return render(request, "row.html", table=rows, row="r" + uuid.uuid4().hex[:8], values={})


@router.post("/try", response_class=HTMLResponse)
async def try_record(request: Request) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    settings = request.app.state.settings
    form = await read_form(request, settings.max_body_bytes)
    registry = loaded(request).registry
    chosen = str(form.get("ruleset") or "")
    mode = str(form.get("mode") or "form")
    level = "school" if form.get("level") == "school" else "teacher"
    as_of, bad_day = parse_day(str(form.get("as_of") or ""), today(request))
    values = {k: unechoed(v) for k, v in form.multi_items() if isinstance(v, str)}
    context = _try_context(request, lang, chosen=chosen, as_of=as_of.isoformat(), mode=mode, level=level,
                           values=values, pasted=unechoed(str(form.get("json") or "")))
    try:
        if bad_day is not None:
            raise bad(lang, "as_of", "not_a_date", value=bad_day)
        evaluator = registry.evaluator(chosen, as_of)
        if mode == "json":
            result = await run_in_threadpool(_evaluate_json, evaluator, str(form.get("json") or ""), as_of, lang)
        elif mode == "upload":
            result = await _evaluate_upload(request, form, evaluator, as_of, lang)
        else:
            record = forms.read_record(level, form.multi_items())
            result = await run_in_threadpool(_evaluate_record, evaluator, level, record, as_of, lang)
        context["result"] = result
    except (KaoheError, Problem) as exc:
        context["problem"] = problem_view(exc, lang)
    status = 422 if context["problem"] else 200
    if request.headers.get("hx-request") == "true":
        return render(request, "result.html", status=200, **context)  # htmx swaps only the answer
    return render(request, "try.html", status=status, **context)


def _teacher_result(evaluator, teacher, as_of: dt.date, lang: str) -> dict:
    result = evaluator.teacher(teacher, as_of)
    compiled = evaluator.ruleset
    return {"kind": "teacher", "ruleset": explain.ruleset_header(compiled, lang), "as_of": as_of.isoformat(),
            "teacher": _with_names(explain.teacher_dict(result, lang, "full"), teacher)}


def _with_names(entry: dict, record) -> dict:
    out = dict(entry)
    out["name"] = getattr(record, "name", None)
    return out


def _dataset_result(evaluator, dataset, as_of: dt.date, lang: str, notes: list[str] | None = None) -> dict:
    evaluation = evaluator.dataset(dataset, as_of)
    out = explain.evaluation_dict(evaluation, lang, "full")
    for school, record in zip(out["schools"], dataset.schools):
        school["teachers"] = [_with_names(t, r) for t, r in zip(school["teachers"], record.teachers)]
    out.update(kind="dataset", notes=notes or [])
    return out


def _evaluate_record(evaluator, level: str, record: dict, as_of: dt.date, lang: str) -> dict:
    if level == "teacher":
        return _teacher_result(evaluator, teacher_from_data(record), as_of, lang)
    return _dataset_result(evaluator, dataset_from_data({"schools": [record]}), as_of, lang)


def _evaluate_json(evaluator, text: str, as_of: dt.date, lang: str) -> dict:
    if not text.strip():
        raise bad(lang, "json", "nothing_pasted")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise bad(lang, "json", "not_json", code="request.malformed_json", why=exc) from None
    if isinstance(data, dict) and "school_id" in data and "schools" not in data:
        return _teacher_result(evaluator, teacher_from_data(data), as_of, lang)
    if isinstance(data, dict) and not ({"schools", "regions", "records_version"} & set(data)):
        data = {"schools": [data]}  # one school
    return _dataset_result(evaluator, dataset_from_data(data), as_of, lang)


async def _evaluate_upload(request: Request, form: FormData, evaluator, as_of: dt.date, lang: str) -> dict:
    importers = loaded(request).importers
    name = str(form.get("importer") or "")
    importer = importers.get(name)
    if importer is None:
        raise KaoheError(f"importer: {words(lang)['no_importer'].format(name=name)}", code="import.unknown_importer",
                         hint=f"available: {', '.join(sorted(importers)) or 'none'}")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise bad(lang, "file", "no_file")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise bad(lang, "file", "not_csv_xlsx", name=upload.filename)
    raw = await upload_bytes(upload, "file", request.app.state.settings.max_body_bytes)
    import_day, bad_day = parse_day(str(form.get("date") or ""), as_of)
    if bad_day is not None:
        raise bad(lang, "date", "not_a_date", value=bad_day)
    options = {"school_id": str(form.get("school_id") or "").strip() or None,
               "date": import_day.isoformat() if form.get("date") else None,
               "secret": os.environ.get("KAOHE_ID_SECRET", "")}

    def work() -> dict:
        with tempfile.TemporaryDirectory(prefix="kaohe-console-") as folder:
            path = Path(folder) / ("export" + suffix)
            path.write_bytes(raw)
            table = read_table(path, list(importer.columns))
            try:
                imported = importer.read(table.rows, options)
            except ValueError as exc:
                raise InputFormatError(f"{upload.filename}: {exc}") from None
        notes = [words(lang)["imported"].format(n=len(imported.records), rows=len(table.rows))] + list(imported.warnings)
        return _dataset_result(evaluator, dataset_from_data(list(imported.records)), as_of, lang, notes)

    return await run_in_threadpool(work)


# ---- what if -----------------------------------------------------------------------------------

@router.get("/whatif", response_class=HTMLResponse)
async def whatif_page(request: Request, ruleset: str | None = None) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    return render(request, "whatif.html", **_whatif_context(request, lang, ruleset))


def _whatif_context(request: Request, lang: str, chosen: str | None, **extra) -> dict:
    registry = loaded(request).registry
    choices = ruleset_choices(request, lang)
    chosen = chosen if chosen in registry.ids() else (choices[0]["id"] if choices else "")
    day = today(request)
    parameters = views.parameter_rows(views.pick_revision(registry, chosen, None, day), lang) if chosen else []
    context = dict(rulesets=choices, chosen=chosen, as_of=day.isoformat(), parameters=parameters, set_values={},
                   impact=None, problem=None, chart=None)
    context.update(extra)
    return context


@router.post("/whatif", response_class=HTMLResponse)
async def whatif(request: Request) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    settings = request.app.state.settings
    form = await read_form(request, settings.max_simulation_bytes)
    registry = loaded(request).registry
    chosen = str(form.get("ruleset") or "")
    as_of, bad_day = parse_day(str(form.get("as_of") or ""), today(request))
    context = _whatif_context(request, lang, chosen, as_of=as_of.isoformat())
    current = {p["name"]: p["raw"] for p in context["parameters"]}
    set_values = {name[4:]: str(value).strip() for name, value in form.multi_items()
                  if name.startswith("set.") and isinstance(value, str) and str(value).strip()}
    changed = {name: value for name, value in set_values.items() if current.get(name) != value}
    context["set_values"] = set_values
    try:
        if bad_day is not None:
            raise bad(lang, "as_of", "not_a_date", value=bad_day)
        baseline = registry.get(chosen, as_of)
        yaml_upload = await upload_text(form.get("changed_file"), "changed_file", settings.max_ruleset_bytes, lang)
        yaml_text = yaml_upload[1] if yaml_upload else (str(form.get("changed_yaml") or "").strip() or None)
        data_upload = await upload_text(form.get("dataset"), "dataset", settings.max_simulation_bytes, lang)
        if data_upload is None:
            raise bad(lang, "dataset", "no_file")
        if not changed and yaml_text is None:
            raise KaoheError(words(lang)["nothing_changed"], code="simulate.nothing_changed")
        typed = {}
        for name, value in changed.items():
            try:
                typed[name] = simulate.parse_value(baseline.resolved, name, value)
            except KaoheError as exc:
                raise KaoheError(f"{name}: {exc.message}", code=exc.code, hint=exc.hint) from None
            if isinstance(typed[name], dt.date):
                typed[name] = typed[name].isoformat()
        dataset = await run_in_threadpool(read_dataset, data_upload[0], data_upload[1])
        body = {"ruleset": chosen, "as_of": as_of.isoformat(), "set": typed,
                "schools": [s.model_dump(mode="json", exclude_defaults=True) for s in dataset.schools],
                "regions": [r.model_dump(mode="json", exclude_defaults=True) for r in dataset.regions]}
        if yaml_text is not None:
            body["changed_ruleset"] = yaml_text
        worker = request.app.state.worker
        if worker is None:
            raise Problem("service.not_ready", "the process that compiles rulesets is not running")
        answer = await worker.simulate(orjson.dumps(body), as_of, lang, str(uuid.uuid4()), False, settings.max_ruleset_bytes)
        context["impact"] = _impact_view(orjson.loads(answer.body), lang)
        context["chart"] = await run_in_threadpool(_chart, registry.evaluator(chosen, as_of), dataset, as_of, lang)
    except (KaoheError, Problem) as exc:
        context["problem"] = problem_view(exc, lang)
    if request.headers.get("hx-request") == "true":
        return render(request, "impact.html", **context)
    return render(request, "whatif.html", status=422 if context["problem"] else 200, **context)


def _impact_view(answer: dict, lang: str) -> dict:
    impact = answer["impact"]
    titles = {r["rule_id"]: views.text(r.get("title"), lang) for r in impact.get("by_rule", [])}
    impact["rule_titles"] = titles
    impact["answer"] = {k: answer.get(k) for k in ("decision_id", "baseline_revision", "changed_revision", "as_of", "warnings")}
    return impact


def _chart(evaluator, dataset, as_of: dt.date, lang: str) -> str:
    """The qualified-share chart of the revision in force, as a data: URL of its PNG (no state kept
    on the server, so any worker process can answer)."""
    evaluation = evaluator.dataset(dataset, as_of)
    with tempfile.TemporaryDirectory(prefix="kaohe-chart-") as folder:
        path = Path(folder) / "share.png"
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # no CJK font: labelled in English, said on the page
            reports.write_chart(evaluation, path, lang)
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# ---- diff --------------------------------------------------------------------------------------

@router.get("/diff", response_class=HTMLResponse)
async def diff_page(request: Request, a: str | None = None, b: str | None = None) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    registry = loaded(request).registry
    options = [{"value": f"{rid}@{c.revision}", "label": f"{rid} {c.resolved.version} · {c.revision}"
                + (f" ({c.resolved.effective_from}–{c.resolved.effective_until or '…'})")}
               for rid in registry.ids() for c in registry.revisions(rid)]
    context = dict(options=options, a=a or "", b=b or "", result=None, problem=None)
    if a and b:
        try:
            context["result"] = _diff(registry, _revision(registry, a, request), _revision(registry, b, request), lang)
        except KaoheError as exc:
            context["problem"] = problem_view(exc, lang)
    return render(request, "diff.html", **context)


@router.post("/diff", response_class=HTMLResponse)
async def diff_upload(request: Request) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    settings = request.app.state.settings
    form = await read_form(request, settings.max_ruleset_bytes + 64 * 1024)
    registry = loaded(request).registry
    a = str(form.get("a") or "")
    problem = result = None
    try:
        upload = await upload_text(form.get("changed_file"), "changed_file", settings.max_ruleset_bytes, lang)
        if upload is None:
            raise bad(lang, "changed_file", "no_file")
        with tempfile.TemporaryDirectory(prefix="kaohe-diff-") as folder:
            path = Path(folder) / "changed.yaml"
            path.write_text(upload[1], encoding="utf-8")
            old = _revision(registry, a, request)
            new = ruleset_diff.resolve_path(path, registry, today(request))
            result = _diff(registry, old, new, lang)
    except KaoheError as exc:
        problem = problem_view(exc, lang)
    options = [{"value": f"{rid}@{c.revision}", "label": f"{rid} {c.resolved.version} · {c.revision}"}
               for rid in registry.ids() for c in registry.revisions(rid)]
    return render(request, "diff.html", options=options, a=a, b="", result=result, problem=problem)


def _revision(registry, spec: str, request: Request):
    rid, _, revision = spec.partition("@")
    if rid not in registry.ids():
        raise KaoheError(f"no ruleset '{rid}' is loaded", code="ruleset.not_found")
    return views.pick_revision(registry, rid, revision or None, today(request)).resolved


def _diff(registry, old, new, lang: str) -> dict:
    found = ruleset_diff.diff(old, new)
    return {"text": found.text(lang), "data": found.to_dict(), "empty": found.empty}


# ---- open questions ----------------------------------------------------------------------------

@router.get("/questions", response_class=HTMLResponse)
async def questions_page(request: Request, ruleset: str | None = None, decider: str | None = None) -> Response:
    auth.key_name(request)
    lang = page_language(request)
    registry = loaded(request).registry
    ruleset = ruleset if ruleset in registry.ids() else None
    found = questions.register(registry, ruleset).questions
    deciders = sorted({q.decided_by[lang] for q in questions.register(registry).questions})
    shown = [q for q in found if not decider or q.decided_by[lang] == decider]
    rows = []
    for q in shown:
        row = q.to_dict()
        row["value_text"] = views.value_text(q.value, q.unit, lang)
        rows.append(row)
    return render(request, "questions.html", rows=rows, ruleset=ruleset or "", decider=decider or "",
                  deciders=deciders, rulesets=registry.ids())


def compile_templates() -> None:
    """Compile every template once, at start-up, as rulesets are: the first visitor waits for nothing."""
    for name in TEMPLATES.env.list_templates(extensions=["html"]):
        TEMPLATES.env.get_template(name)
