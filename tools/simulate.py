"""Impact analysis: the same records under two revisions of a ruleset, and who changes verdict.

The changed revision is either another document (a YAML file) or the baseline with some parameters
set to other values (`--set school_based_hours_required=20`). Values given as text are read as the
parameter's declared type (or the type of its current value): numbers, true/false, dates
(YYYY-MM-DD), lists and tables as JSON. Nothing is ever evaluated as code.

Overrides are applied to a copy of the resolved ruleset, which gets its own content revision.
That matters: rules are registered with durable_rules under a name that includes the revision, and
a second compilation of the same revision reuses the first one's registered conditions. Compiling
the baseline's revision with other parameter values would therefore silently decide with the
baseline's thresholds.

One module of some 600 lines, on purpose: reading a typed override, applying it, evaluating both
revisions and tallying the changes by rule, county and school are the steps of one computation
that policy staff see as one command, and each step is only used by the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from kaohe.engine import (CompiledRuleset, Dataset, Evaluation, Evaluator, KaoheError, Resolved, Result, compile_ruleset,
                          content_hash, format_value, parse_date, suggest)

from .diff import ParameterChange, diff, resolve_path

class SimulationError(KaoheError):
    code = "simulate.invalid"


class UnknownParameter(SimulationError):
    code = "simulate.unknown_parameter"


class InvalidValue(SimulationError):
    code = "simulate.invalid_value"


class InvalidAssignment(SimulationError):
    code = "simulate.invalid_assignment"


# ---- reading overrides ------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TRUE, _FALSE = ("true",), ("false",)


def parameter_kind(resolved: Resolved, name: str) -> str:
    """number | bool | string | date | list | table: as declared, else from the current value."""
    spec = resolved.parameters[name]
    declared = spec.get("type")
    if declared:
        return declared
    value = spec.get("value")
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "table"
    return "string"


def _check_known(resolved: Resolved, name: str) -> None:
    if name not in resolved.parameters:
        raise UnknownParameter(f"ruleset '{resolved.id}' has no parameter '{name}'",
                               hint=suggest(name, resolved.parameters) or "see the ruleset's parameters")


def parse_value(resolved: Resolved, name: str, text: str) -> Any:
    """The text of `--set name=text` as a value of the parameter's type; InvalidValue naming it if not."""
    _check_known(resolved, name)
    kind = parameter_kind(resolved, name)
    raw = text.strip()

    def bad(expected: str, hint: str | None = None):
        return InvalidValue(f"parameter '{name}' is a {kind}: '{text}' is not {expected}", hint=hint)

    if kind == "number":
        if not _NUMBER.match(raw):
            raise bad("a number", "e.g. 20 or 92.5")
        number = float(raw)
        if not math.isfinite(number):
            raise bad("a finite number")
        return int(number) if re.fullmatch(r"[+-]?\d+", raw) else number
    if kind == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise bad("true or false")
    if kind == "date":
        day = parse_date(raw)
        if day is None:
            raise bad("a date", "write YYYY-MM-DD")
        return day
    if kind in ("list", "table"):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            example = '["doc", "docx", "pdf"]' if kind == "list" else '{"key": 1}'
            raise bad(f"valid JSON ({exc.msg})", f"write a JSON {'array' if kind == 'list' else 'object'}, e.g. {example}") from None
        return check_value(resolved, name, value)
    if kind == "string":
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                pass
        return raw
    raise bad(f"a value kaohe can read (type {kind})")


def check_value(resolved: Resolved, name: str, value: Any) -> Any:
    """A typed override (from JSON or Python) checked against the parameter's type."""
    _check_known(resolved, name)
    kind = parameter_kind(resolved, name)
    shown = json.dumps(value, ensure_ascii=False, default=str)

    def bad(expected: str):
        return InvalidValue(f"parameter '{name}' is a {kind}: {shown} is not {expected}")

    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise bad("a number")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "date":
        day = parse_date(value)
        if day is None:
            raise bad("a date (YYYY-MM-DD)")
        return day
    if kind == "string":
        if not isinstance(value, str):
            raise bad("text")
        return value
    if kind == "table":
        if not isinstance(value, dict):
            raise bad("a JSON object")
        return value
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            raise bad("a list")
        current = resolved.parameters[name].get("value") or []
        item_kinds = {_scalar_kind(v) for v in current}
        for item in value:
            item_kind = _scalar_kind(item)
            if item_kind is None:
                raise bad("a list of texts or numbers")
            if len(item_kinds) == 1 and item_kind not in item_kinds:
                raise bad(f"a list of {next(iter(item_kinds))}s (found {json.dumps(item, ensure_ascii=False)})")
        return list(value)
    raise bad(f"a value kaohe can read (type {kind})")


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def parse_assignments(resolved: Resolved, assignments: Iterable[str]) -> dict[str, Any]:
    """`["name=value", …]` (the CLI's repeated `--set`) → {name: typed value}."""
    out: dict[str, Any] = {}
    for text in assignments:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidAssignment(f"'{text}' is not name=value", hint="e.g. --set school_based_hours_required=20")
        if name in out:
            raise InvalidAssignment(f"parameter '{name}' is set twice")
        out[name] = parse_value(resolved, name, raw)
    return out


