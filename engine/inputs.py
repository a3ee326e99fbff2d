"""Reading records from files: JSON, JSON Lines and CSV, into validated `Dataset`s.

- JSON: a dataset object ``{"records_version": "1", "schools": [...], "regions": [...]}``, or a
  list of schools, or a list of teachers (each with its ``school_id``).
- JSON Lines: one record per line: a school (with or without its teachers), a teacher (has
  ``school_id``) or a region (has ``level``). Teachers join their school by ``school_id``.
- CSV: one teacher per row. Scalar columns as in the record format; ``ability_points`` separated
  by ``;``; ``hours``, ``artefacts`` and ``assessments`` as JSON arrays in their cells.

Every problem names the record (its index and id), the field path and what is wrong; all problems
of a file are reported together, not only the first.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from .errors import InputFormatError, RecordError
from .records import Dataset, Region, School, Teacher, mask_id_card

MAX_PROBLEMS = 100
LIST_COLUMNS = ("hours", "artefacts", "assessments")
BOOL_WORDS = {"true": True, "1": True, "yes": True, "是": True, "false": False, "0": False, "no": False, "否": False}


def record_problems(error: ValidationError, label_of, model=None) -> list[dict]:
    """Pydantic errors → problems with the record named and the path inside it, in English
    (`problem`) and Chinese (`problem_zh`)."""
    from .messages import validation_problem

    out = []
    for item in error.errors(include_url=False, include_input=False):
        loc = list(item["loc"])
        record, field = label_of(loc)
        english, chinese = validation_problem(item, model)
        out.append({"record": record, "field": field, "problem": english, "problem_zh": chinese})
    return out


def _dataset_label(data: Any):
    def label(loc: list) -> tuple[str, str]:
        # deepest record on the path: schools[i].teachers[j], schools[i], regions[i]
        cut, name = 0, "dataset"
        for i in range(len(loc) - 1):
            if loc[i] in ("schools", "regions", "teachers") and isinstance(loc[i + 1], int):
                cut = i + 2
        if cut:
            node = data
            try:
                for part in loc[:cut]:
                    node = node[part]
                ident = mask_id_card(node.get("id")) if isinstance(node, dict) else None
            except (KeyError, IndexError, TypeError):
                ident = None
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[:cut]).lstrip(".")
            kind = {"schools": "school", "regions": "region", "teachers": "teacher"}[loc[cut - 2]]
            name = f"{kind} {ident} ({path})" if ident else f"{kind} {path}"
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[cut:]).lstrip(".")
        return name, field
    return label


def dataset_from_data(data: Any) -> Dataset:
    """A parsed JSON value → Dataset; RecordError naming every bad record."""
    if isinstance(data, list):
        data = _group(data)
    if not isinstance(data, dict):
        raise InputFormatError("expected a dataset object, a list of schools or a list of teachers")
    try:
        return Dataset.model_validate(data)
    except ValidationError as exc:
        raise RecordError(record_problems(exc, _dataset_label(data), Dataset)[:MAX_PROBLEMS]) from None


def _group(records: list) -> dict:
    """Loose records (schools, teachers, regions) → a dataset dict, teachers under their school."""
    schools: dict[str, dict] = {}
    regions: list = []
    loose: list = []
    for record in records:
        if not isinstance(record, dict):
            loose.append(record)  # validation will name it
        elif "level" in record and "school_id" not in record:
            regions.append(record)
        elif "school_id" in record:
            school = schools.setdefault(str(record["school_id"]), {"id": record["school_id"], "teachers": []})
            school.setdefault("teachers", []).append(record)
        else:
            sid = str(record.get("id"))
            existing = schools.get(sid)
            merged = dict(record)
            merged["teachers"] = list(record.get("teachers", [])) + (existing or {}).get("teachers", [])
            schools[sid] = merged
    out = {"schools": list(schools.values()), "regions": regions}
    if loose:
        out["schools"].extend(loose)
    return out


def read_dataset(path: str | Path, text: str | None = None) -> Dataset:
    path = Path(path)
    suffix = path.suffix.lower()
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputFormatError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFormatError(f"{path}: cannot read ({exc})") from None
    if suffix in (".jsonl", ".ndjson"):
        return dataset_from_data(list(_json_lines(text, str(path))))
    if suffix == ".csv":
        return dataset_from_data(list(_csv_rows(text, str(path))))
    if suffix == ".json":
        try:
            return dataset_from_data(json.loads(text))
        except json.JSONDecodeError as exc:
            raise InputFormatError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    raise InputFormatError(f"{path}: unknown input format '{suffix}'", hint="use .json, .jsonl or .csv")


def _json_lines(text: str, name: str) -> Iterable[dict]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFormatError(f"{name}:{number}: not valid JSON: {exc.msg}") from None


def _csv_rows(text: str, name: str) -> Iterable[dict]:
    reader = csv.DictReader(io.StringIO(text))
    known = set(Teacher.model_fields)
    if reader.fieldnames is None:
        return
    unknown = [c for c in reader.fieldnames if c not in known]
    if unknown:
        raise InputFormatError(f"{name}: unknown column(s) {', '.join(unknown)}",
                               hint=f"teacher columns are: {', '.join(Teacher.model_fields)}")
    for number, row in enumerate(reader, 2):
        record: dict[str, Any] = {}
        for column, value in row.items():
            if value is None or value == "":
                continue
            if column in LIST_COLUMNS:
                try:
                    record[column] = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise InputFormatError(f"{name}:{number}: column {column}: not a JSON array ({exc.msg})") from None
            elif column == "ability_points":
                record[column] = [p.strip() for p in value.split(";") if p.strip()]
            elif column == "full_time":
                if value.strip().lower() not in BOOL_WORDS:
                    raise InputFormatError(f"{name}:{number}: column full_time: '{value}' is not true/false")
                record[column] = BOOL_WORDS[value.strip().lower()]
            else:
                record[column] = value
        yield record


def teacher_from_data(data: Any, index: int = 0) -> Teacher:
    try:
        return Teacher.model_validate(data)
    except ValidationError as exc:
        ident = mask_id_card(data.get("id")) if isinstance(data, dict) else None
        label = f"teacher {ident} ([{index}])" if ident else f"teacher [{index}]"
        path = lambda loc: "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")  # noqa: E731
        raise RecordError(record_problems(exc, lambda loc: (label, path(loc)), Teacher)) from None


__all__ = ["read_dataset", "dataset_from_data", "teacher_from_data", "Dataset", "School", "Region", "Teacher"]
