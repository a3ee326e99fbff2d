"""GET /v1/rulesets, GET /v1/rulesets/{id}, POST /v1/rulesets/validate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from kaohe.engine.compiler import CompiledRuleset
from kaohe.engine.errors import UnknownRuleset
from kaohe.engine.records import Day
from kaohe.engine.registry import Registry

from ..deps import (ApiKeyDep, LanguageDep, RegistryDep, SettingsDep, TodayDep, WorkerDep, check_media_type,
                    content_language, read_limited_body)
from kaohe.engine.jsonio import dumps
from kaohe.engine import citation_fields, messages
from ..problems import Problem
from ..schemas import ProblemDetails, RulesetDetail, RulesetList, ValidationResult

router = APIRouter(prefix="/v1/rulesets", tags=["rulesets 规则集"])
_PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain", "application/json",
              "application/octet-stream")


def _json(obj: Any, lang: str) -> Response:
    return Response(dumps(obj), media_type="application/json",
                    headers={"Content-Language": content_language(lang), "Vary": "Accept-Language"})


def _text(value: Any, lang: str) -> Any:
    if isinstance(value, dict) and ("zh" in value or "en" in value):
        return value.get(lang) or value.get("zh") or value.get("en")
    return value


def _period(compiled: CompiledRuleset) -> dict:
    r = compiled.resolved
    return {"from": r.effective_from, "until": r.effective_until}


def _revisions(registry: Registry, rid: str, today: dt.date) -> list[dict]:
    return [{"revision": c.revision, "version": c.resolved.version, "effective": _period(c), "in_force_today": c.in_force(today)}
            for c in registry.revisions(rid)]


@router.get("", summary="规则集列表 List the loaded rulesets", response_model=RulesetList,
            responses={401: _PROBLEM})
async def list_rulesets(registry: RegistryDep, lang: LanguageDep, today: TodayDep, _key: ApiKeyDep) -> Response:
    out = []
    for rid in registry.ids():
        revisions = registry.revisions(rid)
        latest = revisions[-1].resolved
        out.append({"id": rid, "title": _text(latest.title, lang),
                    "jurisdiction": _text((latest.jurisdiction or {}).get("name"), lang),
                    "extends": latest.lineage[1] if len(latest.lineage) > 1 else None,
                    "revisions": _revisions(registry, rid, today)})
    return _json({"rulesets": out}, lang)


def _pick(registry: Registry, rid: str, as_of: dt.date | None, revision: str | None, today: dt.date) -> CompiledRuleset:
    revisions = registry.revisions(rid)  # UnknownRuleset → 404
    if not revisions:
        raise UnknownRuleset(f"ruleset '{rid}' did not load")
    if revision:
        for compiled in revisions:
            if compiled.revision == revision:
                return compiled
        raise Problem("ruleset.not_found", f"ruleset '{rid}' has no revision '{revision}'",
                      hint="revisions: " + ", ".join(c.revision for c in revisions))
    if as_of is not None:
        return registry.get(rid, as_of)  # NoRevisionInForce → 422
    for compiled in revisions:
        if compiled.in_force(today):
            return compiled
    return revisions[-1]


def _citation(cite: Any, sources: dict) -> dict | None:
    if not isinstance(cite, dict):
        return None
    out = {"source": cite.get("source"), **citation_fields(sources.get(cite.get("source"))), "clause": cite.get("clause")}
    if cite.get("quote"):
        out["quote"] = cite["quote"]
    return out


def ruleset_detail(compiled: CompiledRuleset, registry: Registry, lang: str, today: dt.date) -> dict:
    r = compiled.resolved
    specs = {spec.get("id"): spec for spec in r.rules}
    parameters = []
    for name, spec in r.parameters.items():
        parameters.append({
            "name": name, "title": _text(spec.get("title"), lang), "value": compiled.parameters.get(name, spec.get("value")),
            "type": compiled.parameter_types.get(name), "unit": _text(spec.get("unit"), lang),
            "question": _text(spec.get("question"), lang), "reading": _text(spec.get("reading"), lang),
            "citation": _citation(spec.get("cite"), r.sources)})
    measures = [{"name": m.name, "level": m.level, "title": _text(m.title, lang) or None,
                 "unit": _text(m.unit, lang) or None, "type": m.type}
                for level in ("teacher", "school", "region") for m in compiled.measures[level]]
    rules = []
    for rule in compiled.all_rules():
        spec = specs.get(rule.id, {})
        rules.append({"id": rule.id, "level": rule.level, "title": rule.title[lang], "severity": rule.severity,
                      "require": spec.get("require"), "applies_when": spec.get("applies_when"), "citation": rule.citation})
    return {"id": r.id, "version": r.version, "revision": r.revision, "title": _text(r.title, lang),
            "jurisdiction": _text((r.jurisdiction or {}).get("name"), lang), "lineage": list(r.lineage),
            "effective": _period(compiled), "sources": r.sources, "parameters": parameters, "measures": measures,
            "rules": rules, "revisions": _revisions(registry, r.id, today)}


@router.api_route("/validate", methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def validate_other_methods() -> Response:
    """`validate` is no ruleset id: any method but POST is answered 405, not read as GET /{ruleset_id}."""
    raise Problem("http.method_not_allowed", "POST /v1/rulesets/validate checks ruleset text; no other method is "
                  "allowed here", headers={"Allow": "POST"})


@router.get("/{ruleset_id}", summary="规则集详情 One ruleset: rules, parameters, citations, revisions",
            response_model=RulesetDetail, responses={401: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM,
                                                     405: {**_PROBLEM, "description": "`validate` is no ruleset id"}})
async def get_ruleset(
        ruleset_id: Annotated[str, Path(max_length=64, description="ruleset id, e.g. guangdong")],
        registry: RegistryDep, lang: LanguageDep, today: TodayDep, _key: ApiKeyDep,
        as_of: Annotated[Optional[Day], Query(description="the revision in force on this day")] = None,
        revision: Annotated[Optional[str], Query(max_length=64, description="a revision by its hash")] = None) -> Response:
    """Rules with titles and citations, parameters with value, unit, the open question of reading
    the policy and the reading chosen, measures, sources, and every revision's effective period.
    Without `as_of` or `revision`: the revision in force today, else the latest."""
    compiled = _pick(registry, ruleset_id, as_of, revision, today)
    return _json(ruleset_detail(compiled, registry, lang, today), lang)


_VALIDATE_DOC = {"requestBody": {"required": True, "description": "the ruleset, as YAML text",
                                 "content": {t: {"schema": {"type": "string"}} for t in ("application/yaml", "text/plain")}}}
_VALIDATE_DOC["requestBody"]["content"]["application/yaml"]["example"] = (
    "kaohe: 1\nid: zhanjiang\nextends: guangdong\nversion: \"2023.1\"\ntitle:\n  zh: 湛江市校本研修考核\n  en: Zhanjiang assessment\n"
    "jurisdiction:\n  level: city\n  name: {zh: 湛江市, en: Zhanjiang}\neffective:\n  from: \"2023-01-01\"\n"
    "parameters:\n  school_based_hours_required:\n    value: 30\n")


@router.post("/validate", summary="校验规则集 Check ruleset YAML (nothing is executed)", response_model=ValidationResult,
             responses={401: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM}, openapi_extra=_VALIDATE_DOC)
async def validate_ruleset(
        request: Request, settings: SettingsDep, worker: WorkerDep, lang: LanguageDep, _key: ApiKeyDep,
        file: Annotated[str, Query(max_length=200, pattern=r"^[^\x00-\x1f]*$",
                                   description="file name to use in the diagnostics")] = "ruleset.yaml") -> Response:
    """Every problem of the ruleset in one pass, each with line and column, as `kaohe lint`
    reports them. A ruleset that `extends` a loaded one is checked against it. The text is read
    and compiled in a separate process, never evaluated."""
    check_media_type(request, YAML_TYPES, ("+yaml", "+json"))
    raw = await read_limited_body(request, settings.max_ruleset_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        diagnostics = [{"code": "ruleset.unreadable", "severity": "error", "file": file, "line": None, "column": None,
                        "path": "", "message": f"not UTF-8 text (byte {exc.start})"}]
    else:
        diagnostics = await worker.lint(text, file)
    keys = ("code", "severity", "message", "file", "line", "column", "path", "hint")
    cleaned = [{k: d.get(k) for k in keys if k in d} for d in (messages.diagnostic_in(d, lang) for d in diagnostics)]
    errors = [d for d in cleaned if d.get("severity") == "error"]
    warnings = [d for d in cleaned if d.get("severity") != "error"]
    return _json({"valid": not errors, "errors": errors, "warnings": warnings}, lang)