def apply_overrides(resolved: Resolved, overrides: Mapping[str, Any]) -> Resolved:
    """A copy of `resolved` with other parameter values, and its own revision."""
    checked = {name: check_value(resolved, name, value) for name, value in overrides.items()}
    parameters = {name: dict(spec) for name, spec in resolved.parameters.items()}
    for name, value in checked.items():
        parameters[name]["value"] = value.isoformat() if isinstance(value, dt.date) else value
    changed = dataclasses.replace(resolved, parameters=parameters, revision="")
    changed.revision = content_hash(changed)
    return changed


def _compile(resolved: Resolved, like: CompiledRuleset | None = None, registry=None) -> CompiledRuleset:
    """Compile with the plugin extensions (measure primitives, catalogues) the baseline or the
    registry was compiled with, so a changed revision reads the same language."""
    extensions = getattr(like, "extensions", None) or getattr(registry, "extensions", None)
    if extensions is not None:
        return compile_ruleset(resolved, extensions=extensions)
    return compile_ruleset(resolved)


def compile_with_overrides(baseline: Resolved | CompiledRuleset, overrides: Mapping[str, Any], registry=None) -> CompiledRuleset:
    """The baseline with parameters overridden, compiled as a revision of its own."""
    resolved = baseline.resolved if isinstance(baseline, CompiledRuleset) else baseline
    like = baseline if isinstance(baseline, CompiledRuleset) else None
    return _compile(apply_overrides(resolved, overrides), like, registry)


def compile_path(path, registry=None, as_of: dt.date | None = None) -> CompiledRuleset:
    """A changed ruleset file (not loaded in the registry), its parents taken from the registry."""
    return _compile(resolve_path(path, registry, as_of), registry=registry)


# ---- the result -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusChange:
    """One rule's status for one record, before and after; 'absent' where a revision lacks the rule."""

    rule_id: str
    old: str
    new: str

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "old": self.old, "new": self.new}


@dataclass
class RecordChange:
    """A teacher, school or region whose verdict or rule statuses differ between the revisions."""

    level: str
    id: str
    name: str | None
    school_id: str | None
    school_name: str | None
    county_id: str | None
    old_verdict: str
    new_verdict: str
    rules: list[StatusChange]

    @property
    def direction(self) -> str | None:
        if self.old_verdict == self.new_verdict:
            return None
        return f"{self.old_verdict}_to_{self.new_verdict}"

    def to_dict(self) -> dict:
        out = {"level": self.level, "id": self.id, "name": self.name}
        if self.level == "teacher":
            out.update(school_id=self.school_id, school_name=self.school_name)
        if self.level != "region":
            out["county_id"] = self.county_id
        out.update(old_verdict=self.old_verdict, new_verdict=self.new_verdict, direction=self.direction,
                   rules_changed=[r.to_dict() for r in self.rules])
        return out


@dataclass
class RuleImpact:
    """How many records of the rule's level changed status on this rule, in each direction."""

    rule_id: str
    level: str
    title: dict
    severity: str
    in_baseline: bool
    in_changed: bool
    pass_to_fail: int = 0
    fail_to_pass: int = 0
    other: int = 0  # to or from not_applicable, or the rule added or removed
    records: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.pass_to_fail + self.fail_to_pass + self.other

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "level": self.level, "title": self.title, "severity": self.severity,
                "in_baseline": self.in_baseline, "in_changed": self.in_changed, "pass_to_fail": self.pass_to_fail,
                "fail_to_pass": self.fail_to_pass, "other": self.other, "records": list(self.records)}


