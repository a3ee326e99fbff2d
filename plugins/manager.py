"""Building the plugin manager and, from it, the registry of rulesets.

Nothing is loaded at import time: `plugin_manager()` and `build_registry()` are called by whoever
needs them (the CLI, the API's start-up, a test). A broken plugin (it raises on import, registers a
bad or duplicate ruleset) is reported with its name and the reason, and the others keep working.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from kaohe.engine import KaoheError, Primitive, Registry, read_catalogue

from . import hookspecs

TRACE_VARIABLE = "KAOHE_TRACE_PLUGINS"

# kaohe's own jurisdictions: plugins of the same form as a third party's, also listed as entry points
DEFAULT_PLUGINS = (
    "kaohe.plugins.jurisdictions.national",
    "kaohe.plugins.jurisdictions.guangdong",
    "kaohe.plugins.jurisdictions.hunan_yueyang",
    "kaohe.plugins.jurisdictions.liaoning_wafangdian",
    "kaohe.plugins.jurisdictions.jilin_baishan",
)


@dataclass
class PluginProblem:
    plugin: str
    reason: str


@dataclass
class Loaded:
    manager: pluggy.PluginManager
    registry: Registry
    problems: list[PluginProblem] = field(default_factory=list)
    importers: dict = field(default_factory=dict)  # name -> importer object
    origins: dict = field(default_factory=dict)  # plugin name -> where it came from (module, entry point, path)


def _import(spec: str):
    """A module name, or the path of a plugin file or package for development."""
    path = Path(spec)
    if spec.endswith(".py") or path.is_dir():
        target = path / "__init__.py" if path.is_dir() else path
        name = "kaohe_dev_plugin_" + path.stem.replace("-", "_")
        module_spec = importlib.util.spec_from_file_location(name, target,
                                                             submodule_search_locations=[str(path)] if path.is_dir() else None)
        if module_spec is None or not target.exists():
            raise ImportError(f"no plugin at {spec}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


def plugin_manager(entry_points: bool = True, extra_modules: tuple[str, ...] = (),
                   defaults: tuple[str, ...] = DEFAULT_PLUGINS):
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    if os.environ.get(TRACE_VARIABLE):
        # like DATASETTE_TRACE_PLUGINS: every hook call, its arguments and results, on stderr
        manager.trace.root.setwriter(sys.stderr.write)
        manager.enable_tracing()
    problems: list[PluginProblem] = []
    origins: dict[str, str] = {}
    candidates = [(name, lambda name=name: _import(name), "built-in" if name in defaults else "enabled by path or module")
                  for name in tuple(defaults) + tuple(extra_modules)]
    if entry_points:
        from importlib.metadata import entry_points as eps

        candidates += [(ep.value, ep.load, f"entry point '{ep.name}' of {ep.dist.name if ep.dist else '?'}")
                       for ep in eps(group=hookspecs.PROJECT) if ep.value not in defaults]  # kaohe's own: listed already
    plugins = []
    for name, load, origin in candidates:
        if name in origins:
            continue
        try:
            plugins.append((name, load()))
            origins[name] = origin
        except Exception as exc:  # third-party code: any failure is reported, not fatal
            problems.append(PluginProblem(name, f"{type(exc).__name__}: {exc}"))
    # pluggy calls the last registered first: registering in reverse makes kaohe's own jurisdictions
    # contribute first, so a third party's duplicate of a built-in ruleset is the one refused
    for name, module in reversed(plugins):
        try:
            manager.register(module, name=name)
        except ValueError as exc:  # the same module under a second name
            problems.append(PluginProblem(name, str(exc)))
    try:
        manager.check_pending()  # a misspelt hook implementation fails here, not silently never
    except pluggy.PluginValidationError as exc:
        problems.append(PluginProblem(getattr(exc, "plugin_name", "?"), str(exc)))
    return manager, problems, origins


def _call_each_plugin(manager: pluggy.PluginManager, hook_name: str, make_register, problems: list) -> None:
    """Call a collecting hook through pluggy, once per implementing plugin, in pluggy's own order
    (tryfirst, then the last registered first, then trylast), with every wrapper around each call.

    One call per plugin, rather than one for all, is what lets a plugin that raises be reported by
    name while the others still contribute, and lets each registration name the plugin it came
    from. Functions that merely share a hook's name without ``@hookimpl`` are never called."""
    implementations = getattr(manager.hook, hook_name).get_hookimpls()
    plain = [impl for impl in reversed(implementations) if not (impl.hookwrapper or impl.wrapper)]
    for impl in plain:
        others = [other.plugin for other in plain if other.plugin is not impl.plugin]
        caller = manager.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            caller(register=make_register(impl.plugin_name))
        except KaoheError as exc:
            problems.append(PluginProblem(impl.plugin_name, str(exc)))
        except Exception as exc:  # third-party code: reported, never fatal to the others
            problems.append(PluginProblem(impl.plugin_name, f"{type(exc).__name__} in {hook_name}: {exc}"))


