"""The rooms stay apart: the engine imports neither the API nor the plugin layer; plugins never the API."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(folder: str) -> dict[str, set[str]]:
    out = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        out[path.relative_to(ROOT).as_posix()] = names
    return out


@pytest.mark.parametrize("folder, forbidden", [
    ("engine", ("kaohe.api", "kaohe.plugins", "kaohe.cli", "kaohe.distributed", "api", "plugins", "fastapi")),
    ("plugins", ("kaohe.api", "kaohe.cli", "api", "fastapi")),
])
def test_no_import_reaches_up(folder, forbidden):
    offending = {f"{path}: {name}" for path, names in imported_modules(folder).items()
                 for name in names if any(name == f or name.startswith(f + ".") for f in forbidden)}
    assert not offending, sorted(offending)


def test_code_imports_under_the_kaohe_namespace_only():
    bare = {f"{path}: {name}" for folder in ("engine", "plugins", "api", "kaohe")
            for path, names in imported_modules(folder).items()
            for name in names if name.split(".")[0] in ("engine", "plugins", "api")}
    assert not bare, sorted(bare)
