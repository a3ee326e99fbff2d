"""The decision store as a running service uses it: open, record off the request path, replay, close."""

from __future__ import annotations

import logging
from typing import Callable

from kaohe.engine import Registry

from .database import open_database, redact
from .decisions import DecisionStore
from .recorder import Recorder
from .recording import dataset_row, teacher_row
from .replay import Replayer

log = logging.getLogger("kaohe.store")


class DecisionService:
    def __init__(self, url: str, current: Callable[[], Registry], queue_size: int = 10_000):
        self.database = open_database(url)  # migrates to the newest schema
        self.store = DecisionStore(self.database)
        self.recorder = Recorder(self.store, max_queue=queue_size)
        self.replayer = Replayer(self.store, current)
        log.info("recording decisions in %s", redact(url))

    @staticmethod
    def job(evaluated: tuple, decision_id: str, body: bytes, caller: str | None):
        """What the writer thread will turn into a row: the request has done no JSON work for it."""
        from .decisions import utc_now

        decided_at = utc_now()
        if evaluated[0] == "teacher":
            _, compiled, as_of, result = evaluated
            return lambda: teacher_row(decision_id, compiled, as_of, body, result, caller, decided_at)
        _, evaluation = evaluated
        return lambda: dataset_row(decision_id, evaluation, body, caller, decided_at)

    async def record(self, evaluated: tuple | None, decision_id: str, body: bytes, caller: str | None) -> None:
        if evaluated is not None:
            await self.recorder.submit_async(self.job(evaluated, decision_id, body, caller))

    def close(self) -> None:
        self.recorder.close()  # writes what is queued
        self.database.close()
