"""The exact policy a decision was made under, as texts, and the registry rebuilt from them.

A compiled revision is kept as its ruleset file, every file it extends (its lineage) and every
ability-point catalogue that was loaded beside it, each addressed by the sha256 of its text. The
manifest naming them is addressed the same way, so a decision points at one immutable policy: if
the YAML on disk changes, or a plugin ships another catalogue, the old decision still re-runs on
what decided it. Measure primitives are code, not data: the manifest names them, and a replay uses
the installed plugin's (a replay that no longer reproduces its decision says so).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cached_property

import orjson

from kaohe.engine import Catalogue, CompiledRuleset, Registry, read_catalogue


@dataclass(frozen=True)
class PolicyText:
    kind: str  # ruleset | catalogue
    name: str
    content: str

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicyBundle:
    ruleset_id: str
    revision: str
    texts: tuple[PolicyText, ...]  # catalogues first, then the lineage from the root down
    primitives: tuple[str, ...] = ()

    @cached_property
    def manifest(self) -> bytes:
        return orjson.dumps({"ruleset": self.ruleset_id, "revision": self.revision,
                             "texts": [[t.kind, t.name, t.sha256] for t in self.texts],
                             "primitives": list(self.primitives)}, option=orjson.OPT_SORT_KEYS)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


def catalogue_text(catalogue: Catalogue) -> str:
    """A catalogue as JSON (which is YAML) that `read_catalogue` reads back to an equal catalogue."""
    prefix = catalogue.namespace + ":"
    entries = []
    for entry in catalogue.entries.values():
        item = {"code": entry.code[len(prefix):] if entry.code.startswith(prefix) else entry.code,
                "name": entry.name, "source": entry.source, "verified": entry.verified}
        if entry.environment is not None:
            item["environment"] = entry.environment
        if entry.dimension is not None:
            item["dimension"] = entry.dimension
        entries.append(item)
    data = {"catalogue": catalogue.namespace, "title": catalogue.title, "complete": catalogue.complete,
            "entries": entries, "rejected_patterns": list(catalogue.rejected_patterns)}
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode("utf-8")


_BUNDLES: dict[int, tuple[CompiledRuleset, PolicyBundle]] = {}
_LOCK = threading.Lock()


def bundle_of(compiled: CompiledRuleset) -> PolicyBundle:
    """The policy of a compiled revision; worked out once per compiled object."""
    found = _BUNDLES.get(id(compiled))
    if found is not None and found[0] is compiled:
        return found[1]
    catalogues = compiled.extensions.catalogues if compiled.extensions is not None else {}
    primitives = compiled.extensions.primitives if compiled.extensions is not None else {}
    texts = [PolicyText("catalogue", namespace, catalogue_text(catalogues[namespace])) for namespace in sorted(catalogues)]
    for document in reversed(compiled.resolved.documents):  # the root first
        texts.append(PolicyText("ruleset", document.file, document.text))
    bundle = PolicyBundle(compiled.id, compiled.revision, tuple(texts), tuple(sorted(primitives)))
    with _LOCK:
        _BUNDLES[id(compiled)] = (compiled, bundle)  # holds the compiled object: its id stays its own
    return bundle


def registry_of(bundle: PolicyBundle, installed=None) -> Registry:
    """The stored policy loaded and compiled, with the installed plugins' measure primitives
    (`installed`: the serving registry's extensions)."""
    registry = Registry()
    if installed is not None:
        registry.extensions.primitives.update(installed.primitives)
    for text in bundle.texts:
        if text.kind == "catalogue":
            registry.add_catalogue(read_catalogue(text.content, f"<stored catalogue {text.name}>", origin="decision store"))
    for text in bundle.texts:
        if text.kind == "ruleset":
            registry.add_text(text.content, text.name, origin="decision store")
    registry.compile_all()
    return registry
