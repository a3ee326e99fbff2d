"""Record builders and the case-table runner shared by the ruleset tests.

A `Case` says: for this record, on this day, this rule has this status. Each ruleset's test module
lists its cases; `check_every_rule_passes_and_fails` then makes sure every rule of the ruleset has
at least one case where it passes and one where it fails, so no rule goes untested and every test
is one that can fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from kaohe.engine.records import (Artefact, Assessment, Dataset, Document, HourEntry, Region, ResearchGroup, School,
                                  Teacher, TeamMember)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def entry(category: str, hours: float, date: str = "2022-03-01", kind: str = "研修活动") -> HourEntry:
    return HourEntry(category=category, kind=kind, hours=hours, date=day(date))


def artefact(kind: str, point: str | None = None) -> Artefact:
    return Artefact(kind=kind, file_name=f"{point or ''}{kind}.pdf", format="pdf", size_kb=100, point=point)


def assessment(kind: str, result: str, point: str | None = None) -> Assessment:
    return Assessment(kind=kind, result=result, point=point)


def teacher(**fields) -> Teacher:
    fields.setdefault("id", "t1")
    fields.setdefault("school_id", "s1")
    return Teacher(**fields)


def member(name: str, role: str, principal: bool = False, leader: bool = False) -> TeamMember:
    return TeamMember(name=name, role=role, is_principal=principal, is_leader=leader)


def principal_led_team(size: int) -> list[TeamMember]:
    """A team of `size` led by the principal."""
    others = [member(f"成员{i}", "信息技术骨干教师") for i in range(1, size)]
    return [member("校长", "校长", principal=True, leader=True)] + others


def document(kind: str, filed_on: str | None = "2021-09-01") -> Document:
    return Document(kind=kind, filed_on=day(filed_on) if filed_on else None)


def group(name: str, materials=(), leader: str | None = "组长") -> ResearchGroup:
    return ResearchGroup(name=name, leader=leader, materials=list(materials))


def school(**fields) -> School:
    fields.setdefault("id", "s1")
    return School(**fields)


def region(level: str, id: str = "r1", **fields) -> Region:
    return Region(id=id, level=level, **fields)


def dataset(regions=(), schools=()) -> Dataset:
    return Dataset(regions=list(regions), schools=list(schools))


@dataclass(frozen=True)
class Case:
    rule: str
    status: str  # pass | fail | not_applicable
    make: Callable[[], object]  # a Teacher, a School, or a Dataset whose first region is the one checked
    as_of: dt.date
    label: str  # what the case is, in the policy's words

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.status}-{self.label}"


def evaluate(evaluator, record, as_of: dt.date):
    """The result of the record's own level: a teacher, a school, or the first region of a dataset."""
    if isinstance(record, Teacher):
        return evaluator.teacher(record, as_of)
    if isinstance(record, School):
        return evaluator.school(record, as_of)
    if isinstance(record, Dataset):
        return evaluator.dataset(record, as_of).regions[0]
    raise TypeError(f"cannot evaluate {type(record).__name__}")


def run(registry, ruleset_id: str, case: Case):
    return evaluate(registry.evaluator(ruleset_id, case.as_of), case.make(), case.as_of)


def check_every_rule_passes_and_fails(registry, ruleset_id: str, cases: list[Case], as_of: dt.date) -> None:
    rules = {rule.id for rule in registry.get(ruleset_id, as_of).all_rules()}
    seen: dict[str, set[str]] = {}
    for case in cases:
        assert case.rule in rules, f"case for unknown rule {case.rule}"
        seen.setdefault(case.rule, set()).add(case.status)
    untested = {rule: sorted({"pass", "fail"} - seen.get(rule, set())) for rule in sorted(rules)}
    untested = {rule: missing for rule, missing in untested.items() if missing}
    assert not untested, f"rules without a passing or failing case: {untested}"