@dataclass
class Tally:
    total: int = 0
    passing_before: int = 0
    passing_after: int = 0
    pass_to_fail: int = 0
    fail_to_pass: int = 0

    def add(self, old: str, new: str) -> None:
        self.total += 1
        self.passing_before += old == "pass"
        self.passing_after += new == "pass"
        self.pass_to_fail += old == "pass" and new == "fail"
        self.fail_to_pass += old == "fail" and new == "pass"

    @property
    def changed(self) -> int:
        return self.pass_to_fail + self.fail_to_pass

    def to_dict(self) -> dict:
        return {"total": self.total, "passing_before": self.passing_before, "passing_after": self.passing_after,
                "pass_to_fail": self.pass_to_fail, "fail_to_pass": self.fail_to_pass}


@dataclass
class GroupImpact:
    """A county or a school: its teachers' (and schools') verdict changes."""

    kind: str  # county | school
    id: str | None
    name: str | None
    county_id: str | None
    teachers: Tally = field(default_factory=Tally)
    schools: Tally = field(default_factory=Tally)

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "id": self.id, "name": self.name}
        if self.kind == "school":
            out["county_id"] = self.county_id
        out.update(teachers=self.teachers.to_dict(), schools=self.schools.to_dict())
        return out


@dataclass
class Impact:
    baseline: dict  # id, version, revision, title
    changed: dict
    as_of: dt.date
    parameters: list[ParameterChange]  # what differs in parameter values (from `diff`)
    teachers: Tally
    schools: Tally
    regions: Tally
    by_rule: list[RuleImpact]  # only rules whose status changed for some record
    by_county: list[GroupImpact]
    by_school: list[GroupImpact]
    teacher_changes: list[RecordChange]  # verdict changes first, then rule-only changes
    school_changes: list[RecordChange]
    region_changes: list[RecordChange]

    def affected_teachers(self, direction: str | None = None) -> list[RecordChange]:
        """Teachers whose verdict changed (in `direction`, 'pass_to_fail' or 'fail_to_pass', if given)."""
        return [c for c in self.teacher_changes if c.direction and (direction is None or c.direction == direction)]

    def to_dict(self, detail: str = "full") -> dict:
        """`detail` compact: the records that change, without the rules that changed for each."""
        changes = {"teachers": [c.to_dict() for c in self.teacher_changes],
                   "schools": [c.to_dict() for c in self.school_changes],
                   "regions": [c.to_dict() for c in self.region_changes]}
        if detail == "compact":
            for entries in changes.values():
                for entry in entries:
                    del entry["rules_changed"]
        return {
            "baseline": self.baseline, "changed": self.changed, "as_of": self.as_of.isoformat(),
            "parameters": [p.to_dict() for p in self.parameters if p.value_changed],
            "summary": {"teachers": self.teachers.to_dict(), "schools": self.schools.to_dict(),
                        "regions": self.regions.to_dict()},
            "by_rule": [r.to_dict() for r in self.by_rule],
            "by_county": [g.to_dict() for g in self.by_county],
            "by_school": [g.to_dict() for g in self.by_school],
            **changes,
        }

    def text(self, lang: str = "zh") -> str:
        return impact_text(self, lang)


# ---- comparing two evaluations ----------------------------------------------------------------------

def simulate(baseline: CompiledRuleset, changed: CompiledRuleset, dataset: Dataset, as_of: dt.date) -> Impact:
    """Evaluate `dataset` under both revisions on `as_of` and compare."""
    before = Evaluator(baseline).dataset(dataset, as_of)
    after = Evaluator(changed).dataset(dataset, as_of)
    return compare(before, after)


def simulate_overrides(baseline: CompiledRuleset, dataset: Dataset, as_of: dt.date,
                       overrides: Mapping[str, Any] | Iterable[str]) -> Impact:
    """The baseline against itself with parameters set: a {name: value} mapping, or 'name=value' texts."""
    if not isinstance(overrides, Mapping):
        overrides = parse_assignments(baseline.resolved, overrides)
    return simulate(baseline, compile_with_overrides(baseline, overrides), dataset, as_of)


