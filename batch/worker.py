"""The worker's half of a batch run: raw records in, serialized school results out.

A worker process loads the rulesets once (`init`), then turns each chunk of grouped raw records
into output bytes (or verdict rows), per-school tallies for the summary, and error entries. It
validates (pydantic) and evaluates here, so the reading process only moves bytes. The same
function runs in-process (one worker), in a process pool and on Dask workers, which is why their
results are identical.

A school is judged on all of its records or not at all: if one of its records is invalid, the
school is not evaluated (its teachers' share would be wrong), and every bad record is reported.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import ValidationError

from kaohe.engine import (BOOL_WORDS, LIST_COLUMNS, School, Teacher, dumps, explain, mask_id_card,
                          record_problems)
from .formats import BAD, ROW, SCHOOL, TEACHER, WITHHELD, error_entry

log = logging.getLogger("kaohe.batch")



@dataclass(frozen=True)
class Job:
    """What every worker needs to know; picklable, so it travels to worker processes and Dask."""

    ruleset_id: str
    as_of: dt.date
    lang: str = "zh"
    detail: str = "full"
    output: str = "jsonl"  # jsonl | parquet (verdict rows)
    load_registry: Callable | None = None  # () -> Registry (or plugin Loaded), picklable
    record: bool = False  # also make each school's decision record (kaohe.store), ids in the output

    def registry_key(self) -> tuple:
        return (_stable(self.load_registry),)

    def key(self) -> tuple:
        return self.registry_key() + (self.ruleset_id, self.as_of, self.lang, self.detail, self.output, self.record)


def _stable(fn) -> Any:
    """A key for a loader that survives pickling (a new partial object compares unequal to the old)."""
    if fn is None:
        return None
    if isinstance(fn, functools.partial):
        return ("partial", _stable(fn.func), repr(fn.args), repr(sorted(fn.keywords.items())))
    return (getattr(fn, "__module__", None), getattr(fn, "__qualname__", repr(fn)))


@dataclass
class Chunk:
    """Schools for one worker call: groups of raw records, plus the bad records the reader found
    among them (kept here so every error is written in input order, whatever the worker count)."""

    number: int
    source: tuple  # names of the input files; an item's last element indexes it
    columns: dict  # source index -> column names (CSV and Parquet)
    groups: list = field(default_factory=list)  # [(key, [(line, kind, payload, source index), ...])]
    errors: list = field(default_factory=list)
    records: int = 0
    position: int = 0  # progress units consumed when this chunk was complete


_REGISTRIES: dict = {}
_STATES: dict = {}  # Job.key() -> (job, evaluator)
_CURRENT: list = [None]  # the job `init` was last called with: the pool's


def load(job: Job):
    """The registry for this job: built (loaded and compiled) once per process and kept."""
    key = job.registry_key()
    loaded = _REGISTRIES.get(key)
    if loaded is None:
        if job.load_registry is None:
            raise ValueError("a batch job needs load_registry: a picklable () -> Registry, "
                             "e.g. kaohe.plugins.manager.RegistryLoader()")
        loaded = job.load_registry()
        _REGISTRIES[key] = loaded
    return loaded


def init(job: Job) -> None:
    """Worker initializer: load once, pick the revision in force, remember the settings."""
    loaded = load(job)
    registry = getattr(loaded, "registry", loaded)
    evaluator = registry.evaluator(job.ruleset_id, job.as_of)
    _STATES[job.key()] = (job, evaluator)
    _CURRENT[0] = job.key()


def evaluate_chunk(chunk: Chunk, job: Job | None = None) -> tuple:
    """Chunk → (number, output, school tallies, errors, teachers, schools not evaluated[, decisions]).
    Output is JSON Lines bytes (one `school_dict` per line) or verdict rows for Parquet; errors are
    sorted by line. With `job.record`, each school's decision (id, input, outcomes; see
    kaohe.store.recording) is made here too, and its id leads the school's output line. Without
    `job`, the one this process was initialised with."""
    key = job.key() if job is not None else _CURRENT[0]
    if key not in _STATES:
        init(job)  # a Dask worker that joined after the plugin ran, or a first task
    job, evaluator = _STATES[key]
    as_of, lang, detail = job.as_of, job.lang, job.detail
    parquet = job.output == "parquet"
    out: list = []
    tallies = []
    errors = list(chunk.errors)
    teachers = not_evaluated = 0
    decisions: list | None = [] if job.record else None
    for key, items in chunk.groups:
        school, problems = build_school(chunk.source, chunk.columns, key, items)
        if problems:
            errors.extend(problems)
            not_evaluated += 1
            continue
        decision_id = str(uuid.uuid4()) if decisions is not None else None
        try:
            result = evaluator.school(school, as_of)
            if parquet:
                written = verdict_rows(result)
            elif decision_id is not None:  # the school's line names its decision
                written = dumps({"decision_id": decision_id, **explain.school_dict(result, lang, detail)})
            else:
                written = dumps(explain.school_dict(result, lang, detail))
        except Exception:  # one school that cannot be evaluated is reported; the rest go on
            log.exception("school %s could not be evaluated", school.id)
            errors.append(_not_evaluable(chunk.source, items, school))
            not_evaluated += 1
            continue
        teachers += len(result.members)
        tallies.append(tally_of(result))
        if decision_id is not None:
            decisions.append(school_decision(decision_id, school, result))
        if parquet:
            out.extend(written)
        else:
            out.append(written)
    if not parquet:
        out = b"\n".join(out) + b"\n" if out else b""
    errors.sort(key=lambda e: (e["file"], e["line"]))
    if decisions is not None:
        return chunk.number, out, tallies, errors, teachers, not_evaluated, decisions
    return chunk.number, out, tallies, errors, teachers, not_evaluated


def school_decision(decision_id: str, school: School, result) -> tuple:
    """(id, input JSON, outcomes JSON, subjects, verdict) of one school: made where it was evaluated."""
    from kaohe.store.recording import school_parts, stored_input

    return (decision_id, stored_input(school.model_dump_json(exclude_defaults=True).encode("utf-8"))) + school_parts(result)


def _not_evaluable(names: tuple, items: list, school: School) -> dict:
    line, _, _, src = items[0]
    return error_entry(names[src], line, "record.not_evaluable", [{
        "record": f"school {mask_id_card(school.id)}", "field": "",
        "problem": "the school validates but could not be evaluated (an internal error, logged)"}],
        record_id=school.id, school_id=school.id, school_evaluated=False)


def tally_of(result) -> tuple:
    """What the summary needs of one school result: small, picklable, fixed order."""
    record = result.record
    failed_school = tuple(rule.id for rule, _ in result.failed())
    counts: dict[str, int] = {}
    passing = 0
    for teacher in result.members:
        if teacher.verdict == "pass":
            passing += 1
        for rule, outcome in zip(teacher.rules, teacher.outcomes):
            if outcome.status == "fail":
                counts[rule.id] = counts.get(rule.id, 0) + 1
    return (record.id, record.county_id, record.city_id, result.verdict, len(result.members), passing,
            failed_school, tuple(counts.items()))


def verdict_rows(result) -> list[tuple]:
    record = result.record
    failed_school = [rule.id for rule, _ in result.failed()]
    head = (record.id, record.county_id, record.city_id, result.verdict, failed_school)
    if not result.members:
        return [head + (None, None, None)]
    return [head + (t.record.id, t.verdict, [rule.id for rule, _ in t.failed()]) for t in result.members]


# ---- building a school from its records -----------------------------------------------------------

def build_school(names: tuple, columns: dict, key, items: list) -> tuple[School | None, list[dict]]:
    """One school's raw records → a validated School, or the problems that keep it from evaluation."""
    if len(items) == 1 and items[0][1] == SCHOOL:  # the common case: one line, a school with its teachers
        line, _, raw, src = items[0]
        try:
            return School.model_validate_json(raw), []
        except ValidationError as exc:
            problem = _school_error(names[src], line, raw, exc)
            problem["school_evaluated"] = False
            return None, [problem]
    school: School | None = None
    school_line = None
    teachers: list[Teacher] = []
    problems: list[dict] = []
    school_id = key if isinstance(key, str) else None
    for line, kind, payload, src in items:
        source = names[src]
        if kind == TEACHER:
            try:
                teachers.append(Teacher.model_validate_json(payload))
            except ValidationError as exc:
                problems.append(_teacher_error(source, line, _loads(payload), exc, school_id))
        elif kind == SCHOOL:
            if school_line is not None:
                problems.append(error_entry(source, line, "record.duplicate_school", [{
                    "record": f"school {mask_id_card(school_id)}", "field": "",
                    "problem": f"a second record for this school (the first is on line {school_line}); "
                               "give each school once"}], record_id=school_id, school_id=school_id))
                continue
            school_line = line
            try:
                school = School.model_validate_json(payload)
            except ValidationError as exc:
                problems.append(_school_error(source, line, payload, exc))
        elif kind == BAD:  # a record that could not be read, of this school or next to its records
            problems.append(dict(payload))
        elif kind == WITHHELD:
            problems.append(error_entry(source, line, "record.school_withheld", [{
                "record": f"school {mask_id_card(school_id)}" if school_id else "school", "field": "",
                "problem": f"line {payload}, next to this school's records, could not be read and may have been "
                           "one of them"}], school_id=school_id))
        elif kind == ROW:
            teacher, school_cell, problem = _row_teacher(source, columns[src], line, payload, school_id)
            if problem:
                problems.append(problem)
            if teacher is not None:
                teachers.append(teacher)
            if school_cell is not None and school_line is None:
                school_line = line
                school, problem = _school_cell(source, line, school_cell, school_id)
                if problem:
                    problems.append(problem)
    if problems:
        for problem in problems:
            problem["school_evaluated"] = False
            problem["school_id"] = problem.get("school_id") or (mask_id_card(school_id) if school_id else None)
        return None, problems
    if school is None:
        school = School(id=school_id, teachers=teachers)
    elif teachers:
        # a school's own teachers first, then the loose ones in input order (as `kaohe evaluate`)
        school = school.model_copy(update={"teachers": list(school.teachers) + teachers})
    return school, []


