"""Reading and writing for batch runs: records as they stream past, never the whole file at once.

A reader yields one `Item` per record (line of JSON Lines, row of CSV or Parquet), with the key it
is grouped by (its school's id) and its raw payload, left for a worker to validate. Only the key is
read here: JSON Lines are scanned with msgspec, which skips everything but the top-level ``id``,
``school_id`` and ``level`` without building Python objects (about 1 µs per teacher), so the reading
process never becomes the bottleneck of the workers.

Input formats (chosen by suffix, or ``input_format``):

- JSON Lines (``.jsonl``, ``.ndjson``, ``-`` for stdin): one record per line, as `kaohe evaluate`
  reads them: a school (with or without its teachers), a teacher (has ``school_id``) or a region
  (has ``level``; regions are not evaluated in batch runs, only counted).
- CSV (``.csv``): one teacher per row, columns as in `kaohe.engine.inputs` (``ability_points``
  separated by ``;``; ``hours``, ``artefacts``, ``assessments`` as JSON arrays in their cells).
- Parquet (``.parquet``, ``.pq``, or a folder of them, read in name order): one teacher per row.
  Scalar teacher fields are columns; ``ability_points`` is ``list<string>`` (or a ``;``-separated
  string); ``hours``, ``artefacts`` and ``assessments`` are JSON-array strings, as in CSV (nested
  ``list<struct>`` columns are accepted too). An optional ``school`` column holds the school's own
  record (name, county_id, documents, ... without teachers) as a JSON object string; it is read from
  the first row of the school that has it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Union

try:  # skips everything but three top-level keys without building objects; json is the fallback
    import msgspec
except ImportError:  # pragma: no cover - exercised only without the batch dependencies
    msgspec = None

from kaohe.engine import InputFormatError, Teacher, mask_id_card

JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
TEACHER_COLUMNS = tuple(Teacher.model_fields)
PARQUET_COLUMNS = TEACHER_COLUMNS + ("school",)
BOM = b"\xef\xbb\xbf"

def _parquet():
    """pyarrow.parquet, or a KaoheError saying how to get it (Parquet is an optional extra)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputFormatError("reading or writing Parquet needs pyarrow", code="input.unsupported",
                               hint="pip install 'kaohe[parquet]'") from None
    return pq


# Item kinds
SCHOOL, TEACHER, ROW, REGION, BAD = "s", "t", "r", "g", "x"
# a school withheld because an unreadable line next to its records may have been one of them
WITHHELD = "w"


@dataclass(frozen=True)
class Source:
    """One input file: its path (or '-'), its display name and format."""

    path: str
    format: str  # jsonl | csv | parquet

    @property
    def name(self) -> str:
        return "<stdin>" if self.path == "-" else self.path

    @property
    def size(self) -> int:
        """Progress units in total: bytes for JSON Lines and CSV, rows for Parquet (0 if unknown)."""
        if self.path == "-":
            return 0
        if self.format == "parquet":
            return _parquet().ParquetFile(self.path).metadata.num_rows
        return os.path.getsize(self.path)


def sources(inputs, input_format: str | None = None) -> list[Source]:
    """Paths (files, Parquet folders or '-') → Sources, each with a known format; errors name the path."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    out: list[Source] = []
    for given in inputs:
        path = str(given)
        if path != "-" and os.path.isdir(path):
            files = sorted(p for p in Path(path).iterdir() if p.suffix.lower() in PARQUET_SUFFIXES)
            if not files:
                raise InputFormatError(f"{path}: folder has no .parquet files")
            out.extend(Source(str(f), "parquet") for f in files)
            continue
        fmt = input_format or _format_of(path)
        if path != "-" and not os.path.exists(path):
            raise InputFormatError(f"{path}: no such file")
        if path == "-" and fmt != "jsonl":
            raise InputFormatError("standard input is read as JSON Lines only", hint="pass a .csv or .parquet file by path")
        out.append(Source(path, fmt))
    if not out:
        raise InputFormatError("no input given")
    return out


def _format_of(path: str) -> str:
    if path == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise InputFormatError(f"{path}: unknown input format '{suffix}'",
                           hint="batch runs read .jsonl, .csv, .parquet (or a folder of .parquet files)")


# ---- items -----------------------------------------------------------------------------------------

class Item(tuple):
    """(line, kind, key, payload): line is 1-based (the row number for Parquet); payload is the raw
    JSON bytes for SCHOOL/TEACHER, the row's cells for ROW and an error dict for BAD."""

    __slots__ = ()


