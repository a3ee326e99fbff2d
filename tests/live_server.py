"""A real `kaohe serve` on loopback for the tests that need one (live API, fuzzing, the console's
browser tests): started, waited for until /readyz answers, and stopped, in one place."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import httpx

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def running_server(argv: list[str], port: int, *, env: dict | None = None, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, output: Callable[[subprocess.Popen], str] | None = None,
                   timeout: float = 90) -> Iterator[str]:
    """Start `argv` (a `kaohe serve` listening on 127.0.0.1:`port`), yield its URL once /readyz
    answers 200, and stop it afterwards. `output(process)` is what a start-up failure shows."""
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            shown = output(process) if output else (process.stderr.read().decode(errors="replace")
                                                     if process.stderr else "")
            raise RuntimeError(f"kaohe serve did not start: {shown[-3000:]}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
