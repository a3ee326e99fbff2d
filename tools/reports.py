"""Reports for school and bureau staff: an Excel workbook, a flat CSV, and a chart as PNG.

- `write_xlsx`: a summary sheet (schools × verdict, teacher counts, qualified share, the rules
  failed most often, a native bar chart against the required share) and one sheet per school
  (teachers × rules: ✓, or ✗ with what still has to be done; advisory rules marked △).
- `write_csv`: one row per teacher × teacher rule, for spreadsheets and databases.
- `write_chart`: the qualified share by school or county against the required share, as PNG.

The "qualified share" is the school measure named `share_measure` (`qualified_share` by default)
and the line it is held to comes from the school rule that compares it with a parameter, so no
threshold is written here. A ruleset without such a measure gets the share of teachers passing.

openpyxl and matplotlib are imported when a report is written, not when this module is imported.
The three writers share the rows they print (`share_rows`, cell wording, column widths for CJK
text), which is why they live in one module of some 600 lines rather than three.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import subprocess
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kaohe.engine import CompiledRuleset, Evaluation, Rule, SchoolResult, format_value
from kaohe.engine import expressions as ex

SHARE_MEASURE = "qualified_share"
MAX_SHEET_TITLE = 31
_INVALID_SHEET_CHARS = set('[]:*?/\\')
_RESERVED_SHEET_TITLES = {"history"}
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "AR PL UMing CN",
                "Droid Sans Fallback")

MARK = {"pass": "✓", "fail": "✗", "advisory": "△", "needs_review": "?", "not_applicable": "—"}

_WORDS = {
    "zh": {
        "summary": "汇总", "report": "考核结果汇总", "ruleset": "规则集", "revision": "修订", "as_of": "评估日期",
        "totals": "教师 {t} 名, 通过 {tp} 名 ({share}); 学校 {s} 所, 可参加绩效考核 {sp} 所",
        "school_id": "学校编号", "school_name": "学校名称", "county": "区县", "verdict": "结论", "teachers": "教师数",
        "passing": "通过", "failing": "未通过", "teacher_share": "教师通过率", "required": "要求",
        "school_failed": "未满足的学校要求", "teacher_top": "教师未满足最多的规则", "top_rules": "未满足次数最多的规则", "rule_id": "规则编号", "rule": "规则",
        "level": "层级", "severity": "类别", "failed": "未满足", "failed_share": "占比", "citation": "依据",
        "teacher_id": "教师编号", "teacher_name": "姓名", "full_time": "专任", "group": "教研组",
        "failed_count": "未满足必备项", "advisory": "建议项", "required_rule": "必备",
        "legend": "✓ 满足   ✗ 未满足 (必备, 后附还需做什么)   △ 未满足 (建议项)   — 不适用",
        "yes": "是", "no": "否", "teacher": "教师", "school": "学校", "region": "区域", "none": "无",
        "no_county": "(未填区县)", "chart_title": "{measure} (按{by})", "by_school": "学校", "by_county": "区县",
        "threshold": "要求 ≥ {value}%", "no_data": "无数据", "school_sheet": "学校", "no_rule_failed": "没有未满足的规则。",
    },
    "en": {
        "summary": "Summary", "report": "assessment summary", "ruleset": "Ruleset", "revision": "revision", "as_of": "as of",
        "totals": "{t} teachers, {tp} passing ({share}); {s} schools, {sp} passing",
        "school_id": "School ID", "school_name": "School", "county": "County", "verdict": "Verdict", "teachers": "Teachers",
        "passing": "Passing", "failing": "Failing", "teacher_share": "Teachers passing", "required": "Required",
        "school_failed": "School requirements not met", "teacher_top": "Teacher rules failed most often", "top_rules": "Rules failed most often", "rule_id": "Rule ID",
        "rule": "Rule", "level": "Level", "severity": "Severity", "failed": "Failed", "failed_share": "Share",
        "citation": "Citation", "teacher_id": "Teacher ID", "teacher_name": "Name", "full_time": "Full-time",
        "group": "Research group", "failed_count": "Required rules failed", "advisory": "advisory", "required_rule": "required",
        "legend": "✓ met   ✗ not met (required; what to do follows)   △ not met (advisory)   — not applicable",
        "yes": "yes", "no": "no", "teacher": "teacher", "school": "school", "region": "region", "none": "none",
        "no_county": "(no county)", "chart_title": "{measure} by {by}", "by_school": "school", "by_county": "county",
        "threshold": "required ≥ {value}%", "no_data": "no data", "school_sheet": "School", "no_rule_failed": "No rule is failed.",
    },
}


# ---- text measurement and sheet names ------------------------------------------------------------

def display_width(text: str) -> int:
    """Columns `text` takes in a spreadsheet: wide (CJK) and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _excel_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # Excel counts UTF-16 code units


