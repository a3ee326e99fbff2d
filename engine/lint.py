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
            out.extend(deadlines_without_due(resolved))
        except RulesetError as exc:
            out.extend(d for d in exc.all if d not in out)
    return out


# Words by which a policy text names a deadline: "8月30日前", "2023年底", "截止", "按期", "by 30 August" …
DEADLINE_WORDS = re.compile(r"\d{1,2}月\d{1,2}日前|\d{1,2}月(?:底|末)|年底|年末|截止|按期|逾期|期限|前(?:报送|备案|上报|完成)"
                            r"|\bdeadline\b|\bon time\b|\bby (?:the end|\d)", re.IGNORECASE)


def deadlines_without_due(resolved) -> list[Diagnostic]:
    """A rule whose text names a deadline but has no `due:` fails before the deadline comes; one whose
    `applies_when` reads `as_of` is a deadline copied by hand. Only rules this document writes are checked."""
    own = resolved.documents[0] if resolved.documents else None
    out = []
    for rule in resolved.rules:
        origin = resolved.origins.get(("rule", rule.get("id")))
        if "due" in rule or (own is not None and origin is not None and origin.document is not own):
            continue
        cite = rule.get("cite") if isinstance(rule.get("cite"), dict) else {}
        title = rule.get("title") if isinstance(rule.get("title"), dict) else {}
        texts = [str(title.get("zh", "")), str(title.get("en", "")), str(cite.get("quote", ""))]
        found = next((m.group(0) for m in map(DEADLINE_WORDS.search, texts) if m), None)
        where = resolved.where("rule", rule.get("id"))
        if found:
            out.append(Diagnostic("ruleset.deadline_without_due",
                                  f"rule '{rule.get('id')}' names a deadline (\"{found}\") but has no due date: before the "
                                  "deadline it would fail instead of being not yet due", where,
                                  "add due: <a date parameter> (and done_on: <a date measure> to say how late)", "warning"))
        elif "as_of" in str(rule.get("applies_when", "")):
            out.append(Diagnostic("ruleset.deadline_without_due",
                                  f"rule '{rule.get('id')}' decides by the as-of date in applies_when: a deadline written by "
                                  "hand reads \"not applicable\" where it means \"not yet due\"", where,
                                  "write due: <a date parameter> instead of applies_when: as_of …", "warning"))
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
