"""Recording off the request path: a bounded queue and one writer thread.

A request hands over what it evaluated (no JSON work, no database) and answers; the writer turns
the queue's contents into rows and inserts them in bulk. When the queue is full the request waits
for room (on a thread, not the event loop), so a slow database slows answers rather than losing
decisions. `close()` writes everything still queued before it returns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

from .decisions import DecisionRow, DecisionStore

log = logging.getLogger("kaohe.store")
_STOP = object()
MAX_BULK = 2000


class Recorder:
    def __init__(self, store: DecisionStore, max_queue: int = 10_000, retry_seconds: float = 1.0, retries: int = 5,
                 linger: float = 0.05):
        self.store = store
        self.queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self.retry_seconds, self.retries, self.linger = retry_seconds, retries, linger
        self.written = 0
        self.failed = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="kaohe-decision-writer", daemon=True)
        self._thread.start()

    # a "job" is a callable that returns a DecisionRow: the work of building it is the writer's
    def submit_nowait(self, job: Callable[[], DecisionRow]) -> bool:
        try:
            self.queue.put_nowait(job)
            return True
        except queue.Full:
            return False

    def submit(self, job: Callable[[], DecisionRow]) -> None:
        self.queue.put(job)

    async def submit_async(self, job: Callable[[], DecisionRow]) -> None:
        if not self.submit_nowait(job):
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(self.queue.put, job)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            jobs = [self.queue.get()]
            time.sleep(self.linger)  # let a few more arrive: one transaction for many decisions
            while len(jobs) < MAX_BULK:
                try:
                    jobs.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            if any(job is _STOP for job in jobs):
                stopping = True
                jobs = [job for job in jobs if job is not _STOP]
            rows = []
            for job in jobs:
                try:
                    rows.append(job())
                except Exception:  # noqa: BLE001 - one bad row must not stop the others being kept
                    self.failed += 1
                    log.exception("a decision could not be made into a record")
            self._write(rows)
            for _ in jobs:
                self.queue.task_done()

    def _write(self, rows: list[DecisionRow]) -> None:
        if not rows:
            return
        for attempt in range(self.retries):
            try:
                self.written += self.store.record(rows)
                return
            except Exception as exc:  # noqa: BLE001 - the database went away: wait and try again
                self.last_error = str(exc)
                log.warning("recording %d decision(s) failed (attempt %d): %s", len(rows), attempt + 1, exc)
                time.sleep(self.retry_seconds * (attempt + 1))
        self.failed += len(rows)
        log.error("%d decision(s) were not recorded: %s; ids: %s", len(rows), self.last_error,
                  ", ".join(r.id for r in rows[:20]))

    def flush(self) -> None:
        """Wait until everything queued so far is written (or has failed)."""
        self.queue.join()

    def close(self) -> None:
        self.queue.put(_STOP)
        self._thread.join()
