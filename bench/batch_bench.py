"""End-to-end batch evaluation of a Guangdong-sized dataset, against the hand-written reference.

    python bench/batch_bench.py                      # 1,000,000 teachers in ~20,000 schools
    python bench/batch_bench.py --teachers 100000 --workers 1,2

Generates the records once (bench/data/gd-<N>.jsonl, one school per line; bench/data/ is
git-ignored), then, each contender in a fresh child process:
  reference      bench/reference_guangdong.py: read lines, parse + validate (pydantic), the
                 hand-written teacher rules; single process, writes nothing
  kaohe wN       run_batch with N workers: read → group → validate → evaluate (teacher and school
                 rules) → full explanations → JSON Lines written, plus the summary
and prints wall time, teachers/s, CPU seconds and peak RSS of the whole process tree (the child,
and for kaohe its worker processes), sampled every 0.25 s. The outputs of every worker count are
hashed and must be identical. Other people may be using the CPU at the same time: the load
average before and after each run is printed beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import inspect
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2022, 12, 31)


def generate(teachers: int, per_school: int, path: Path) -> float:
    sys.path.insert(0, str(HERE.parent / "examples"))
    import generate_guangdong

    started = time.perf_counter()
    tmp = path.with_suffix(".partial")
    with open(tmp, "w", encoding="utf-8") as out:
        for school in generate_guangdong.iter_schools(teachers, per_school):
            out.write(json.dumps(school, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return time.perf_counter() - started


# ---- the contenders, each run in a child process ---------------------------------------------------

def run_reference(data: str) -> dict:
    sys.path.insert(0, str(HERE))
    from reference_guangdong import make_reference

    from kaohe.engine.records import School
    from kaohe.plugins.manager import build_registry

    registry = build_registry().registry
    compiled = registry.get("guangdong", AS_OF)
    arguments = [compiled.parameters]
    if len(inspect.signature(make_reference).parameters) > 1:  # newer reference: also the GD point catalogue
        arguments.append(registry.extensions.catalogues["GD"].classify)
    reference = make_reference(*arguments)
    teachers = passing = 0
    with open(data, "rb") as lines:
        for line in lines:
            school = School.model_validate_json(line)
            for teacher in school.teachers:
                verdict, _ = reference(teacher)
                teachers += 1
                passing += verdict == "pass"
    return {"teachers": teachers, "teachers_passing": passing, "revision": compiled.resolved.revision}


def run_kaohe(data: str, output: str, workers: int) -> dict:
    from kaohe.batch import run_batch

    from kaohe.plugins.manager import RegistryLoader

    summary = run_batch("guangdong", data, output, as_of=AS_OF, workers=workers, progress=False, load_registry=RegistryLoader(),
                        summary_path=output + ".summary.json", errors_path=output + ".errors.jsonl")
    return {"teachers": summary.teachers, "teachers_passing": summary.teachers_passing, "schools": summary.schools,
            "status": summary.status, "revision": summary.report["ruleset"]["revision"]}


def child_main(args) -> int:
    if args.contender == "reference":
        result = run_reference(args.data)
    else:
        result = run_kaohe(args.data, args.output, args.workers)
    print(json.dumps(result))
    return 0


# ---- measuring ---------------------------------------------------------------------------------------

def measure(command: list[str]) -> dict:
    """Run a child; sample the RSS of it and all its descendants; wall and CPU time of the tree."""
    import psutil

    import resource

    load_before = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    parent = psutil.Process(child.pid)
    peak = [0]
    stop = threading.Event()

    def sample():
        # cheap enough not to steal the CPU being measured: the process list is refreshed every
        # 2 s (workers start once), RSS read every 0.25 s
        processes, refreshed = [parent], 0.0
        while not stop.is_set():
            now = time.perf_counter()
            if now - refreshed > 2:
                try:
                    processes, refreshed = [parent] + parent.children(recursive=True), now
                except psutil.NoSuchProcess:
                    break
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    refreshed = 0.0
            peak[0] = max(peak[0], total)
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"contender failed: {' '.join(command)}")
    # the child and every process it waited for (its workers), all of their CPU
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - children_before.ru_utime + after.ru_stime - children_before.ru_stime
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall_s=round(wall, 1), cpu_s=round(cpu, 1), peak_rss_mib=round(peak[0] / 2**20),
                  load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2))
    return result


def digest(path: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as src:
        while block := src.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=1_000_000)
    parser.add_argument("--per-school", type=int, default=50)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to run")
    parser.add_argument("--data-dir", default=str(HERE / "data"))
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the outputs (several GB at 1M teachers)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    # internal: run one contender in this process
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:
        return child_main(args)

    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    data = data_dir / f"gd-{args.teachers}.jsonl"
    if not data.exists():
        print(f"generating {args.teachers:,} teachers → {data} ...", flush=True)
        print(f"  generated in {generate(args.teachers, args.per_school, data):.0f} s", flush=True)
    print(f"input: {data} ({data.stat().st_size / 2**30:.2f} GiB); machine: {os.cpu_count()} CPUs", flush=True)

    me = [sys.executable, str(Path(__file__).resolve())]
    rows = []
    if not args.no_reference:
        rows.append(("reference (1 process)", measure(me + ["--contender", "reference", "--data", str(data)])))
        print(f"  reference done in {rows[-1][1]['wall_s']} s", flush=True)
    digests = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        output = str(data_dir / f"out-w{workers}.jsonl")
        row = measure(me + ["--contender", "kaohe", "--data", str(data), "--output", output, "--workers", str(workers)])
        row["output_gib"] = round(os.path.getsize(output) / 2**30, 2)
        digests[workers] = digest(output)
        rows.append((f"kaohe batch, {workers} worker{'s' if workers > 1 else ''}", row))
        print(f"  workers={workers} done in {row['wall_s']} s", flush=True)
        if not args.keep:
            for suffix in ("", ".summary.json", ".errors.jsonl"):
                Path(output + suffix).unlink(missing_ok=True)

    reference = rows[0][1] if not args.no_reference else None
    print(f"\n{'contender':<26}{'wall s':>8}{'teachers/s':>12}{'µs/teacher':>12}{'CPU s':>8}{'CPU µs/t':>10}"
          f"{'× ref':>7}{'peak RSS MiB':>14}{'load':>12}")
    for label, row in rows:
        n = row["teachers"]
        row["teachers_per_s"] = round(n / row["wall_s"])
        row["us_per_teacher"] = round(row["wall_s"] / n * 1e6, 1)
        row["cpu_us_per_teacher"] = round(row["cpu_s"] / n * 1e6, 1)
        row["x_reference"] = round(row["us_per_teacher"] / reference["us_per_teacher"], 2) if reference else None
        print(f"{label:<26}{row['wall_s']:>8}{row['teachers_per_s']:>12,}{row['us_per_teacher']:>12}{row['cpu_s']:>8}"
              f"{row['cpu_us_per_teacher']:>10}{row['x_reference'] or '':>7}{row['peak_rss_mib']:>14}"
              f"{row['load_before']:>6}/{row['load_after']:<5}")
    same = len(set(digests.values())) <= 1
    print(f"\noutputs identical across worker counts: {same} ({', '.join(f'w{w}={d[:12]}' for w, d in digests.items())})")
    revisions = {row["revision"] for _, row in rows}
    if len(revisions) > 1:
        # the tree is shared and installed editable: someone changed the ruleset during the benchmark
        print(f"WARNING: the guangdong ruleset changed between runs (revisions {', '.join(sorted(revisions))}); "
              "outputs are not comparable")
    print(f"ruleset revision(s): {', '.join(sorted(revisions))}")
    if args.json:
        print(json.dumps([{"contender": label, **row} for label, row in rows], ensure_ascii=False))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
