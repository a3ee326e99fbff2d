"""The contract between kaohe and its plugins: every hook a plugin may implement is here.

A jurisdiction plugin is a module, shipped in a distribution that names it under the ``kaohe``
entry-point group, that implements some of these hooks with ``@hookimpl``. kaohe's own
jurisdictions (`kaohe.plugins.jurisdictions.*`) are plugins of exactly this form.

Every hook is a *collecting* hook: kaohe calls it once, while building the registry (never at
import time), with a ``register`` callback, and every implementation is called. Whatever a plugin
registers is checked there; a problem is reported with the plugin's name and the other plugins
keep working. `tests/plugins/test_hookspecs.py` fails when a hook here is missing from
`docs/plugins.md` or has no `test_hook_<name>`.
"""

from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "kaohe"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def kaohe_register_rulesets(register: Callable[..., None]) -> None:
    """Contribute YAML rulesets.

    Call ``register(source)`` for each ruleset file the plugin ships, where ``source`` is a path, a
    folder of ``*.yaml`` files, or an ``importlib.resources`` traversable; or
    ``register(text=..., name=...)`` for a ruleset held in memory. A ruleset may ``extends:`` one
    from another plugin. Two rulesets with the same id and the same effective start are refused.
    Returns nothing.

    Example::

        @hookimpl
        def kaohe_register_rulesets(register):
            register(importlib.resources.files(__package__) / "zhanjiang.yaml")
    """


@hookspec
def kaohe_register_catalogues(register: Callable[..., None]) -> None:
    """Contribute ability-point (能力点) catalogues as data.

    Call ``register(source)`` like ``kaohe_register_rulesets``, with a catalogue YAML file::

        catalogue: GD            # the namespace: codes are GD:B1, never a bare B1
        title: {zh: …, en: …}
        complete: false          # does the list hold every point? if not, an unlisted GD code needs review
        rejected_patterns: ["T[0-9]+"]   # codes that are never 2.0 points (1.0-era topics)
        entries:
          - {code: B1, name: 跨学科学习活动设计, source: "004_…txt 十、提交个人总结", verified: true}

    Rulesets use a catalogue through the ``catalogue`` measure primitive. One namespace may be
    registered once. Returns nothing.
    """


@hookspec
def kaohe_register_measure_primitives(register: Callable[..., None]) -> None:
    """Contribute a general-purpose measure primitive (a new kind of aggregate).

    Call ``register(name, result_type, build, doc="")``. ``result_type`` is one of number, bool,
    string, date, list, so `kaohe lint` can type-check rules that use the measure.
    ``build(body, context)`` runs once when a ruleset compiles: ``body`` is what the ruleset wrote
    under the primitive's name, ``context`` a `kaohe.engine.extensions.PrimitiveContext` (level,
    parameters, ``items(collection)`` and ``where(mapping, collection)`` helpers). It returns
    ``value(record, members)``, or ``(value, detail)`` with ``detail(record, members, value)``
    returning a JSON-ready dict of how the value came about; it raises ValueError for a body it
    cannot use. Primitives must be pure: the same record gives the same value. Returns nothing.

    Example::

        @hookimpl
        def kaohe_register_measure_primitives(register):
            def build(body, context):
                items = context.items(body["of"])
                return lambda record, members=None: max((e.hours for e in items(record, members)), default=0)
            register("max_hours", "number", build, doc="the longest single activity")
    """


@hookspec
def kaohe_register_importers(register: Callable[..., None]) -> None:
    """Contribute importers that turn a platform's export into kaohe records.

    Call ``register(importer)`` with an object that has ``name`` (e.g. ``guangdong-review-list``),
    ``title`` ({zh, en}), ``columns`` (the headers it reads, in the export's own words), and
    ``read(rows, options) -> ImportResult`` where ``rows`` are dicts keyed by those headers
    (kaohe reads CSV and XLSX and checks the headers first) and the result holds the records
    (JSON-ready dicts of the record format) plus warnings for what the export cannot tell.
    ID-card numbers in an export are never stored or echoed whole. Returns nothing.
    """
