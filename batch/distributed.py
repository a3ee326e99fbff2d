"""Batch evaluation beyond one machine, on a Dask cluster (`dask.distributed`).

    from kaohe.batch.distributed import run_dask
    run_dask("guangdong", "shared/gd-parts/", "shared/gd-results/",
             scheduler="tcp://10.0.0.5:8786", summary_path="summary.json")

The input is Parquet partitioned by school: a folder of files, each holding whole schools
(`kaohe.batch.formats.to_parquet(src, folder, teachers_per_file=N)` writes that layout). Each
file is one task. A worker loads the rulesets and plugins once: `KaoheRulesets`, a worker plugin,
does it when the worker starts (and the task loads them itself, once per process, on a worker that
joined later). A task evaluates its file with exactly the code of a local run
(`kaohe.batch.worker.evaluate_chunk`) and writes ``part-NNNNN.jsonl`` (or ``.parquet``),
``errors-NNNNN.jsonl`` and ``schools-NNNNN.jsonl`` into the output folder; the partial summaries
(`Totals`) are reduced pairwise on the workers, and the client writes the summary. The parts,
concatenated in order (`concatenate`), are byte-identical to a local `run_batch` over the same
files.

On a real cluster the input and output folders must be on storage that every worker and the
client see under the same path (a shared filesystem). Start a scheduler and workers with
``dask scheduler`` and ``dask worker tcp://SCHEDULER:8786 --nworkers N --nthreads 1`` on machines
that have kaohe (and the same plugins) installed, then pass ``scheduler="tcp://SCHEDULER:8786"``.
Without a scheduler, a local cluster of processes is started on the loopback interface.

This module lives outside `kaohe.engine` so the engine never depends on Dask.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from distributed import Client, LocalCluster, WorkerPlugin

from kaohe.engine import InputFormatError, explain

from . import formats, grouping, run
from . import worker as chunk_worker
from .tallies import Totals, school_entry, write_summary
from .worker import Job


class KaoheRulesets(WorkerPlugin):
    """Loads and compiles the rulesets once per worker process, when the worker starts."""

    name = "kaohe-rulesets"

    def __init__(self, job: Job):
        self.job = job

    def setup(self, worker) -> None:
        chunk_worker.init(self.job)


def evaluate_part(index: int, path: str, job: Job, output_dir: str) -> dict:
    """One Parquet file of whole schools → its output, error and school files, and its Totals."""
    source = formats.Source(path, "parquet")
    output_dir = Path(output_dir)
    suffix = "parquet" if job.output == "parquet" else "jsonl"
    out_path = output_dir / f"part-{index:05d}.{suffix}"
    totals = Totals()
    counters = {"regions": 0}
    position = [0]
    school_ids: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kaohe-part-") as workdir:
        grouped = grouping.is_grouped([source])
        items = grouping.items_of([source], position)
        events = grouping.stream_groups(items, [source]) if grouped else grouping.spill_groups(items, workdir, lambda n: None)
        writer = formats.ParquetVerdicts(str(out_path), _metadata(job)) if job.output == "parquet" else open(out_path, "wb")
        with open(output_dir / f"errors-{index:05d}.jsonl", "wb") as errors_file, \
                open(output_dir / f"schools-{index:05d}.jsonl", "wb") as schools_file:
            try:
                for chunk in grouping.chunks(events, [source], position, counters):
                    _, out, tallies, errors, _, not_evaluated = chunk_worker.evaluate_chunk(chunk, job)
                    totals.records_read += chunk.records
                    totals.records_invalid += len(errors)
                    totals.schools_not_evaluated += not_evaluated
                    if out:
                        writer.write(out)
                    for tally in tallies:
                        totals.add_school(tally)
                        school_ids.append(tally[0])
                        schools_file.write(chunk_worker.dumps(school_entry(tally)) + b"\n")
                    for error in errors:
                        errors_file.write(chunk_worker.dumps(error) + b"\n")
            finally:
                writer.close()
    totals.regions_skipped = counters["regions"]
    return {"index": index, "path": path, "output": str(out_path), "totals": totals, "schools": school_ids}


def merge_totals(*parts: Totals) -> Totals:
    merged = Totals()
    for part in parts:
        merged.merge(part)
    return merged


def _totals_of(result: dict) -> Totals:
    return result["totals"]


def _metadata(job: Job) -> dict:
    return {"ruleset": job.ruleset_id, "as_of": job.as_of.isoformat(), "result_version": explain.RESULT_VERSION}


def concatenate(output_dir: str | Path, dest: str | Path, prefix: str = "part-") -> Path:
    """The JSON Lines parts of a Dask run, in order, as one file (byte-identical to a local run)."""
    parts = sorted(Path(output_dir).glob(f"{prefix}*.jsonl"))
    with open(dest, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    return Path(dest)


def local_cluster(n_workers: int | None = None) -> LocalCluster:
    """Worker processes on this machine, one thread each, listening on loopback only."""
    return LocalCluster(n_workers=n_workers or run.default_workers(), processes=True, threads_per_worker=1,
                        host="127.0.0.1", dashboard_address=None)


def run_dask(ruleset_id: str, inputs, output_dir: str | Path, *, scheduler: str | Client | None = None,
             as_of: dt.date | None = None, lang: str = "zh", detail: str = "full", output_format: str = "jsonl",
             errors_path: str | Path | None = None, summary_path: str | Path | None = None,
             load_registry: Callable, n_workers: int | None = None) -> run.BatchSummary:
    """Evaluate Parquet partitioned by school on a Dask cluster; see the module docstring.

    scheduler: an address ("tcp://host:8786"), a connected Client, or None for a local cluster of
        `n_workers` processes. output_dir receives part, error and school files (shared storage).
    load_registry: a picklable () -> Registry (or plugin `Loaded`), as for `run_batch`; each worker
        runs it once.
    """
    started = time.perf_counter()
    if output_format not in ("jsonl", "parquet"):
        raise InputFormatError(f"unknown output format '{output_format}'", hint="jsonl or parquet")
    srcs = formats.sources(inputs)
    if any(s.format != "parquet" for s in srcs):
        raise InputFormatError("the Dask runner reads Parquet partitioned by school",
                               hint="convert with kaohe.batch.formats.to_parquet(src, folder, teachers_per_file=N)")
    lang = explain.language(lang)
    as_of = as_of or dt.date.today()
    job = Job(ruleset_id, as_of, lang, detail, output_format, load_registry)
    loaded = chunk_worker.load(job)  # on the client too: a wrong ruleset id fails here, not on every worker
    registry = getattr(loaded, "registry", loaded)
    compiled = registry.get(ruleset_id, as_of)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    for stale in list(output_dir.glob("part-*")) + list(output_dir.glob("errors-*")) + list(output_dir.glob("schools-*")):
        stale.unlink()

    cluster = None
    if isinstance(scheduler, Client):
        client, own_client = scheduler, False
    else:
        if scheduler is None:
            cluster = local_cluster(n_workers)
        client, own_client = Client(scheduler or cluster), True
    try:
        client.wait_for_workers(1, timeout=120)
        client.register_plugin(KaoheRulesets(job))
        workers = len(client.scheduler_info()["workers"])
        futures = [client.submit(evaluate_part, i, s.path, job, str(output_dir), key=f"kaohe-part-{i}", pure=False)
                   for i, s in enumerate(srcs)]
        # summaries are reduced on the workers, pairwise, so the client receives one
        level = [client.submit(_totals_of, f, pure=False) for f in futures]
        while len(level) > 1:
            level = [client.submit(merge_totals, *level[i:i + 2], pure=False) for i in range(0, len(level), 2)]
        totals: Totals = level[0].result()
        parts = client.gather(futures)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()

    split = _split_schools(parts)
    head = {"result_version": explain.RESULT_VERSION, "ruleset": explain.ruleset_header(compiled, lang),
            "as_of": as_of.isoformat(), "language": lang, "detail": detail,
            "inputs": [{"file": s.name, "format": s.format} for s in srcs], "output": str(output_dir),
            "output_format": output_format, "workers": workers, "grouping": "partitions"}
    with open(output_dir / "errors-split.jsonl", "wb") as out:
        for school_id, first, second in split:
            totals.records_invalid += 1
            out.write(chunk_worker.dumps(formats.error_entry(second, None, "input.school_split", [{
                "record": f"school {school_id}", "field": "",
                "problem": f"its rows are in two partitions ({first} and {second}); it was evaluated in each"}],
                school_id=school_id)) + b"\n")
    report = totals.report(head)
    report["elapsed_seconds"] = round(time.perf_counter() - started, 3)
    if errors_path:
        concatenate_errors(output_dir, errors_path)
    if summary_path:
        with _lines(sorted(output_dir.glob("schools-*.jsonl"))) as lines:
            write_summary(summary_path, report, lines)
    return run.BatchSummary(
        status=report["status"], records_read=totals.records_read, records_invalid=totals.records_invalid,
        regions_skipped=totals.regions_skipped, schools=totals.total.schools, schools_passing=totals.total.schools_passing,
        schools_not_evaluated=totals.schools_not_evaluated, teachers=totals.total.teachers,
        teachers_passing=totals.total.teachers_passing, grouping="partitions", workers=workers,
        seconds=report["elapsed_seconds"], output=str(output_dir),
        errors_path=str(errors_path) if errors_path else None, summary_path=str(summary_path) if summary_path else None,
        report=report)


def concatenate_errors(output_dir: str | Path, dest: str | Path) -> Path:
    files = sorted(Path(output_dir).glob("errors-0*.jsonl")) + [Path(output_dir) / "errors-split.jsonl"]
    with open(dest, "wb") as out:
        for path in files:
            if path.exists():
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    return Path(dest)


def _split_schools(parts: list[dict]) -> list[tuple]:
    """Schools that more than one partition evaluated: the input was not partitioned by school."""
    seen: dict[str, str] = {}
    split = []
    for part in sorted(parts, key=lambda p: p["index"]):
        for school_id in part["schools"]:
            first = seen.setdefault(school_id, part["path"])
            if first != part["path"]:
                split.append((school_id, first, part["path"]))
    return split


class _lines:
    """Lines of several files, one after the other, as a context manager."""

    def __init__(self, paths):
        self.paths = paths

    def __enter__(self):
        return self._iter()

    def _iter(self):
        for path in self.paths:
            with open(path, "rb") as src:
                yield from src

    def __exit__(self, *exc):
        return False


__all__ = ["run_dask", "KaoheRulesets", "evaluate_part", "concatenate", "concatenate_errors", "local_cluster"]