def group_key(value: Any, line: int):
    """A school id groups records; anything that is not a string stands alone (it fails validation)."""
    return value if isinstance(value, str) else ("line", line)


_ABSENT = object()

if msgspec is not None:
    class _Key(msgspec.Struct):
        id: Union[Any, msgspec.UnsetType] = msgspec.UNSET
        school_id: Union[Any, msgspec.UnsetType] = msgspec.UNSET
        level: Union[Any, msgspec.UnsetType] = msgspec.UNSET

    _DECODER = msgspec.json.Decoder(_Key)
    _NOT_AN_OBJECT, _NOT_JSON = msgspec.ValidationError, (msgspec.DecodeError, UnicodeDecodeError)

    def _key_fields(raw: bytes) -> tuple:
        key = _DECODER.decode(raw)
        unset = msgspec.UNSET
        return (_ABSENT if key.id is unset else key.id, _ABSENT if key.school_id is unset else key.school_id,
                _ABSENT if key.level is unset else key.level)
else:  # pragma: no cover
    class _NotAnObject(Exception):
        pass

    _NOT_AN_OBJECT, _NOT_JSON = _NotAnObject, (ValueError,)

    def _key_fields(raw: bytes) -> tuple:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise _NotAnObject
        return data.get("id", _ABSENT), data.get("school_id", _ABSENT), data.get("level", _ABSENT)


def bad_item(source: str, line: int, problem: str, code: str = "input.unreadable", key: str | None = None) -> tuple:
    """A record that cannot be read; `key` is its school where that much of it could be read."""
    return (line, BAD, key, error_entry(source, line, code, [{"record": "", "field": "", "problem": problem}],
                                        school_id=key, school_evaluated=False if key is not None else None))


