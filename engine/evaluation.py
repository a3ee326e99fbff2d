"""Evaluation: records in, verdicts out. Nothing here parses, resolves or compiles.

Every rule of a level is evaluated for every record (no short-circuit), so a teacher sees all that
is missing at once. A teacher's verdict follows from its required teacher rules (fail if any
fails, else needs_review if any needs a person's review, else pass); a school's from its required
school rules, which may read aggregates of its teachers' results; a region's the same over its
schools.

How it stays fast on varied records: a rule's outcome depends only on the values its conditions
compare (a count, a total, a flag, the length of a list), not on the lists an explanation prints.
So decisions are remembered by those values — for a whole record (every rule of its level at
once) and rule by rule — and durable_rules decides only combinations not seen before, many records
in one session (`LevelMatcher.decide`). The wording is filled per record, from templates compiled
once, and remembered by the values it shows.

Some 550 lines because the memo, the batched durable_rules calls and the three levels' results
are one mechanism: splitting them would put the hot path's pieces in different rooms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Iterable

from . import expressions as ex
from . import states
from .asof import as_of_view
from .compiler import CompiledRuleset, Rule
from .records import Dataset, Region, School, Teacher, with_codes_read
from .wording import DEFAULT_LABELS, LANGS, Template, unit_suffix

MEMO_LIMIT = 1 << 16  # remembered decisions per level and per rule, and outcomes per rule
# A level's verdict is the first of these statuses that a required rule has, else "pass". Other
# statuses (not_applicable, …) do not decide a verdict.
# A rule not yet due does not decide a verdict: a record is judged on what is due (states.py).
VERDICT_PRECEDENCE = ("fail", "cannot_judge", "needs_review")
_NOT_YET_DUE = {lang: Template(text) for lang, text in states.NOT_YET_DUE.items()}
_LATE = {lang: Template(text) for lang, text in states.LATE.items()}


@dataclass(frozen=True, eq=False)
class Outcome:
    """What one rule concluded for a record, worded in both languages. Shared by every record that
    shows the same values, so treat it as read-only."""

    status: str  # pass | fail | needs_review | not_applicable | … (an open set)
    actual: Any
    actual_text: dict
    expected: dict
    explanation: dict
    remedy: dict | None


def level_verdict(statuses: tuple, required: tuple) -> str:
    found = None
    for status, is_required in zip(statuses, required):
        if is_required and status in VERDICT_PRECEDENCE:
            if status == VERDICT_PRECEDENCE[0]:
                return status
            if found is None or VERDICT_PRECEDENCE.index(status) < VERDICT_PRECEDENCE.index(found):
                found = status
    return found or "pass"


def status_from(rule: Rule, held: set | frozenset) -> str:
    """A rule's status from the conditions durable_rules found to hold."""
    if rule.applies is not None and "applies" not in held:
        return "not_applicable"
    if "require" not in held:
        return "fail"
    return "needs_review" if "review" in held else "pass"


