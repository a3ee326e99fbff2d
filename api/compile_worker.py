"""The child process where ruleset text is compiled: ruleset checks and simulations.

Compiling registers each rule with durable_rules for the life of the process (about 1.4 MB for a
Guangdong-sized revision, measured). Done in the server, every new text checked and every
simulation (which compiles a changed revision) would grow it for good. So both run in one child
process, one job at a time, and the server only reads bodies and writes answers:

- the child builds the same registry as the server when it starts, so a simulation's baseline
  and a checked text's parents are the ones the server answers with;
- each job reports how many revisions it compiled that the child had not compiled before; once
  that reaches `recycle_after`, the child is replaced (the new one starts at once, in the
  background);
- a job that outlives its timeout kills the child; a job that would wait behind more than
  `queue_limit` others is refused (503 service.busy) instead of queueing without bound;
- a child that dies on a job (a C stack overflow on a pathological document) is replaced and the
  job tried once more.

Nothing a request sends is executed in either process: texts are read with the safe YAML loader
and compiled; records are validated and evaluated.
"""

from __future__ import annotations

import asyncio
import ctypes
import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from .problems import Problem, public_diagnostic

log = logging.getLogger("kaohe.api")

# ---- in the child process --------------------------------------------------------------------------

_CHILD: dict[str, Any] = {"registry": None, "known": {}, "extensions": None}


def die_with_parent(parent_pid: int) -> None:
    """This process ends when `parent_pid` does, however that ends (a killed server worker must not
    leave its compiling child to init): Linux's parent-death signal, and a watch for any system."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watch below still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was asked for
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(PARENT_WATCH_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="kaohe-parent-watch", daemon=True).start()


PR_SET_PDEATHSIG = 1
PARENT_WATCH_SECONDS = 1.0


def _init_child(ruleset_paths: tuple, plugin_modules: tuple, entry_points: bool, parent_pid: int | None = None) -> None:
    from kaohe.plugins.manager import build_registry

    if parent_pid is not None:
        die_with_parent(parent_pid)
    _log_masked()

    registry = build_registry(tuple(ruleset_paths), entry_points=entry_points, extra_modules=tuple(plugin_modules)).registry
    _CHILD["registry"] = registry
    _CHILD["extensions"] = getattr(registry, "extensions", None)  # the plugins' primitives and catalogues
    _CHILD["known"] = {rid: compiled.resolved.documents[0]
                       for rid in registry.ids() for compiled in registry.revisions(rid)}  # parents: the latest


def _log_masked() -> None:
    """The child's log lines (its stderr is the server's) leave with ID-card numbers masked too."""
    from .logmask import MaskIdCards

    handler = logging.StreamHandler()
    handler.addFilter(MaskIdCards())
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s (compile worker): %(message)s"))
    logger = logging.getLogger("kaohe")
    logger.handlers[:] = [handler]
    logger.propagate = False


def _ping() -> bool:
    return True


def _registered() -> int:
    from kaohe.engine.durable_backend import registered_count

    return registered_count()


def lint_in_child(text: str, file: str) -> list[dict]:
    """Diagnostics of ruleset text as dicts, against the child's registry (also used by simulations)."""
    from kaohe.engine.lint import lint_text

    try:
        return [public_diagnostic(d.to_dict("both"), file) for d in lint_text(text, file, _CHILD["known"], _CHILD["extensions"])]
    except RecursionError:
        return [failed_check(file, "the document is nested too deeply to check")]
    except Exception:  # a checker bug must not become a 500, nor tell the client about the server's insides
        log.exception("a ruleset could not be checked")
        return [failed_check(file, "the ruleset could not be checked (an internal error, logged by the server)")]


def failed_check(file: str, message: str) -> dict:
    return {"code": "ruleset.check_failed", "severity": "error", "message": message, "file": file,
            "line": None, "column": None, "path": ""}


def _lint_job(text: str, file: str) -> tuple[list[dict], int]:
    before = _registered()
    diagnostics = lint_in_child(text, file)
    return diagnostics, int(_registered() > before)


def _simulate_job(body: bytes, today: dt.date, lang: str, decision_id: str, text_format: bool,
                  max_ruleset_bytes: int) -> tuple[Any, int]:
    from .simulation import simulate_body

    before = _registered()
    try:
        answer = simulate_body(body, _CHILD["registry"], today, lang, decision_id, text_format, max_ruleset_bytes,
                               lint=lint_in_child)
    except Problem as problem:
        return problem, int(_registered() > before)
    except Exception:  # a bug: logged here (the child's stderr is the server's), answered as an internal error
        log.exception("simulation failed (decision %s)", decision_id)
        return Problem("internal.error", "an internal error occurred; it has been logged under the decision id"), 1
    return answer, answer.compiled if _registered() > before else 0


