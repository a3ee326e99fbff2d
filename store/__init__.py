"""Decision records: every verdict kept with the input and the exact policy revision that decided it,
looked up, listed, exported and replayed for appeals. SQLite by default, PostgreSQL by URL.

Names load on first use (PEP 562): `kaohe` itself imports `kaohe.store.cli` without SQLAlchemy.
"""

from __future__ import annotations

import importlib

_SURFACE = {
    "DEFAULT_URL": "database", "Database": "database", "database_url": "database", "open_database": "database",
    "DecisionStore": "decisions", "DecisionFilter": "decisions", "Page": "decisions",
    "PolicyBundle": "policy", "bundle_of": "policy", "registry_of": "policy",
    "Recorder": "recorder",
}
__all__ = sorted(_SURFACE)


def __getattr__(name: str):
    module = _SURFACE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
