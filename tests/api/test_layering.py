"""The engine (and the plugins) never import the API."""

from __future__ import annotations

import subprocess
import sys


def test_importing_every_engine_and_plugin_module_loads_nothing_of_the_api():
    code = (
        "import importlib, pkgutil, sys, kaohe.engine, kaohe.plugins\n"
        "for package in (kaohe.engine, kaohe.plugins):\n"
        "    for info in pkgutil.iter_modules(package.__path__):\n"
        "        importlib.import_module(f'{package.__name__}.{info.name}')\n"
        "print(sorted(m for m in sys.modules if m.startswith('kaohe.api') or m in ('fastapi', 'starlette', 'uvicorn')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
