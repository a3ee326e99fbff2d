"""The example datasets under examples/<ruleset>/ validate and show every kind of failure.

Each example is evaluated on a day its ruleset is in force, late enough for the deadline rules to
apply. Every rule of the ruleset must fail somewhere in the example (so the example shows what
each failure looks like), and some teachers or schools must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.engine.inputs import read_dataset

from ruleset_cases import day

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = {
    "national": day("2022-06-01"),
    "hunan-yueyang": day("2024-01-15"),
    "liaoning-wafangdian": day("2023-12-10"),
    "jilin-baishan": day("2022-08-10"),
}


def outcomes(evaluation):
    for school in evaluation.schools:
        for teacher in school.teachers:
            yield teacher
        yield school
    yield from evaluation.regions


@pytest.mark.parametrize("ruleset_id", sorted(AS_OF))
def test_example_shows_every_failure_and_some_passes(registry, ruleset_id):
    as_of = AS_OF[ruleset_id]
    dataset = read_dataset(EXAMPLES / ruleset_id / "dataset.json")
    evaluation = registry.evaluator(ruleset_id, as_of).dataset(dataset, as_of)
    failed = {rule.id for result in outcomes(evaluation) for rule, _ in result.failed()}
    every_rule = {rule.id for rule in registry.get(ruleset_id, as_of).all_rules()}
    assert every_rule - failed == set()
    assert any(result.verdict == "pass" for result in outcomes(evaluation) if result.level in ("teacher", "school"))
    assert any(result.verdict == "fail" for result in outcomes(evaluation) if result.level in ("teacher", "school"))