def _read_source(source) -> tuple[str, str]:
    """(text, file name) of a path or importlib.resources traversable."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_text(encoding="utf-8"), path.as_posix()
    return source.read_text(encoding="utf-8"), getattr(source, "name", str(source))


@dataclass(frozen=True)
class RegistryLoader:
    """A picklable recipe for the registry, for worker processes (batch, Dask): each builds it once."""

    ruleset_paths: tuple = ()
    plugin_modules: tuple = ()
    entry_points: bool = True

    def __call__(self) -> "Loaded":
        return build_registry(tuple(self.ruleset_paths), self.entry_points, tuple(self.plugin_modules))


def build_registry(ruleset_paths: tuple[str | Path, ...] = (), entry_points: bool = True,
                   extra_modules: tuple[str, ...] = (), defaults: tuple[str, ...] = DEFAULT_PLUGINS) -> Loaded:
    """Every ruleset, catalogue, primitive and importer from every plugin, plus the given ruleset
    paths; rulesets are compiled once, here."""
    manager, problems, origins = plugin_manager(entry_points, extra_modules, defaults)
    registry = Registry()
    importers: dict = {}

    def call(hook_name: str, make_register):
        _call_each_plugin(manager, hook_name, make_register, problems)

    def catalogue_register(plugin_name):
        def register(source):
            text, name = _read_source(source)
            registry.add_catalogue(read_catalogue(text, name, origin=plugin_name))
        return register

    def primitive_register(plugin_name):
        def register(name, result_type, build, doc=""):
            try:
                registry.add_primitive(Primitive(name, result_type, build, doc, plugin_name))
            except ValueError as exc:
                problems.append(PluginProblem(plugin_name, str(exc)))
        return register

    def ruleset_register(plugin_name):
        def register(source=None, *, text: str | None = None, name: str | None = None):
            try:
                if text is not None:
                    registry.add_text(text, name or f"<{plugin_name}>", origin=plugin_name)
                elif isinstance(source, (str, Path)):
                    registry.add_path(source, origin=plugin_name)
                else:
                    body, file = _read_source(source)
                    registry.add_text(body, f"rulesets/{file}" if plugin_name in DEFAULT_PLUGINS else file, origin=plugin_name)
            except KaoheError as exc:
                problems.append(PluginProblem(plugin_name, str(exc)))
        return register

    def importer_register(plugin_name):
        def register(importer):
            name = getattr(importer, "name", None)
            if not name or not callable(getattr(importer, "read", None)):
                problems.append(PluginProblem(plugin_name, "an importer needs a name and a read(rows, options) method"))
            elif name in importers:
                problems.append(PluginProblem(plugin_name, f"importer '{name}' is already registered"))
            else:
                importers[name] = importer
        return register

    # the language first (catalogues, primitives), then the rulesets that use it
    call("kaohe_register_catalogues", catalogue_register)
    call("kaohe_register_measure_primitives", primitive_register)
    call("kaohe_register_rulesets", ruleset_register)
    call("kaohe_register_importers", importer_register)
    for path in ruleset_paths:
        try:
            registry.add_path(path)
        except KaoheError as exc:
            problems.append(PluginProblem(str(path), str(exc)))
    for origin, error in registry.compile_all():
        problems.append(PluginProblem(origin, str(error)))
    return Loaded(manager, registry, problems, importers, origins)
