"""`kaohe lint`: every problem of a ruleset in one pass, as file:line:column breadcrumbs.

Linting reads and compiles; it never evaluates and never executes anything the ruleset says.
A ruleset that `extends` another is checked against the parents the registry knows (the built-in
and plugin rulesets) plus the other files linted with it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .compiler import compile_ruleset
from .errors import Diagnostic, Location, RulesetError
from .extensions import Extensions, read_catalogue
from .language import Document, read_document, read_path, resolve
from .sources import is_sources_file


def lint_documents(documents: list[Document], known: dict[str, Document] | None = None,
                   extensions=None) -> list[Diagnostic]:
    """Diagnostics (errors and warnings) for each document, resolving parents among `documents` and `known`;
    `extensions` are the plugins' primitives and catalogues the rulesets may use."""
    by_id: dict[str, Document] = dict(known or {})
    out: list[Diagnostic] = []
    seen: dict[str, Document] = {}
    for doc in documents:
        rid = doc.data.get("id")
        if isinstance(rid, str):
            if rid in seen and (seen[rid].data.get("effective") or {}).get("from") == (doc.data.get("effective") or {}).get("from"):
                out.append(Diagnostic("ruleset.duplicate_id", f"ruleset id '{rid}' is also defined in {seen[rid].file}",
                                      doc.where("id")))
            seen[rid] = doc
            by_id[rid] = doc
    for doc in documents:
        shape: list[Diagnostic] = []
        try:
            resolved = resolve(doc, by_id.get, keep_going=shape)
            out.extend(shape)
            compiled = compile_ruleset(resolved, extensions=extensions)
            out.extend(compiled.warnings)
            out.extend(unreachable_requirements(compiled))
            out.extend(stale_numbers(compiled))
        except RulesetError as exc:
            out.extend(d for d in shape + exc.all if d not in out)
    return out


def lint_text(text: str, file: str = "<ruleset>", known: dict[str, Document] | None = None,
              extensions=None) -> list[Diagnostic]:
    try:
        doc = read_document(text, file)
    except RulesetError as exc:
        return list(exc.diagnostics)
    return lint_documents([doc], known, extensions)


def lint_paths(paths: list[str | Path], known: dict[str, Document] | None = None, extensions=None) -> list[Diagnostic]:
    documents, out = [], []
    for path in paths:
        path = Path(path)
        if not path.exists():
            out.append(Diagnostic("ruleset.unreadable", "no such file or folder", Location(path.as_posix())))
            continue
        files = sorted(path.rglob("*.yaml")) + sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            try:
                doc = read_path(file)
                if is_sources_file(doc.data):  # rulesets/sources.yaml: the documents citations point at
                    continue
                if "catalogue" in doc.data and "kaohe" not in doc.data:  # an ability-point catalogue
                    catalogue = read_catalogue(doc.text, doc.file, origin=doc.file)
                    extensions = _with_catalogue(extensions, catalogue)
                    continue
                documents.append(doc)
            except RulesetError as exc:
                out.extend(exc.diagnostics)
    return out + lint_documents(documents, known, extensions)


def _with_catalogue(extensions, catalogue):
    """The known extensions plus a catalogue linted alongside (it wins over an installed one)."""
    merged = Extensions(dict(extensions.primitives), dict(extensions.catalogues)) if extensions else Extensions()
    merged.catalogues[catalogue.namespace] = catalogue
    return merged


# ---- checks of what a variant changed ---------------------------------------------------------

_AT_LEAST = re.compile(r"^\s*(?P<measure>[a-z][a-z0-9_]*)\s*(?P<op>>=|>)\s*(?P<bound>[a-z][a-z0-9_]*|\d+(?:\.\d+)?)\s*$")


