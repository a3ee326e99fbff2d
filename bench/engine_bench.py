"""Per-teacher cost of kaohe against a hand-written function and two peer engines, in one process.

    python bench/engine_bench.py --teachers 100000
    python bench/engine_bench.py --teachers 20000 --workloads realistic --repeat 1

Three workloads of Guangdong teachers, each validated once (pydantic, not timed):
  bundled      examples/generate_guangdong.py: a dozen profiles, very repetitive
  realistic    bench/workload.py: every field drawn on its own (whole offline hours 1–12,
               points from the full catalogues, summaries missing, files of a wrong format)
  fractional   the same with offline and platform hours in tenths (0.5–12 h)
Contenders, on the same records:
  reference        the plain hand-written function (bench/reference_guangdong.py)
  zen-engine       GoRules zen-engine 2.x on bench/guangdong_zen.json, the record as JSON
  durable-direct   durable_rules itself, one session per teacher, on values computed beforehand
  kaohe            Evaluator.teacher: measures, every rule decided, verdict
  kaohe compact    + the compact JSON-ready result (verdict, failed and review rules explained)
  kaohe full       + the full result (every rule explained, measures with how they came about)
kaohe runs cold (a freshly compiled ruleset: nothing remembered, every distinct condition value
goes to durable_rules) and warm (the same records again). Figures are CPU time of the process per
teacher (zen-engine's own threads included), the ratios to the reference's; wall time beside them. Every contender must agree with the
reference on every teacher's verdict and failed rules, or the bench exits 1. The load average is
printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "examples"))

import generate_guangdong  # noqa: E402
import peers  # noqa: E402
import workload  # noqa: E402
from reference_guangdong import make_reference  # noqa: E402

from kaohe.engine import Evaluator, Teacher, compile_ruleset, explain  # noqa: E402
from kaohe.plugins.manager import build_registry  # noqa: E402

AS_OF = dt.date(2022, 12, 31)


def records(name: str, n: int) -> list[dict]:
    if name == "bundled":
        return [t for school in generate_guangdong.iter_schools(n) for t in school["teachers"]][:n]
    return workload.teachers(n, seed=7, fractional=name == "fractional")


def timed(fn, items) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process). On a shared machine the CPU time is the fairer
    figure: it leaves out the time other people's work held the cores."""
    gc.collect()
    gc.disable()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        for item in items:
            fn(item)
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        gc.enable()


def best(runs) -> tuple[float, float]:
    runs = list(runs)
    return min(r[0] for r in runs), min(r[1] for r in runs)


def fresh_evaluator(compiled) -> Evaluator:
    """The same ruleset compiled again: nothing remembered yet."""
    return Evaluator(compile_ruleset(compiled.resolved, dict(compiled.overrides) or None, compiled.extensions))


def agree(name, decide, inputs, expected) -> int:
    wrong = 0
    for item, (verdict, failed) in zip(inputs, expected):
        got_verdict, got_failed = decide(item)
        if got_verdict != verdict or list(got_failed) != [f[0] for f in failed]:
            wrong += 1
            if wrong <= 3:
                print(f"  DISAGREE {name}: {got_verdict} {list(got_failed)} vs reference {verdict} {[f[0] for f in failed]}")
    return wrong


def hit_rate(evaluator) -> str:
    stats = getattr(evaluator, "stats", None)
    if stats is None:
        return "n/a"
    s = stats("teacher")
    looked = s["records"]
    return (f"{s['record_hits'] / looked:.1%} of teachers whole, {s['rule_hits'] / max(s['rule_lookups'], 1):.1%} of the "
            f"rest rule by rule; durable_rules decided {s['decided']} facts") if looked else "n/a"


def run_workload(name: str, n: int, repeat: int, registry, compiled) -> tuple[list[dict], int]:
    raw = records(name, n)
    teachers = [Teacher.model_validate(t) for t in raw]
    as_json = [peers.teacher_json(t) for t in teachers]
    reference = make_reference(compiled.parameters, registry.extensions.catalogues["GD"].classify)
    expected = [reference(t) for t in teachers]
    values = [reference.measures(t) for t in teachers]
    zen = peers.zen_contender()
    durable_direct = peers.durable_contender(compiled.parameters)

    checker = fresh_evaluator(compiled)
    wrong = agree("zen-engine", zen, as_json, expected)
    wrong += agree("durable-direct", durable_direct, values, expected)
    wrong += agree("kaohe", lambda t: _kaohe_failed(checker.teacher(t, AS_OF)), teachers, expected)
    verdicts = {}
    for verdict, _ in expected:
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    print(f"\n== {name}: {len(teachers):,} teachers, verdicts {verdicts}; disagreements: {wrong}")

    def kaohe(evaluator):
        return lambda t: evaluator.teacher(t, AS_OF)

    def compact(evaluator):
        return lambda t: explain.teacher_dict(evaluator.teacher(t, AS_OF), "zh", "compact")

    def full(evaluator):
        return lambda t: explain.teacher_dict(evaluator.teacher(t, AS_OF), "zh", "full")

    rows = []

    def add(label, seconds, note=""):
        wall, cpu = seconds
        rows.append({"workload": name, "contender": label, "us_per_teacher": round(cpu / len(teachers) * 1e6, 2),
                     "wall_us_per_teacher": round(wall / len(teachers) * 1e6, 2), "note": note})

    add("reference", best(timed(reference, teachers) for _ in range(repeat)))
    add("zen-engine", best(timed(zen, as_json) for _ in range(repeat)))
    add("durable-direct", best(timed(durable_direct, values) for _ in range(repeat)))
    for label, make in (("kaohe", kaohe), ("kaohe compact", compact), ("kaohe full", full)):
        evaluator = fresh_evaluator(compiled)
        add(label + " cold", timed(make(evaluator), teachers), hit_rate(evaluator))
        add(label + " warm", best(timed(make(evaluator), teachers) for _ in range(repeat)))
    base = rows[0]["us_per_teacher"]
    load = os.getloadavg()[0]
    print(f"{'contender':<22}{'CPU µs/teacher':>15}{'× reference':>13}{'wall µs':>10}   (load {load:.1f})")
    for row in rows:
        row["x_reference"] = round(row["us_per_teacher"] / base, 2)
        row["load"] = round(load, 1)
        print(f"{row['contender']:<22}{row['us_per_teacher']:>15}{row['x_reference']:>13}{row['wall_us_per_teacher']:>10}"
              f"   {row['note']}")
    return rows, wrong


def _kaohe_failed(result):
    return result.verdict, [rule.id for rule, _ in result.failed()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=100_000, help="teachers per workload")
    parser.add_argument("--workloads", default="bundled,realistic,fractional")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per contender; the best is reported")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    registry = build_registry().registry
    compiled = registry.get("guangdong", AS_OF)
    print(f"loaded and compiled the rulesets in {time.perf_counter() - started:.2f} s; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    all_rows, wrong = [], 0
    for name in args.workloads.split(","):
        rows, bad = run_workload(name.strip(), args.teachers, args.repeat, registry, compiled)
        all_rows += rows
        wrong += bad
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.json:
        print(json.dumps(all_rows, ensure_ascii=False))
    if wrong:
        print(f"FAILED: {wrong} disagreements with the reference")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
