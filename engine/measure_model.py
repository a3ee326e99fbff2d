"""What a measure is, what records it can be measured over, and how a number is spelled.

Shared by the measure compiler (`measures`), its primitives and the filters; it knows no primitive.
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from . import expressions as ex
from .records import Region, School, Teacher

# What each level's record can be measured over: collection name → item model (None = plain text).
COLLECTIONS: dict[str, dict[str, Any]] = {
    "teacher": {"hours": "HourEntry", "artefacts": "Artefact", "assessments": "Assessment", "ability_points": None},
    "school": {"management_team": "TeamMember", "documents": "Document", "research_groups": "ResearchGroup",
               "evidence": None, "teachers": "members"},
    "region": {"documents": "Document", "schools": "members"},
}
RECORD_MODEL = {"teacher": Teacher, "school": School, "region": Region}
MEMBER_LEVEL = {"school": "teacher", "region": "school"}


def canonical(number):
    """25.0 → 25, 24.999999999999996 → 25: one spelling per value.

    Hours are reported in tenths, which binary floats cannot hold: 8.3 + 8.3 + 8.4 sums to
    24.999999999999996, and a teacher with 25 hours would be judged short of 25. Rounding to nine
    places gives back the decimal a person adds up. Outcomes are remembered by measure values and
    25 == 25.0, so without the int the first teacher seen would decide how later ones are written."""
    if type(number) is float:
        number = round(number, 9)
        if number.is_integer():
            return int(number)
    return number


class MeasureError(Exception):
    def __init__(self, message: str, path: tuple = (), hint: str | None = None, code: str = "ruleset.invalid_measure"):
        super().__init__(message)
        self.message, self.path, self.hint, self.code = message, path, hint, code


@dataclass
class Measure:
    name: str
    level: str
    type: str
    title: dict
    unit: dict
    primitive: str
    value: Callable  # (record, members) -> value
    detail: Callable | None = None  # (record, members, value) -> dict: how the value came about
    reads: frozenset = frozenset()  # other measures an expr measure reads
    member_rules: frozenset = frozenset()  # rules of the member level a share or count refers to
    spec: dict = field(default_factory=dict)
    present: Callable | None = None  # for `missing`: (record, members) -> the required items that are there


def _field_type(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "types.UnionType":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _field_type(args[0]) if args else ex.STRING
    if origin in (list, tuple, set, frozenset):
        return ex.LIST
    if origin is typing.Annotated:
        return _field_type(typing.get_args(annotation)[0])
    if annotation is bool:
        return ex.BOOL
    if annotation in (int, float):
        return ex.NUMBER
    if annotation is dt.date:
        return ex.DATE
    if origin is dict:
        return "table"
    return ex.STRING


def model_fields(model_name_or_cls) -> dict[str, str]:
    """Field name → expression type for a record model."""
    from . import records

    cls = getattr(records, model_name_or_cls) if isinstance(model_name_or_cls, str) else model_name_or_cls
    return {name: _field_type(info.annotation) for name, info in cls.model_fields.items()}
