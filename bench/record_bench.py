"""Decision recording: how fast the store takes a batch's decisions, and what recording costs.

    python bench/record_bench.py --teachers 100000                       # SQLite (a file in bench/data)
    python bench/record_bench.py --teachers 100000 --postgres URL        # and PostgreSQL
    python bench/record_bench.py --api                                   # single-teacher p50 at 16 clients, recording off/on

Store: every school of a generated Guangdong dataset (realistic variety: the generator's profiles
exercise every rule) is evaluated once; then the decisions (one per school, with every teacher's
verdict and each rule's outcome, actual and required values) are inserted as `kaohe evaluate
--record` inserts them, a chunk per transaction. Figures: teacher decisions/s (a teacher's verdict
with all its rule outcomes, each one a subject row) and school decisions/s.
End to end: `run_batch` without and with recording, same input, 2 workers.
API: bench/api_load.py against `kaohe serve` with KAOHE_RECORD=0, then recording into SQLite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2022, 12, 31)
CHUNK_SCHOOLS = 40  # about what a batch chunk holds at 50 teachers a school


def generate(teachers: int, per_school: int) -> Path:
    sys.path.insert(0, str(HERE.parent / "examples"))
    import generate_guangdong

    path = HERE / "data" / f"record-gd-{teachers}-{per_school}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".partial"), "w", encoding="utf-8") as out:
            for school in generate_guangdong.iter_schools(teachers, per_school):
                out.write(json.dumps(school, ensure_ascii=False) + "\n")
        path.with_suffix(".partial").replace(path)
    return path


def decision_parts(path: Path):
    from kaohe.engine import School
    from kaohe.plugins.manager import build_registry
    from kaohe.store.recording import school_parts, stored_input

    registry = build_registry().registry
    evaluator = registry.evaluator("guangdong", AS_OF)
    parts = []
    with open(path, "rb") as lines:
        for line in lines:
            school = School.model_validate_json(line)
            result = evaluator.school(school, AS_OF)
            parts.append((str(uuid.uuid4()), stored_input(school.model_dump_json(exclude_defaults=True).encode()))
                         + school_parts(result))
    return evaluator.ruleset, parts


def store_throughput(url: str, compiled, parts) -> dict:
    from kaohe.store import DecisionStore, open_database
    from kaohe.store.batch import BatchRecorder

    database = open_database(url)
    store = DecisionStore(database)
    recorder = BatchRecorder(store, "guangdong", "bench", AS_OF)
    fresh = [(str(uuid.uuid4()),) + p[1:] for p in parts]  # new ids: the same database may be used twice
    teachers = sum(sum(1 for s in p[3] if s[0] == "teacher") for p in fresh)
    started = time.perf_counter()
    for start in range(0, len(fresh), CHUNK_SCHOOLS):
        recorder(compiled, fresh[start:start + CHUNK_SCHOOLS])
    seconds = time.perf_counter() - started
    recorder.finish()
    database.close()
    return {"backend": database.dialect, "schools": len(fresh), "teachers": teachers, "seconds": round(seconds, 2),
            "teacher_decisions_per_s": round(teachers / seconds), "school_decisions_per_s": round(len(fresh) / seconds)}


def end_to_end(path: Path, url: str | None, workers: int) -> dict:
    from kaohe.batch import run_batch
    from kaohe.plugins.manager import RegistryLoader
    from kaohe.store import DecisionStore, open_database
    from kaohe.store.batch import BatchRecorder

    record = None
    if url:
        store = DecisionStore(open_database(url))
        record = BatchRecorder(store, "guangdong", str(path), AS_OF)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        summary = run_batch("guangdong", str(path), os.path.join(folder, "out.jsonl"), as_of=AS_OF, workers=workers,
                            progress=False, load_registry=RegistryLoader(), record=record)
        seconds = time.perf_counter() - started
    if record is not None:
        record.finish()
    return {"recording": url.split(":")[0] if url else "off", "teachers": summary.teachers, "seconds": round(seconds, 2),
            "teachers_per_s": round(summary.teachers / seconds)}


def api(levels: str, seconds: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, env in (("off", {"KAOHE_RECORD": "0"}),
                           ("sqlite", {"KAOHE_RECORD": "1", "KAOHE_DATABASE_URL": f"sqlite:///{folder}/api.db"})):
            out = subprocess.run([sys.executable, str(HERE / "api_load.py"), "--mode", "single", "--levels", levels,
                                  "--seconds", str(seconds)], env={**os.environ, **env},
                                 capture_output=True, text=True, check=True)
            print(f"recording {label}:\n{out.stdout}")
            rows.append({"recording": label, "output": out.stdout})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--per-school", type=int, default=50)
    parser.add_argument("--postgres", default=os.environ.get("KAOHE_BENCH_DATABASE_URL"),
                        help="postgresql://… (env KAOHE_BENCH_DATABASE_URL)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--api", action="store_true", help="only the API comparison (bench/api_load.py twice)")
    parser.add_argument("--levels", default="16")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.api:
        api(args.levels, args.seconds)
        return 0
    path = generate(args.teachers, args.per_school)
    compiled, parts = decision_parts(path)
    with tempfile.TemporaryDirectory() as folder:
        urls = [f"sqlite:///{folder}/bench.db"] + ([args.postgres] if args.postgres else [])
        for url in urls:
            row = store_throughput(url, compiled, parts)
            print(f"store  {row['backend']:<10}  {row['teachers']} teacher decisions in {row['schools']} school "
                  f"decisions, {row['seconds']} s: {row['teacher_decisions_per_s']:,} teacher decisions/s "
                  f"({row['school_decisions_per_s']:,} school decisions/s)")
        if not args.no_end_to_end:
            for url in [None] + urls:
                row = end_to_end(path, url, args.workers)
                print(f"batch  recording {row['recording']:<10}  {row['teachers']} teachers, {row['seconds']} s: "
                      f"{row['teachers_per_s']:,} teachers/s ({args.workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
