"""Streaming batch evaluation: files of any size in, one school result per line out, bounded memory.

    run_batch("guangdong", "teachers.jsonl", "results.jsonl", workers=2,
              errors_path="errors.jsonl", summary_path="summary.json")

The pipeline: read (`batch_io`: only each record's school id is read here) → group by school →
chunks of whole schools → workers validate, evaluate and serialize (`batch_worker`) → results are
written in input order, with a summary per school, county and city.

Grouping. Records of a school must be evaluated together (a school's rules read its teachers).
Input that is already grouped by school (one school per line, or teacher rows kept together) is
streamed. Input that is not is grouped on disk: every record goes into a SQLite file keyed by the
school's first appearance, and is read back school by school; sqlite sorts on disk, so memory
stays bounded. `grouping="auto"` (the default) streams optimistically and, at the first record of
a school seen earlier, starts again with on-disk grouping (nothing is kept of the first attempt).
Schools come out in the order of their first record either way.

Memory is bounded by the largest school times the chunks in flight, not by the input; the only
thing that grows with the input is the set of school ids seen (about 100 bytes a school).

Parallelism. `workers` processes (spawned, so nothing of the parent's state is shared), each
loading the rulesets once (initializer), receive chunks of raw records (about 1 MiB) and write the
chunk's serialized lines to a spool file, which the parent appends to the output with a kernel-side
copy (`copy_file_range`; results never cross a pipe); at most `3 × workers` chunks are in flight,
and results are written in input order, so the output is byte-identical whatever the number of
workers. `workers=1` evaluates in the calling process.

Bad records (unreadable JSON, a record that fails validation, a second record for the same
school) do not stop the run: each goes to the error file with its line, masked record id and
reason, and is counted; the school it belongs to is not evaluated, because its share of
qualified teachers would be wrong. `BatchSummary.status` is then "errors".
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import pickle
import signal
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import batch_io, batch_worker, explain
from .batch_io import BAD, REGION, ROW, Source
from .batch_worker import Chunk, Job
from .errors import InputFormatError, KaoheError

SUMMARY_VERSION = "1"
GROUPINGS = ("auto", "sorted", "spill")
CHUNK_BYTES = 1 << 20  # raw input per chunk: big enough to amortise IPC, small enough to keep memory flat
CHUNK_RECORDS = 2000
ROW_BYTES = 1500  # a CSV/Parquet row counts as about this much toward CHUNK_BYTES
IN_FLIGHT_PER_WORKER = 3
TOP_FAILING_RULES = 5  # per school, county and city; the totals list every failing rule
STDERR_ERRORS_SHOWN = 50
EXIT_OK, EXIT_BAD_RECORDS = 0, 4


@dataclass
class BatchSummary:
    """What a batch run did. `status` is "ok", or "errors" when some records were bad (exit 4)."""

    status: str
    records_read: int
    records_invalid: int
    regions_skipped: int
    schools: int
    schools_passing: int
    schools_not_evaluated: int
    teachers: int
    teachers_passing: int
    grouping: str
    workers: int
    seconds: float
    output: str
    errors_path: str | None = None
    summary_path: str | None = None
    warnings: list[str] = field(default_factory=list)
    report: dict = field(default_factory=dict, repr=False)  # the summary document without its per-school list

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.status == "ok" else EXIT_BAD_RECORDS

    @property
    def teachers_per_second(self) -> float:
        return self.teachers / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("status", "records_read", "records_invalid", "regions_skipped", "schools",
                                              "schools_passing", "schools_not_evaluated", "teachers", "teachers_passing",
                                              "grouping", "workers", "seconds", "output", "errors_path", "summary_path",
                                              "warnings")}
        out["exit_code"] = self.exit_code
        return out


class NotGrouped(Exception):
    """A school's records are not together: stream grouping cannot go on."""

    def __init__(self, source: str, line: int, key, first_line: int):
        super().__init__(f"{source}:{line}: school {key} appeared before (line {first_line}) and other schools since")
        self.source, self.line, self.key, self.first_line = source, line, key, first_line


# ---- the summary ----------------------------------------------------------------------------------

