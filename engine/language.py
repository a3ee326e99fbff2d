"""The ruleset document: its shape, its checks, and how `extends` merges a child into its parent.

This module reads YAML into plain data and reports every problem it finds, with file, line and
column. It knows nothing of durable_rules or of records; `compiler` turns a merged document into
something that evaluates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import yamlsafe
from .errors import Diagnostic, Location, RulesetError
from .expressions import suggest

LANGUAGE_VERSION = 1
LEVELS = ("teacher", "school", "region")
SEVERITIES = ("required", "advisory")
LANGS = ("zh", "en")
_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_.-]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

TOP_LEVEL = {"kaohe", "id", "version", "title", "jurisdiction", "extends", "effective", "sources", "labels",
             "parameters", "measures", "rules", "description"}
PARAMETER_KEYS = {"value", "type", "unit", "title", "cite", "question", "reading", "decided_by", "note"}
RULE_KEYS = {"id", "level", "title", "severity", "applies_when", "require", "review_when", "actual", "expected", "gap",
             "explain", "remedy", "cite", "remove", "note", "not_applicable"}


@dataclass
class Document:
    """One ruleset file as written, before inheritance."""

    data: dict
    marks: yamlsafe.Marks
    file: str
    text: str

    @property
    def id(self) -> str:
        return self.data.get("id", "")

    def where(self, *path, breadcrumb: str = "") -> Location:
        return self.marks.locate(self.file, tuple(path), breadcrumb)


@dataclass
class Origin:
    """Where a merged entry came from, so errors in inherited rules point at the parent file."""

    document: Document
    path: tuple

    def location(self, *more) -> Location:
        return self.document.where(*(self.path + more))


@dataclass
class Resolved:
    """A ruleset with its parents merged in: what the compiler sees."""

    id: str
    version: str
    title: dict
    jurisdiction: dict
    effective_from: dt.date | None
    effective_until: dt.date | None
    sources: dict
    labels: dict
    parameters: dict[str, dict]
    measures: dict[str, dict]
    rules: list[dict]
    origins: dict = field(default_factory=dict)  # ("parameter"|"measure"|"rule", name) -> Origin
    lineage: tuple = ()  # this ruleset, then its parents
    documents: tuple = ()
    revision: str = ""

    def where(self, kind: str, name: str, *more) -> Location:
        origin = self.origins.get((kind, name))
        return origin.location(*more) if origin else Location(self.lineage[0] if self.lineage else "?")


def read_document(text: str, file: str) -> Document:
    data, marks = yamlsafe.load(text, file)
    if not isinstance(data, dict):
        raise RulesetError([Diagnostic("ruleset.not_a_mapping", "a ruleset file must be a YAML mapping", Location(file, 1, 1))])
    return Document(data, marks, file, text)


def read_path(path: Path | str) -> Document:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError([Diagnostic("ruleset.unreadable", f"cannot read ruleset: {exc}", Location(str(path)))]) from None
    return read_document(text, path.as_posix())


# ---- checks of one document --------------------------------------------------------------

def check_document(doc: Document) -> list[Diagnostic]:
    """Shape checks that need no other file: keys, types, translations, citations."""
    out: list[Diagnostic] = []
    data = doc.data

    def err(code, message, *path, hint=None, severity="error"):
        out.append(Diagnostic(code, message, doc.where(*path), hint, severity))

    version = data.get("kaohe")
    if version is None:
        err("ruleset.missing_field", "missing 'kaohe: 1' (the ruleset language version)")
    elif not isinstance(version, int) or version > LANGUAGE_VERSION:
        err("ruleset.language_version",
            f"this ruleset is written for kaohe language version {version}; this kaohe reads version {LANGUAGE_VERSION}",
            "kaohe", hint="it needs a newer kaohe")
        return out  # everything else would be noise
    for key in data:
        if key not in TOP_LEVEL:
            err("ruleset.unknown_field", f"unknown field '{key}'", key, hint=suggest(key, TOP_LEVEL))
    rid = data.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        err("ruleset.invalid_id", "'id' must be lower-case letters, digits and '-' (e.g. guangdong)", "id")
    for key in ("version",):
        if not isinstance(data.get(key), (str, int, float)):
            err("ruleset.missing_field", f"missing '{key}'", key)
    _check_text(data.get("title"), ("title",), err, required=True)
    if "jurisdiction" not in data:
        err("ruleset.missing_field", "missing 'jurisdiction'")
    elif not isinstance(data["jurisdiction"], dict) or "name" not in data["jurisdiction"]:
        err("ruleset.invalid_field", "'jurisdiction' needs a name (zh and en) and a level", "jurisdiction")
    else:
        _check_text(data["jurisdiction"].get("name"), ("jurisdiction", "name"), err, required=True)
    if "extends" in data and not isinstance(data["extends"], str):
        err("ruleset.invalid_field", "'extends' names one parent ruleset by id", "extends")
    effective = data.get("effective")
    if effective is None and "extends" not in data:
        err("ruleset.missing_field", "missing 'effective' (the period this ruleset is in force)")
    elif effective is not None:
        if not isinstance(effective, dict) or "from" not in effective:
            err("ruleset.invalid_field", "'effective' needs 'from' (and optionally 'until') dates", "effective")
        else:
            for key in effective:
                if key not in ("from", "until"):
                    err("ruleset.unknown_field", f"unknown field '{key}' in effective", "effective", key)
            for key in ("from", "until"):
                if key in effective and effective[key] is not None and parse_date(effective[key]) is None:
                    err("ruleset.invalid_date", f"'{effective[key]}' is not a date (YYYY-MM-DD)", "effective", key)
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        err("ruleset.invalid_field", "'sources' maps a short id to a document (title, number, seed)", "sources")
    else:
        for sid, source in sources.items():
            if not isinstance(source, dict) or "title" not in source:
                err("ruleset.invalid_field", f"source '{sid}' needs a title", "sources", sid)
    params = data.get("parameters", {})
    if not isinstance(params, dict):
        err("ruleset.invalid_field", "'parameters' must be a mapping of name → definition", "parameters")
        params = {}
    for name, spec in params.items():
        if not _NAME.match(str(name)):
            err("ruleset.invalid_name", f"parameter name '{name}' must be lower_snake_case", "parameters", name)
        if not isinstance(spec, dict) or "value" not in spec:
            err("ruleset.invalid_field", f"parameter '{name}' needs a 'value'", "parameters", name)
            continue
        for key in spec:
            if key not in PARAMETER_KEYS:
                err("ruleset.unknown_field", f"unknown field '{key}' in parameter '{name}'", "parameters", name, key,
                    hint=suggest(key, PARAMETER_KEYS))
        if spec.get("type") == "date" and parse_date(spec["value"]) is None:
            err("ruleset.invalid_date", f"'{spec['value']}' is not a date (YYYY-MM-DD)", "parameters", name, "value")
        if spec.get("type") not in (None, "date", "number", "string", "bool", "list", "table"):
            err("ruleset.invalid_field", f"unknown parameter type '{spec.get('type')}'", "parameters", name, "type")
        if "extends" not in data or "title" in spec:
            _check_text(spec.get("title"), ("parameters", name, "title"), err, required="extends" not in data)
            _check_cite(spec.get("cite"), ("parameters", name, "cite"), err, required="extends" not in data)
        if ("question" in spec) != ("reading" in spec):
            err("ruleset.missing_field", f"parameter '{name}' has a question without a reading (or the reverse); "
                "write both: the open question and the reading chosen", "parameters", name)
        for key in ("question", "reading"):
            if key in spec:
                _check_text(spec[key], ("parameters", name, key), err, required=True)
    measures = data.get("measures", {})
    if not isinstance(measures, dict):
        err("ruleset.invalid_field", "'measures' must be a mapping of name → definition", "measures")
        measures = {}
    for name, spec in measures.items():
        if not _NAME.match(str(name)):
            err("ruleset.invalid_name", f"measure name '{name}' must be lower_snake_case", "measures", name)
        if not isinstance(spec, dict):
            err("ruleset.invalid_field", f"measure '{name}' must be a mapping", "measures", name)
            continue
        if spec.get("level") not in LEVELS:
            err("ruleset.invalid_field", f"measure '{name}' needs level: teacher, school or region", "measures", name)
        _check_text(spec.get("title"), ("measures", name, "title"), err, required=True)
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        err("ruleset.invalid_field", "'rules' must be a list", "rules")
        rules = []
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict) or "id" not in rule:
            err("ruleset.missing_field", "every rule needs an 'id'", "rules", i)
            continue
        rule_id = rule["id"]
        if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
            err("ruleset.invalid_id", f"rule id '{rule_id}' must be lower-case letters, digits, '.', '_' or '-'", "rules", i, "id")
        if rule_id in seen:
            err("ruleset.duplicate_id", f"rule id '{rule_id}' is used twice (first at rules[{seen[rule_id]}])", "rules", i, "id")
        seen[rule_id] = i
        for key in rule:
            if key not in RULE_KEYS:
                err("ruleset.unknown_field", f"unknown field '{key}' in rule '{rule_id}'", "rules", i, key,
                    hint=suggest(key, RULE_KEYS))
    return out


def _check_text(value, path, err, required: bool) -> None:
    if value is None:
        if required:
            err("ruleset.missing_translation", "missing text in Chinese (zh) and English (en)", *path)
        return
    if not isinstance(value, dict):
        err("ruleset.missing_translation", "text must be given as zh: … and en: …", *path)
        return
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            err("ruleset.missing_translation", f"missing the {'Chinese' if lang == 'zh' else 'English'} text ({lang})", *path)
    for key in value:
        if key not in LANGS:
            err("ruleset.unknown_field", f"unknown language '{key}' (use zh and en)", *path, key)


def _check_cite(value, path, err, required: bool) -> None:
    if value is None:
        if required:
            err("ruleset.missing_citation", "missing citation: cite: {source: …, clause: …}", *path[:-1])
        return
    if not isinstance(value, dict) or not value.get("source") or not value.get("clause"):
        err("ruleset.missing_citation", "a citation needs a source (an id under 'sources') and a clause", *path)


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# ---- inheritance ----------------------------------------------------------------------------

# Problems after which the document can still be merged and compiled, so that one lint pass
# reports them together with the compiler's findings.
NON_BLOCKING = {"ruleset.missing_citation", "ruleset.missing_translation", "ruleset.unknown_field",
                "ruleset.invalid_name"}


def resolve(doc: Document, find_parent, keep_going: list | None = None) -> Resolved:
    """Merge `doc` with its ancestors. `find_parent(id)` returns a Document or None.

    With `keep_going` (a list), problems that do not block compiling are appended to it instead
    of raised, so `lint` can report them alongside the compiler's."""
    chain: list[Document] = [doc]
    seen = {doc.id}
    diagnostics: list[Diagnostic] = []
    while "extends" in chain[-1].data:
        parent_id = chain[-1].data["extends"]
        if parent_id in seen:
            diagnostics.append(Diagnostic("ruleset.extends_cycle",
                                          "'extends' forms a cycle: " + " → ".join([d.id for d in chain] + [parent_id]),
                                          chain[-1].where("extends")))
            break
        parent = find_parent(parent_id)
        if parent is None:
            diagnostics.append(Diagnostic("ruleset.unknown_parent", f"'extends: {parent_id}': no such ruleset is loaded",
                                          chain[-1].where("extends")))
            break
        chain.append(parent)
        seen.add(parent_id)
    for d in chain:
        diagnostics.extend(check_document(d))
    if keep_going is not None and all(d.code in NON_BLOCKING for d in diagnostics):
        keep_going.extend(diagnostics)
        diagnostics = []
    if any(d.severity == "error" for d in diagnostics):
        raise RulesetError(diagnostics)

    origins: dict = {}
    parameters: dict[str, dict] = {}
    measures: dict[str, dict] = {}
    rules: dict[str, dict] = {}
    sources: dict = {}
    labels: dict = {}
    for d in reversed(chain):  # root first, so children override
        sources.update(d.data.get("sources", {}))
        for level, words in (d.data.get("labels") or {}).items():
            labels.setdefault(level, {}).update(words)
        for name, spec in (d.data.get("parameters") or {}).items():
            if d is not chain[-1]:
                problem = _check_override(d, name, spec, parameters)
                if problem is not None:
                    diagnostics.append(problem)
                    continue
            merged = dict(parameters.get(name, {}))
            merged.update(spec)
            parameters[name] = merged
            origins[("parameter", name)] = Origin(d, ("parameters", name))
        for name, spec in (d.data.get("measures") or {}).items():
            measures[name] = dict(spec)
            origins[("measure", name)] = Origin(d, ("measures", name))
        for i, rule in enumerate(d.data.get("rules") or []):
            if rule.get("remove"):
                if rule["id"] not in rules:
                    diagnostics.append(Diagnostic("ruleset.unknown_rule", f"cannot remove rule '{rule['id']}': the parent has no such rule",
                                                  d.where("rules", i, "id")))
                rules.pop(rule["id"], None)
                continue
            merged = dict(rules.get(rule["id"], {}))
            merged.update(rule)
            rules[rule["id"]] = merged
            origins[("rule", rule["id"])] = Origin(d, ("rules", i))
    if diagnostics:
        raise RulesetError(diagnostics)
    top = doc.data
    effective = top.get("effective") or {}
    resolved = Resolved(
        id=top["id"], version=str(top["version"]), title=top["title"], jurisdiction=top["jurisdiction"],
        effective_from=parse_date(effective.get("from")), effective_until=parse_date(effective.get("until")),
        sources=sources, labels=labels, parameters=parameters, measures=measures, rules=list(rules.values()),
        origins=origins, lineage=tuple(d.id for d in chain), documents=tuple(chain))
    resolved.revision = content_hash(resolved)
    return resolved


