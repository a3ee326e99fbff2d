"""Streaming batch evaluation: files of any size in, one school result per line out, bounded memory.

    run_batch("guangdong", "teachers.jsonl", "results.jsonl", workers=2,
              errors_path="errors.jsonl", summary_path="summary.json")

The pipeline: read (`formats`: only each record's school id is read here) → group by school →
chunks of whole schools → workers validate, evaluate and serialize (`worker`) → results are
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

import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kaohe.engine import InputFormatError, explain

from . import formats, worker
from .grouping import NotGrouped, is_grouped, items_of, spill_groups, stream_groups, chunks
from .formats import Source
from .progress import Progress, shows_progress
from .runner import Runner, default_workers
from .sinks import Sinks, check_writable, output_format_of
from .tallies import Totals
from .worker import Job

GROUPINGS = ("auto", "sorted", "spill")
EXIT_OK, EXIT_BAD_RECORDS = 0, 4

# entries of the errors file that name a school, not a bad record: withheld because a line next to
# it could not be read, or valid but not evaluable (an internal error)
NOT_RECORD_ERRORS = ("record.school_withheld", "record.not_evaluable")


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


def run_batch(ruleset_id: str, inputs, output: str | Path, *, as_of: dt.date | None = None, lang: str = "zh",
              detail: str = "full", workers: int | None = None, errors_path: str | Path | None = None,
              summary_path: str | Path | None = None, progress: bool | None = None, grouping: str = "auto",
              input_format: str | None = None, output_format: str | None = None,
              load_registry: Callable, temp_dir: str | None = None, record: Callable | None = None) -> BatchSummary:
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
    record: keep every school's decision: called with (compiled ruleset, [decision parts]) for each
        chunk before its output is written (kaohe.store.batch.BatchRecorder), so an id in the output
        is an id in the store.
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
    srcs = formats.sources(inputs, input_format)
    for path, what in ((output, "output"), (errors_path, "error file"), (summary_path, "summary")):
        check_writable(str(path) if path else None, what)
    lang = explain.language(lang)
    as_of = as_of or dt.date.today()
    workers = max(1, int(workers or default_workers()))
    job = Job(ruleset_id, as_of, lang, detail, out_format, load_registry, record=record is not None)

    loaded = worker.load(job)  # here first: an unknown ruleset or date fails before any worker starts
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
    if grouping == "auto" and record is not None and not stdin:
        grouping = "sorted" if is_grouped(srcs) else "spill"  # decisions kept cannot be taken back either
    if grouping == "auto" and stdin:
        grouping = "spill"  # standard input cannot be read twice
    elif grouping == "auto" and output == "-":
        grouping = "sorted" if is_grouped(srcs) else "spill"  # what went to stdout cannot be taken back

    with tempfile.TemporaryDirectory(prefix="kaohe-batch-", dir=temp_dir) as workdir:
        sinks = Sinks(output, out_format, str(errors_path) if errors_path else None, workdir, metadata)
        runner = None
        try:
            spool = os.path.join(workdir, "spool")
            os.mkdir(spool)
            runner = Runner(job, workers, spool)
            attempt = "sorted" if grouping in ("auto", "sorted") else "spill"
            while True:
                try:
                    totals = _run(attempt, srcs, runner, sinks, workdir, progress,
                                  (lambda parts: record(compiled, parts)) if record is not None else None)
                    break
                except NotGrouped as exc:
                    if grouping != "auto":
                        raise InputFormatError(
                            f"{exc}: the input is not grouped by school",
                            code="input.not_grouped", hint="sort it by school_id, or use grouping 'spill' (or 'auto')") from None
                    sinks.reset()
                    attempt = "spill"
                    if shows_progress(progress):
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


def _run(attempt: str, srcs: list[Source], runner: Runner, sinks: Sinks, workdir: str, progress: bool | None,
         record: Callable | None = None) -> Totals:
    totals = Totals()
    counters = {"regions": 0}
    position = [0]
    parquet_only = all(s.format == "parquet" for s in srcs)
    total = sum(s.size for s in srcs)
    unit = "rows" if parquet_only else "B"
    bar = Progress(progress, total, unit, "evaluating" if attempt == "sorted" else "grouping")
    items = items_of(srcs, position)
    try:
        if attempt == "sorted":
            events = stream_groups(items, srcs)
        else:
            def spilled(records: int) -> None:
                # the second half: reading back school by school; progress now counts records
                nonlocal bar
                bar.close()
                bar = Progress(progress, records, "rec", "evaluating")
                bar.teachers = 0
                position[0] = 0
                counted[0] = True

            counted = [False]
            events = spill_groups(items, workdir, spilled, tick=lambda: bar.update(position[0], 0))
        done = 0
        for chunk_position, records, result in runner.map(chunks(events, srcs, position, counters)):
            _, out, tallies, errors, teachers, not_evaluated = result[:6]
            if record is not None and len(result) > 6:
                record(result[6])  # committed before the output names them
            totals.records_read += records
            totals.records_invalid += sum(1 for e in errors if e["code"] not in NOT_RECORD_ERRORS)
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
