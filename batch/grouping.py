"""Grouping records by school: a school's rules read all its teachers, so its records travel together.

Input already grouped by school is streamed (`stream_groups`); input that is not is grouped on disk
(`spill_groups`: SQLite sorts on disk, so memory stays bounded). Groups are cut into chunks of
whole schools (`chunks`) for the workers.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from typing import Callable, Iterator

from . import formats
from .formats import BAD, REGION, ROW, WITHHELD, Source
from .worker import Chunk

CHUNK_BYTES = 1 << 20  # raw input per chunk: big enough to amortise IPC, small enough to keep memory flat
CHUNK_RECORDS = 2000
ROW_BYTES = 1500  # a CSV/Parquet row counts as about this much toward CHUNK_BYTES
_PICKLED = (ROW, BAD, WITHHELD)  # payloads that are not bytes, stored pickled while grouping on disk


class NotGrouped(Exception):
    """A school's records are not together: stream grouping cannot go on."""

    def __init__(self, source: str, line: int, key, first_line: int):
        super().__init__(f"{source}:{line}: school {key} appeared before (line {first_line}) and other schools since")
        self.source, self.line, self.key, self.first_line = source, line, key, first_line


def items_of(srcs: list[Source], position: list) -> Iterator[tuple]:
    """Items of every source, each with its source index; ('columns', i, names) before rows."""
    done = 0
    for index, source in enumerate(srcs):
        local = [0]
        for item in formats.read(source, local):
            position[0] = done + local[0]
            if item[0] == "columns":
                yield ("columns", index, item[1])
            else:
                yield item + (index,)
        done += source.size if source.path != "-" else local[0]
        position[0] = done


def attach_unreadable(items: Iterator[tuple]) -> Iterator[tuple]:
    """One rule for records that cannot be read: the school they may belong to is withheld.

    A bad record whose school id could be read joins that school's group (as a bad member, so the
    school is withheld and its error written once). One whose school cannot be read at all joins
    the school of the record before it, and the school of the record after it is withheld too when
    that is another: the line could have belonged to either. Only a bad record with no school
    record on either side stands alone."""
    previous = None  # the key of the last school record
    waiting: list = []  # keyless bad records with no school before them
    pending = None  # (line, src) of the last keyless bad record: withholds the next school if another
    for item in items:
        if item[0] == "columns":
            yield item
            continue
        line, kind, key, payload, src = item
        if kind == BAD:
            if key is None and previous is None:
                waiting.append(item)
                continue
            if key is None:
                key = previous
                pending = (line, src)
            else:
                previous = key
            yield (line, BAD, key, payload, src)
            continue
        if kind == REGION or key is None:
            yield item
            continue
        if waiting:
            for bad_line, _, _, bad_payload, bad_src in waiting:
                yield (bad_line, BAD, key, bad_payload, bad_src)
            waiting = []
        elif pending is not None and key != previous:
            yield (line, WITHHELD, key, pending[0], src)
        pending = None
        previous = key
        yield item
    for bad in waiting:  # no school anywhere near: the error stands alone
        yield bad


def stream_groups(items: Iterator[tuple], srcs: list[Source]) -> Iterator[tuple]:
    """Consecutive records of a school → one group; NotGrouped if a closed school comes back."""
    items = attach_unreadable(items)
    closed: dict = {}
    current, bucket, first = None, [], 0
    for item in items:
        if item[0] == "columns":
            yield item
            continue
        line, kind, key, payload, src = item
        if kind == BAD and key is None:
            yield ("error", payload)
        elif kind == REGION:
            yield ("region",)
        else:
            if key != current or not bucket:
                if bucket:
                    closed[current] = first
                    yield ("group", current, bucket)
                if key in closed:
                    raise NotGrouped(srcs[src].name, line, key, closed[key])
                current, bucket, first = key, [], line
            bucket.append((line, kind, payload, src))
    if bucket:
        yield ("group", current, bucket)


def spill_groups(items: Iterator[tuple], workdir: str, on_spilled: Callable[[int], None],
                  tick: Callable[[], None] = lambda: None) -> Iterator[tuple]:
    """Group on disk: every record into SQLite, then back out school by school (first appearance
    order, records in input order). Regions and bad records of no school come out first, as they are read."""
    items = attach_unreadable(items)
    db = sqlite3.connect(os.path.join(workdir, "groups.sqlite"), isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-16384"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TABLE items (school INTEGER, key TEXT, line INTEGER, kind TEXT, src INTEGER, payload BLOB)")
        numbers: dict = {}
        rows: list = []
        spilled = 0

        def flush():
            db.execute("BEGIN")
            db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
            rows.clear()
            tick()

        for item in items:
            if item[0] == "columns":
                yield item
                continue
            line, kind, key, payload, src = item
            if kind == BAD and key is None:
                yield ("error", payload)
                continue
            if kind == REGION:
                yield ("region",)
                continue
            number = numbers.setdefault(key, len(numbers))
            if kind in _PICKLED:
                payload = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            rows.append((number, key if isinstance(key, str) else None, line, kind, src, payload))
            spilled += 1
            if len(rows) >= 10000:
                flush()
        if rows:
            flush()
        numbers.clear()
        db.execute("CREATE INDEX items_school ON items (school)")
        on_spilled(spilled)
        current, bucket, key = None, [], None
        for number, stored_key, line, kind, src, payload in db.execute(
                "SELECT school, key, line, kind, src, payload FROM items ORDER BY school, rowid"):
            if number != current:
                if bucket:
                    yield ("group", key, bucket)
                current, bucket = number, []
                key = stored_key if stored_key is not None else ("line", line)
            bucket.append((line, kind, pickle.loads(payload) if kind in _PICKLED else payload, src))
        if bucket:
            yield ("group", key, bucket)
    finally:
        db.close()


def is_grouped(srcs: list[Source]) -> bool:
    """A pass over the keys only: are each school's records together?"""
    try:
        for _ in stream_groups(items_of(srcs, [0]), srcs):
            pass
    except NotGrouped:
        return False
    return True


def chunks(events: Iterator[tuple], srcs: list[Source], position: list, counters: dict) -> Iterator[Chunk]:
    columns: dict[int, tuple] = {}
    names = tuple(s.name for s in srcs)

    def new(number: int) -> Chunk:
        return Chunk(number=number, source=names, columns=dict(columns))

    chunk, size, number = new(0), 0, 0
    for event in events:
        kind = event[0]
        if kind == "columns":
            columns[event[1]] = event[2]
            chunk.columns[event[1]] = event[2]
            continue
        if kind == "group":
            _, key, items = event
            chunk.groups.append((key, items))
            chunk.records += sum(1 for item in items if item[1] != WITHHELD)  # a marker is no record read
            size += sum(len(p) if isinstance(p, bytes) else ROW_BYTES for _, _, p, _ in items)
        elif kind == "error":
            chunk.errors.append(event[1])
            chunk.records += 1
        elif kind == "region":
            counters["regions"] += 1
            chunk.records += 1
        if size >= CHUNK_BYTES or chunk.records >= CHUNK_RECORDS:
            chunk.position = position[0]
            yield chunk
            number += 1
            chunk, size = new(number), 0
    chunk.position = position[0]
    if chunk.groups or chunk.errors or chunk.records:
        yield chunk
