"""Reading a platform's export (CSV or XLSX, Chinese headers) into rows for an importer.

Exports often carry a title block above the table, so the header row is the first row that holds
every column the importer needs. Header cells are compared after trimming spaces and folding
full-width brackets, because the same column is spelt both ways in the wild.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.engine import InputFormatError

_FOLD = str.maketrans({"（": "(", "）": ")", "\u3000": " ", "：": ":"})


def normalise_header(value: Any) -> str:
    return "" if value is None else str(value).translate(_FOLD).replace(" ", "").strip()


@dataclass
class Table:
    headers: list[str]
    rows: list[dict]  # header -> cell text, with "_line" the 1-based line (row) in the file
    file: str


@dataclass
class ImportResult:
    records: list[dict]
    warnings: list[str] = field(default_factory=list)


def read_table(path: str | Path, required: list[str]) -> Table:
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grid = _csv_grid(path)
    elif suffix in (".xlsx", ".xlsm"):
        grid = _xlsx_grid(path)
    else:
        raise InputFormatError(f"{path}: an export must be .csv or .xlsx, not '{suffix}'")
    wanted = [normalise_header(h) for h in required]
    for index, row in enumerate(grid):
        cells = [normalise_header(c) for c in row]
        if all(h in cells for h in wanted):
            headers = cells
            rows = []
            for offset, values in enumerate(grid[index + 1:], start=index + 2):
                if not any(str(v).strip() for v in values if v is not None):
                    continue
                record = {h: ("" if v is None else str(v).strip()) for h, v in zip(headers, values) if h}
                record["_line"] = offset
                rows.append(record)
            return Table([h for h in headers if h], rows, path.as_posix())
    raise InputFormatError(f"{path}: no header row with the columns {', '.join(required)}",
                           hint="check that this is the right export for this importer")


def _csv_grid(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 by default
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputFormatError(f"{path}: neither UTF-8 nor GB18030 text")
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_grid(path: Path) -> list[list[Any]]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise InputFormatError("reading .xlsx needs openpyxl") from None
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt workbook: say so, no traceback
        raise InputFormatError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def pseudonym(prefix: str, *parts: str, secret: str = "") -> str:
    """A stable teacher key from what an export holds, never revealing it (e.g. an ID number).

    With a secret (kept by the platform), the key cannot be reversed by trying every ID number."""
    digest = hashlib.sha256(("\x1f".join((secret,) + parts)).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:16]}"