def sheet_title(name: str, taken: set[str], fallback: str = "Sheet") -> str:
    """A valid, unique worksheet name: no []:*?/\\, no apostrophe at either end, at most 31 characters.
    `taken` holds the lower-cased names already used (Excel compares them case-insensitively) and
    is updated."""
    clean = "".join("_" if ch in _INVALID_SHEET_CHARS or unicodedata.category(ch) == "Cc" else ch for ch in str(name))
    clean = clean.strip().strip("'").strip() or fallback
    if clean.lower() in _RESERVED_SHEET_TITLES:
        clean += "_"

    def cut(text: str, limit: int) -> str:
        while _excel_length(text) > limit:
            text = text[:-1]
        return text.rstrip("'").rstrip() or fallback

    title = cut(clean, MAX_SHEET_TITLE)
    n = 2
    while title.lower() in taken:
        suffix = f"~{n}"
        title = cut(clean, MAX_SHEET_TITLE - len(suffix)) + suffix
        n += 1
    taken.add(title.lower())
    return title


# ---- the qualified share -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ShareRow:
    key: str | None  # school id or county id
    label: str
    share: float | None  # percent, 0–100
    numerator: int | None
    denominator: int | None


@dataclass(frozen=True)
class Threshold:
    value: float  # percent
    parameter: str | None
    rule_id: str


def share_title(ruleset: CompiledRuleset, lang: str, share_measure: str = SHARE_MEASURE) -> str:
    measure = _school_measure(ruleset, share_measure)
    return measure.title[lang] if measure is not None else _WORDS[lang]["teacher_share"]


def _school_measure(ruleset: CompiledRuleset, name: str):
    return next((m for m in ruleset.measures["school"] if m.name == name), None)


def threshold_for(ruleset: CompiledRuleset, share_measure: str = SHARE_MEASURE) -> Threshold | None:
    """The share a school rule requires: from `share_measure >= parameter` (or its mirror)."""
    for rule in ruleset.rules["school"]:
        node = rule.require
        if not isinstance(node, ex.Compare):
            continue
        for side, other, ops in ((node.left, node.right, (">=", ">")), (node.right, node.left, ("<=", "<"))):
            if isinstance(side, ex.Name) and side.name == share_measure and node.op in ops:
                if isinstance(other, ex.Name) and other.name in ruleset.parameters:
                    return Threshold(float(ruleset.parameters[other.name]), other.name, rule.id)
                if isinstance(other, ex.Const) and isinstance(other.value, (int, float)):
                    return Threshold(float(other.value), None, rule.id)
    return None


def _school_share(school: SchoolResult, share_measure: str) -> tuple[float | None, int | None, int | None]:
    measure = _school_measure(school.ruleset, share_measure)
    if measure is None:
        passing = sum(t.verdict == "pass" for t in school.members)
        total = len(school.members)
        return (100.0 * passing / total if total else None), passing, total
    value = school.values.get(share_measure)
    detail = measure.detail(school.record, school.members) if measure.detail is not None else None
    if isinstance(detail, dict) and "numerator" in detail:
        return value, detail["numerator"], detail["denominator"]
    return value, None, None


def share_rows(evaluation: Evaluation, by: str = "school", lang: str = "zh",
               share_measure: str = SHARE_MEASURE) -> list[ShareRow]:
    """The qualified share per school, or per county (pooled over its schools' teachers)."""
    if by not in ("school", "county"):
        raise ValueError("by is 'school' or 'county'")
    rows = []
    if by == "school":
        for school in evaluation.schools:
            share, num, den = _school_share(school, share_measure)
            rows.append(ShareRow(school.record.id, school.record.name or school.record.id, share, num, den))
        return rows
    names = {r.record.id: r.record.name for r in evaluation.regions}
    groups: dict[str | None, list] = {}
    for school in evaluation.schools:
        groups.setdefault(school.record.county_id, []).append(_school_share(school, share_measure))
    for county, shares in groups.items():
        label = (names.get(county) or county) if county is not None else _WORDS[lang]["no_county"]
        if all(num is not None for _, num, _ in shares):
            num, den = sum(s[1] for s in shares), sum(s[2] for s in shares)
            rows.append(ShareRow(county, label, 100.0 * num / den if den else None, num, den))
        else:  # a measure without counts: the plain mean of its schools
            values = [s for s, _, _ in shares if s is not None]
            rows.append(ShareRow(county, label, sum(values) / len(values) if values else None, None, None))
    return rows


