"""What changed between two ruleset revisions, in policy terms.

`diff(a, b)` compares two resolved (or compiled) rulesets and reports changed parameters (old →
new value), rules added, removed, reworded or with a changed condition, citations, measures,
sources and the effective period. A compiled ruleset is compared by the parameter values it was
compiled with, so a ruleset compiled with overrides shows those overrides.

The result is plain data (`RulesetDiff.to_dict()`, both languages) and a report a person reads
(`RulesetDiff.text(lang)`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from kaohe.engine import (LANGS, CompiledRuleset, KaoheError, NoRevisionInForce, Resolved, UnknownRuleset, format_value,
                          read_path, render_title, resolve)

# A rule's wording (what people read) and its logic (what decides); `cite` is reported on its own.
RULE_WORDING = ("title", "explain", "remedy", "expected", "not_applicable", "note")
RULE_LOGIC = ("level", "severity", "require", "applies_when", "actual", "gap")
PARAMETER_TEXT = ("title", "unit", "question", "reading", "decided_by", "note", "type")


@dataclass(frozen=True)
class FieldChange:
    """One changed leaf, e.g. `explain.fail.zh` or `require`."""

    path: str
    old: Any
    new: Any

    def to_dict(self) -> dict:
        return {"path": self.path, "old": _plain(self.old), "new": _plain(self.new)}


@dataclass
class ParameterChange:
    name: str
    change: str  # added | removed | changed
    title: dict
    unit: str | None
    old: Any  # the value as JSON has it (lists, ISO dates); None when added
    new: Any  # the value; None when removed
    fields: list[FieldChange] = field(default_factory=list)  # question, reading, title … (value and cite aside)

    @property
    def value_changed(self) -> bool:
        return self.change != "changed" or _plain(self.old) != _plain(self.new)

    def to_dict(self) -> dict:
        return {"name": self.name, "change": self.change, "title": self.title, "unit": self.unit,
                "old": _plain(self.old), "new": _plain(self.new), "value_changed": self.value_changed,
                "fields": [f.to_dict() for f in self.fields]}


@dataclass
class RuleChange:
    id: str
    change: str  # added | removed | changed
    level: str
    title: dict  # the new title (the old one when removed)
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def reworded(self) -> bool:
        return any(f.path.split(".")[0] in RULE_WORDING for f in self.fields)

    @property
    def condition_changed(self) -> bool:
        return any(f.path.split(".")[0] in RULE_LOGIC for f in self.fields)

    def to_dict(self) -> dict:
        return {"id": self.id, "change": self.change, "level": self.level, "title": self.title,
                "reworded": self.reworded, "condition_changed": self.condition_changed,
                "fields": [f.to_dict() for f in self.fields]}


@dataclass
class CitationChange:
    kind: str  # rule | parameter
    name: str
    old: dict | None
    new: dict | None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "old": self.old, "new": self.new}


@dataclass
class NamedChange:
    """A measure or a source: added, removed or changed, with the changed leaves."""

    name: str
    change: str
    title: dict | None
    fields: list[FieldChange] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "change": self.change, "title": self.title, "fields": [f.to_dict() for f in self.fields]}


@dataclass
class RulesetDiff:
    a: dict  # header: id, version, revision, title
    b: dict
    header: list[FieldChange]  # id, version, title, jurisdiction
    effective: FieldChange | None
    parameters: list[ParameterChange]
    rules: list[RuleChange]
    citations: list[CitationChange]
    measures: list[NamedChange]
    sources: list[NamedChange]
    labels: list[FieldChange]

    @property
    def empty(self) -> bool:
        return not (self.header or self.effective or self.parameters or self.rules or self.citations
                    or self.measures or self.sources or self.labels)

    def to_dict(self) -> dict:
        return {
            "a": self.a, "b": self.b, "identical": self.empty,
            "header": [f.to_dict() for f in self.header],
            "effective": self.effective.to_dict() if self.effective else None,
            "parameters": [p.to_dict() for p in self.parameters],
            "rules": [r.to_dict() for r in self.rules],
            "citations": [c.to_dict() for c in self.citations],
            "measures": [m.to_dict() for m in self.measures],
            "sources": [s.to_dict() for s in self.sources],
            "labels": [f.to_dict() for f in self.labels],
        }

    def text(self, lang: str = "zh") -> str:
        return diff_text(self, lang)


# ---- comparing ----------------------------------------------------------------------------------

def diff(a: Resolved | CompiledRuleset, b: Resolved | CompiledRuleset) -> RulesetDiff:
    """How revision `b` differs from revision `a`."""
    ra, rb = _resolved(a), _resolved(b)
    va, vb = {k: _plain(v) for k, v in _values(a).items()}, {k: _plain(v) for k, v in _values(b).items()}
    header = []
    for name, old, new in (("id", ra.id, rb.id), ("version", ra.version, rb.version), ("title", ra.title, rb.title),
                           ("jurisdiction", ra.jurisdiction, rb.jurisdiction)):
        header.extend(_leaves(old, new, name))
    old_period = [_plain(ra.effective_from), _plain(ra.effective_until)]
    new_period = [_plain(rb.effective_from), _plain(rb.effective_until)]
    effective = FieldChange("effective", old_period, new_period) if old_period != new_period else None

    parameters, citations = [], []
    for name in _union(ra.parameters, rb.parameters):
        old, new = ra.parameters.get(name), rb.parameters.get(name)
        spec = new or old
        title, unit = spec.get("title") or {"zh": name, "en": name}, spec.get("unit")
        if old is None:
            parameters.append(ParameterChange(name, "added", title, unit, None, vb[name]))
            continue
        if new is None:
            parameters.append(ParameterChange(name, "removed", title, unit, va[name], None))
            continue
        fields = []
        for key in PARAMETER_TEXT:
            fields.extend(_leaves(old.get(key), new.get(key), key))
        if _plain(va[name]) != _plain(vb[name]) or fields:
            parameters.append(ParameterChange(name, "changed", title, unit, va[name], vb[name], fields))
        if old.get("cite") != new.get("cite"):
            citations.append(CitationChange("parameter", name, old.get("cite"), new.get("cite")))

    rules = []
    old_rules = {r["id"]: r for r in ra.rules}
    new_rules = {r["id"]: r for r in rb.rules}
    for rule_id in _union(old_rules, new_rules):
        old, new = old_rules.get(rule_id), new_rules.get(rule_id)
        spec = new or old
        title = render_title(spec.get("title") or {"zh": rule_id, "en": rule_id}, vb if new is not None else va)
        if old is None or new is None:
            rules.append(RuleChange(rule_id, "added" if old is None else "removed", spec.get("level", ""), title))
            continue
        fields = []
        for key in RULE_LOGIC + RULE_WORDING:
            fields.extend(_leaves(old.get(key), new.get(key), key))
        if fields:
            rules.append(RuleChange(rule_id, "changed", spec.get("level", ""), title, fields))
        if old.get("cite") != new.get("cite"):
            citations.append(CitationChange("rule", rule_id, old.get("cite"), new.get("cite")))

    measures = _named(ra.measures, rb.measures)
    sources = _named(ra.sources, rb.sources)
    labels = _leaves(ra.labels, rb.labels, "labels")
    return RulesetDiff(_header(ra), _header(rb), header, effective, parameters, rules, citations, measures, sources, labels)


def _resolved(x: Resolved | CompiledRuleset) -> Resolved:
    if isinstance(x, CompiledRuleset):
        return x.resolved
    if isinstance(x, Resolved):
        return x
    raise TypeError(f"diff compares rulesets (Resolved or CompiledRuleset), not {type(x).__name__}")


def _values(x: Resolved | CompiledRuleset) -> dict[str, Any]:
    """Parameter values: as compiled (overrides included) for a compiled ruleset, else as written."""
    resolved = _resolved(x)
    out = {name: spec.get("value") for name, spec in resolved.parameters.items()}
    if isinstance(x, CompiledRuleset):
        out.update(x.parameters)
    return out


def _header(resolved: Resolved) -> dict:
    return {"id": resolved.id, "version": resolved.version, "revision": resolved.revision, "title": resolved.title}


def _union(a: dict, b: dict) -> list[str]:
    """Keys of a in order, then keys only b has."""
    return list(a) + [k for k in b if k not in a]


def _named(old_map: dict, new_map: dict) -> list[NamedChange]:
    out = []
    for name in _union(old_map, new_map):
        old, new = old_map.get(name), new_map.get(name)
        spec = new if new is not None else old
        title = spec.get("title") if isinstance(spec, dict) else None
        if old is None or new is None:
            out.append(NamedChange(name, "added" if old is None else "removed", title))
            continue
        fields = _leaves(old, new, "")
        if fields:
            out.append(NamedChange(name, "changed", title, fields))
    return out


def _leaves(old: Any, new: Any, path: str) -> list[FieldChange]:
    """Changed leaves of two nested values; mappings are walked, everything else compared whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in _union(old, new):
            sub = f"{path}.{key}" if path else str(key)
            out.extend(_leaves(old.get(key), new.get(key), sub))
        return out
    if _plain(old) == _plain(new):
        return []
    return [FieldChange(path, old, new)]


