"""The tree is the architecture, and these tests hold it:

    engine   ← batch, tools, plugins ← api ← kaohe (the command)

- the engine imports none of the rooms built on it;
- batch and the policy staff's tools use only the engine's public surface (`kaohe.engine`, whose
  names are listed in `engine/__init__.py`), never one of its modules directly;
- plugins never reach the API, batch or the tools;
- no import cycle between modules anywhere, function-level imports included;
- code imports under the `kaohe` namespace only.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# folder -> the package it is installed as (pyproject.toml [tool.setuptools] package-dir)
PACKAGES = {"engine": "kaohe.engine", "batch": "kaohe.batch", "tools": "kaohe.tools", "plugins": "kaohe.plugins",
            "api": "kaohe.api", "kaohe": "kaohe"}
OPTIONAL_ROOMS = {"store": "kaohe.store", "console": "kaohe.console"}  # present once built
PACKAGES.update({folder: pkg for folder, pkg in OPTIONAL_ROOMS.items() if (ROOT / folder).is_dir()})


def module_name(path: Path, root: Path = ROOT) -> str:
    relative = path.relative_to(root)
    package = PACKAGES[relative.parts[0]]
    parts = list(relative.with_suffix("").parts[1:])
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, anywhere in it, as absolute names (relative imports resolved)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from kaohe.batch import worker` imports the module kaohe.batch.worker
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def modules_in(folder: str, root: Path = ROOT) -> dict[str, set[str]]:
    return {module_name(p, root): imports_of(p, root) for p in sorted((root / folder).rglob("*.py"))}


def all_modules() -> dict[str, set[str]]:
    out = {}
    for folder in PACKAGES:
        out.update(modules_in(folder))
    return out


def reaches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("folder, forbidden", [
    ("engine", ("kaohe.batch", "kaohe.tools", "kaohe.api", "kaohe.plugins", "kaohe.cli", "kaohe.store", "kaohe.console",
                "fastapi")),
    ("batch", ("kaohe.tools", "kaohe.api", "kaohe.plugins", "kaohe.cli", "kaohe.console", "fastapi")),
    ("tools", ("kaohe.batch", "kaohe.api", "kaohe.plugins", "kaohe.cli", "kaohe.store", "kaohe.console", "fastapi")),
    ("plugins", ("kaohe.batch", "kaohe.tools", "kaohe.api", "kaohe.cli", "kaohe.store", "kaohe.console", "fastapi")),
])
def test_no_import_reaches_up(folder, forbidden):
    offending = {f"{module}: {name}" for module, names in modules_in(folder).items()
                 for name in names if any(reaches(name, f) for f in forbidden)}
    assert not offending, sorted(offending)


@pytest.mark.parametrize("folder", ["batch", "tools"])
def test_batch_and_tools_use_only_the_engines_public_surface(folder):
    import kaohe.engine

    surface = {f"kaohe.engine.{name}" for name in kaohe.engine.__all__}
    offending = {f"{module}: {name}" for module, names in modules_in(folder).items() for name in names
                 if reaches(name, "kaohe.engine") and name != "kaohe.engine" and name not in surface}
    assert not offending, sorted(offending)


def test_every_public_engine_name_resolves():
    import kaohe.engine

    missing = [name for name in kaohe.engine.__all__ if getattr(kaohe.engine, name, None) is None]
    assert not missing


def test_no_import_cycles():
    graph = all_modules()
    known = set(graph)
    edges = {module: {target for target in names if target in known and target != module}
             for module, names in graph.items()}
    # a package's __init__ importing its own submodules to re-export them is not a cycle of design
    for module in edges:
        edges[module] = {t for t in edges[module] if not reaches(module, t)}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, [" → ".join(c) for c in cycles]


def test_code_imports_under_the_kaohe_namespace_only():
    bare = {f"{module}: {name}" for module, names in all_modules().items() for name in names
            if name.split(".")[0] in set(PACKAGES) - {"kaohe"}}
    assert not bare, sorted(bare)


def test_a_violation_is_caught(tmp_path):
    """The checks above can fail: an engine module importing the API, relatively or not, is found."""
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "leaky.py").write_text("from kaohe.api.app import create_app\nfrom ..batch import run\n",
                                                   encoding="utf-8")
    found = modules_in("engine", tmp_path)["kaohe.engine.leaky"]
    assert {"kaohe.api.app", "kaohe.batch", "kaohe.batch.run"} <= found