# ---- CSV ---------------------------------------------------------------------------------------------

CSV_COLUMNS = ("ruleset", "revision", "as_of", "county_id", "school_id", "school_name", "teacher_id", "teacher_name",
               "teacher_verdict", "rule_id", "rule_title", "severity", "status", "actual", "expected", "explanation",
               "remedy", "citation")


def _citation(rule: Rule, lang: str = "zh") -> str:
    """Document, 文号, date and clause; the seed file name in brackets, as a footnote."""
    from kaohe.engine import citation_text

    seed = (rule.citation or {}).get("seed")
    return citation_text(rule.citation, lang) + (f" [{seed}]" if seed else "")


def csv_rows(evaluation: Evaluation, lang: str = "zh"):
    r = evaluation.ruleset.resolved
    for school in evaluation.schools:
        s = school.record
        for teacher in school.members:
            t = teacher.record
            for rule, outcome in zip(teacher.rules, teacher.outcomes):
                yield {
                    "ruleset": r.id, "revision": r.revision, "as_of": evaluation.as_of.isoformat(),
                    "county_id": s.county_id or "", "school_id": s.id, "school_name": s.name or "",
                    "teacher_id": t.id, "teacher_name": t.name or "", "teacher_verdict": teacher.verdict,
                    "rule_id": rule.id, "rule_title": rule.title[lang], "severity": rule.severity, "status": outcome.status,
                    "actual": outcome.actual_text[lang], "expected": outcome.expected[lang],
                    "explanation": outcome.explanation[lang], "remedy": outcome.remedy[lang] if outcome.remedy else "",
                    "citation": _citation(rule, lang),
                }


def write_csv(evaluation: Evaluation, path_or_stream: str | Path | IO[str], lang: str = "zh") -> None:
    """One row per teacher × teacher rule. A file path is written as UTF-8 with a byte-order mark,
    so Excel opens the Chinese text correctly; a stream is written as given."""
    def write(stream):
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(csv_rows(evaluation, lang))

    if isinstance(path_or_stream, (str, Path)):
        with open(path_or_stream, "w", encoding="utf-8-sig", newline="") as stream:
            write(stream)
    else:
        write(path_or_stream)


# ---- Excel -------------------------------------------------------------------------------------------

_FILLS = {"header": "D9E1F2", "pass": "E2EFDA", "fail": "FFC7CE", "advisory": "FFEB9C", "needs_review": "DDEBF7",
          "not_applicable": "EDEDED"}
_FONTS = {"pass": "375623", "fail": "9C0006", "advisory": "7F6000", "needs_review": "1F4E78", "not_applicable": "595959"}
CELL_CAP = 40  # widest a wrapped text column grows, in character widths
HEADER_CAP = 18


def _cell_mark(rule: Rule, status: str, outcome, lang: str) -> tuple[str, str]:
    if status == "pass":
        return MARK["pass"], "pass"
    if status == "not_applicable":
        return MARK["not_applicable"], "not_applicable"
    if status == "needs_review":  # a person decides: say what to look at, not a remedy
        return f"{MARK['needs_review']} {outcome.explanation[lang]}", "needs_review"
    key = "fail" if rule.severity == "required" else "advisory"
    words = outcome.remedy[lang] if outcome.remedy else outcome.explanation[lang]
    return f"{MARK[key]} {words}", key


def _top_teacher_rules(school: SchoolResult, lang: str, limit: int = 3) -> str:
    """This school's teacher rules failed most often: 'title (count)', most frequent first."""
    counts = [(sum(1 for t in school.members if t.status_of(rule.id) == "fail"), i, rule)
              for i, rule in enumerate(school.ruleset.rules["teacher"])]
    counts = sorted((c for c in counts if c[0]), key=lambda c: (-c[0], c[1]))[:limit]
    return "\n".join(f"{rule.title[lang]} ({n})" for n, _, rule in counts)