_SCHOOL_ID_FIELD = re.compile(rb'"school_id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')
_SCHOOL_LINE_ID = re.compile(rb'^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


def school_of_unreadable(raw: bytes) -> str | None:
    """What can be read of a broken line's school: its `school_id` (a teacher), or the leading `id`
    of a line that names `teachers` (a school with its teachers); None if neither is there whole."""
    found = _SCHOOL_ID_FIELD.search(raw)
    if found is None and b'"teachers"' in raw:
        found = _SCHOOL_LINE_ID.search(raw)
    if found is None:
        return None
    try:
        value = json.loads(b'"' + found.group(1) + b'"')
    except ValueError:
        return None
    return value.strip() or None if isinstance(value, str) else None


def read_jsonl(source: Source, progress: list | None = None) -> Iterator[tuple]:
    """JSON Lines → items. `progress`, if given, is a one-element list kept at the bytes consumed."""
    stream = sys.stdin.buffer if source.path == "-" else open(source.path, "rb")
    name = source.name
    consumed = 0
    try:
        for line, raw in enumerate(stream, 1):
            consumed += len(raw)
            if progress is not None:
                progress[0] = consumed
            if line == 1 and raw.startswith(BOM):
                raw = raw[3:]
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                ident, school_id, level = _key_fields(raw)
            except _NOT_AN_OBJECT:
                yield bad_item(name, line, "not a record: expected a JSON object")
                continue
            except _NOT_JSON:
                yield bad_item(name, line, f"not valid JSON: {_json_problem(raw)}", key=school_of_unreadable(raw))
                continue
            if school_id is not _ABSENT:
                yield (line, TEACHER, group_key(school_id, line), raw)
            elif level is not _ABSENT:
                yield (line, REGION, None, None)
            else:
                yield (line, SCHOOL, group_key(ident, line), raw)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _json_problem(raw: bytes) -> str:
    """The standard library says best what is wrong with a line (msgspec only says that it is)."""
    try:
        json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"not UTF-8 at byte {exc.start + 1}"
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at column {exc.colno}"
    return "malformed"


def read_csv(source: Source, progress: list | None = None) -> Iterator[tuple]:
    """CSV (one teacher per row) → items whose payload is the row's cells, in header order."""
    with open(source.path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputFormatError(f"{source.name}:1: cannot read the header ({exc})") from None
        columns = check_columns(source.name, header, TEACHER_COLUMNS)
        school_at = columns.index("school_id")
        yield ("columns", columns)
        width = len(columns)
        last = reader.line_num
        while True:
            line = last + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                last = reader.line_num
                yield bad_item(source.name, line, f"not a CSV row: {exc}")
                continue
            last = reader.line_num
            if progress is not None:
                progress[0] = binary.tell()
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                yield bad_item(source.name, line, f"row has {len(row)} fields; the header has {width}")
                continue
            yield (line, ROW, group_key(row[school_at] or None, line), tuple(row))


def check_columns(name: str, header, known: tuple) -> tuple:
    header = tuple(str(c).strip() for c in header)
    unknown = [c for c in header if c not in known]
    if unknown:
        raise InputFormatError(f"{name}: unknown column(s) {', '.join(unknown)}",
                               hint=f"teacher columns are: {', '.join(known)}")
    if "school_id" not in header:
        raise InputFormatError(f"{name}: no school_id column", hint="every teacher row names its school")
    doubled = sorted({c for c in header if header.count(c) > 1})
    if doubled:
        raise InputFormatError(f"{name}: column(s) given twice: {', '.join(doubled)}")
    return header


def read_parquet(source: Source, progress: list | None = None, batch_rows: int = 4096) -> Iterator[tuple]:
    """Parquet (one teacher per row) → items whose payload is the row's cells as Python values."""
    pq = _parquet()
    try:
        file = pq.ParquetFile(source.path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputFormatError(f"{source.name}: not a Parquet file ({exc})") from None
    columns = check_columns(source.name, file.schema_arrow.names, PARQUET_COLUMNS)
    school_at = columns.index("school_id")
    yield ("columns", columns)
    row = 0
    for batch in file.iter_batches(batch_size=batch_rows, columns=list(columns)):
        cells = [column.to_pylist() for column in batch.columns]
        for values in zip(*cells):
            row += 1
            yield (row, ROW, group_key(values[school_at], row), values)
        if progress is not None:
            progress[0] = row


def read(source: Source, progress: list | None = None) -> Iterator[tuple]:
    """Items of one source. CSV and Parquet first yield ('columns', names)."""
    if source.format == "jsonl":
        return read_jsonl(source, progress)
    if source.format == "csv":
        return read_csv(source, progress)
    return read_parquet(source, progress)


# ---- errors ----------------------------------------------------------------------------------------

def error_entry(source: str, line: int, code: str, problems: list[dict], *, record_id: Any = None,
                school_id: Any = None, school_evaluated: bool | None = None) -> dict:
    """One line of the error file. Ids are masked (`mask_id_card`): an ID-card number is never echoed."""
    reason = describe(problems[0])
    if len(problems) > 1:
        reason += f" (and {len(problems) - 1} more)"
    entry = {"file": source, "line": line, "record_id": _masked(record_id), "school_id": _masked(school_id),
             "code": code, "reason": reason, "problems": problems}
    if school_evaluated is not None:
        entry["school_evaluated"] = school_evaluated
    return entry


def _masked(value: Any) -> Any:
    return mask_id_card(value) if isinstance(value, str) else None


def describe(problem: dict) -> str:
    """'teacher T-1: hours[0].hours: Input should be ...', leaving out what is not known."""
    return ": ".join(part for part in (problem["record"], problem["field"], problem["problem"]) if part)


def error_text(entry: dict) -> str:
    """An error entry as lines a person reads: file:line: record: field: problem."""
    lines = [f"{entry['file']}:{entry['line']}: {describe(p)}" for p in entry["problems"]]
    if entry.get("school_evaluated") is False:
        lines[-1] += f" (school {entry['school_id']} not evaluated)"
    return "\n".join(lines)


# ---- Parquet output and conversion ----------------------------------------------------------------

VERDICT_FIELDS = ("school_id", "county_id", "city_id", "school_verdict", "school_failed_rules",
                  "teacher_id", "verdict", "failed_rules")


def verdict_schema():
    import pyarrow as pa

    text, texts = pa.string(), pa.list_(pa.string())
    return pa.schema([("school_id", text), ("county_id", text), ("city_id", text), ("school_verdict", text),
                      ("school_failed_rules", texts), ("teacher_id", text), ("verdict", text), ("failed_rules", texts)])


class ParquetVerdicts:
    """Parquet of verdicts, one row per teacher (a school without teachers has one row, teacher_id null),
    written a row group at a time so memory stays bounded."""

    ROWS_PER_GROUP = 65536

    def __init__(self, path: str, metadata: dict[str, str]):
        pq = _parquet()
        schema = verdict_schema().with_metadata({f"kaohe.{k}": str(v) for k, v in metadata.items()})
        self._writer = pq.ParquetWriter(path, schema)
        self._schema = schema
        self._rows: list[tuple] = []

    def write(self, rows: list[tuple]) -> None:
        self._rows.extend(rows)
        if len(self._rows) >= self.ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._rows:
            return
        columns = list(zip(*self._rows))
        self._writer.write_table(pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, self._schema)],
                                                      schema=self._schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def to_parquet(inputs, output: str | Path, *, teachers_per_file: int | None = None, rows_per_group: int = 8192) -> list[Path]:
    """Convert JSON Lines (schools with teachers, or teachers) to Parquet in the batch layout.

    One teacher per row; the school's own record goes, as JSON, in the ``school`` column of its
    first row. With `teachers_per_file`, `output` is a folder of ``part-NNNNN.parquet`` files, each
    holding whole schools (the layout the Dask runner partitions by); otherwise one file. Records
    must already be grouped by school; they are not validated here.
    """
    pq = _parquet()
    import pyarrow as pa

    list_columns = {"ability_points"}
    json_columns = {"hours", "artefacts", "assessments", "school"}
    fields = [(c, pa.list_(pa.string()) if c in list_columns else pa.bool_() if c == "full_time" else pa.string())
              for c in PARQUET_COLUMNS]
    schema = pa.schema(fields)
    output = Path(output)
    written: list[Path] = []
    state = {"writer": None, "rows": [], "in_file": 0}

    def open_next():
        close()
        if teachers_per_file:
            output.mkdir(parents=True, exist_ok=True)
            path = output / f"part-{len(written):05d}.parquet"
        else:
            path = output
        state["writer"] = pq.ParquetWriter(path, schema)
        state["in_file"] = 0
        written.append(path)

    def flush():
        if state["rows"]:
            columns = list(zip(*state["rows"]))
            state["writer"].write_table(pa.Table.from_arrays(
                [pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema))
            state["rows"] = []

    def close():
        if state["writer"] is not None:
            flush()
            state["writer"].close()
            state["writer"] = None

    def row_of(teacher: dict, school: dict | None) -> tuple:
        values = []
        for column in PARQUET_COLUMNS:
            value = school if column == "school" else teacher.get(column)
            if value is not None and column in json_columns:
                value = json.dumps(value, ensure_ascii=False)
            values.append(value)
        return tuple(values)

    for source in sources(inputs, "jsonl"):
        with (sys.stdin if source.path == "-" else open(source.path, encoding="utf-8-sig")) as stream:
            for text in stream:
                if not text.strip():
                    continue
                record = json.loads(text)
                if "level" in record and "school_id" not in record:
                    continue
                if "school_id" in record:
                    school, teachers = None, [record]
                else:
                    teachers = record.pop("teachers", [])
                    school = record
                    if state["writer"] is None or (teachers_per_file and state["in_file"] >= teachers_per_file):
                        open_next()
                    if not teachers:
                        teachers = [{"school_id": record.get("id")}]
                if state["writer"] is None:
                    open_next()
                for n, teacher in enumerate(teachers):
                    state["rows"].append(row_of(teacher, school if n == 0 else None))
                state["in_file"] += len(teachers)
                if len(state["rows"]) >= rows_per_group:
                    flush()
    if state["writer"] is None:
        open_next()
    close()
    return written