class _Wording:
    """One rule's outcomes, worded from its compiled templates and remembered by the values shown."""

    __slots__ = ("rule", "names", "keys", "cache", "constant_words", "computed", "compared", "by_key")

    def __init__(self, rule: Rule, computed: frozenset, compared: frozenset):
        self.rule = rule
        self.computed = computed  # the names every record's values hold
        self.compared = compared  # the names whose values are part of the level's fact key as they are
        self.by_key: dict[str, bool] = {}  # status -> its wording shows only values of the fact key
        self.names: dict[str, tuple] = {}
        self.keys: dict[str, Any] = {}  # status -> values -> the values this status's wording shows
        self.cache: dict = {}
        self.constant_words = {lang: {n: ex.format_value(v, lang) for n, v in rule.constants.items()} for lang in LANGS}

    def _names(self, status: str) -> tuple:
        rule = self.rule
        shown = list(rule.actual_names) + list(rule.expected_names)
        keys = [status] + (["remedy"] if status in ("fail", "not_yet_due") else [])
        if status in ("fail", "not_yet_due"):
            shown += rule.gap_names
        if rule.due is not None:  # days left or late depend on the day, and on when it was done
            shown += ["as_of"] + ([rule.done_on] if rule.done_on else [])
        for key in keys:
            template = rule.templates.get(key)
            if template is not None:
                shown += [n for lang in LANGS for n in template[lang].names if n in rule.inputs]
        names = tuple(dict.fromkeys(shown))
        self.names[status] = names
        self.by_key[status] = set(names) <= self.compared
        if not names:
            self.keys[status] = lambda values: status
        elif set(names) <= self.computed:
            read = itemgetter(*names)
            self.keys[status] = lambda values: (status, read(values))
        else:  # a rule that never applies may name measures nobody computes
            self.keys[status] = lambda values: (status, *[values.get(n) for n in names])
        return names

    def outcome(self, status: str, values: dict) -> Outcome:
        key_of = self.keys.get(status)
        if key_of is None:
            self._names(status)
            key_of = self.keys[status]
        key = key_of(values)
        found = self.cache.get(key)
        if found is None:
            found = self._word(status, values)
            if len(self.cache) >= MEMO_LIMIT:
                self.cache.clear()
            self.cache[key] = found
        return found

    def _word(self, status: str, values: dict) -> Outcome:
        rule = self.rule
        actual = rule.actual_fn(values)
        gap = rule.gap_fn(values) if rule.gap_fn is not None and status in ("fail", "not_yet_due") else None
        expected = rule.expected_fn(values)
        template = rule.templates.get(status)
        remedy_template = rule.templates.get("remedy") if status in ("fail", "not_yet_due") else None
        if template is None and status == "not_yet_due":
            template = _NOT_YET_DUE
        late = rule.due is not None and status == "fail"
        unit = rule.actual_unit
        actual_text, explanation, remedy = {}, {}, {} if remedy_template else None
        for lang in LANGS:
            words = dict(self.constant_words[lang])
            for name in self.names[status]:
                words[name] = ex.format_value(values.get(name), lang)
            words["actual"] = actual_text[lang] = ex.format_value(actual, lang) + unit_suffix(actual, unit, lang)
            words["expected"] = expected[lang]
            words["gap"] = ex.format_value(gap, lang) + unit_suffix(gap, unit, lang) if gap is not None else ""
            if rule.due is not None:
                words.update(states.due_words(rule, status, values, lang))
            explanation[lang] = template[lang].fill(words) if template else DEFAULT_LABELS.get(status, {}).get(lang, status)
            if late and "days_late" not in template[lang].names:
                explanation[lang] = states.with_lateness(explanation[lang], _LATE[lang].fill(words))
            if remedy_template:
                remedy[lang] = remedy_template[lang].fill(words)
        return Outcome(status, actual, actual_text, expected, explanation, remedy)


def _tuple_getter(names: list) -> Any:
    if not names:
        return lambda values: ()
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return itemgetter(*names)