# ---- in the server ---------------------------------------------------------------------------------

class CompileWorker:
    """One child process that compiles rulesets for the server, one job at a time."""

    def __init__(self, ruleset_paths: tuple = (), plugin_modules: tuple = (), entry_points: bool = True, *,
                 lint_timeout: float = 20.0, simulate_timeout: float = 60.0, recycle_after: int = 100,
                 queue_limit: int = 32):
        self._initargs = (tuple(ruleset_paths), tuple(plugin_modules), entry_points, os.getpid())
        self._lint_timeout = lint_timeout
        self._simulate_timeout = simulate_timeout
        self._recycle_after = recycle_after
        self._queue_limit = queue_limit
        self._executor: ProcessPoolExecutor | None = None
        self._compiled = 0  # revisions the current child has compiled
        self._waiting = 0
        self._one_at_a_time = asyncio.Semaphore(1)
        self.children_started = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_child, initargs=self._initargs)
            self._compiled = 0
            self.children_started += 1
        return self._executor

    def prestart(self) -> None:
        """Start the child now (in the background) rather than on the first job."""
        self._pool().submit(_ping)

    def child_pids(self) -> list[int]:
        executor = self._executor
        return [p.pid for p in getattr(executor, "_processes", {}).values()] if executor is not None else []

    # -- jobs

    async def lint(self, text: str, file: str) -> list[dict]:
        """Diagnostics of ruleset text, each a dict with code, severity, message, file, line, column, path."""
        timeout = Problem("ruleset.lint_timeout", f"checking the ruleset took longer than {self._lint_timeout:g} s")
        result = await self._run(_lint_job, (text, file), self._lint_timeout, timeout)
        if result is _CRASHED:
            return [failed_check(file, "the ruleset could not be checked: the checker stopped on it")]
        return result

    async def simulate(self, body: bytes, today: dt.date, lang: str, decision_id: str, text_format: bool,
                       max_ruleset_bytes: int):
        """An `Answer` (simulation.py) for a POST /v1/simulations body; raises Problem."""
        timeout = Problem("simulate.timeout", f"the simulation took longer than {self._simulate_timeout:g} s")
        result = await self._run(_simulate_job, (body, today, lang, decision_id, text_format, max_ruleset_bytes),
                                 self._simulate_timeout, timeout)
        if result is _CRASHED:
            raise Problem("simulate.failed", "the simulation could not be run: the process running it stopped on it")
        if isinstance(result, Problem):
            raise result
        return result

    async def _run(self, job: Callable, args: tuple, timeout: float, timeout_problem: Problem) -> Any:
        if self._waiting >= self._queue_limit:
            raise Problem("service.busy", f"{self._waiting} ruleset checks and simulations are waiting; try again shortly",
                          headers={"Retry-After": "1"})
        self._waiting += 1
        try:
            await self._one_at_a_time.acquire()
        finally:
            self._waiting -= 1
        release = True
        try:
            for attempt in (1, 2):
                running = asyncio.wrap_future(self._pool().submit(job, *args))
                try:
                    outcome, compiled = await asyncio.wait_for(asyncio.shield(running), timeout)
                except asyncio.TimeoutError:
                    self._kill()
                    raise timeout_problem from None
                except BrokenProcessPool:
                    # the child died: start afresh, and if the same job kills the next one too, say so
                    # rather than trying forever
                    self._kill()
                    if attempt == 2:
                        return _CRASHED
                    continue
                except asyncio.CancelledError:
                    # the client went away; the job runs on in the child and the next one waits for it
                    release = False
                    running.add_done_callback(self._finished_unawaited)
                    raise
                self._count(compiled)
                return outcome
        finally:
            if release:
                self._one_at_a_time.release()
        raise AssertionError("unreachable")

    def _finished_unawaited(self, running: asyncio.Future) -> None:
        if not running.cancelled() and running.exception() is None:
            self._count(running.result()[1])
        elif not running.cancelled():
            self._kill()
        self._one_at_a_time.release()

    def _count(self, compiled: int) -> None:
        self._compiled += compiled
        if self._compiled >= self._recycle_after:
            executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=False)  # idle: its process exits now
            self.prestart()

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


_CRASHED = object()