def _number(value, params):
    """A parameter name or a literal, as a number (None if it is neither)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value in params and isinstance(params[value], (int, float)) and not isinstance(params[value], bool):
        return params[value], value
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, None


def _owner(compiled, *named) -> tuple:
    """Where to report: the first named parameter the linted document itself sets, else None."""
    own = compiled.resolved.documents[0] if compiled.resolved.documents else None
    for name in named:
        origin = compiled.resolved.origins.get(("parameter", name)) if name else None
        if origin is not None and origin.document is own:
            return name, compiled.resolved.where("parameter", name, "value")
    return None, None


def unreachable_requirements(compiled) -> list[Diagnostic]:
    """A rule asking a capped measure for more than its cap fails every record: say so where the
    requirement (or the cap) was written. Reads each `require` conjunct of the form `M >= X`."""
    resolved, params = compiled.resolved, compiled.parameters
    out = []
    for spec in resolved.rules:
        require = spec.get("require")
        if not isinstance(require, str):
            continue
        for i, part in enumerate(re.split(r"\band\b", require)):
            found = _AT_LEAST.match(part)
            measure = resolved.measures.get(found["measure"]) if found else None
            body = measure.get("sum") if isinstance(measure, dict) else None
            if not isinstance(body, dict) or "cap" not in body:
                continue
            cap, cap_name = _number(body["cap"], params)
            wanted, wanted_name = _number(found["bound"], params)
            if cap is None or wanted is None:
                continue
            if wanted < cap or (wanted == cap and found["op"] == ">="):
                continue
            _, where = _owner(compiled, wanted_name, cap_name)
            where = where or resolved.where("rule", spec["id"], "require")
            m, op, cap_text = found["measure"], found["op"], f"{_plain(cap)}" + (f" ({cap_name})" if cap_name else "")
            wanted_text = f"{_plain(wanted)}" + (f" ({wanted_name})" if wanted_name else "")
            out.append(Diagnostic(
                "ruleset.unreachable",
                f"rule '{spec['id']}' can never pass: it requires {m} {op} {wanted_text}, but {m} is capped at {cap_text}",
                where, f"raise the cap with the requirement, or keep the requirement at most {_plain(cap)}",
                message_zh=f"规则 '{spec['id']}' 永远无法通过: 要求 {m} {op} {wanted_text}, 但 {m} 最多只记 {cap_text}",
                hint_zh=f"同时提高上限, 或把要求保持在 {_plain(cap)} 以内"))
    return out


def _plain(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _strings(value, path=()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, path + (i,))


def stale_numbers(compiled) -> list[Diagnostic]:
    """Inherited wording that states a number the variant has changed ("累计25学时" in a 30-hour
    variant): in the changed parameter's own title and citation, and in the inherited rules that
    read it. Placeholders ({name}) follow the value; written-out numbers do not."""
    resolved = compiled.resolved
    if len(resolved.documents) < 2:
        return []
    own, parents = resolved.documents[0], resolved.documents[1:]
    changed = {}
    for name, spec in (own.data.get("parameters") or {}).items():
        if not isinstance(spec, dict) or "value" not in spec:
            continue
        before = next((p.data["parameters"][name].get("value") for p in parents
                       if isinstance((p.data.get("parameters") or {}).get(name), dict)), None)
        now = spec["value"]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (before, now)) and before != now:
            changed[name] = (before, now)
    out = []
    for name, (before, now) in changed.items():
        pattern = re.compile(rf"(?<![\d.]){re.escape(_plain(before))}(?![\d.])")
        places = []
        param_origin = resolved.origins.get(("parameter", name))
        inherited_spec = next(p.data["parameters"][name] for p in parents
                              if isinstance((p.data.get("parameters") or {}).get(name), dict))
        for key in ("title", "cite"):
            if key not in (own.data["parameters"][name] or {}):
                places += [(("parameter", name), (key,) + path, text) for path, text in _strings(inherited_spec.get(key))]
        for spec in resolved.rules:
            origin = resolved.origins.get(("rule", spec["id"]))
            if origin is None or origin.document is own or not re.search(rf"\b{name}\b", str(spec)):
                continue
            places += [(("rule", spec["id"]), path, text) for path, text in _strings(
                {k: v for k, v in spec.items() if k not in ("id", "require", "applies_when", "review_when", "actual", "gap")})]
        for (kind, ident), path, text in places:
            if not pattern.search(text):
                continue
            where = resolved.where(kind, ident, *path)
            what = "quote" if path and path[-1] == "quote" else "text"
            out.append(Diagnostic(
                "ruleset.stale_number",
                f"inherited {what} of {kind} '{ident}' states {_plain(before)}, but this variant sets {name} to {_plain(now)}: \"{text}\"",
                where, "override the text here (a placeholder like {" + name + "} follows the value), or cite this variant's own document",
                severity="warning",
                message_zh=f"继承的{'引文' if what == 'quote' else '文字'} ({'参数' if kind == 'parameter' else '规则'} '{ident}') 写的是 {_plain(before)}, "
                           f"但本规则集把 {name} 改成了 {_plain(now)}: “{text}”",
                hint_zh="在本文件中改写这段文字 (用占位符 {" + name + "} 会随取值变化), 或引用本地自己的文件"))
    return out