class _Level:
    """One level's hot path, laid out once: the measures to compute, the fact key (every value the
    level's conditions compare, in a fixed order), each rule's part of that key, the memos."""

    def __init__(self, ruleset: CompiledRuleset, level: str):
        self.level = level
        self.ruleset = ruleset
        self.measures = tuple((m.name, m.value, m.primitive == "expr") for m in ruleset.measures[level])
        self.rules = tuple(ruleset.rules[level])
        self.required = tuple(r.severity == "required" for r in self.rules)
        self.index = {rule.id: i for i, rule in enumerate(self.rules)}
        self.matcher = ruleset.matchers.get(level)
        properties: dict = {}
        for rule in self.rules:
            properties.update(rule.properties)
        computed = frozenset(["as_of"] + [m.name for m in ruleset.measures[level]])
        compared = frozenset(p[2:] for p in properties if p.startswith("v_"))
        self.wordings = tuple(_Wording(r, computed, compared) for r in self.rules)
        # plain measure values are read in one go; computed operands (len(x), arithmetic) one by one
        plain = sorted(p for p in properties if p.startswith("v_"))
        computed = sorted(p for p in properties if not p.startswith("v_"))
        self.order = tuple(plain + computed)
        self.properties = tuple((p, properties[p]) for p in self.order)
        read_plain = _tuple_getter([p[2:] for p in plain])
        getters = tuple(properties[p] for p in computed)
        if getters:
            self.key_of = lambda values: read_plain(values) + tuple([g(values) for g in getters])
        else:
            self.key_of = read_plain
        position = {p: i for i, p in enumerate(self.order)}
        self.projections = tuple(
            None if rule.never_applies else _projection([position[p] for p in rule.key_properties]) for rule in self.rules)
        self.decisions = tuple({} for _ in self.rules)  # per rule: its part of the key -> status
        # fact key -> (verdict, statuses, outcomes worded from the key's values alone, filled on first use)
        self.memo: dict = {}
        self.stats = {"records": 0, "record_hits": 0, "rule_lookups": 0, "rule_hits": 0, "decided": 0}
        self.dues = tuple((i, rule.due) for i, rule in enumerate(self.rules) if rule.due is not None)

    def values(self, record, members, as_of) -> dict:
        values = {"as_of": as_of}
        for name, compute, is_expr in self.measures:
            values[name] = compute(values) if is_expr else compute(record, members)
        return values

    def judge(self, items: list, as_of: dt.date) -> list[tuple]:
        """[(record, members)] → [(verdict, values, statuses, shared outcomes)], deciding what was not
        seen before together."""
        memo, key_of = self.memo, self.key_of
        out = []
        missing: dict = {}
        for record, members in items:
            values = self.values(record, members, as_of)
            key = key_of(values)
            found = memo.get(key)
            if found is None:
                missing.setdefault(key, values)
            out.append((key, values, found))
        stats = self.stats
        stats["records"] += len(items)
        if not missing:
            stats["record_hits"] += len(items)
            return self._due([(found[0], values, found[1], found[2]) for _, values, found in out], as_of)
        decided = self._resolve(missing)
        judged = []
        for key, values, found in out:
            if found is None:
                found = decided[key]
            else:
                stats["record_hits"] += 1
            judged.append((found[0], values, found[1], found[2]))
        return self._due(judged, as_of)

    def _due(self, judged: list, as_of: dt.date) -> list:
        """A failing rule whose due date has not passed is not yet due (and does not decide the verdict);
        such a record's statuses are its own, so it does not share the memo entry's worded outcomes."""
        due_now = tuple(i for i, due in self.dues if as_of <= due)
        if not due_now:
            return judged
        out = []
        for verdict, values, statuses, shared in judged:
            changed = states.not_yet_due(statuses, due_now)
            if changed is not statuses:
                verdict, shared = level_verdict(changed, self.required), None
            out.append((verdict, values, changed, shared))
        return out

    def _resolve(self, missing: dict) -> dict:
        """Fact keys not remembered whole: rule by rule from the rule memos, the rest by durable_rules."""
        results, undecided = {}, {}
        stats = self.stats
        for key, values in missing.items():
            statuses = []
            for project, decisions in zip(self.projections, self.decisions):
                if project is None:
                    statuses.append("not_applicable")
                    continue
                stats["rule_lookups"] += 1
                status = decisions.get(project(key))
                if status is None:
                    break
                stats["rule_hits"] += 1
                statuses.append(status)
            else:
                results[key] = self._remember(key, tuple(statuses))
                continue
            undecided[key] = values
        if undecided:
            keys = list(undecided)
            held = self.matcher.decide([self._fact(undecided[key]) for key in keys])
            stats["decided"] += len(keys)
            for key, fired in zip(keys, held):
                statuses = []
                for rule, project, decisions in zip(self.rules, self.projections, self.decisions):
                    if project is None:
                        statuses.append("not_applicable")
                        continue
                    status = status_from(rule, fired.get(rule.id, ()))
                    if len(decisions) >= MEMO_LIMIT:
                        decisions.clear()
                    decisions[project(key)] = status
                    statuses.append(status)
                results[key] = self._remember(key, tuple(statuses))
        return results

    def _remember(self, key, statuses: tuple) -> tuple:
        found = (level_verdict(statuses, self.required), statuses, [None] * len(statuses))
        if len(self.memo) >= MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = found
        return found

    def _fact(self, values: dict) -> dict:
        fact = {}
        for prop, getter in self.properties:
            value = getter(values)
            if value is None:
                continue  # absent: no comparison on it can hold
            fact[prop] = value.toordinal() if isinstance(value, dt.date) else value
        return fact

    def outcomes(self, statuses: tuple, values: dict, shared: list | None = None) -> tuple:
        if shared is None:
            return tuple([w.outcome(s, values) for w, s in zip(self.wordings, statuses)])
        return tuple([shared[i] or self.outcome(i, statuses[i], values, shared) for i in range(len(statuses))])

    def outcome(self, index: int, status: str, values: dict, shared: list | None = None) -> Outcome:
        """Rule `index`'s outcome; kept with the record's memo entry when its wording shows only
        values of the fact key (every record with that key words it the same)."""
        if shared is not None and shared[index] is not None:
            return shared[index]
        wording = self.wordings[index]
        found = wording.outcome(status, values)
        if shared is not None and wording.by_key[status]:
            shared[index] = found
        return found