def _verdict_text(ruleset: CompiledRuleset, level: str, verdict: str, lang: str) -> str:
    return ruleset.label(level, verdict, lang)


class _Sheet:
    """Width and height bookkeeping for one worksheet: openpyxl fits neither."""

    def __init__(self, ws):
        self.ws = ws
        self.widths: dict[int, int] = {}
        self.caps: dict[int, int] = {}
        self.wrapped: dict[int, dict[int, str]] = {}  # row -> col -> text

    def put(self, row: int, col: int, value: Any, *, measure: bool = True, wrap: bool = False, cap: int | None = None):
        cell = self.ws.cell(row=row, column=col, value=value)
        if measure and value is not None:
            text = value if isinstance(value, str) else format_value(value)
            width = max(display_width(line) for line in str(text).split("\n"))
            if isinstance(value, float) and cell.number_format.endswith("%"):
                width = 7
            limit = cap or (CELL_CAP if wrap else 60)
            self.widths[col] = max(self.widths.get(col, 0), min(width, limit))
        if wrap:
            self.wrapped.setdefault(row, {})[col] = str(value or "")
        return cell

    def finish(self, minimum: int = 6, base_height: float = 15.0):
        from openpyxl.utils import get_column_letter

        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = max(width, minimum) + 2
        for row, cells in self.wrapped.items():
            lines = 1
            for col, text in cells.items():
                width = max(self.widths.get(col, minimum), minimum)
                need = sum(max(1, -(-display_width(part) // width)) for part in text.split("\n"))
                lines = max(lines, need)
            if lines > 1:
                self.ws.row_dimensions[row].height = base_height * lines + 2


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "header_fill": PatternFill("solid", fgColor=_FILLS["header"]),
        "header_font": Font(bold=True),
        "title_font": Font(bold=True, size=14),
        "note_font": Font(color="595959"),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "header_align": Alignment(wrap_text=True, vertical="center", horizontal="center"),
        "center": Alignment(horizontal="center", vertical="top"),
        "top": Alignment(vertical="top"),
        "fill": {k: PatternFill("solid", fgColor=v) for k, v in _FILLS.items()},
        "font": {k: Font(color=v) for k, v in _FONTS.items()},
    }


def _print_setup(ws, header_row: int | None) -> None:
    """Printed on landscape pages one sheet wide, the header row (if given) repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


def _header_row(sheet: _Sheet, row: int, headers: list[str], st) -> None:
    for col, text in enumerate(headers, 1):
        cell = sheet.put(row, col, text, wrap=True, cap=HEADER_CAP)
        cell.font, cell.fill, cell.alignment, cell.border = st["header_font"], st["header_fill"], st["header_align"], st["border"]


def write_xlsx(evaluation: Evaluation, path: str | Path, lang: str = "zh", *, share_measure: str = SHARE_MEASURE) -> Path:
    """The workbook: a summary sheet, then one sheet per school, in the dataset's order."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.utils import get_column_letter

    w = _WORDS[lang]
    st = _styles()
    ruleset = evaluation.ruleset
    resolved = ruleset.resolved
    wb = Workbook()
    ws = wb.active
    taken: set[str] = set()
    ws.title = sheet_title(w["summary"], taken)
    summary = _Sheet(ws)

    teachers = [t for s in evaluation.schools for t in s.members]
    teachers_passing = sum(t.verdict == "pass" for t in teachers)
    schools_passing = sum(s.verdict == "pass" for s in evaluation.schools)
    share_text = f"{100.0 * teachers_passing / len(teachers):.1f}%" if teachers else "—"
    title = summary.put(1, 1, f"{resolved.title[lang]} · {w['report']}", measure=False)
    title.font = st["title_font"]
    summary.put(2, 1, f"{w['ruleset']} {resolved.id} {resolved.version} · {w['revision']} {resolved.revision} · "
                      f"{w['as_of']} {evaluation.as_of.isoformat()}", measure=False).font = st["note_font"]
    summary.put(3, 1, w["totals"].format(t=len(teachers), tp=teachers_passing, share=share_text,
                                         s=len(evaluation.schools), sp=schools_passing), measure=False)

    threshold = threshold_for(ruleset, share_measure)
    measure_title = share_title(ruleset, lang, share_measure)
    header = 5
    headers = [w["school_id"], w["school_name"], w["county"], w["verdict"], w["teachers"], w["passing"], w["failing"],
               w["teacher_share"], measure_title, w["required"], w["teacher_top"], w["school_failed"]]
    _header_row(summary, header, headers, st)
    county_names = {r.record.id: r.record.name for r in evaluation.regions}
    row = header
    for school in evaluation.schools:
        row += 1
        s = school.record
        passing = sum(t.verdict == "pass" for t in school.members)
        share, _, _ = _school_share(school, share_measure)
        failed = "\n".join(f"{MARK['fail'] if r.severity == 'required' else MARK['advisory']} {r.title[lang]}: "
                           f"{(o.remedy or o.explanation)[lang]}" for r, o in school.failed())
        county = county_names.get(s.county_id) or s.county_id or ""
        values = [s.id, s.name or s.id, county, _verdict_text(ruleset, "school", school.verdict, lang),
                  len(school.members), passing, len(school.members) - passing,
                  passing / len(school.members) if school.members else None,
                  share / 100 if share is not None else None,
                  threshold.value / 100 if threshold else None, _top_teacher_rules(school, lang) or "—", failed or "—"]
        for col, value in enumerate(values, 1):
            cell = summary.ws.cell(row=row, column=col)
            if col in (8, 9, 10):
                cell.number_format = "0.0%"
            summary.put(row, col, value, wrap=col >= len(values) - 1)
            cell.border = st["border"]
            cell.alignment = st["wrap"]
        verdict_cell = summary.ws.cell(row=row, column=4)
        verdict_cell.fill = st["fill"]["pass" if school.verdict == "pass" else "fail"]
        verdict_cell.font = st["font"]["pass" if school.verdict == "pass" else "fail"]
    last_school_row = row
    ws.freeze_panes = ws.cell(row=header + 1, column=3)
    ws.auto_filter.ref = f"A{header}:{get_column_letter(len(headers))}{max(last_school_row, header + 1)}"

    # the rules failed most often, teacher rules over teachers, school rules over schools
    row = last_school_row + 2
    summary.put(row, 1, w["top_rules"], measure=False).font = st["header_font"]
    row += 1
    _header_row(summary, row, [w["rule_id"], w["rule"], w["level"], w["severity"], w["failed"], w["failed_share"], w["citation"]], st)
    counts = []
    for level, results in (("teacher", teachers), ("school", evaluation.schools), ("region", evaluation.regions)):
        for rule in ruleset.rules[level]:
            failing = sum(r.status_of(rule.id) == "fail" for r in results)
            if failing:
                counts.append((failing, level, rule, len(results)))
    counts.sort(key=lambda c: -c[0])
    for failing, level, rule, total in counts:
        row += 1
        values = [rule.id, rule.title[lang], w[level], w["required_rule"] if rule.severity == "required" else w["advisory"],
                  failing, failing / total if total else None, _citation(rule, lang)]
        for col, value in enumerate(values, 1):
            cell = summary.ws.cell(row=row, column=col)
            if col == 6:
                cell.number_format = "0.0%"
            if col == 7:  # the citation spills over the empty cells to its right instead of widening the column
                summary.put(row, col, value, measure=False).alignment = st["top"]
                continue
            # rule ids and titles share columns with the school table: let them wrap, not widen it
            summary.put(row, col, value, wrap=col in (1, 2), cap=24 if col in (1, 2) else None)
            cell.border, cell.alignment = st["border"], st["wrap"]
    if not counts:
        row += 1
        summary.put(row, 1, w["no_rule_failed"], measure=False)

    if evaluation.schools:
        chart = BarChart()
        chart.type = "col"
        chart.title = measure_title
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.y_axis.majorGridlines = None
        chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl ≥3.1 hides axes unless told
        chart.add_data(Reference(ws, min_col=9, min_row=header, max_row=last_school_row), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=header + 1, max_row=last_school_row))
        chart.legend.position = "b"
        if threshold is not None:
            line = LineChart()
            line.add_data(Reference(ws, min_col=10, min_row=header, max_row=last_school_row), titles_from_data=True)
            line.series[0].graphicalProperties.line.solidFill = "C00000"
            line.series[0].graphicalProperties.line.dashStyle = "dash"
            line.series[0].smooth = False
            chart += line
        chart.width, chart.height = max(18, 4 + 2.5 * len(evaluation.schools)), 10
        ws.add_chart(chart, f"A{row + 3}")
        ws.row_breaks.append(Break(id=row + 2))  # printed, the chart starts a page instead of straddling two
    summary.finish()
    _print_setup(ws, None)  # two tables: repeating the first one's header over the second would mislead
    for r in (1, 2, 3):
        ws.row_dimensions[r].height = 20 if r == 1 else 16

    for school in evaluation.schools:
        _school_sheet(wb.create_sheet(sheet_title(school.record.name or school.record.id, taken, w["school_sheet"])),
                      school, ruleset, lang, st)
    path = Path(path)
    wb.save(path)
    return path


def _school_sheet(ws, school: SchoolResult, ruleset: CompiledRuleset, lang: str, st) -> None:
    from openpyxl.utils import get_column_letter

    w = _WORDS[lang]
    sheet = _Sheet(ws)
    s = school.record
    passing = sum(t.verdict == "pass" for t in school.members)
    head = f"{s.name or s.id} [{s.id}] · {w['verdict']}: {_verdict_text(ruleset, 'school', school.verdict, lang)} · " \
           f"{w['passing']} {passing}/{len(school.members)}"
    sheet.put(1, 1, head, measure=False).font = st["title_font"]
    sheet.put(2, 1, w["legend"], measure=False).font = st["note_font"]
    rules = ruleset.rules["teacher"]
    headers = [w["teacher_id"], w["teacher_name"], w["full_time"], w["group"], w["verdict"], w["failed_count"]]
    headers += [r.title[lang] + (f"\n[{w['advisory']}]" if r.severity == "advisory" else "") for r in rules]
    header = 3
    _header_row(sheet, header, headers, st)
    fixed = 6
    row = header
    for teacher in school.members:
        row += 1
        t = teacher.record
        failed = sum(1 for r, o in zip(teacher.rules, teacher.outcomes) if o.status == "fail" and r.severity == "required")
        values = [t.id, t.name or "", w["yes"] if t.full_time else w["no"], t.research_group or "",
                  _verdict_text(ruleset, "teacher", teacher.verdict, lang), failed]
        for col, value in enumerate(values, 1):
            cell = sheet.put(row, col, value)
            cell.border, cell.alignment = st["border"], st["wrap"]
        verdict = ws.cell(row=row, column=5)
        verdict.fill = st["fill"]["pass" if teacher.verdict == "pass" else "fail"]
        verdict.font = st["font"]["pass" if teacher.verdict == "pass" else "fail"]
        for i, (rule, outcome) in enumerate(zip(teacher.rules, teacher.outcomes)):
            text, key = _cell_mark(rule, outcome.status, outcome, lang)
            cell = sheet.put(row, fixed + 1 + i, text, wrap=key in ("fail", "advisory", "needs_review"), cap=CELL_CAP)
            cell.fill, cell.font, cell.border = st["fill"][key], st["font"][key], st["border"]
            cell.alignment = st["center"] if key in ("pass", "not_applicable") else st["wrap"]
    ws.freeze_panes = ws.cell(row=header + 1, column=3)
    ws.auto_filter.ref = f"A{header}:{get_column_letter(len(headers))}{max(row, header + 1)}"
    sheet.finish(minimum=8)
    _print_setup(ws, header)
    ws.row_dimensions[1].height = 20


# ---- the chart -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartResult:
    path: Path
    font: str | None  # the CJK font family used; None when none was found
    lang: str  # the language the chart is labelled in (English when Chinese could not be drawn)


def cjk_font() -> str | None:
    """A font family matplotlib can draw Chinese with, or None; Simplified Chinese faces first (a
    Noto CJK collection holds JP, KR, SC, TC and HK faces, and JP's glyph shapes are not China's).
    Looks at matplotlib's own font list, then registers what fontconfig (`fc-list :lang=zh`) knows
    of fonts installed after matplotlib built its cache."""
    from matplotlib import font_manager

    def regular_families() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist if f.weight in (400, "normal", "regular")}

    def preferred(known: set[str]) -> str | None:
        for family in CJK_FAMILIES:
            if family in known:
                return family
        return None

    family = preferred(regular_families())
    if family:
        return family
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    added: list[str] = []
    for line in sorted(listing.splitlines()):
        file, _, families = line.partition(":")
        file = file.strip()
        if not file.lower().endswith((".ttf", ".otf", ".ttc")):
            continue
        try:
            font_manager.fontManager.addfont(file)  # every face of a collection
        except (OSError, RuntimeError, ValueError):
            continue
        added += [name.strip() for name in families.split(",") if name.strip()]
    regular = regular_families()
    family = preferred(regular)
    if family:
        return family
    candidates = [name for name in added if name in regular] or [name for name in added if name in
                                                                  {f.name for f in font_manager.fontManager.ttflist}]
    simplified = [name for name in candidates if name.endswith((" SC", " CN"))]
    return (simplified or candidates or [None])[0]


