"""What plugins add to the language: measure primitives and ability-point catalogues.

The engine knows only these two shapes; plugins (see `kaohe.plugins.hookspecs`) fill them in. A
primitive declares its result type, so `kaohe lint` type-checks rules that use it like any
built-in one. A catalogue is data: codes namespaced by catalogue (`GD:B1` is not `NAT:B1`), each
entry with its source and whether a source confirmed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import yamlsafe
from .errors import Diagnostic, Location, RulesetError
from .expressions import TYPES

_NAMESPACE = re.compile(r"^[A-Z][A-Z0-9]*$")


@dataclass(frozen=True)
class PrimitiveContext:
    """What a primitive's builder may use: the level, the parameters, and kaohe's own filters."""

    level: str
    params: dict
    items: Callable[[str], Callable]  # collection name -> getter(record, members) of its items
    where: Callable[[Any, str], Callable]  # (where-mapping, collection name) -> predicate(item)


@dataclass(frozen=True)
class Primitive:
    """A measure primitive contributed by a plugin.

    `build(body, context)` runs once at compile time and returns `value(record, members)` (or a
    pair `(value, detail)` where `detail(record, members, value)` says how the value came about).
    It raises ValueError with a message for a body it cannot use.
    """

    name: str
    result_type: str
    build: Callable
    doc: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class CatalogueEntry:
    code: str  # namespaced: GD:B1
    name: str
    source: str
    verified: bool
    environment: str | None = None
    dimension: str | None = None


@dataclass
class Catalogue:
    namespace: str
    title: dict
    complete: bool  # every point of the catalogue is listed
    entries: dict[str, CatalogueEntry]
    rejected_patterns: tuple = ()  # codes that are never points of this programme (e.g. 1.0 topics T1–T27)
    origin: str = ""

    def classify(self, code: str) -> str:
        """known | unverified | unlisted (not listed in an incomplete catalogue) | outside."""
        entry = self.entries.get(code)
        if entry is not None:
            return "known" if entry.verified else "unverified"
        namespace, _, bare = code.partition(":")
        if namespace != self.namespace or not bare:
            return "outside"
        if any(re.fullmatch(p, bare) for p in self.rejected_patterns):
            return "outside"
        return "outside" if self.complete else "unlisted"


@dataclass
class Extensions:
    primitives: dict[str, Primitive] = field(default_factory=dict)
    catalogues: dict[str, Catalogue] = field(default_factory=dict)


def read_catalogue(text: str, file: str, origin: str = "") -> Catalogue:
    """A catalogue YAML file → Catalogue; RulesetError naming every problem."""
    data, marks = yamlsafe.load(text, file)
    problems: list[Diagnostic] = []

    def err(message, *path):
        problems.append(Diagnostic("catalogue.invalid", message, marks.locate(file, path)))

    if not isinstance(data, dict):
        raise RulesetError([Diagnostic("catalogue.invalid", "a catalogue file must be a YAML mapping", Location(file, 1, 1))])
    namespace = data.get("catalogue")
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        err("'catalogue' must be an upper-case namespace such as GD or NAT", "catalogue")
    title = data.get("title")
    if not isinstance(title, dict) or not title.get("zh") or not title.get("en"):
        err("'title' needs zh and en", "title")
    if not isinstance(data.get("complete"), bool):
        err("'complete' must be true or false: does this list hold every point of the catalogue?", "complete")
    entries: dict[str, CatalogueEntry] = {}
    for i, raw in enumerate(data.get("entries") or []):
        if not isinstance(raw, dict):
            err("an entry is a mapping with code, name, source and verified", "entries", i)
            continue
        for key in ("code", "name", "source"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                err(f"entry needs '{key}'", "entries", i)
        if not isinstance(raw.get("verified"), bool):
            err("entry needs 'verified: true|false' (true only where a source confirms it)", "entries", i)
        unknown = set(raw) - {"code", "name", "source", "verified", "environment", "dimension", "note"}
        if unknown:
            err(f"unknown field(s) {', '.join(sorted(unknown))}", "entries", i)
        code = f"{namespace}:{raw.get('code')}"
        if code in entries:
            err(f"code {code} is listed twice", "entries", i, "code")
        entries[code] = CatalogueEntry(code, str(raw.get("name")), str(raw.get("source")), raw.get("verified") is True,
                                       raw.get("environment"), raw.get("dimension"))
    patterns = data.get("rejected_patterns") or []
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except (re.error, TypeError):
            err(f"'{pattern}' is not a valid pattern", "rejected_patterns", i)
    if problems:
        raise RulesetError(problems)
    return Catalogue(namespace, title, data["complete"], entries, tuple(patterns), origin)


def check_primitive(primitive: Primitive) -> None:
    if primitive.result_type not in TYPES:
        raise ValueError(f"primitive '{primitive.name}': result type must be one of {', '.join(TYPES)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", primitive.name):
        raise ValueError(f"primitive name '{primitive.name}' must be lower_snake_case")