def _projection(positions: list):
    if len(positions) == 1:
        return itemgetter(positions[0])
    return itemgetter(*positions)


class _Result:
    __slots__ = ("record", "verdict", "values", "statuses", "ruleset", "members", "_level", "_outcomes", "_shared",
                 "left_out")
    level = ""

    def __init__(self, record, verdict, values, statuses, ruleset, members=(), plan: _Level | None = None,
                 shared: list | None = None, left_out: dict | None = None):
        self.record, self.verdict, self.values, self.statuses = record, verdict, values, statuses
        self.ruleset, self.members, self._level, self._outcomes, self._shared = ruleset, members, plan, None, shared
        self.left_out = left_out  # {collection: entries dated after as_of and left out}, or None

    @property
    def measures(self) -> dict:
        return self.values

    @property
    def rules(self) -> list[Rule]:
        return self.ruleset.rules[self.level]

    @property
    def outcomes(self) -> tuple:
        """Every rule's outcome with its wording, filled on first use (a verdict needs none)."""
        if self._outcomes is None:
            self._outcomes = self._level.outcomes(self.statuses, self.values, self._shared)
        return self._outcomes

    def outcome(self, index: int) -> Outcome:
        if self._outcomes is not None:
            return self._outcomes[index]
        return self._level.outcome(index, self.statuses[index], self.values, self._shared)

    def _index(self, rule_id: str) -> int:
        if self._level is not None:
            return self._level.index[rule_id]  # a share over teachers asks this for every teacher
        for index, rule in enumerate(self.rules):
            if rule.id == rule_id:
                return index
        raise KeyError(rule_id)

    def status_of(self, rule_id: str) -> str:
        return self.statuses[self._index(rule_id)]

    def outcome_of(self, rule_id: str) -> Outcome:
        return self.outcome(self._index(rule_id))

    def failed(self) -> list[tuple[Rule, Outcome]]:
        rules = self.rules
        return [(rules[i], self.outcome(i)) for i, status in enumerate(self.statuses) if status == "fail"]


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
        rules = self.ruleset.rules["teacher"]
        out: dict[str, list[str]] = {r.id: [] for r in rules}
        for teacher in self.members:
            for rule, status in zip(rules, teacher.statuses):
                if status == "fail":
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


