"""Record forms built from the record schema (`kaohe schema`), and form data read back into records.

Every field of a teacher or a school in the JSON Schema becomes a labelled input: text, number,
date, a yes/no choice, a list (one item a line), a table of rows for a list of objects (hour
ledger, artefacts, assessments…), `name=count` lines for counts. Reading back, a number or a
yes/no typed as the schema asks becomes that type (records are strict: "5" is no number); what
does not read as one stays the text typed, so validation names the field and says why. A row left
wholly empty is no record and is left out; a half-filled row is kept and checked, so nothing typed
is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from kaohe.engine import json_schema

# the school form leaves out its teachers: a teacher has a form of its own, and a whole school
# with teachers is pasted as JSON or uploaded
SKIPPED = {"school": {"teachers"}, "teacher": set()}
INITIAL_ROWS = 2

# field names in Chinese (the schema's names are English; descriptions are shown as help)
FIELD_ZH = {
    "id": "标识", "school_id": "学校标识", "name": "姓名/名称", "stage": "任教学段", "subject": "任教学科",
    "full_time": "专任教师", "status": "在岗状态", "research_group": "所属教研组", "ability_points": "所选能力点",
    "hours": "学时记录", "artefacts": "上传材料", "assessments": "考核结果", "category": "研修类别", "kind": "类型",
    "date": "日期", "title": "标题", "file_name": "文件名", "format": "文件格式", "size_kb": "大小 (KB)",
    "point": "能力点", "uploaded_on": "上传日期", "result": "结果", "county_id": "区县标识", "city_id": "地市标识",
    "province_id": "省份标识", "is_pilot": "试点学校", "environment": "信息化环境", "management_team": "管理团队",
    "documents": "文件", "research_groups": "教研组", "evidence": "佐证材料", "self_score": "自评分",
    "counts": "计数", "role": "角色/职务", "is_principal": "校长", "is_leader": "组长/第一责任人",
    "filed_on": "提交日期", "leader": "组长", "members": "成员 (教师标识)", "materials": "教研组材料",
}


@dataclass
class Field:
    name: str  # the form name: teacher.hours.<row>.category
    key: str  # the record's field name
    label: dict  # zh, en
    kind: str  # text | number | date | bool | lines | counts | rows
    required: bool = False
    help: str | None = None
    columns: list["Field"] = field(default_factory=list)  # for rows: the fields of one row
    default: Any = None

    def input_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


FIELD_ZH_IN_ROW = {"hours": "学时", "name": "名称", "kind": "类型"}


def _label(key: str, in_row: bool = False) -> dict:
    zh = FIELD_ZH_IN_ROW.get(key) if in_row else None
    return {"zh": zh or FIELD_ZH.get(key, key), "en": key.replace("_", " ")}


def _unwrap(schema: dict) -> dict:
    """`anyOf: [{X}, {type: null}]` (an optional field) → X."""
    options = schema.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(kept[0])
            return merged
    return schema


def _kind(schema: dict, definitions: dict) -> tuple[str, dict | None]:
    schema = _unwrap(schema)
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        if "$ref" in items:
            return "rows", definitions[items["$ref"].rsplit("/", 1)[1]]
        return "lines", None
    if kind == "object":
        return "counts", None
    if kind == "boolean":
        return "bool", None
    if kind in ("number", "integer"):
        return "number", None
    if schema.get("format") == "date":
        return "date", None
    return "text", None


def _fields(model: dict, prefix: str, definitions: dict, skipped: set[str], in_row: bool = False) -> list[Field]:
    out = []
    required = set(model.get("required") or [])
    for key, prop in (model.get("properties") or {}).items():
        if key in skipped:
            continue
        kind, row_model = _kind(prop, definitions)
        f = Field(f"{prefix}.{key}", key, _label(key, in_row), kind, key in required,
                  _unwrap(prop).get("description"), default=prop.get("default"))
        if row_model is not None:
            f.columns = _fields(row_model, f"{prefix}.{key}.@", definitions, set(), in_row=True)
        out.append(f)
    return out


@lru_cache(maxsize=4)
def record_fields(level: str) -> tuple[Field, ...]:
    """The fields of a teacher or a school, from the record schema."""
    schema = json_schema()
    definitions = schema.get("$defs", {})
    model = definitions["Teacher" if level == "teacher" else "School"]
    return tuple(_fields(model, level, definitions, SKIPPED[level]))


def row_fields(rows: Field, row: str) -> list[Field]:
    """The columns of one row of a table field, named for row `row`."""
    marker = f"{rows.name}.@."
    return [Field(c.name.replace(marker, f"{rows.name}.{row}.", 1), c.key, c.label, c.kind, c.required, c.help,
                  c.columns, c.default) for c in rows.columns]


def find_rows_field(level: str, key: str) -> Field | None:
    return next((f for f in record_fields(level) if f.kind == "rows" and f.key == key), None)


# ---- reading a submitted form back ---------------------------------------------------------------

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def _clean(value: str) -> str:
    return value.strip()


def typed(kind: str, text: str) -> Any:
    """Form text as the schema's type where it reads as one; else the text, for validation to name."""
    if kind == "number":
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            return float(text)
    elif kind == "bool" and text in ("true", "false"):
        return text == "true"
    return text


def read_record(level: str, items: Iterable[tuple[str, str]]) -> dict:
    """Submitted (name, value) pairs → the record as JSON-ready data (values still text)."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        if isinstance(value, str) and name.startswith(level + "."):
            values.setdefault(name, []).append(value)
    record: dict[str, Any] = {}
    for f in record_fields(level):
        if f.kind == "rows":
            rows = _read_rows(f, values)
            if rows:
                record[f.key] = rows
            continue
        raw = _clean(values.get(f.name, [""])[-1])
        if f.kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines:
                record[f.key] = lines
        elif f.kind == "counts":
            counts = {}
            for line in raw.splitlines():
                if not line.strip():
                    continue
                key, _, count = line.partition("=")
                counts[key.strip()] = typed("number", count.strip())  # a line without '=': validation says so
            if counts:
                record[f.key] = counts
        elif raw:
            record[f.key] = typed(f.kind, raw)
    return record


def _read_rows(rows: Field, values: dict[str, list[str]]) -> list[dict]:
    """Rows in the order they appear in the form; a row with nothing typed is not a row."""
    prefix = rows.name + "."
    order: list[str] = []
    for name in values:
        if name.startswith(prefix):
            row = name[len(prefix):].split(".", 1)[0]
            if row not in order:
                order.append(row)
    out = []
    for row in order:
        entry: dict[str, Any] = {}
        for column in row_fields(rows, row):
            raw = _clean(values.get(column.name, [""])[-1])
            if not raw:
                continue
            if column.kind == "lines":
                entry[column.key] = [line.strip() for line in raw.splitlines() if line.strip()]
            else:
                entry[column.key] = typed(column.kind, raw)
        if entry:
            out.append(entry)
    return out


def row_ids(rows: Field, values: dict) -> list[str]:
    """The row tokens a submitted form used for a table field, in order (to show it again as sent)."""
    prefix = rows.name + "."
    found: list[str] = []
    for name in values:
        if name.startswith(prefix):
            row = name[len(prefix):].split(".", 1)[0]
            if row not in found:
                found.append(row)
    return found