def run(registry, ruleset_id: str, dataset: Dataset, as_of: dt.date, assignments: Iterable[str] = (),
        changed_path=None) -> Impact:
    """What the CLI calls: the revision of `ruleset_id` in force on `as_of` against `--set` values
    and/or a changed YAML file (the file first, then the values set on it)."""
    baseline = registry.get(ruleset_id, as_of)
    assignments = list(assignments)
    if changed_path is None and not assignments:
        raise SimulationError("nothing to compare: give a changed ruleset file or at least one --set name=value",
                              code="simulate.nothing_changed")
    resolved = resolve_path(changed_path, registry, as_of) if changed_path is not None else baseline.resolved
    overrides = parse_assignments(resolved, assignments)
    changed = _compile(apply_overrides(resolved, overrides) if overrides else resolved, baseline, registry)
    return simulate(baseline, changed, dataset, as_of)


def _statuses(result: Result) -> dict[str, str]:
    return {rule.id: outcome.status for rule, outcome in zip(result.rules, result.outcomes)}


def _rule_changes(old: Result, new: Result, impacts: dict[str, RuleImpact]) -> list[StatusChange]:
    before, after = _statuses(old), _statuses(new)
    changes = []
    for rule_id in list(before) + [r for r in after if r not in before]:
        a, b = before.get(rule_id, "absent"), after.get(rule_id, "absent")
        if a == b:
            continue
        changes.append(StatusChange(rule_id, a, b))
        impact = impacts[rule_id]
        if (a, b) == ("pass", "fail"):
            impact.pass_to_fail += 1
        elif (a, b) == ("fail", "pass"):
            impact.fail_to_pass += 1
        else:
            impact.other += 1
        impact.records.append(old.record.id)
    return changes


def compare(before: Evaluation, after: Evaluation) -> Impact:
    """Two evaluations of the same dataset, on the same day, under two revisions."""
    if len(before.schools) != len(after.schools) or len(before.regions) != len(after.regions):
        raise SimulationError("the two evaluations are not of the same records", code="simulate.different_records")
    impacts: dict[str, RuleImpact] = {}
    for level in ("teacher", "school", "region"):
        old_rules = {r.id: r for r in before.ruleset.rules[level]}
        new_rules = {r.id: r for r in after.ruleset.rules[level]}
        for rule_id in list(old_rules) + [r for r in new_rules if r not in old_rules]:
            rule = new_rules.get(rule_id) or old_rules[rule_id]
            impacts[rule_id] = RuleImpact(rule_id, level, rule.title, rule.severity, rule_id in old_rules, rule_id in new_rules)

    teachers, schools, regions = Tally(), Tally(), Tally()
    counties: dict[str | None, GroupImpact] = {}
    by_school: list[GroupImpact] = []
    teacher_changes: list[RecordChange] = []
    school_changes: list[RecordChange] = []
    for old_school, new_school in zip(before.schools, after.schools):
        record = old_school.record
        if record.id != new_school.record.id or len(old_school.members) != len(new_school.members):
            raise SimulationError("the two evaluations are not of the same records", code="simulate.different_records")
        county = counties.setdefault(record.county_id, GroupImpact("county", record.county_id, None, record.county_id))
        group = GroupImpact("school", record.id, record.name, record.county_id)
        for old_t, new_t in zip(old_school.members, new_school.members):
            teachers.add(old_t.verdict, new_t.verdict)
            group.teachers.add(old_t.verdict, new_t.verdict)
            county.teachers.add(old_t.verdict, new_t.verdict)
            rules = _rule_changes(old_t, new_t, impacts)
            if rules or old_t.verdict != new_t.verdict:
                t = old_t.record
                teacher_changes.append(RecordChange("teacher", t.id, t.name, record.id, record.name, record.county_id,
                                                    old_t.verdict, new_t.verdict, rules))
        schools.add(old_school.verdict, new_school.verdict)
        group.schools.add(old_school.verdict, new_school.verdict)
        county.schools.add(old_school.verdict, new_school.verdict)
        by_school.append(group)
        rules = _rule_changes(old_school, new_school, impacts)
        if rules or old_school.verdict != new_school.verdict:
            school_changes.append(RecordChange("school", record.id, record.name, record.id, record.name, record.county_id,
                                               old_school.verdict, new_school.verdict, rules))
    region_changes = []
    for old_r, new_r in zip(before.regions, after.regions):
        regions.add(old_r.verdict, new_r.verdict)
        rules = _rule_changes(old_r, new_r, impacts)
        if rules or old_r.verdict != new_r.verdict:
            r = old_r.record
            region_changes.append(RecordChange("region", r.id, r.name, None, None, None, old_r.verdict, new_r.verdict, rules))
    names = {r.record.id: r.record.name for r in before.regions}
    for county in counties.values():
        county.name = names.get(county.id)
    verdict_first = lambda c: (c.direction is None, )  # noqa: E731 - stable sort keeps dataset order within each group
    return Impact(
        baseline=_header(before.ruleset), changed=_header(after.ruleset), as_of=before.as_of,
        parameters=[p for p in diff(before.ruleset, after.ruleset).parameters if p.value_changed],
        teachers=teachers, schools=schools, regions=regions,
        by_rule=[i for i in impacts.values() if i.changed],
        by_county=list(counties.values()), by_school=by_school,
        teacher_changes=sorted(teacher_changes, key=verdict_first),
        school_changes=sorted(school_changes, key=verdict_first),
        region_changes=sorted(region_changes, key=verdict_first))


