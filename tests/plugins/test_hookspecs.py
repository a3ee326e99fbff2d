"""Meta-tests, as datasette does them: every hook is documented and tested."""

import inspect
import re
from pathlib import Path

from kaohe.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = [name for name, value in vars(hookspecs).items() if name.startswith("kaohe_") and callable(value)]


def test_every_hook_is_documented_with_its_signature():
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in HOOKS:
        signature = f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"
        assert f"## {signature}" in docs, f"docs/plugins.md lacks a section '## {signature}'"


def test_every_hook_has_a_test():
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "plugins").glob("test_*.py"))
    for name in HOOKS:
        hook = name.removeprefix("kaohe_")
        assert re.search(rf"def test_hook_{hook}\b", tests), f"no test_hook_{hook} in tests/plugins"


def test_hookspecs_say_what_they_return():
    for name in HOOKS:
        assert "Returns nothing" in inspect.getdoc(getattr(hookspecs, name)), name
