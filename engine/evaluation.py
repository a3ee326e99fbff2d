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

from .asof import as_of_view
from .compiler import DEFAULT_LABELS, MEMBER_MEASURE, MEMBER_RULE, MEMBER_VERDICTS, CompiledRuleset, Outcome, Rule, verdict_of
from .records import Dataset, Region, School, Teacher


class _Result:
    __slots__ = ("record", "verdict", "values", "outcomes", "ruleset", "members", "left_out")
    level = ""

    def __init__(self, record, verdict, values, outcomes, ruleset, members=(), left_out=None):
        self.record, self.verdict, self.values, self.outcomes = record, verdict, values, outcomes
        self.ruleset, self.members = ruleset, members
        self.left_out = left_out  # {collection: entries dated after as_of, left out}, or None

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

    @property
    def in_scope(self) -> list[TeacherResult]:
        """The teachers the rules are about: what the school's measures and shares count."""
        return [t for t in self.members if t.verdict != "not_in_scope"]

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
        self._unjudged: dict = {}  # (rule id, facts) -> the shared cannot_judge Outcome

    def _evaluate(self, level: str, record, members, as_of: dt.date, unknown: frozenset = frozenset()):
        measures, rules, required, key_of, memo = self._plan[level]
        values = {"as_of": as_of}
        for name, compute, is_expr in measures:
            values[name] = compute(values) if is_expr else compute(record, members)
        key = key_of(values)
        found = memo.get(key)
        if found is None:
            outcomes = tuple([rule.outcome(values) for rule in rules])
            found = (verdict_of(outcomes, required), outcomes)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = found
        if unknown:
            return self._unjudged_outcomes(rules, required, found[1], unknown, values)
        return found[0], values, found[1]

    def _unjudged_outcomes(self, rules, required, outcomes, unknown: frozenset, values):
        """A rule that reads a fact the record's source does not carry cannot be judged, whatever it computed."""
        changed = []
        for rule, outcome in zip(rules, outcomes):
            lacking = {f for f in rule.facts if f in unknown or (isinstance(f, str) and f.partition(":")[0] in unknown)}
            if lacking and outcome.status != "not_applicable":
                outcome = self._cannot_judge(rule, frozenset(lacking))
            changed.append(outcome)
        outcomes = tuple(changed)
        return verdict_of(outcomes, required), values, outcomes

    def _cannot_judge(self, rule: Rule, lacking: frozenset) -> Outcome:
        found = self._unjudged.get((rule.id, lacking))
        if found is None:
            from .explain import fact_names

            own = sorted(f for f in lacking if isinstance(f, str) and f != MEMBER_VERDICTS)
            label = DEFAULT_LABELS["cannot_judge"]
            if own:
                names = fact_names(own)
                explanation = {"zh": f"{label['zh']}: 数据来源未包含{names['zh']}。",
                               "en": f"Cannot be judged from this data: the source does not carry {names['en']}."}
            else:
                names = fact_names(sorted(lacking, key=str))
                explanation = {"zh": f"{label['zh']}: 它读取的{names['zh']}中有无法根据此数据判断的。",
                               "en": f"Cannot be judged from this data: it reads {names['en']}, and some cannot be judged."}
            empty = {"zh": "", "en": ""}
            found = Outcome("cannot_judge", None, empty, {"zh": rule.title["zh"], "en": rule.title["en"]}, explanation, None)
            self._unjudged[(rule.id, lacking)] = found
        return found

    def _unknown(self, record, members) -> frozenset:
        """Facts not carried: the record's own declaration, and its members' verdicts, rule outcomes and measures
        that cannot be judged (a share of members that reads them cannot be judged either)."""
        unknown = set(record.not_recorded)
        for member in members:
            if member.verdict == "cannot_judge":
                unknown.add(MEMBER_VERDICTS)
                unknown.update((MEMBER_RULE, rule.id) for rule, outcome in zip(member.rules, member.outcomes)
                               if outcome.status == "cannot_judge")
            lacking = member.record.not_recorded
            if lacking:
                for measure in self.ruleset.measures[member.level]:
                    if any(f in lacking or (isinstance(f, str) and f.partition(":")[0] in lacking)
                           for f in self.ruleset.facts.get(measure.name, ())):
                        unknown.add((MEMBER_MEASURE, measure.name))
        return frozenset(unknown)

    def teacher(self, teacher: Teacher, as_of: dt.date, school: School | None = None) -> TeacherResult:
        """A teacher's measures may read their school's fields (`field: school.is_pilot`); alone, those are empty."""
        scope = self.ruleset.scope.get("teacher")
        if scope is not None and scope.leaves_out(teacher):
            return TeacherResult(teacher, "not_in_scope", {"as_of": as_of}, scope.outcomes, self.ruleset)
        teacher, left_out = as_of_view(teacher, "teacher", as_of)
        verdict, values, outcomes = self._evaluate("teacher", teacher, school, as_of, frozenset(teacher.not_recorded))
        return TeacherResult(teacher, verdict, values, outcomes, self.ruleset, (), left_out)

    def school(self, school: School, as_of: dt.date, teachers: list[TeacherResult] | None = None) -> SchoolResult:
        if teachers is None:
            teachers = [self.teacher(t, as_of, school) for t in school.teachers]
        school, left_out = as_of_view(school, "school", as_of)
        in_scope = [t for t in teachers if t.verdict != "not_in_scope"]
        unknown = self._unknown(school, in_scope)
        verdict, values, outcomes = self._evaluate("school", school, in_scope, as_of, unknown)
        return SchoolResult(school, verdict, values, outcomes, self.ruleset, teachers, left_out)

    def region(self, region: Region, schools: list[SchoolResult], as_of: dt.date) -> RegionResult:
        region, left_out = as_of_view(region, "region", as_of)
        verdict, values, outcomes = self._evaluate("region", region, schools, as_of, self._unknown(region, schools))
        return RegionResult(region, verdict, values, outcomes, self.ruleset, schools, left_out)

    def dataset(self, dataset: Dataset, as_of: dt.date) -> Evaluation:
        schools = [self.school(s, as_of) for s in dataset.schools]
        regions = [self.region(r, list(schools_in(r, schools)), as_of) for r in dataset.regions]
        return Evaluation(self.ruleset, as_of, schools, regions)





def schools_in(region: Region, schools: Iterable[SchoolResult]) -> Iterable[SchoolResult]:
    attribute = {"county": "county_id", "city": "city_id", "province": "province_id"}[region.level]
    return (s for s in schools if getattr(s.record, attribute) == region.id)