def _header(ruleset: CompiledRuleset) -> dict:
    r = ruleset.resolved
    return {"id": r.id, "version": r.version, "revision": r.revision, "title": r.title}


# ---- the readable report ----------------------------------------------------------------------------

_WORDS = {
    "zh": {
        "title": "影响分析", "baseline": "基准修订", "changed": "变更修订", "as_of": "评估日期", "parameters": "变更的参数",
        "teachers": "教师", "schools": "学校", "regions": "区域", "total": "共", "people": "名", "units": "所",
        "region_units": "个", "passing": "通过", "by_rule": "按规则", "by_county": "按区县", "by_school": "按学校",
        "affected": "结论改变的教师", "affected_schools": "结论改变的学校", "affected_regions": "结论改变的区域",
        "rule_only": "另有 {n} 名教师结论未变, 但有规则状态改变 (见 JSON 输出)。",
        "no_change": "没有任何教师、学校或区域的结论改变。", "no_county": "(未填区县)",
        "pass": "通过", "fail": "不通过", "needs_review": "待人工复核", "not_applicable": "不适用", "absent": "(无此规则)",
        "advisory": "建议项", "other": "其他变化", "rules": "规则", "school": "学校", "none": "无",
        "teacher": "教师", "school_level": "学校", "region": "区域",
    },
    "en": {
        "title": "Impact analysis", "baseline": "Baseline revision", "changed": "Changed revision", "as_of": "As of",
        "parameters": "Parameters changed", "teachers": "Teachers", "schools": "Schools", "regions": "Regions",
        "total": "", "people": "", "units": "", "region_units": "", "passing": "passing", "by_rule": "By rule",
        "by_county": "By county", "by_school": "By school", "affected": "Teachers whose verdict changes",
        "affected_schools": "Schools whose verdict changes", "affected_regions": "Regions whose verdict changes",
        "rule_only": "{n} more teacher(s) keep their verdict but have a rule whose status changes (see the JSON output).",
        "no_change": "No teacher, school or region changes verdict.", "no_county": "(no county)",
        "pass": "pass", "fail": "fail", "needs_review": "needs review", "not_applicable": "not applicable",
        "absent": "(no such rule)",
        "advisory": "advisory", "other": "other changes", "rules": "rules", "school": "school", "none": "none",
        "teacher": "teacher", "school_level": "school", "region": "region",
    },
}


def _flow(t: Tally, lang: str) -> str:
    if lang == "zh":
        return f"不通过→通过 {t.fail_to_pass}, 通过→不通过 {t.pass_to_fail}"
    return f"fail→pass {t.fail_to_pass}, pass→fail {t.pass_to_fail}"


def _tally_line(label: str, t: Tally, unit: str, lang: str) -> str:
    if lang == "zh":
        return (f"{label}: 共 {t.total} {unit}; 通过 {t.passing_before} → {t.passing_after}; "
                f"由不通过变为通过 {t.fail_to_pass} {unit}, 由通过变为不通过 {t.pass_to_fail} {unit}")
    return (f"{label}: {t.total}; passing {t.passing_before} → {t.passing_after}; "
            f"fail→pass {t.fail_to_pass}, pass→fail {t.pass_to_fail}")


def _status_change(c: StatusChange, titles: dict, lang: str) -> str:
    w = _WORDS[lang]
    title = titles.get(c.rule_id)
    name = f"{c.rule_id} ({title[lang]})" if title else c.rule_id
    return f"{name} {w[c.old]}→{w[c.new]}"


