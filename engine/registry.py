"""The loaded rulesets: every revision of every id, each resolved and compiled once.

A ruleset id may have several revisions (documents with the same id and different effective
periods). `get(id, as_of)` picks the revision in force on that day; nothing is compiled there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .compiler import CompiledRuleset, compile_ruleset
from .errors import Diagnostic, Location, NoRevisionInForce, RulesetError, UnknownRuleset
from .evaluation import Evaluator
from .extensions import Catalogue, Extensions, Primitive, check_primitive
from .language import Document, read_document, read_path, resolve
from .sources import is_sources_file


@dataclass
class Entry:
    document: Document
    origin: str  # which plugin or path contributed it
    compiled: CompiledRuleset | None = None
    evaluator: Evaluator | None = None
    problems: list[Diagnostic] = field(default_factory=list)


class Registry:
    def __init__(self, extensions: Extensions | None = None) -> None:
        self._entries: dict[str, list[Entry]] = {}
        self.extensions = extensions or Extensions()
        self.problems: list[tuple[str, RulesetError]] = []  # (origin, error) of rulesets that did not load

    # -- what plugins add to the language
    def add_catalogue(self, catalogue: Catalogue) -> None:
        existing = self.extensions.catalogues.get(catalogue.namespace)
        if existing is not None:
            raise RulesetError([Diagnostic("catalogue.duplicate",
                                           f"catalogue {catalogue.namespace} is already loaded from {existing.origin}",
                                           Location(catalogue.origin))])
        self.extensions.catalogues[catalogue.namespace] = catalogue

    def add_primitive(self, primitive: Primitive) -> None:
        from .measures import PRIMITIVES

        check_primitive(primitive)
        if primitive.name in PRIMITIVES or primitive.name in self.extensions.primitives:
            raise ValueError(f"measure primitive '{primitive.name}' already exists")
        self.extensions.primitives[primitive.name] = primitive

    # -- loading
    def add_text(self, text: str, file: str, origin: str = "") -> Document:
        return self.add_document(read_document(text, file), origin)

    def add_path(self, path: Path | str, origin: str = "") -> list[Document]:
        path = Path(path)
        files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        documents = [read_path(f) for f in files]
        return [self.add_document(doc, origin or doc.file) for doc in documents if not is_sources_file(doc.data)]

    def add_document(self, doc: Document, origin: str = "") -> Document:
        rid = doc.data.get("id")
        if not isinstance(rid, str):
            raise RulesetError([Diagnostic("ruleset.missing_field", "missing 'id'", doc.where())])
        start = (doc.data.get("effective") or {}).get("from")
        for existing in self._entries.get(rid, []):
            if (existing.document.data.get("effective") or {}).get("from") == start:
                raise RulesetError([Diagnostic(
                    "ruleset.duplicate_id",
                    f"ruleset '{rid}' effective from {start} is already loaded from {existing.origin or existing.document.file}",
                    doc.where("id"))])
        self._entries.setdefault(rid, []).append(Entry(doc, origin))
        return doc

    def compile_all(self) -> list[tuple[str, RulesetError]]:
        """Resolve and compile every revision not yet compiled; a broken one is set aside, not fatal."""
        for rid, entries in self._entries.items():
            for entry in entries:
                if entry.compiled is not None or entry.problems:
                    continue
                try:
                    resolved = resolve(entry.document, lambda pid, e=entry: self._parent(pid, e))
                    entry.compiled = compile_ruleset(resolved, extensions=self.extensions)
                    entry.evaluator = Evaluator(entry.compiled)
                except RulesetError as exc:
                    entry.problems = exc.diagnostics
                    self.problems.append((entry.origin or entry.document.file, exc))
        return self.problems

    def _parent(self, parent_id: str, child: Entry) -> Document | None:
        candidates = self._entries.get(parent_id, [])
        if not candidates:
            return None
        start = (child.document.data.get("effective") or {}).get("from")
        for entry in candidates:
            effective = entry.document.data.get("effective") or {}
            if start and str(effective.get("from", "")) <= str(start) and (
                    not effective.get("until") or str(start) <= str(effective["until"])):
                return entry.document
        return candidates[-1].document

    # -- lookup
    def ids(self) -> list[str]:
        return sorted(rid for rid, entries in self._entries.items() if any(e.compiled for e in entries))

    def revisions(self, rid: str) -> list[CompiledRuleset]:
        entries = self._entries.get(rid)
        if not entries:
            raise UnknownRuleset(f"no ruleset '{rid}' is loaded", hint=f"loaded: {', '.join(self.ids()) or 'none'}")
        out = [e.compiled for e in entries if e.compiled is not None]
        return sorted(out, key=lambda c: c.resolved.effective_from or dt.date.min)

    def get(self, rid: str, as_of: dt.date | None = None) -> CompiledRuleset:
        return self._entry(rid, as_of).compiled

    def evaluator(self, rid: str, as_of: dt.date | None = None) -> Evaluator:
        return self._entry(rid, as_of).evaluator

    def _entry(self, rid: str, as_of: dt.date | None) -> Entry:
        day = as_of or dt.date.today()
        entries = [e for e in self._entries.get(rid, []) if e.compiled is not None]
        if not entries:
            broken = self._entries.get(rid)
            if broken:
                raise UnknownRuleset(f"ruleset '{rid}' did not load: {broken[0].problems[0] if broken[0].problems else 'not compiled'}")
            raise UnknownRuleset(f"no ruleset '{rid}' is loaded", hint=f"loaded: {', '.join(self.ids()) or 'none'}")
        for entry in entries:
            if entry.compiled.in_force(day):
                return entry
        periods = ", ".join(_period(e.compiled) for e in entries)
        raise NoRevisionInForce(f"no revision of '{rid}' is in force on {day.isoformat()}",
                                hint=f"revisions cover: {periods}; pass another as-of date")


def _period(compiled: CompiledRuleset) -> str:
    start, end = compiled.resolved.effective_from, compiled.resolved.effective_until
    return f"{start or '…'} – {end or '…'}"
