"""Per-teacher cost of kaohe against the hand-written reference, same records, same process.

    python bench/engine_bench.py --teachers 100000

Prints, for each contender, teachers per second, microseconds per teacher and the peak memory of
the process, and checks that kaohe and the reference agree on every verdict and failed rule.
Contenders:
  reference        the plain hand-written function (bench/reference_guangdong.py)
  kaohe            Evaluator.teacher: measures + every rule with its explanation (memoised)
  kaohe+json       the same plus the full JSON-ready result (rules, explanations, remedies,
                   citations, measures with how they were computed)
  kaohe+compact    the same plus the compact result (verdict + failed rules)
Record validation (pydantic) is measured separately: both contenders get validated records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "examples"))

import generate_guangdong  # noqa: E402
from reference_guangdong import make_reference  # noqa: E402

from kaohe.engine import explain  # noqa: E402
from kaohe.engine.records import Teacher  # noqa: E402
from kaohe.plugins.manager import build_registry  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, teachers, fn, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for teacher in teachers:
            fn(teacher)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    n = len(teachers)
    return {"contender": label, "teachers": n, "seconds": round(best, 3), "teachers_per_s": round(n / best),
            "us_per_teacher": round(best / n * 1e6, 2), "peak_rss_mib": round(peak_rss_mib(), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; the best is reported")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    as_of = dt.date(2022, 12, 31)
    t0 = time.perf_counter()
    raw = [t for school in generate_guangdong.iter_schools(args.teachers) for t in school["teachers"]]
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    teachers = [Teacher.model_validate(t) for t in raw]
    validated = time.perf_counter() - t0
    del raw
    print(f"generated {len(teachers)} teachers in {generated:.1f} s; validated (pydantic) in {validated:.1f} s "
          f"= {validated / len(teachers) * 1e6:.1f} µs/teacher (not part of either contender)")

    t0 = time.perf_counter()
    registry = build_registry().registry
    compiled = registry.get("guangdong", as_of)
    evaluator = registry.evaluator("guangdong", as_of)
    print(f"loaded and compiled the rulesets once in {time.perf_counter() - t0:.2f} s")
    reference = make_reference(compiled.parameters, registry.extensions.catalogues["GD"].classify)

    # agreement first: same verdicts, same failed rules
    mismatches = 0
    for teacher in teachers:
        verdict, failed = reference(teacher)
        result = evaluator.teacher(teacher, as_of)
        kaohe_failed = [rule.id for rule, _ in result.failed()]
        if verdict != result.verdict or [f[0] for f in failed] != kaohe_failed:
            mismatches += 1
    print(f"agreement: {len(teachers) - mismatches}/{len(teachers)} teachers identical (verdict and failed rules)")

    rows = [
        timed("reference", teachers, reference, args.repeat),
        timed("kaohe", teachers, lambda t: evaluator.teacher(t, as_of), args.repeat),
        timed("kaohe+json", teachers, lambda t: explain.teacher_dict(evaluator.teacher(t, as_of), "zh", "full"), args.repeat),
        timed("kaohe+compact", teachers, lambda t: explain.teacher_dict(evaluator.teacher(t, as_of), "zh", "compact"), args.repeat),
    ]
    base = rows[0]["us_per_teacher"]
    print(f"\n{'contender':<15}{'teachers/s':>12}{'µs/teacher':>12}{'× reference':>13}{'peak RSS MiB':>14}")
    for row in rows:
        row["x_reference"] = round(row["us_per_teacher"] / base, 2)
        print(f"{row['contender']:<15}{row['teachers_per_s']:>12,}{row['us_per_teacher']:>12}{row['x_reference']:>13}{row['peak_rss_mib']:>14}")
    memo = sum(len(r.memo) for r in compiled.all_rules())
    print(f"\ndistinct rule outcomes decided by durable_rules: {memo} (each decided once, then remembered)")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
