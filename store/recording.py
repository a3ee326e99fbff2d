"""Evaluation results → decision rows (JSON already made), cheaply.

A rule's outcome for a combination of values is one shared object (the engine remembers it), so
its stored form is made once and kept on the outcome: a teacher costs a list of ready-made JSON
fragments. ID-card numbers are masked in the stored input wherever they appear, whatever the field.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib

import orjson

from kaohe import __version__
from kaohe.engine import CompiledRuleset

from .decisions import DecisionRow, unpack, utc_now  # noqa: F401 - unpack: the reverse of pack
from .policy import bundle_of

# 17 digits and a check character, not inside a longer run of digits or letters
_ID_CARD = re.compile(rb"(?<![0-9A-Za-z])(\d{6})\d{11}([\dXx])(?![0-9A-Za-z])")
_DIGIT_MARKS = bytes(49 if chr(i) in "0123456789" else 46 for i in range(256))  # digit -> '1', else '.'
_SEVENTEEN = b"1" * 17
_STORE_KEY = "store"


def mask_id_cards(raw: bytes) -> bytes:
    """Every ID-card number in a JSON text replaced by its mask (region prefix and check digit kept).
    A text without 17 digits in a row (nearly all) is passed by one translate and one find."""
    if _SEVENTEEN not in raw.translate(_DIGIT_MARKS):
        return raw
    return _ID_CARD.sub(rb"\1***********\2", raw)


SMALL = 4096  # below this, compressing costs more (setting up zlib) than it saves


def pack(data: bytes) -> bytes:
    """A school's decision (tens of KB of repetitive JSON) compressed; a teacher's kept as it is.
    JSON never starts with 'x' (0x78), a zlib stream always does: `unpack` tells them apart."""
    return zlib.compress(data, 1) if len(data) > SMALL else data





def stored_input(raw_json: bytes) -> bytes:
    """An input as the store keeps it: ID-card numbers masked, compressed."""
    return pack(mask_id_cards(raw_json))


def _plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"cannot store a {type(value).__name__}")


def rules_of(result) -> list:
    out = []
    for rule, outcome in zip(result.rules, result.outcomes):
        fragment = outcome.rendered.get(_STORE_KEY)
        if fragment is None:
            fragment = orjson.Fragment(orjson.dumps([rule.id, outcome.status, outcome.actual, outcome.expected],
                                                    default=_plain))
            outcome.rendered[_STORE_KEY] = fragment
        out.append(fragment)
    return out


def subject_of(result, school_id: str | None) -> dict:
    return {"level": result.level, "id": result.record.id, "school_id": school_id, "verdict": result.verdict,
            "rules": rules_of(result)}


def _worst(verdicts) -> str:
    seen = set(verdicts)
    for verdict in ("fail", "needs_review", "pass"):
        if verdict in seen:
            return verdict
    return "not_applicable" if seen else "pass"


def teacher_row(decision_id: str, compiled: CompiledRuleset, as_of: dt.date, body: bytes, result,
                caller: str | None, decided_at: dt.datetime | None = None) -> DecisionRow:
    school_id = result.record.school_id
    subject = subject_of(result, school_id)
    return DecisionRow(decision_id, decided_at or utc_now(), caller, "teacher", bundle_of(compiled), as_of, __version__,
                       result.verdict, stored_input(body), pack(orjson.dumps({"subjects": [subject]})),
                       [("teacher", result.record.id, school_id, result.verdict)])


def school_subjects(school_result, subjects: list, index: list) -> None:
    school_id = school_result.record.id
    subjects.append(subject_of(school_result, school_id))
    index.append(("school", school_id, school_id, school_result.verdict))
    for teacher in school_result.members:
        subjects.append(subject_of(teacher, school_id))
        index.append(("teacher", teacher.record.id, school_id, teacher.verdict))


def dataset_row(decision_id: str, evaluation, body: bytes, caller: str | None,
                decided_at: dt.datetime | None = None) -> DecisionRow:
    subjects: list = []
    index: list = []
    for school in evaluation.schools:
        school_subjects(school, subjects, index)
    for region in evaluation.regions:
        subjects.append(subject_of(region, None))
        index.append(("region", region.record.id, None, region.verdict))
    verdict = _worst(s.verdict for s in evaluation.schools)
    return DecisionRow(decision_id, decided_at or utc_now(), caller, "dataset", bundle_of(evaluation.ruleset),
                       evaluation.as_of, __version__, verdict, stored_input(body),
                       pack(orjson.dumps({"subjects": subjects})), index)


def school_parts(school_result) -> tuple:
    """(outcomes JSON, subjects, verdict) of a school and its teachers: what a batch worker sends back."""
    subjects: list = []
    index: list = []
    school_subjects(school_result, subjects, index)
    return pack(orjson.dumps({"subjects": subjects})), index, school_result.verdict


def school_row(decision_id: str, compiled: CompiledRuleset, as_of: dt.date, school_json: bytes, school_result,
               caller: str | None, batch_id: str | None, decided_at: dt.datetime | None = None) -> DecisionRow:
    """One school of a batch: the school's record (with its teachers) as read, and every verdict."""
    subjects: list = []
    index: list = []
    school_subjects(school_result, subjects, index)
    return DecisionRow(decision_id, decided_at or utc_now(), caller, "school", bundle_of(compiled), as_of, __version__,
                       school_result.verdict, stored_input(school_json), pack(orjson.dumps({"subjects": subjects})), index,
                       batch_id)
