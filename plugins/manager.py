"""Building the plugin manager and, from it, the registry of rulesets.

Nothing is loaded at import time: `plugin_manager()` and `build_registry()` are called by whoever
needs them (the CLI, the API's start-up, a test), and a broken plugin is reported by name while
the others keep working.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from kaohe.engine.errors import KaoheError, RulesetError
from kaohe.engine.registry import Registry

from . import hookspecs

DEFAULT_PLUGINS = ("kaohe.plugins.builtin",)


@dataclass
class PluginProblem:
    plugin: str
    reason: str


@dataclass
class Loaded:
    manager: pluggy.PluginManager
    registry: Registry
    problems: list[PluginProblem] = field(default_factory=list)


def plugin_manager(entry_points: bool = True, extra_modules: tuple[str, ...] = ()) -> tuple[pluggy.PluginManager, list[PluginProblem]]:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    problems: list[PluginProblem] = []
    for name in DEFAULT_PLUGINS + tuple(extra_modules):
        try:
            manager.register(importlib.import_module(name), name=name)
        except Exception as exc:  # a plugin is third-party code: any failure is reported, not fatal
            problems.append(PluginProblem(name, f"{type(exc).__name__}: {exc}"))
    if entry_points:
        from importlib.metadata import entry_points as eps

        for ep in eps(group=hookspecs.PROJECT):
            if manager.get_plugin(ep.value) is not None or ep.value in DEFAULT_PLUGINS:
                continue
            try:
                manager.register(ep.load(), name=ep.value)
            except Exception as exc:
                problems.append(PluginProblem(ep.name, f"{type(exc).__name__}: {exc}"))
    manager.check_pending()
    return manager, problems


def build_registry(ruleset_paths: tuple[str | Path, ...] = (), entry_points: bool = True,
                   extra_modules: tuple[str, ...] = ()) -> Loaded:
    """Every ruleset from every plugin, plus the given paths; compiled once, here."""
    manager, problems = plugin_manager(entry_points, extra_modules)
    registry = Registry()

    for plugin_name, plugin in manager.list_name_plugin():
        impl = getattr(plugin, "kaohe_register_rulesets", None)
        if impl is None:
            continue

        def register(source=None, *, text: str | None = None, name: str | None = None, _plugin=plugin_name):
            try:
                if text is not None:
                    registry.add_text(text, name or f"<{_plugin}>", origin=_plugin)
                elif isinstance(source, (str, Path)):
                    registry.add_path(source, origin=_plugin)
                else:
                    registry.add_text(source.read_text(encoding="utf-8"), f"{_plugin}:{source.name}", origin=_plugin)
            except KaoheError as exc:
                problems.append(PluginProblem(_plugin, str(exc)))

        try:
            impl(register=register)
        except Exception as exc:
            problems.append(PluginProblem(plugin_name, f"{type(exc).__name__}: {exc}"))
    for path in ruleset_paths:
        try:
            registry.add_path(path)
        except KaoheError as exc:
            problems.append(PluginProblem(str(path), str(exc)))
    for origin, error in registry.compile_all():
        problems.append(PluginProblem(origin, str(error)))
    return Loaded(manager, registry, problems)