def _loads(raw) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


def _path(loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _school_error(source: str, line: int, raw, exc: ValidationError) -> dict:
    data = _loads(raw)
    school_id = data.get("id") if isinstance(data, dict) else None
    school_label = f"school {mask_id_card(school_id)}" if isinstance(school_id, str) else "school"

    def label(loc: list) -> tuple[str, str]:
        if len(loc) >= 2 and loc[0] == "teachers" and isinstance(loc[1], int):
            try:
                ident = data["teachers"][loc[1]].get("id")
            except (KeyError, IndexError, TypeError, AttributeError):
                ident = None
            where = f"teachers[{loc[1]}]"
            name = f"teacher {mask_id_card(ident)} ({where})" if isinstance(ident, str) else f"teacher ({where})"
            return name, _path(loc[2:])
        return school_label, _path(loc)

    return error_entry(source, line, "record.invalid_field", record_problems(exc, label)[:100],
                       record_id=school_id, school_id=school_id)


def _teacher_error(source: str, line: int, data: Any, exc: ValidationError, school_id) -> dict:
    ident = data.get("id") if isinstance(data, dict) else None
    name = f"teacher {mask_id_card(ident)}" if isinstance(ident, str) else "teacher"
    return error_entry(source, line, "record.invalid_field", record_problems(exc, lambda loc: (name, _path(loc)))[:100],
                       record_id=ident, school_id=school_id)


def _row_teacher(source: str, columns: tuple, line: int, cells: tuple, school_id) -> tuple:
    """A CSV or Parquet row → (Teacher or None, the school cell or None, problem or None)."""
    record: dict[str, Any] = {}
    school_cell = None
    problems = []
    for column, value in zip(columns, cells):
        if value is None or value == "":
            continue
        if column == "school":
            school_cell = value
        elif column in LIST_COLUMNS:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    problems.append(f"column {column}: not a JSON array ({exc.msg})")
                    continue
            record[column] = value
        elif column == "ability_points" and isinstance(value, str):
            record[column] = [p.strip() for p in value.split(";") if p.strip()]
        elif column == "full_time" and isinstance(value, str):
            word = value.strip().lower()
            if word not in BOOL_WORDS:
                problems.append(f"column full_time: '{value}' is not true/false")
                continue
            record[column] = BOOL_WORDS[word]
        else:
            record[column] = value
    ident = record.get("id")
    name = f"teacher {mask_id_card(ident)}" if isinstance(ident, str) else "teacher"
    if problems:
        return None, school_cell, error_entry(source, line, "record.invalid_field",
                                              [{"record": name, "field": "", "problem": p} for p in problems],
                                              record_id=ident, school_id=school_id)
    if school_cell is not None and set(record) <= {"school_id"}:
        return None, school_cell, None  # a school-only row: the school has no teachers in this row
    try:
        return Teacher.model_validate(record), school_cell, None
    except ValidationError as exc:
        return None, school_cell, error_entry(source, line, "record.invalid_field",
                                              record_problems(exc, lambda loc: (name, _path(loc)))[:100],
                                              record_id=ident, school_id=school_id)


def _school_cell(source: str, line: int, cell, school_id) -> tuple:
    """The Parquet ``school`` column: the school's own record as a JSON object."""
    label = f"school {mask_id_card(school_id)}" if school_id else "school"
    data = cell
    if isinstance(cell, str):
        try:
            data = json.loads(cell)
        except json.JSONDecodeError as exc:
            return None, error_entry(source, line, "record.invalid_field", [{
                "record": label, "field": "school", "problem": f"not a JSON object ({exc.msg})"}], school_id=school_id)
    if not isinstance(data, dict):
        return None, error_entry(source, line, "record.invalid_field", [{
            "record": label, "field": "school", "problem": "not a JSON object"}], school_id=school_id)
    if data.setdefault("id", school_id) != school_id:
        return None, error_entry(source, line, "record.invalid_field", [{
            "record": label, "field": "school.id",
            "problem": f"the school column names school {mask_id_card(str(data['id']))}, the row's school_id another"}],
            school_id=school_id)
    try:
        return School.model_validate(data), None
    except ValidationError as exc:
        return None, error_entry(source, line, "record.invalid_field",
                                 record_problems(exc, lambda loc: (label, "school." + _path(loc)))[:100],
                                 record_id=school_id, school_id=school_id)
