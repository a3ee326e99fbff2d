"""What the pages show, built from the engine's objects: plain dicts the templates only lay out.

The ruleset page is the living policy document of `kaohe doc` (the same requirement wording,
parameter inputs and citations, from the policy-document tool), arranged for the screen and with
what `kaohe doc` leaves out: which parameters a child ruleset overrides, each revision's period,
and the open questions beside the parameters they concern.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kaohe.engine import CompiledRuleset, Rule
from kaohe.tools import policydoc, questions

LEVELS = ("teacher", "school", "region")


def text(value: Any, lang: str) -> str:
    """Bilingual ruleset text in `lang` (the other language when one is missing)."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or value.get("en") or "")
    return "" if value is None else str(value)


def value_text(value: Any, unit: str | None, lang: str) -> str:
    shown = policydoc._value(value, lang)
    if unit and not isinstance(value, (bool, list, tuple, dict)):
        shown += unit if lang == "zh" else f" {unit}"
    return shown


def period(compiled: CompiledRuleset) -> tuple[str | None, str | None]:
    r = compiled.resolved
    return (r.effective_from.isoformat() if r.effective_from else None,
            r.effective_until.isoformat() if r.effective_until else None)


def revision_rows(registry, rid: str, today: dt.date, lang: str) -> list[dict]:
    rows = []
    for compiled in registry.revisions(rid):
        start, end = period(compiled)
        rows.append({"revision": compiled.revision, "version": compiled.resolved.version, "from": start, "until": end,
                     "in_force": compiled.in_force(today), "title": text(compiled.resolved.title, lang)})
    return rows


def ruleset_rows(registry, today: dt.date, lang: str) -> list[dict]:
    """One row per ruleset id: the revision in force today (else the newest), and how many there are."""
    rows = []
    for rid in registry.ids():
        revisions = registry.revisions(rid)
        current = next((c for c in revisions if c.in_force(today)), revisions[-1])
        r = current.resolved
        start, end = period(current)
        rows.append({"id": rid, "title": text(r.title, lang), "version": r.version, "revision": current.revision,
                     "from": start, "until": end, "in_force": current.in_force(today), "revisions": len(revisions),
                     "extends": r.lineage[1] if len(r.lineage) > 1 else None,
                     "jurisdiction": text((r.jurisdiction or {}).get("name"), lang),
                     "rules": len(current.all_rules())})
    return rows


def pick_revision(registry, rid: str, revision: str | None, today: dt.date) -> CompiledRuleset:
    """The named revision, else the one in force today, else the newest. Unknown id: UnknownRuleset."""
    revisions = registry.revisions(rid)
    if revision:
        for compiled in revisions:
            if compiled.revision == revision:
                return compiled
    return next((c for c in revisions if c.in_force(today)), revisions[-1])


def _citation(compiled: CompiledRuleset, cite: dict | None, lang: str) -> dict | None:
    if not cite:
        return None
    source = compiled.resolved.sources.get(cite.get("source"), {}) or {}
    return {"source": cite.get("source"), "title": source.get("title") or cite.get("document") or cite.get("source"),
            "number": source.get("number"), "date": str(source.get("date") or "") or None,
            "clause": cite.get("clause"), "quote": cite.get("quote"), "seed": cite.get("seed") or source.get("seed")}


def overrides(compiled: CompiledRuleset, lang: str) -> list[dict]:
    """Parameters the ruleset's own document sets that a parent also sets: the child's value wins."""
    documents = compiled.resolved.documents
    if len(documents) < 2:
        return []
    own = documents[0].data.get("parameters") or {}
    out = []
    for name, spec in own.items():
        parent = next((d for d in documents[1:] if name in (d.data.get("parameters") or {})), None)
        if parent is None:
            continue
        parent_spec = parent.data["parameters"][name] or {}
        merged = compiled.resolved.parameters.get(name, {})
        unit = merged.get("unit")
        out.append({"name": name, "title": text(merged.get("title"), lang), "parent": parent.id,
                    "parent_value": value_text(parent_spec.get("value"), unit, lang),
                    "value": value_text(compiled.parameters.get(name, merged.get("value")), unit, lang),
                    "value_changed": "value" in (spec or {}) and (spec or {}).get("value") != parent_spec.get("value")})
    return out