class Evaluator:
    """The hot path of one compiled ruleset. Thread-safe: durable_rules is called under a lock and
    the memos only ever gain or drop whole entries."""

    def __init__(self, ruleset: CompiledRuleset):
        self.ruleset = ruleset
        self._levels = {level: _Level(ruleset, level) for level in ("teacher", "school", "region")}
        self._catalogue = ruleset.catalogue  # bare ability-point codes are read in it

    def stats(self, level: str = "teacher") -> dict:
        """How often decisions were remembered: records whole, the rest rule by rule, and how many
        facts durable_rules decided."""
        return dict(self._levels[level].stats)

    def decisions(self, rule_id: str) -> dict:
        """A rule's remembered decisions: the values its conditions compare → status."""
        for plan in self._levels.values():
            for rule, decisions in zip(plan.rules, plan.decisions):
                if rule.id == rule_id:
                    return dict(decisions)
        raise KeyError(rule_id)

    @property
    def judges_regions(self) -> bool:
        return bool(self.ruleset.rules["region"])

    def school_state(self, result: SchoolResult) -> tuple:
        """What a region's rules read of a school result, small and picklable: the school record
        without its teachers, its verdict, measure values and rule statuses (batch carries these
        from its workers to the second pass that judges regions)."""
        return (result.record.model_copy(update={"teachers": []}), result.verdict, result.values, result.statuses,
                len(result.members))

    def school_from_state(self, state: tuple) -> SchoolResult:
        """A school result back from `school_state`, without its teachers' results."""
        record, verdict, values, statuses, _ = state
        return SchoolResult(record, verdict, values, statuses, self.ruleset, (), self._levels["school"])

    def teacher(self, teacher: Teacher, as_of: dt.date, school: School | None = None) -> TeacherResult:
        """A teacher's measures may read their school's fields (`field: school.is_pilot`); alone, those are empty."""
        return self.teachers([teacher], as_of, school)[0]

    def teachers(self, teachers: Iterable[Teacher], as_of: dt.date, school: School | None = None) -> list[TeacherResult]:
        """Many teachers at once: what was not seen before goes to durable_rules in one session. Teachers the
        ruleset's scope leaves out are listed, not judged; each is seen as it was on `as_of`, its bare codes
        read in the ruleset's catalogue."""
        catalogue = self._catalogue
        teachers = [with_codes_read(t, catalogue) for t in teachers] if catalogue else list(teachers)
        plan = self._levels["teacher"]
        ruleset = self.ruleset
        scope = ruleset.scope.get("teacher")
        results: list = []
        judge, seen = [], []
        for teacher in teachers:
            if scope is not None and scope.leaves_out(teacher):
                results.append(self._out_of_scope(teacher, as_of, plan))
                continue
            record, left_out = as_of_view(teacher, "teacher", as_of)
            results.append(None)
            judge.append((record, school))
            seen.append((len(results) - 1, record, left_out))
        for (index, record, left_out), (verdict, values, statuses, shared) in zip(seen, plan.judge(judge, as_of)):
            result = TeacherResult(record, verdict, values, statuses, ruleset, (), plan, shared, left_out)
            if record.not_recorded:
                self._unjudged(result, frozenset(record.not_recorded))
            results[index] = result
        return results

    def _out_of_scope(self, teacher: Teacher, as_of: dt.date, plan) -> TeacherResult:
        scope = self.ruleset.scope["teacher"]
        statuses = ("not_in_scope",) * len(plan.rules)
        result = TeacherResult(teacher, "not_in_scope", {"as_of": as_of}, statuses, self.ruleset, (), plan)
        empty = {"zh": "", "en": ""}
        result._outcomes = tuple(Outcome("not_in_scope", None, empty, empty, dict(scope.reason), None) for _ in plan.rules)
        return result

    def _unjudged(self, result: _Result, unknown: frozenset) -> None:
        """Rules that read facts the record's source does not carry cannot be judged (slow path: such records only)."""
        plan = result._level
        statuses, lacking = states.cannot_judge_statuses(self.ruleset, plan.rules, result.statuses, unknown)
        if not lacking:
            return
        result.statuses, result.verdict, result._shared = statuses, level_verdict(statuses, plan.required), None
        outcomes = list(plan.outcomes(statuses, result.values))
        for index, facts in lacking.items():
            rule = plan.rules[index]
            outcomes[index] = Outcome("cannot_judge", None, {"zh": "", "en": ""}, dict(rule.title),
                                      states.cannot_judge_explanation(facts, self.ruleset), None)
        result._outcomes = tuple(outcomes)

    def school(self, school: School, as_of: dt.date, teachers: list[TeacherResult] | None = None) -> SchoolResult:
        if teachers is None:
            teachers = self.teachers(school.teachers, as_of, school)
        plan = self._levels["school"]
        record, left_out = as_of_view(school, "school", as_of)
        in_scope = [t for t in teachers if t.verdict != "not_in_scope"]
        (verdict, values, statuses, shared), = plan.judge([(record, in_scope)], as_of)
        result = SchoolResult(record, verdict, values, statuses, self.ruleset, teachers, plan, shared, left_out)
        unknown = states.unknown_facts(self.ruleset, record, in_scope)
        if unknown:
            self._unjudged(result, unknown)
        return result

    def region(self, region: Region, schools: list[SchoolResult], as_of: dt.date) -> RegionResult:
        plan = self._levels["region"]
        record, left_out = as_of_view(region, "region", as_of)
        (verdict, values, statuses, shared), = plan.judge([(record, schools)], as_of)
        result = RegionResult(record, verdict, values, statuses, self.ruleset, schools, plan, shared, left_out)
        unknown = states.unknown_facts(self.ruleset, record, schools)
        if unknown:
            self._unjudged(result, unknown)
        return result

    def dataset(self, dataset: Dataset, as_of: dt.date) -> Evaluation:
        schools = [self.school(s, as_of) for s in dataset.schools]
        regions = [self.region(r, list(schools_in(r, schools)), as_of) for r in dataset.regions]
        return Evaluation(self.ruleset, as_of, schools, regions)


def schools_in(region: Region, schools: Iterable[SchoolResult]) -> Iterable[SchoolResult]:
    attribute = {"county": "county_id", "city": "city_id", "province": "province_id"}[region.level]
    return (s for s in schools if getattr(s.record, attribute) == region.id)

Result = _Result  # the public name (kaohe.engine.Result): what every level's result shares