def _plain(value: Any) -> Any:
    """A value as JSON has it, so a date and its ISO text, or a tuple and a list, compare equal."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


# ---- loading what to compare ---------------------------------------------------------------------

def resolve_path(path, registry=None, as_of: dt.date | None = None) -> Resolved:
    """A ruleset file, not loaded in the registry, resolved against the registry's rulesets as parents.

    A parent is the revision in force on `as_of` (the newest one if none is), so a changed copy of
    a child ruleset resolves exactly as the original does.
    """
    def find_parent(parent_id: str):
        if registry is None:
            return None
        try:
            return registry.get(parent_id, as_of).resolved.documents[0]
        except NoRevisionInForce:
            return registry.revisions(parent_id)[-1].resolved.documents[0]
        except UnknownRuleset:
            return None

    return resolve(read_path(path), find_parent)


def load_revision(spec: str, registry, as_of: dt.date | None = None) -> Resolved:
    """`spec` is a loaded ruleset id (the revision in force on `as_of`) or the path of a YAML file."""
    from pathlib import Path

    if spec.endswith((".yaml", ".yml")) or "/" in spec or Path(spec).is_file():
        if not Path(spec).is_file():
            raise KaoheError(f"{spec}: no such ruleset file", code="diff.not_found")
        return resolve_path(spec, registry, as_of)
    return registry.get(spec, as_of).resolved


# ---- the readable report ------------------------------------------------------------------------

_WORDS = {
    "zh": {
        "title": "规则集差异", "from": "原修订", "to": "新修订", "identical": "两个修订在政策上没有差别。",
        "header": "基本信息", "effective": "生效期间", "parameters": "参数", "rules": "规则", "citations": "依据",
        "measures": "计量方法", "sources": "来源文件", "labels": "结论用语",
        "added": "新增", "removed": "删除", "changed": "修改", "reworded": "措辞修改", "condition": "判定条件修改",
        "open": "至今", "none": "无", "rule": "规则", "parameter": "参数", "value": "取值",
    },
    "en": {
        "title": "Ruleset differences", "from": "from revision", "to": "to revision",
        "identical": "The two revisions do not differ in policy.",
        "header": "Header", "effective": "Effective period", "parameters": "Parameters", "rules": "Rules",
        "citations": "Citations", "measures": "Measures", "sources": "Sources", "labels": "Verdict wording",
        "added": "added", "removed": "removed", "changed": "changed", "reworded": "reworded",
        "condition": "condition changed", "open": "open", "none": "none", "rule": "rule", "parameter": "parameter",
        "value": "value",
    },
}


def _text(value: Any, lang: str) -> str:
    """A value in a sentence: bilingual text in `lang`, lists joined, mappings as compact JSON."""
    if isinstance(value, dict) and set(value) <= set(LANGS) and value:
        return str(value.get(lang) or next(iter(value.values())))
    if isinstance(value, dict):
        return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)
    return format_value(value, lang)


def _with_unit(value: Any, unit: str | None, lang: str) -> str:
    text = _text(value, lang)
    if unit and value is not None and not isinstance(value, (bool, list, tuple)):
        text += unit if lang == "zh" or unit == "%" else f" {unit}"
    return text


def _period(period: list, lang: str) -> str:
    start, end = period
    return f"{start or '…'} – {end or _WORDS[lang]['open']}"


def _cite_text(cite: dict | None, lang: str) -> str:
    if not cite:
        return _WORDS[lang]["none"]
    quote = cite.get("quote")
    text = f"{cite.get('source', '')} {cite.get('clause', '')}".strip()
    if quote:
        text += f" “{quote}”" if lang == "zh" else f' "{quote}"'
    return text


def _shown(fields: list[FieldChange], lang: str) -> list[FieldChange]:
    """Leaves in `lang`, and language-neutral ones; the other language only when it alone changed."""
    other = [l for l in LANGS if l != lang]
    mine = [f for f in fields if f.path.split(".")[-1] not in other]
    bases = {f.path.rsplit(".", 1)[0] for f in mine if f.path.split(".")[-1] == lang}
    rest = [f for f in fields if f.path.split(".")[-1] in other and f.path.rsplit(".", 1)[0] not in bases]
    return mine + rest


def _field_line(f: FieldChange, lang: str, indent: str) -> str:
    return f"{indent}{f.path}: {_text(f.old, lang)} → {_text(f.new, lang)}"


def diff_text(d: RulesetDiff, lang: str = "zh") -> str:
    w = _WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    lines = [f"{w['title']}{sep}{d.a['title'][lang]} ({d.a['id']} {d.a['version']})",
             f"{w['from']} {d.a['revision']} → {w['to']} {d.b['revision']}", ""]
    if d.empty:
        lines.append(w["identical"])
        return "\n".join(lines) + "\n"
    if d.header:
        lines.append(w["header"])
        lines.extend(_field_line(f, lang, "  ") for f in _shown(d.header, lang))
        lines.append("")
    if d.effective:
        lines.append(f"{w['effective']}{sep}{_period(d.effective.old, lang)} → {_period(d.effective.new, lang)}")
        lines.append("")
    if d.parameters:
        lines.append(w["parameters"])
        for p in d.parameters:
            head = f"  {p.name} ({p.title[lang]})"
            if p.change == "added":
                lines.append(f"{head} [{w['added']}]{sep}{_with_unit(p.new, p.unit, lang)}")
            elif p.change == "removed":
                lines.append(f"{head} [{w['removed']}]{sep}{_with_unit(p.old, p.unit, lang)}")
            elif p.value_changed:
                lines.append(f"{head}{sep}{_with_unit(p.old, p.unit, lang)} → {_with_unit(p.new, p.unit, lang)}")
            else:
                lines.append(f"{head}{sep}{w['value']} {_with_unit(p.new, p.unit, lang)}")
            lines.extend(_field_line(f, lang, "    ") for f in _shown(p.fields, lang))
        lines.append("")
    if d.rules:
        lines.append(w["rules"])
        for r in d.rules:
            if r.change in ("added", "removed"):
                lines.append(f"  {r.id} ({r.title[lang]}) [{w[r.change]}]")
                continue
            kinds = [w[k] for k, on in (("condition", r.condition_changed), ("reworded", r.reworded)) if on]
            lines.append(f"  {r.id} ({r.title[lang]}) [{', '.join(kinds) if lang == 'en' else '、'.join(kinds)}]")
            lines.extend(_field_line(f, lang, "    ") for f in _shown(r.fields, lang))
        lines.append("")
    if d.citations:
        lines.append(w["citations"])
        for c in d.citations:
            lines.append(f"  {w[c.kind]} {c.name}{sep}{_cite_text(c.old, lang)} → {_cite_text(c.new, lang)}")
        lines.append("")
    for key, items in (("measures", d.measures), ("sources", d.sources)):
        if not items:
            continue
        lines.append(w[key])
        for m in items:
            title = f" ({_text(m.title, lang)})" if m.title else ""
            lines.append(f"  {m.name}{title} [{w[m.change]}]")
            lines.extend(_field_line(f, lang, "    ") for f in _shown(m.fields, lang))
        lines.append("")
    if d.labels:
        lines.append(w["labels"])
        lines.extend(_field_line(f, lang, "  ") for f in _shown(d.labels, lang))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["diff", "diff_text", "load_revision", "resolve_path", "RulesetDiff", "ParameterChange", "RuleChange", "CitationChange", "NamedChange",
           "FieldChange"]