class Tally:
    """Counts for one area (a county, a city, everything): schools, teachers, failing rules."""

    __slots__ = ("schools", "schools_passing", "teachers", "teachers_passing", "teacher_rules", "school_rules")

    def __init__(self):
        self.schools = self.schools_passing = self.teachers = self.teachers_passing = 0
        self.teacher_rules: dict[str, int] = {}
        self.school_rules: dict[str, int] = {}

    def add(self, tally: tuple) -> None:
        _, _, _, verdict, teachers, passing, failed_school, teacher_counts = tally
        self.schools += 1
        self.schools_passing += verdict == "pass"
        self.teachers += teachers
        self.teachers_passing += passing
        for rule in failed_school:
            self.school_rules[rule] = self.school_rules.get(rule, 0) + 1
        for rule, count in teacher_counts:
            self.teacher_rules[rule] = self.teacher_rules.get(rule, 0) + count

    def merge(self, other: "Tally") -> "Tally":
        self.schools += other.schools
        self.schools_passing += other.schools_passing
        self.teachers += other.teachers
        self.teachers_passing += other.teachers_passing
        for mine, theirs in ((self.teacher_rules, other.teacher_rules), (self.school_rules, other.school_rules)):
            for rule, count in theirs.items():
                mine[rule] = mine.get(rule, 0) + count
        return self

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def to_dict(self, top: int | None = TOP_FAILING_RULES) -> dict:
        return {
            "schools": self.schools,
            "schools_passing": self.schools_passing,
            "school_qualified_share": _share(self.schools_passing, self.schools),
            "teachers": self.teachers,
            "teachers_passing": self.teachers_passing,
            "qualified_share": _share(self.teachers_passing, self.teachers),
            "failing_rules": failing_rules(self.school_rules, self.teacher_rules, top),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def failing_rules(school_rules: dict, teacher_rules: dict, top: int | None) -> list[dict]:
    """Most frequent first: how many schools fail each school rule, how many teachers each teacher rule."""
    rows = [{"id": r, "level": "school", "count": c} for r, c in school_rules.items()]
    rows += [{"id": r, "level": "teacher", "count": c} for r, c in teacher_rules.items()]
    rows.sort(key=lambda row: (-row["count"], row["level"], row["id"]))
    return rows if top is None else rows[:top]


def school_entry(tally: tuple) -> dict:
    school_id, county, city, verdict, teachers, passing, failed_school, teacher_counts = tally
    return {"id": school_id, "county_id": county, "city_id": city, "verdict": verdict, "teachers": teachers,
            "teachers_passing": passing, "qualified_share": _share(passing, teachers),
            "failing_rules": failing_rules(dict.fromkeys(failed_school, 1), dict(teacher_counts), TOP_FAILING_RULES)}


class Totals:
    """Everything the summary adds up, mergeable (the Dask runner reduces one per partition)."""

    def __init__(self):
        self.total = Tally()
        self.counties: dict = {}
        self.cities: dict = {}
        self.county_city: dict = {}
        self.records_read = self.records_invalid = self.regions_skipped = self.schools_not_evaluated = 0

    def add_school(self, tally: tuple) -> None:
        county, city = tally[1], tally[2]
        self.total.add(tally)
        self.counties.setdefault(county, Tally()).add(tally)
        self.cities.setdefault(city, Tally()).add(tally)
        if county is not None:
            self.county_city.setdefault(county, city)

    def merge(self, other: "Totals") -> "Totals":
        self.total.merge(other.total)
        for mine, theirs in ((self.counties, other.counties), (self.cities, other.cities)):
            for key, tally in theirs.items():
                mine.setdefault(key, Tally()).merge(tally)
        for county, city in other.county_city.items():
            self.county_city.setdefault(county, city)
        self.records_read += other.records_read
        self.records_invalid += other.records_invalid
        self.regions_skipped += other.regions_skipped
        self.schools_not_evaluated += other.schools_not_evaluated
        return self

    def report(self, head: dict) -> dict:
        status = "errors" if self.records_invalid else "ok"
        totals = self.total.to_dict(top=None)
        totals["schools_not_evaluated"] = self.schools_not_evaluated
        return {
            "summary_version": SUMMARY_VERSION, **head, "status": status,
            "records": {"read": self.records_read, "invalid": self.records_invalid, "regions_skipped": self.regions_skipped},
            "totals": totals,
            "cities": [{"id": key, **tally.to_dict()} for key, tally in _ordered(self.cities)],
            "counties": [{"id": key, "city_id": self.county_city.get(key), **tally.to_dict()}
                         for key, tally in _ordered(self.counties)],
        }


def _ordered(areas: dict):
    return sorted(areas.items(), key=lambda item: (item[0] is None, item[0] or ""))


def write_summary(path: str | Path, report: dict, school_lines: Iterable[bytes]) -> None:
    """The summary JSON: the report, then one line per school, streamed from `school_lines`."""
    head = json.dumps(report, ensure_ascii=False, indent=2)
    with open(path, "wb") as out:
        out.write(head[:-2].encode("utf-8") + b',\n  "schools": [')
        separator = b"\n    "
        for line in school_lines:
            out.write(separator + line.rstrip(b"\n"))
            separator = b",\n    "
        out.write(b"\n  ]\n}\n")


# ---- grouping -------------------------------------------------------------------------------------

def _items(srcs: list[Source], position: list) -> Iterator[tuple]:
    """Items of every source, each with its source index; ('columns', i, names) before rows."""
    done = 0
    for index, source in enumerate(srcs):
        local = [0]
        for item in batch_io.read(source, local):
            position[0] = done + local[0]
            if item[0] == "columns":
                yield ("columns", index, item[1])
            else:
                yield item + (index,)
        done += source.size if source.path != "-" else local[0]
        position[0] = done


def _stream_groups(items: Iterator[tuple], srcs: list[Source]) -> Iterator[tuple]:
    """Consecutive records of a school → one group; NotGrouped if a closed school comes back."""
    closed: dict = {}
    current, bucket, first = None, [], 0
    for item in items:
        if item[0] == "columns":
            yield item
            continue
        line, kind, key, payload, src = item
        if kind == BAD:
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


def _spill_groups(items: Iterator[tuple], workdir: str, on_spilled: Callable[[int], None],
                  tick: Callable[[], None] = lambda: None) -> Iterator[tuple]:
    """Group on disk: every record into SQLite, then back out school by school (first appearance
    order, records in input order). Bad records and regions come out first, as they are read."""
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
            if kind == BAD:
                yield ("error", payload)
                continue
            if kind == REGION:
                yield ("region",)
                continue
            number = numbers.setdefault(key, len(numbers))
            if kind == ROW:
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
            bucket.append((line, kind, pickle.loads(payload) if kind == ROW else payload, src))
        if bucket:
            yield ("group", key, bucket)
    finally:
        db.close()


def _is_grouped(srcs: list[Source]) -> bool:
    """A pass over the keys only: are each school's records together?"""
    try:
        for _ in _stream_groups(_items(srcs, [0]), srcs):
            pass
    except NotGrouped:
        return False
    return True


def _chunks(events: Iterator[tuple], srcs: list[Source], position: list, counters: dict) -> Iterator[Chunk]:
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
            chunk.records += len(items)
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


# ---- running ----------------------------------------------------------------------------------------

_SPOOL: list = [None]  # in a pool worker: the folder chunk outputs are written to


def _pool_init(job: Job, spool: str) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it (and shuts the pool down), so
    # the workers do not each print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _SPOOL[0] = spool
    batch_worker.init(job)


def _evaluate_to_file(chunk: Chunk) -> tuple:
    """In a pool worker: the chunk's JSON lines go to a spool file, not through the result pipe;
    the parent appends the file to the output with a kernel-side copy (a third of the copies)."""
    result = batch_worker.evaluate_chunk(chunk)
    out = result[1]
    if isinstance(out, bytes) and out:
        path = os.path.join(_SPOOL[0], f"chunk-{chunk.number}.jsonl")
        with open(path, "wb") as spool:
            spool.write(out)
        result = result[:1] + ((path, len(out)),) + result[2:]
    return result


def _append_file(out, path: str, length: int) -> None:
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


class _Runner:
    """Chunks → results in input order: in this process, or on a pool with a bounded window."""

    def __init__(self, job: Job, workers: int, spool: str):
        self.workers = workers
        self.pool = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                            initializer=_pool_init, initargs=(job, spool))
        else:
            batch_worker.init(job)

    def map(self, chunks: Iterator[Chunk]) -> Iterator[tuple]:
        if self.pool is None:
            for chunk in chunks:
                yield chunk.position, chunk.records, batch_worker.evaluate_chunk(chunk)
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