_KIND_WORDS = {"number": ("a number", "数字"), "string": ("text", "文字"), "bool": ("true or false", "true 或 false"),
               "list": ("a list", "列表"), "table": ("a table (mapping)", "表 (映射)"), "date": ("a date (YYYY-MM-DD)", "日期 (YYYY-MM-DD)"),
               "nothing": ("nothing", "空值")}


def value_kind(value: Any, declared: str | None = None) -> str:
    """The type a parameter value has, as the ruleset language names it."""
    if declared == "date":
        return "date" if parse_date(value) is not None else ("string" if isinstance(value, str) else value_kind(value))
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return "nothing"


def _check_override(doc: Document, name: str, spec: Any, inherited: dict[str, dict]) -> Diagnostic | None:
    """A child's parameter either overrides one its parents define, with a value of the same type,
    or declares a new one (with a title). Anything else is a mistake that would silently change
    nothing, or break a parent's rule far from where it was written."""
    parent = doc.data.get("extends")
    if name not in inherited:
        if isinstance(spec, dict) and "title" in spec:
            return None  # a new parameter of the child's own
        close = suggest(name, inherited)
        candidate = close.split("'")[1] if close else None
        return Diagnostic(
            "ruleset.unknown_name", f"parameter '{name}' overrides nothing: '{parent}' has no such parameter",
            _key_location(doc, ("parameters", name)), close or "a new parameter needs a title and a cite",
            message_zh=f"参数 '{name}' 没有覆盖任何参数: 上级规则集 '{parent}' 中没有这个参数",
            hint_zh=(f"是否想写 '{candidate}'？" if candidate else "新增参数须写 title 和 cite"))
    if not isinstance(spec, dict) or "value" not in spec:
        return None  # check_document reports it
    before = inherited[name]
    declared = spec.get("type") or before.get("type")
    wanted, got = value_kind(before.get("value"), declared), value_kind(spec["value"], declared)
    if wanted == got or wanted == "nothing":
        return None
    shown = spec["value"] if not isinstance(spec["value"], str) else f'"{spec["value"]}"'
    hint_en, hint_zh = f"write it like the parent's value: {_yaml_scalar(before.get('value'))}", None
    if wanted == "number" and isinstance(spec["value"], str):
        plain = spec["value"].strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", plain):
            hint_en, hint_zh = f"drop the quotes: value: {plain}", f"去掉引号: value: {plain}"
        else:
            hint_en = f"write the number in digits, without quotes, e.g. value: {_yaml_scalar(before.get('value'))}"
            hint_zh = f"用阿拉伯数字书写, 不加引号, 例如 value: {_yaml_scalar(before.get('value'))}"
    return Diagnostic(
        "ruleset.type_error",
        f"parameter '{name}' takes {_KIND_WORDS[wanted][0]} (as in '{parent}': {_yaml_scalar(before.get('value'))}), "
        f"but {shown} is {_KIND_WORDS[got][0]}",
        doc.where("parameters", name, "value"), hint_en,
        message_zh=f"参数 '{name}' 应为{_KIND_WORDS[wanted][1]} (上级规则集 '{parent}' 中为 {_yaml_scalar(before.get('value'))}), "
                   f"这里写的 {shown} 是{_KIND_WORDS[got][1]}",
        hint_zh=hint_zh or f"照上级规则集的写法: {_yaml_scalar(before.get('value'))}")


def _key_location(doc: Document, path: tuple) -> Location:
    """Where a mapping key is written (the marks hold where its value starts, maybe a line below)."""
    at = doc.where(*path)
    if at.line is None:
        return at
    lines = doc.text.splitlines()
    key = re.compile(rf"^(\s*)['\"]?{re.escape(str(path[-1]))}['\"]?\s*:")
    for number in range(min(at.line, len(lines)), 0, -1):
        found = key.match(lines[number - 1])
        if found:
            return Location(at.file, number, len(found.group(1)) + 1, at.path)
    return at


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (list, dict)) else str(value)


def content_hash(resolved: Resolved) -> str:
    """The revision: a hash of everything that can change a verdict or its wording."""
    payload = {
        "id": resolved.id, "version": resolved.version, "title": resolved.title,
        "effective": [str(resolved.effective_from), str(resolved.effective_until)],
        "sources": resolved.sources, "labels": resolved.labels, "parameters": resolved.parameters,
        "measures": resolved.measures, "rules": resolved.rules,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]