def _parameter(compiled: CompiledRuleset, name: str, own: set[str], overridden: set[str], lang: str) -> dict:
    resolved = compiled.resolved
    spec = resolved.parameters[name]
    origin = resolved.origins.get(("parameter", name))
    defined_in = origin.document.id if origin is not None else resolved.id
    decider = spec.get("decided_by")
    return {"name": name, "title": text(spec.get("title"), lang), "unit": spec.get("unit"),
            "value": value_text(compiled.parameters.get(name, spec.get("value")), spec.get("unit"), lang),
            "cite": _citation(compiled, spec.get("cite"), lang),
            "question": text(spec.get("question"), lang) if spec.get("question") else None,
            "reading": text(spec.get("reading"), lang) if spec.get("reading") else None,
            "decided_by": (text(decider, lang) if decider else text(questions.department(resolved.jurisdiction), lang))
            if spec.get("question") else None,
            "decided_by_default": not decider,
            "overridden": name in overridden, "inherited_from": None if name in own else defined_in}


def _rule(compiled: CompiledRuleset, rule: Rule, own: set[str], overridden: set[str], lang: str) -> dict:
    resolved = compiled.resolved
    spec = policydoc.rule_spec(compiled, rule.id)
    expected = spec.get("expected")
    if expected:
        requirement = policydoc._template(text(expected, lang), compiled, lang)
    else:
        try:
            requirement = rule.expected_fn({})[lang]
        except Exception:  # a requirement derived from values: the condition says it
            requirement = ""
    explain_fail = (spec.get("explain") or {}).get("fail")
    params, measures = policydoc.rule_inputs(compiled, rule)
    origin = resolved.origins.get(("rule", rule.id))
    return {"id": rule.id, "anchor": policydoc._anchor(rule.id), "title": text(rule.title, lang),
            "severity": rule.severity, "requirement": requirement, "condition": str(spec.get("require", "")),
            "applies_when": str(spec["applies_when"]) if spec.get("applies_when") else None,
            "explain_fail": policydoc._template(text(explain_fail, lang), compiled, lang) if explain_fail else None,
            "remedy": policydoc._template(text(spec["remedy"], lang), compiled, lang) if spec.get("remedy") else None,
            "citation": _citation(compiled, rule.citation, lang),
            "measures": [{"name": m, "title": text(resolved.measures[m].get("title"), lang)} for m in measures],
            "parameters": [_parameter(compiled, p, own, overridden, lang) for p in params],
            "defined_in": origin.document.id if origin is not None else resolved.id}


def ruleset_document(compiled: CompiledRuleset, lang: str) -> dict:
    """The ruleset as its policy document, for the ruleset page."""
    resolved = compiled.resolved
    own = set((resolved.documents[0].data.get("parameters") or {}) if resolved.documents else resolved.parameters)
    found_overrides = overrides(compiled, lang)
    overridden = {o["name"] for o in found_overrides}
    levels = []
    for level in LEVELS:
        rules = compiled.rules.get(level) or []
        if rules:
            levels.append({"level": level, "pass": compiled.label(level, "pass", lang),
                           "fail": compiled.label(level, "fail", lang),
                           "rules": [_rule(compiled, r, own, overridden, lang) for r in rules]})
    start, end = period(compiled)
    sources = []
    for sid, source in resolved.sources.items():
        sources.append({"id": sid, "title": source.get("title"), "number": source.get("number"),
                        "date": str(source.get("date") or "") or None, "seed": source.get("seed")})
    return {"id": resolved.id, "title": text(resolved.title, lang), "version": resolved.version,
            "revision": compiled.revision, "from": start, "until": end,
            "jurisdiction": text((resolved.jurisdiction or {}).get("name"), lang),
            "lineage": list(resolved.lineage[1:]), "sources": sources, "levels": levels,
            "overrides": found_overrides,
            "questions": [q.to_dict() for q in questions.open_questions([compiled])]}


def parameter_rows(compiled: CompiledRuleset, lang: str) -> list[dict]:
    """Every parameter with its current value, for the what-if form."""
    out = []
    for name, spec in compiled.resolved.parameters.items():
        value = compiled.parameters.get(name, spec.get("value"))
        if isinstance(value, dt.date):
            raw = value.isoformat()
        elif isinstance(value, bool):
            raw = "true" if value else "false"
        elif isinstance(value, (list, tuple, dict, int, float)):  # as `kaohe simulate --set` reads it back
            raw = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
        else:
            raw = str(value)
        out.append({"name": name, "title": text(spec.get("title"), lang), "unit": spec.get("unit"),
                    "value": value_text(value, spec.get("unit"), lang), "raw": raw,
                    "question": bool(spec.get("question"))})
    return out
