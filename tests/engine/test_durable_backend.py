"""durable_rules' hard edges: sessions, threads, the first-fact crash."""

import datetime as dt
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from gd_records import complete_teacher

from kaohe.engine import explain

AS_OF = dt.date(2022, 12, 31)


def varied_teachers(n):
    import generate_guangdong
    from kaohe.engine.records import Teacher

    out = []
    for school in generate_guangdong.iter_schools(n, seed=5):
        out.extend(Teacher.model_validate(t) for t in school["teachers"])
    return out[:n]


def test_ten_thousand_evaluations_in_a_row(registry):
    from kaohe.engine.evaluation import Evaluator

    # a fresh revision (its own durable_rules names, empty memo) so every distinct outcome goes through the engine
    compiled = registry.get("guangdong", AS_OF)
    evaluator = Evaluator(compiled.with_overrides({"offline_activity_cap": 9}))
    teachers = varied_teachers(10_000)
    results = [evaluator.teacher(t, AS_OF) for t in teachers]
    assert len(results) == 10_000
    assert {r.verdict for r in results} == {"pass", "fail", "needs_review"}


def test_a_rule_decides_each_distinct_value_through_durable_rules(registry):
    from kaohe.engine.evaluation import Evaluator

    compiled = registry.get("guangdong", AS_OF).with_overrides({"min_ability_points": 2})
    evaluator = Evaluator(compiled)
    for n in range(0, 5):
        evaluator.teacher(complete_teacher(ability_points=["GD:B1", "GD:B2", "GD:B4", "GD:G4"][:n]), AS_OF)
    rule = compiled.rule("gd.teacher.ability-points")
    assert {key[0]: outcome.status for key, outcome in rule.memo.items()} == {0: "fail", 1: "fail", 2: "pass", 3: "pass", 4: "pass"}


def test_eight_threads_give_the_sequential_answers(registry):
    from kaohe.engine.evaluation import Evaluator

    compiled = registry.get("guangdong", AS_OF)
    teachers = varied_teachers(3_000)
    sequential = [explain.teacher_dict(registry.evaluator("guangdong", AS_OF).teacher(t, AS_OF)) for t in teachers]
    # a fresh revision whose outcomes are not yet remembered: the threads race into durable_rules
    racing = Evaluator(compiled.with_overrides({"offline_activity_cap": 10.0}))

    def run(chunk):
        return [explain.teacher_dict(racing.teacher(t, AS_OF)) for t in chunk]

    chunks = [teachers[i::8] for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(run, chunks))
    merged = [None] * len(teachers)
    for i, chunk in enumerate(parallel):
        merged[i::8] = chunk
    assert merged == sequential


def test_first_fact_unmatched_does_not_crash_the_process():
    """durable_rules 2.0.28 segfaults on delete_state when a ruleset's first fact matched nothing."""
    code = textwrap.dedent("""
        from kaohe.engine.durable_backend import RuleMatcher
        m = RuleMatcher.get("kaohe.test.first_fact", {"require": {"$gte": {"v_x": 25}}}, {"v_x": lambda v: v["x"]})
        assert m.match({"x": 3}) == frozenset()
        assert m.match({"x": 30}) == frozenset({"require"})
        for i in range(3000):
            m.match({"x": i % 50})
        print("ok")
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


@pytest.mark.parametrize("value", [1e-05, 5e-05, 1e-300, 5e-324, 1e+16, 1e+300, -1e-05])
def test_numbers_python_writes_in_exponent_form_reach_durable_rules(value):
    """durable_rules cannot read 1e-05 (no decimal point): found by the schema property test."""
    from kaohe.engine.durable_backend import RuleMatcher

    matcher = RuleMatcher.get("test.exponent_form", {"require": {"$gte": {"v_x": 0}}}, {"v_x": lambda v: v["x"]})
    assert matcher.match({"x": value}) == (frozenset({"require"}) if value >= 0 else frozenset())
