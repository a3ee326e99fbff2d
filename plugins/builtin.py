"""The jurisdictions kaohe ships: each ruleset under the ``kaohe.rulesets`` package."""

from __future__ import annotations

from importlib import resources

from .hookspecs import hookimpl


@hookimpl
def kaohe_register_rulesets(register):
    folder = resources.files("kaohe.rulesets")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            register(entry)
