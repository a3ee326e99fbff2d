"""Building the plugin manager and, from it, the registry of rulesets.

Nothing is loaded at import time: `plugin_manager()` and `build_registry()` are called by whoever
needs them (the CLI, the API's start-up, a test). A broken plugin (it raises on import, registers a
bad or duplicate ruleset) is reported with its name and the reason, and the others keep working.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from kaohe.engine.errors import KaoheError
from kaohe.engine.extensions import Primitive, read_catalogue
from kaohe.engine.registry import Registry

from . import hookspecs

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
    problems: list[PluginProblem] = []
    origins: dict[str, str] = {}
    for name in tuple(defaults) + tuple(extra_modules):
        try:
            manager.register(_import(name), name=name)
            origins[name] = "built-in" if name in defaults else "enabled by path or module"
        except Exception as exc:  # third-party code: any failure is reported, not fatal
            problems.append(PluginProblem(name, f"{type(exc).__name__}: {exc}"))
    if entry_points:
        from importlib.metadata import entry_points as eps

        for ep in eps(group=hookspecs.PROJECT):
            if ep.value in defaults or manager.get_plugin(ep.value) is not None:
                continue  # kaohe's own, already registered
            try:
                manager.register(ep.load(), name=ep.value)
                origins[ep.value] = f"entry point '{ep.name}' of {ep.dist.name if ep.dist else '?'}"
            except Exception as exc:
                problems.append(PluginProblem(ep.value, f"{type(exc).__name__}: {exc}"))
    try:
        manager.check_pending()  # a misspelt hook implementation fails here, not silently never
    except pluggy.PluginValidationError as exc:
        problems.append(PluginProblem(getattr(exc, "plugin_name", "?"), str(exc)))
    return manager, problems, origins


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
        for plugin_name, plugin in manager.list_name_plugin():
            impl = getattr(plugin, hook_name, None)
            if impl is None:
                continue
            try:
                impl(register=make_register(plugin_name))
            except KaoheError as exc:
                problems.append(PluginProblem(plugin_name, str(exc)))
            except Exception as exc:
                problems.append(PluginProblem(plugin_name, f"{type(exc).__name__} in {hook_name}: {exc}"))

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
