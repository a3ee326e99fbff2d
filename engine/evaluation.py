"""Evaluation: records in, verdicts out. Nothing here parses, resolves or compiles.

Every rule of a level is evaluated for every record (no short-circuit), so a teacher sees all that
is missing at once. A teacher's verdict follows from its required teacher rules (fail if any
fails, else needs_review if any needs a person's review, else pass); a school's from
its required school rules, which may read aggregates of its teachers' results; a region's the same
over its schools.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import itemgetter
from typing import Iterable

from .compiler import CompiledRuleset, Outcome, Rule
from .records import Dataset, Region, School, Teacher


class _Result:
    __slots__ = ("record", "verdict", "values", "outcomes", "ruleset", "members")
    level = ""

    def __init__(self, record, verdict, values, outcomes, ruleset, members=()):
        self.record, self.verdict, self.values, self.outcomes = record, verdict, values, outcomes
        self.ruleset, self.members = ruleset, members

    @property
    def measures(self) -> dict:
        return self.values

    @property
    def rules(self) -> list[Rule]:
        return self.ruleset.rules[self.level]

    def status_of(self, rule_id: str) -> str:
        for rule, outcome in zip(self.rules, self.outcomes):
            if rule.id == rule_id:
                return outcome.status
        raise KeyError(rule_id)

    def outcome_of(self, rule_id: str) -> Outcome:
        for rule, outcome in zip(self.rules, self.outcomes):
            if rule.id == rule_id:
                return outcome
        raise KeyError(rule_id)

    def failed(self) -> list[tuple[Rule, Outcome]]:
        return [(r, o) for r, o in zip(self.rules, self.outcomes) if o.status == "fail"]


class TeacherResult(_Result):
    __slots__ = ()
    level = "teacher"


class SchoolResult(_Result):
    __slots__ = ()
    level = "school"

    @property
    def teachers(self) -> list[TeacherResult]:
        return self.members

    def failing_teachers(self) -> dict[str, list[str]]:
        """Teacher rule id → ids of this school's teachers that fail it."""
        out: dict[str, list[str]] = {r.id: [] for r in self.ruleset.rules["teacher"]}
        for teacher in self.members:
            for rule, outcome in zip(teacher.rules, teacher.outcomes):
                if outcome.status == "fail":
                    out[rule.id].append(teacher.record.id)
        return out


class RegionResult(_Result):
    __slots__ = ()
    level = "region"

    @property
    def schools(self) -> list[SchoolResult]:
        return self.members


@dataclass
class Evaluation:
    ruleset: CompiledRuleset
    as_of: dt.date
    schools: list[SchoolResult]
    regions: list[RegionResult]


MEMO_LIMIT = 1 << 16


class Evaluator:
    """The hot path, laid out once per compiled ruleset: plain tuples, no lookups by name.

    A level's outcomes and verdict are a pure function of the measure values its rules read, so
    they are remembered by those values: a record whose values were seen before costs one dict
    lookup after its measures are computed. Each rule still decides new values through
    durable_rules (`Rule.outcome`).
    """

    def __init__(self, ruleset: CompiledRuleset):
        self.ruleset = ruleset
        self._plan = {}
        for level in ("teacher", "school", "region"):
            measures = tuple((m.name, m.value, m.primitive == "expr") for m in ruleset.measures[level])
            rules = tuple(ruleset.rules[level])
            required = tuple(r.severity == "required" for r in rules)
            inputs = sorted({name for rule in rules if not rule.never_applies for name in rule.inputs})
            key = itemgetter(*inputs) if inputs else (lambda values: ())
            self._plan[level] = (measures, rules, required, key, {})

    def _evaluate(self, level: str, record, members, as_of: dt.date):
        measures, rules, required, key_of, memo = self._plan[level]
        values = {"as_of": as_of}
        for name, compute, is_expr in measures:
            values[name] = compute(values) if is_expr else compute(record, members)
        key = key_of(values)
        found = memo.get(key)
        if found is None:
            outcomes = tuple([rule.outcome(values) for rule in rules])
            verdict = "pass"
            for outcome, is_required in zip(outcomes, required):
                if is_required and outcome.status == "fail":
                    verdict = "fail"
                    break
                if is_required and outcome.status == "needs_review":
                    verdict = "needs_review"  # unless a later required rule fails
            found = (verdict, outcomes)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = found
        return found[0], values, found[1]

    def teacher(self, teacher: Teacher, as_of: dt.date, school: School | None = None) -> TeacherResult:
        """A teacher's measures may read their school's fields (`field: school.is_pilot`); alone, those are empty."""
        verdict, values, outcomes = self._evaluate("teacher", teacher, school, as_of)
        return TeacherResult(teacher, verdict, values, outcomes, self.ruleset)

    def school(self, school: School, as_of: dt.date, teachers: list[TeacherResult] | None = None) -> SchoolResult:
        if teachers is None:
            teachers = [self.teacher(t, as_of, school) for t in school.teachers]
        verdict, values, outcomes = self._evaluate("school", school, teachers, as_of)
        return SchoolResult(school, verdict, values, outcomes, self.ruleset, teachers)

    def region(self, region: Region, schools: list[SchoolResult], as_of: dt.date) -> RegionResult:
        verdict, values, outcomes = self._evaluate("region", region, schools, as_of)
        return RegionResult(region, verdict, values, outcomes, self.ruleset, schools)

    def dataset(self, dataset: Dataset, as_of: dt.date) -> Evaluation:
        schools = [self.school(s, as_of) for s in dataset.schools]
        regions = [self.region(r, list(schools_in(r, schools)), as_of) for r in dataset.regions]
        return Evaluation(self.ruleset, as_of, schools, regions)


def schools_in(region: Region, schools: Iterable[SchoolResult]) -> Iterable[SchoolResult]:
    attribute = {"county": "county_id", "city": "city_id", "province": "province_id"}[region.level]
    return (s for s in schools if getattr(s.record, attribute) == region.id)

Result = _Result  # the public name (kaohe.engine.Result): what every level's result shares