@contextlib.contextmanager
def _quiet_font_fallbacks():
    """matplotlib logs each font fallback ("findfont: …") as a warning; the chart already says
    which font it used, so those lines are noise on a policy officer's terminal."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def write_chart(evaluation: Evaluation, path: str | Path, lang: str = "zh", *, by: str = "school",
                share_measure: str = SHARE_MEASURE, font: str | None = "auto") -> ChartResult:
    """The qualified share by school (or county) against the required share, as PNG.

    Chinese needs a CJK font (e.g. Debian's fonts-noto-cjk). Without one the chart is drawn in
    English with ids for names that cannot be drawn, and a warning says so; it never fails for
    want of a font."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = cjk_font() if font == "auto" else font
    drawn_lang = lang
    rows = share_rows(evaluation, by, lang, share_measure)
    if family is None and lang == "zh":
        warnings.warn("no CJK font found (install fonts-noto-cjk); the chart is labelled in English", RuntimeWarning, stacklevel=2)
        drawn_lang = "en"
        rows = [r if r.label.isascii() else ShareRow(r.key, r.key or "?", r.share, r.numerator, r.denominator)
                for r in share_rows(evaluation, by, "en", share_measure)]
    w = _WORDS[drawn_lang]
    threshold = threshold_for(evaluation.ruleset, share_measure)
    measure_title = share_title(evaluation.ruleset, drawn_lang, share_measure)
    if drawn_lang != lang and not measure_title.isascii():
        measure_title = share_measure
    families = ([family] if family else []) + ["DejaVu Sans"]
    with rc_context({"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}), \
            _quiet_font_fallbacks():
        fig = Figure(figsize=(8, 1.6 + 0.45 * max(len(rows), 1)), dpi=120)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        labels = [r.label for r in rows]
        values = [r.share if r.share is not None else 0 for r in rows]
        colours = []
        for r in rows:
            if r.share is None:
                colours.append("#BDBDBD")
            elif threshold is None or r.share >= threshold.value:
                colours.append("#5B9B5B")
            else:
                colours.append("#D9534F")
        positions = list(range(len(rows)))
        ax.barh(positions, values, color=colours, height=0.6)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 122)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_ylim(len(rows) - 0.5, -1.1)  # room above the first bar for the threshold's label
        ax.set_xlabel(f"{measure_title} (%)")
        for y, r in zip(positions, rows):
            text = w["no_data"] if r.share is None else f"{r.share:.1f}%"
            if r.numerator is not None:
                text += f" ({r.numerator}/{r.denominator})"
            ax.text(min(values[y], 100) + 1, y, text, va="center", fontsize=8, zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
        if threshold is not None:
            ax.axvline(threshold.value, color="#C00000", linestyle="--", linewidth=1.2, zorder=2)
            ax.text(threshold.value, -0.8, w["threshold"].format(value=format_value(threshold.value)),
                    color="#C00000", ha="center", va="center", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        by_word = w["by_school"] if by == "school" else w["by_county"]
        ax.set_title(w["chart_title"].format(measure=measure_title, by=by_word), fontsize=11)
        r = evaluation.ruleset.resolved
        fig.text(0.01, 0.005, f"{r.id} {r.version} · {r.revision} · {evaluation.as_of.isoformat()}", fontsize=7, color="#777777")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, format="png")
    return ChartResult(path, family, drawn_lang)


__all__ = ["write_xlsx", "write_csv", "write_chart", "csv_rows", "share_rows", "threshold_for", "share_title",
           "display_width", "sheet_title", "cjk_font", "CSV_COLUMNS", "ChartResult", "ShareRow", "Threshold"]
