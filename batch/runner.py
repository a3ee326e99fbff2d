"""Chunks of schools → results in input order: in the calling process, or on a pool of spawned
worker processes with a bounded window. Pool workers write each chunk's lines to a spool file that
the parent appends to the output with a kernel-side copy, so results never cross a pipe."""

from __future__ import annotations

import collections
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Iterator

from kaohe.engine import KaoheError

from . import worker
from .worker import Chunk, Job

IN_FLIGHT_PER_WORKER = 3


_SPOOL: list = [None]  # in a pool worker: the folder chunk outputs are written to


def _pool_init(job: Job, spool: str) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it (and shuts the pool down), so
    # the workers do not each print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _SPOOL[0] = spool
    worker.init(job)


def _evaluate_to_file(chunk: Chunk) -> tuple:
    """In a pool worker: the chunk's JSON lines go to a spool file, not through the result pipe;
    the parent appends the file to the output with a kernel-side copy (a third of the copies)."""
    result = worker.evaluate_chunk(chunk)
    out = result[1]
    if isinstance(out, bytes) and out:
        path = os.path.join(_SPOOL[0], f"chunk-{chunk.number}.jsonl")
        with open(path, "wb") as spool:
            spool.write(out)
        result = result[:1] + ((path, len(out)),) + result[2:]
    return result


def append_file(out, path: str, length: int) -> None:
    """Append a spool file to the output (then remove it): copy_file_range, else sendfile, else read/write."""
    out.flush()
    try:
        target = out.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. a captured stdout
        target = None
    done = [0]  # bytes copied so far, kept even when a way fails half-way
    with open(path, "rb") as source:
        for copy in (_copy_file_range, _sendfile):
            if target is None or done[0] >= length:
                break
            try:
                copy(source.fileno(), target, done, length)
                break
            except (AttributeError, OSError):
                continue  # not on this kernel or between these files: the next way
        offset = done[0]
        source.seek(offset)
        while block := source.read(1 << 20):
            out.write(block)
            offset += len(block)
    os.unlink(path)
    if offset != length:
        raise KaoheError(f"could not copy a chunk of results ({offset} of {length} bytes)", code="batch.io")


def _copy_file_range(source: int, target: int, done: list, length: int) -> None:
    while done[0] < length:
        copied = os.copy_file_range(source, target, length - done[0], done[0])
        if copied == 0:
            break
        done[0] += copied


def _sendfile(source: int, target: int, done: list, length: int) -> None:
    while done[0] < length:
        copied = os.sendfile(target, source, done[0], length - done[0])
        if copied == 0:
            break
        done[0] += copied


class Runner:
    """Chunks → results in input order: in this process, or on a pool with a bounded window."""

    def __init__(self, job: Job, workers: int, spool: str):
        self.workers = workers
        self.pool = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                            initializer=_pool_init, initargs=(job, spool))
        else:
            worker.init(job)

    def map(self, chunks: Iterator[Chunk]) -> Iterator[tuple]:
        if self.pool is None:
            for chunk in chunks:
                yield chunk.position, chunk.records, worker.evaluate_chunk(chunk)
            return
        window = IN_FLIGHT_PER_WORKER * self.workers
        pending: collections.deque = collections.deque()
        try:
            for chunk in chunks:
                pending.append((chunk.position, chunk.records, self.pool.submit(_evaluate_to_file, chunk)))
                while len(pending) >= window:
                    yield self._next(pending)
            while pending:
                yield self._next(pending)
        finally:
            for _, _, future in pending:
                future.cancel()
            for _, _, future in pending:
                if not future.cancelled():
                    try:
                        future.exception()
                    except BaseException:  # noqa: BLE001 - draining: the first error is already raised
                        pass

    @staticmethod
    def _next(pending) -> tuple:
        position, records, future = pending.popleft()
        try:
            return position, records, future.result()
        except BrokenProcessPool as exc:
            raise KaoheError(f"a worker process stopped ({exc}); rerun with workers=1 to see why",
                             code="batch.worker_failed") from None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