def _shows_progress(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


class _Progress:
    """A tqdm bar on stderr (bytes or rows read, teachers/s, ETA), silent unless stderr is a terminal."""

    def __init__(self, enabled: bool | None, total: int, unit: str, description: str):
        enabled = _shows_progress(enabled)
        self.bar = None
        self.started = time.perf_counter()
        self.teachers = 0
        self.done = 0
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # the bar is a convenience: without tqdm, none
                return
            self.bar = tqdm(total=total or None, unit=unit, unit_scale=True, unit_divisor=1024 if unit == "B" else 1000,
                            desc=description, file=sys.stderr, dynamic_ncols=True, mininterval=0.5, smoothing=0.1,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]")

    def update(self, position: int, teachers: int) -> None:
        self.teachers += teachers
        if self.bar is None:
            return
        if position > self.done:
            self.bar.update(position - self.done)
            self.done = position
        elapsed = time.perf_counter() - self.started
        if self.teachers and elapsed:
            self.bar.set_postfix_str(f"{self.teachers:,} teachers, {self.teachers / elapsed:,.0f}/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Sinks:
    """Output, error and per-school spool files, written to temporaries and moved into place at the
    end, so a run that starts over (or fails) never leaves half a result behind."""

    def __init__(self, output: str, output_format: str, errors_path: str | None, workdir: str, metadata: dict):
        self.output, self.output_format, self.errors_path = output, output_format, errors_path
        self.workdir, self.metadata = workdir, metadata
        self.stdout = output == "-"
        self._open()

    def _temporary(self, path: str) -> str:
        # beside the destination (same filesystem, so the final move is a rename), with the usual permissions
        folder = os.path.dirname(os.path.abspath(path))
        return os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.partial")

    def _open(self) -> None:
        if self.stdout:
            self.out_path = None
            self.out = sys.stdout.buffer
        else:
            self.out_path = self._temporary(self.output)
            if self.output_format == "parquet":
                self.out = batch_io.ParquetVerdicts(self.out_path, self.metadata)
            else:
                self.out = open(self.out_path, "wb", buffering=1 << 20)
        self.errors_file = os.path.join(self.workdir, "errors.jsonl")
        self.errors = open(self.errors_file, "wb", buffering=1 << 16)
        self.schools_file = os.path.join(self.workdir, "schools.jsonl")
        self.schools = open(self.schools_file, "wb", buffering=1 << 16)

    def reset(self) -> None:
        """Forget everything written: the run starts over."""
        self.out.close() if not self.stdout else None
        self.errors.close()
        self.schools.close()
        if self.out_path:
            os.unlink(self.out_path)
        self._open()

    def write(self, out, tallies: list, errors: list) -> None:
        if isinstance(out, tuple):  # a spool file written by a pool worker
            _append_file(self.out, *out)
        elif out:
            self.out.write(out)
        for tally in tallies:
            self.schools.write(batch_worker.dumps(school_entry(tally)) + b"\n")
        for error in errors:
            self.errors.write(batch_worker.dumps(error) + b"\n")

    def finish(self, report: dict, summary_path: str | None) -> None:
        if self.stdout:
            self.out.flush()
        else:
            self.out.close()
            os.replace(self.out_path, self.output)
            self.out_path = None
        self.errors.close()
        self.schools.close()
        if self.errors_path:
            os.replace(self.errors_file, self.errors_path) if _same_device(self.errors_file, self.errors_path) \
                else _copy(self.errors_file, self.errors_path)
        else:
            self._print_errors()
        if summary_path:
            with open(self.schools_file, "rb") as lines:
                write_summary(summary_path, report, lines)

    def _print_errors(self) -> None:
        with open(self.errors_file, "rb") as lines:
            shown = 0
            for shown, line in enumerate(lines, 1):
                if shown > STDERR_ERRORS_SHOWN:
                    continue
                print(f"kaohe: bad record: {batch_io.error_text(json.loads(line))}", file=sys.stderr)
            if shown > STDERR_ERRORS_SHOWN:
                print(f"kaohe: ... and {shown - STDERR_ERRORS_SHOWN} more bad records (give an errors file to keep them all)",
                      file=sys.stderr)

    def abandon(self) -> None:
        for handle in (getattr(self, "errors", None), getattr(self, "schools", None)):
            if handle is not None:
                handle.close()
        if not self.stdout and self.out_path:
            try:
                self.out.close()
            finally:
                if os.path.exists(self.out_path):
                    os.unlink(self.out_path)


def _same_device(a: str, b: str) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(os.path.dirname(os.path.abspath(b))).st_dev
    except OSError:
        return False


def _copy(src: str, dst: str) -> None:
    import shutil

    shutil.copyfile(src, dst)


def _check_writable(path: str | None, what: str) -> None:
    """Fail before hours of work, not after: the folder must exist and be writable."""
    if not path or path == "-":
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputFormatError(f"{path}: cannot write the {what}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise InputFormatError(f"{path}: cannot write the {what}: permission denied")
    if os.path.isdir(path):
        raise InputFormatError(f"{path}: cannot write the {what}: it is a folder")


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def output_format_of(output: str, output_format: str | None) -> str:
    if output_format:
        if output_format not in ("jsonl", "parquet"):
            raise InputFormatError(f"unknown output format '{output_format}'", hint="jsonl or parquet")
        return output_format
    suffix = Path(output).suffix.lower() if output != "-" else ".jsonl"
    if suffix in batch_io.JSONL_SUFFIXES:
        return "jsonl"
    if suffix in batch_io.PARQUET_SUFFIXES:
        return "parquet"
    raise InputFormatError(f"{output}: unknown output format '{suffix}'", hint="write .jsonl (full results) or .parquet (verdicts)")


def run_batch(ruleset_id: str, inputs, output: str | Path, *, as_of: dt.date | None = None, lang: str = "zh",
              detail: str = "full", workers: int | None = None, errors_path: str | Path | None = None,
              summary_path: str | Path | None = None, progress: bool | None = None, grouping: str = "auto",
              input_format: str | None = None, output_format: str | None = None,
              load_registry: Callable, temp_dir: str | None = None) -> BatchSummary:
    """Evaluate `inputs` (JSON Lines, CSV or Parquet; a path, '-', or a list) into `output`
    (.jsonl: one `school_dict` per line; .parquet: verdicts, one row per teacher; '-': stdout).

    errors_path: JSON Lines of bad records (line, masked record id, reason); without it they are
        printed to stderr after the run.
    summary_path: the summary JSON (per school, county, city, and totals).
    progress: a progress bar on stderr; None shows it only when stderr is a terminal.
    grouping: "auto", "sorted" (input must be grouped by school, else an error) or "spill".
    load_registry: a picklable () -> Registry (or plugin `Loaded`), run once in every worker, e.g.
        `kaohe.plugins.manager.RegistryLoader(ruleset_paths, plugin_modules)`: the engine does not
        reach up into the plugin layer itself.
    Raises KaoheError for problems that stop the run (unknown ruleset, unreadable file, unknown
    column); bad records do not raise.
    """
    started = time.perf_counter()
    if grouping not in GROUPINGS:
        raise InputFormatError(f"unknown grouping '{grouping}'", hint=", ".join(GROUPINGS))
    if detail not in ("full", "compact"):
        raise InputFormatError(f"unknown detail '{detail}'", hint="full or compact")
    output = str(output)
    out_format = output_format_of(output, output_format)
    srcs = batch_io.sources(inputs, input_format)
    for path, what in ((output, "output"), (errors_path, "error file"), (summary_path, "summary")):
        _check_writable(str(path) if path else None, what)
    lang = explain.language(lang)
    as_of = as_of or dt.date.today()
    workers = max(1, int(workers or default_workers()))
    job = Job(ruleset_id, as_of, lang, detail, out_format, load_registry)

    loaded = batch_worker.load(job)  # here first: an unknown ruleset or date fails before any worker starts
    registry = getattr(loaded, "registry", loaded)
    compiled = registry.get(ruleset_id, as_of)
    warnings = [f"plugin {p.plugin} not loaded: {p.reason}" for p in getattr(loaded, "problems", [])]
    head = {"result_version": explain.RESULT_VERSION, "ruleset": explain.ruleset_header(compiled, lang),
            "as_of": as_of.isoformat(), "language": lang, "detail": detail,
            "inputs": [{"file": s.name, "format": s.format} for s in srcs],
            "output": output, "output_format": out_format, "workers": workers}
    metadata = {"ruleset": compiled.resolved.id, "revision": compiled.resolved.revision, "as_of": as_of.isoformat(),
                "result_version": explain.RESULT_VERSION}

    stdin = any(s.path == "-" for s in srcs)
    if grouping == "auto" and stdin:
        grouping = "spill"  # standard input cannot be read twice
    elif grouping == "auto" and output == "-":
        grouping = "sorted" if _is_grouped(srcs) else "spill"  # what went to stdout cannot be taken back

    with tempfile.TemporaryDirectory(prefix="kaohe-batch-", dir=temp_dir) as workdir:
        sinks = _Sinks(output, out_format, str(errors_path) if errors_path else None, workdir, metadata)
        runner = None
        try:
            spool = os.path.join(workdir, "spool")
            os.mkdir(spool)
            runner = _Runner(job, workers, spool)
            attempt = "sorted" if grouping in ("auto", "sorted") else "spill"
            while True:
                try:
                    totals = _run(attempt, srcs, runner, sinks, workdir, progress)
                    break
                except NotGrouped as exc:
                    if grouping != "auto":
                        raise InputFormatError(
                            f"{exc}: the input is not grouped by school",
                            code="input.not_grouped", hint="sort it by school_id, or use grouping 'spill' (or 'auto')") from None
                    sinks.reset()
                    attempt = "spill"
                    if _shows_progress(progress):
                        print(f"kaohe: {exc}: the input is not grouped by school; grouping it on disk", file=sys.stderr)
            head["grouping"] = attempt
            elapsed = round(time.perf_counter() - started, 3)
            report = totals.report(head)
            report["elapsed_seconds"] = elapsed
            sinks.finish(report, str(summary_path) if summary_path else None)
        except BaseException:
            sinks.abandon()
            raise
        finally:
            if runner is not None:
                runner.close()
    return BatchSummary(
        status=report["status"], records_read=totals.records_read, records_invalid=totals.records_invalid,
        regions_skipped=totals.regions_skipped, schools=totals.total.schools, schools_passing=totals.total.schools_passing,
        schools_not_evaluated=totals.schools_not_evaluated, teachers=totals.total.teachers,
        teachers_passing=totals.total.teachers_passing, grouping=attempt, workers=workers, seconds=elapsed, output=output,
        errors_path=str(errors_path) if errors_path else None, summary_path=str(summary_path) if summary_path else None,
        warnings=warnings, report=report)


def _run(attempt: str, srcs: list[Source], runner: _Runner, sinks: _Sinks, workdir: str, progress: bool | None) -> Totals:
    totals = Totals()
    counters = {"regions": 0}
    position = [0]
    parquet_only = all(s.format == "parquet" for s in srcs)
    total = sum(s.size for s in srcs)
    unit = "rows" if parquet_only else "B"
    bar = _Progress(progress, total, unit, "evaluating" if attempt == "sorted" else "grouping")
    items = _items(srcs, position)
    try:
        if attempt == "sorted":
            events = _stream_groups(items, srcs)
        else:
            def spilled(records: int) -> None:
                # the second half: reading back school by school; progress now counts records
                nonlocal bar
                bar.close()
                bar = _Progress(progress, records, "rec", "evaluating")
                bar.teachers = 0
                position[0] = 0
                counted[0] = True

            counted = [False]
            events = _spill_groups(items, workdir, spilled, tick=lambda: bar.update(position[0], 0))
        done = 0
        for chunk_position, records, result in runner.map(_chunks(events, srcs, position, counters)):
            _, out, tallies, errors, teachers, not_evaluated = result
            totals.records_read += records
            totals.records_invalid += len(errors)
            totals.schools_not_evaluated += not_evaluated
            for tally in tallies:
                totals.add_school(tally)
            sinks.write(out, tallies, errors)
            if attempt == "spill" and counted[0]:
                done += records
                bar.update(done, teachers)
            else:
                bar.update(chunk_position, teachers)
        totals.regions_skipped = counters["regions"]
    finally:
        bar.close()
    return totals


__all__ = ["run_batch", "BatchSummary", "Totals", "Tally", "write_summary", "failing_rules", "school_entry",
           "NotGrouped", "default_workers", "EXIT_OK", "EXIT_BAD_RECORDS"]
