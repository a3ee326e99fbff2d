"""Checking ruleset text sent to the API, in a child process that is replaced now and then.

Linting compiles, and compiling registers each rule with durable_rules for the life of the
process (about 1.4 MB for a Guangdong-sized ruleset, measured): done in the server, every check of a
new text would grow it for good. A single child process does the checks one at a time, is
replaced after `lint_recycle_after` checks, and is killed if a check outlives
`lint_timeout_seconds`. Nothing in the text is executed in either process: linting only reads
and compiles.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .problems import Problem

log = logging.getLogger("kaohe.api")

# ---- in the child process --------------------------------------------------------------------------

_KNOWN: dict = {}
_EXTENSIONS: list = []  # the plugins' primitives and catalogues, as `kaohe lint` passes them


def _init_child(ruleset_paths: tuple, plugin_modules: tuple, entry_points: bool) -> None:
    from kaohe.plugins.manager import build_registry

    loaded = build_registry(tuple(ruleset_paths), entry_points=entry_points, extra_modules=tuple(plugin_modules))
    extensions = getattr(loaded.registry, "extensions", None)
    if extensions is not None:
        _EXTENSIONS.append(extensions)
    for rid in loaded.registry.ids():
        for compiled in loaded.registry.revisions(rid):
            _KNOWN[rid] = compiled.resolved.documents[0]


def _ping() -> bool:
    return True


def _lint_in_child(text: str, file: str) -> list[dict]:
    from kaohe.engine.lint import lint_text

    try:
        return [d.to_dict() for d in lint_text(text, file, _KNOWN, *_EXTENSIONS)]
    except RecursionError:
        return [_failed(file, "the document is nested too deeply to check")]
    except Exception as exc:  # a checker bug must not become a 500: report it as what it is
        return [_failed(file, f"the ruleset could not be checked ({type(exc).__name__}: {exc})"[:500])]


def _failed(file: str, message: str) -> dict:
    return {"code": "ruleset.check_failed", "severity": "error", "message": message, "file": file,
            "line": None, "column": None, "path": ""}


# ---- in the server ---------------------------------------------------------------------------------

class LintService:
    def __init__(self, ruleset_paths: tuple = (), plugin_modules: tuple = (), entry_points: bool = True,
                 timeout: float = 20.0, recycle_after: int = 100):
        self._initargs = (tuple(ruleset_paths), tuple(plugin_modules), entry_points)
        self._timeout = timeout
        self._recycle_after = recycle_after
        self._executor: ProcessPoolExecutor | None = None
        self._one_at_a_time = asyncio.Semaphore(1)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=self._recycle_after, initializer=_init_child, initargs=self._initargs)
        return self._executor

    def prestart(self) -> None:
        """Start the child now (in the background) rather than on the first check."""
        self._pool().submit(_ping)

    async def lint(self, text: str, file: str) -> list[dict]:
        async with self._one_at_a_time:
            for attempt in (1, 2):
                future = self._pool().submit(_lint_in_child, text, file)
                try:
                    return await asyncio.wait_for(asyncio.wrap_future(future), self._timeout)
                except asyncio.TimeoutError:
                    self._kill()
                    raise Problem("ruleset.lint_timeout",
                                  f"checking the ruleset took longer than {self._timeout:g} s") from None
                except BrokenProcessPool:
                    # the child died (e.g. a C stack overflow on a pathological document): start afresh,
                    # and if the same text kills the next one too, say so rather than trying forever
                    self._kill()
                    if attempt == 2:
                        return [_failed(file, "the ruleset could not be checked: the checker stopped on it")]
        raise AssertionError("unreachable")

    def _kill(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for process in list(getattr(executor, "_processes", {}).values()):
            try:
                process.kill()
            except Exception:  # already gone
                pass
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._kill()