def impact_text(impact: Impact, lang: str = "zh") -> str:
    w = _WORDS[lang]
    b, c = impact.baseline, impact.changed
    titles = {r.rule_id: r.title for r in impact.by_rule}
    lines = [f"{w['title']}: {b['title'][lang]} ({b['id']} {b['version']})",
             f"{w['baseline']} {b['revision']} → {w['changed']} {c['revision']}"
             + (f" ({c['id']} {c['version']})" if (c["id"], c["version"]) != (b["id"], b["version"]) else ""),
             f"{w['as_of']}: {impact.as_of.isoformat()}"]
    if impact.parameters:
        lines.append(f"{w['parameters']}:")
        for p in impact.parameters:
            unit = p.unit or ""
            old = format_value(p.old, lang) + (unit if p.old is not None and not isinstance(p.old, (list, tuple, bool)) else "")
            new = format_value(p.new, lang) + (unit if p.new is not None and not isinstance(p.new, (list, tuple, bool)) else "")
            lines.append(f"  {p.name} ({p.title[lang]}): {old} → {new}")
    lines.append("")
    lines.append(_tally_line(w["teachers"], impact.teachers, w["people"], lang))
    lines.append(_tally_line(w["schools"], impact.schools, w["units"], lang))
    if impact.regions.total:
        lines.append(_tally_line(w["regions"], impact.regions, w["region_units"], lang))
    if not (impact.teachers.changed or impact.schools.changed or impact.regions.changed):
        lines.append(w["no_change"])
    if impact.by_rule:
        lines += ["", f"{w['by_rule']}:"]
        level_word = {"teacher": w["teacher"], "school": w["school_level"], "region": w["region"]}
        for r in impact.by_rule:
            tag = f", {w['advisory']}" if r.severity == "advisory" else ""
            other = f", {w['other']} {r.other}" if r.other else ""
            lines.append(f"  {r.rule_id} {r.title[lang]} ({level_word[r.level]}{tag}): {_flow(_as_tally(r), lang)}{other}")
    changed_counties = [g for g in impact.by_county if g.teachers.changed or g.schools.changed]
    if changed_counties:
        lines += ["", f"{w['by_county']}:"]
        for g in changed_counties:
            name = _who(g.name, g.id) if g.id is not None else w["no_county"]
            lines.append(f"  {name}: {w['teachers']} {_flow(g.teachers, lang)}; {w['schools']} {_flow(g.schools, lang)}")
    changed_schools = [g for g in impact.by_school if g.teachers.changed or g.schools.changed]
    if changed_schools:
        lines += ["", f"{w['by_school']}:"]
        for g in changed_schools:
            name = _who(g.name, g.id)
            verdict = ""
            if g.schools.changed:
                old, new = ("pass", "fail") if g.schools.pass_to_fail else ("fail", "pass")
                verdict = f"; {w['school']} {w[old]}→{w[new]}" if lang == "en" else f"; 学校 {w[old]}→{w[new]}"
            lines.append(f"  {name}: {w['teachers']} {_flow(g.teachers, lang)}{verdict}")
    for key, changes in (("affected", impact.affected_teachers()),
                         ("affected_schools", [x for x in impact.school_changes if x.direction]),
                         ("affected_regions", [x for x in impact.region_changes if x.direction])):
        if not changes:
            continue
        lines += ["", f"{w[key]}:"]
        for x in changes:
            who = _who(x.name, x.id)
            where = ""
            if x.level == "teacher":
                where = f" ({w['school']} {x.school_name or x.school_id})" if lang == "en" else f" (学校 {x.school_name or x.school_id})"
            rules = "; ".join(_status_change(s, titles, lang) for s in x.rules) or w["none"]
            lines.append(f"  {who}{where}: {w[x.old_verdict]} → {w[x.new_verdict]}; {w['rules']}: {rules}")
    rule_only = [x for x in impact.teacher_changes if not x.direction]
    if rule_only:
        lines += ["", w["rule_only"].format(n=len(rule_only))]
    return "\n".join(lines) + "\n"


def _who(name: str | None, ident: str) -> str:
    return f"{name} [{ident}]" if name and name != ident else ident


def _as_tally(r: RuleImpact) -> Tally:
    return Tally(pass_to_fail=r.pass_to_fail, fail_to_pass=r.fail_to_pass)


__all__ = ["simulate", "simulate_overrides", "run", "compare", "parse_assignments", "parse_value", "check_value",
           "apply_overrides", "compile_with_overrides", "compile_path", "impact_text", "Impact", "RuleImpact",
           "GroupImpact", "RecordChange", "StatusChange", "Tally", "SimulationError", "UnknownParameter",
           "InvalidValue", "InvalidAssignment"]
