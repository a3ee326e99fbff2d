"""Data tables with Chinese column headers → field values for the record models.

Each table a step accepts is a `Table`: its columns, each with the record field it fills and a
typed parser for the cell. A header the table does not know, a missing required column or a cell
that does not parse fails the step with a message that names the row, the column and the columns
that exist. Values are the policy's own words (教学研讨, 合格); only yes/no, numbers, dates and
lists are converted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from pydantic import ValidationError


class SpecError(AssertionError):
    """A spec that cannot run as written: unknown column, bad cell, unknown name. Not a policy failure."""


# ---- cell parsers ------------------------------------------------------------------------------

_TRUE = {"是", "true", "yes", "y", "✓"}
_FALSE = {"否", "false", "no", "n", "✗"}
_LIST_SEPARATORS = re.compile(r"\s*[、,，;；]\s*")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def text(cell: str) -> str:
    return cell.strip()


def number(cell: str) -> int | float:
    raw = cell.strip()
    if not _NUMBER.match(raw):
        raise ValueError(f"'{cell}' 不是数字 (not a number)")
    value = float(raw)
    return int(value) if value.is_integer() and "." not in raw else value


def count(cell: str) -> int:
    raw = cell.strip()
    if not raw.isdigit():
        raise ValueError(f"'{cell}' 不是非负整数 (not a whole number ≥ 0)")
    return int(raw)


def yes_no(cell: str) -> bool:
    raw = cell.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"'{cell}' 应为 是 或 否 (yes or no)")


def date(cell: str) -> dt.date:
    try:
        return dt.date.fromisoformat(cell.strip())
    except ValueError:
        raise ValueError(f"'{cell}' 不是日期, 请写 YYYY-MM-DD (not a date)") from None


def items(cell: str) -> list[str]:
    """`GD:B1、GD:B2` → ['GD:B1', 'GD:B2'] (、 , ， ; ； all separate)."""
    raw = cell.strip()
    return [part for part in _LIST_SEPARATORS.split(raw) if part] if raw else []


REGION_LEVELS = {"区县": "county", "县": "county", "区": "county", "county": "county",
                 "地市": "city", "市": "city", "city": "city",
                 "省": "province", "省级": "province", "province": "province"}


def region_level(cell: str) -> str:
    raw = cell.strip()
    if raw not in REGION_LEVELS:
        raise ValueError(f"'{cell}' 不是区域级别; 可写: 区县、地市、省")
    return REGION_LEVELS[raw]


# ---- tables ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Callable[[str], Any] = text
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Table:
    """The columns one kind of data table may have."""

    name: str
    columns: tuple[Column, ...]
    example: str = ""
    by_header: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_header", {c.header: c for c in self.columns})

    def describe(self) -> str:
        parts = []
        for c in self.columns:
            mark = "*" if c.required else ""
            parts.append(f"{c.header}{mark}" + (f" ({c.help})" if c.help else ""))
        return "、".join(parts)

    def rows(self, datatable: Sequence[Sequence[str]] | None) -> list[dict[str, Any]]:
        """The table's rows as {field: value}; empty cells are left out (the model's default applies)."""
        if not datatable:
            raise SpecError(f"这一步需要一个{self.name}表格 (a data table is required). 可用的列 (* 为必填): {self.describe()}"
                            + (f"\n例如:\n{self.example}" if self.example else ""))
        header = [h.strip() for h in datatable[0]]
        unknown = [h for h in header if h not in self.by_header]
        if unknown:
            raise SpecError(f"{self.name}表格中有未知的列: {'、'.join(unknown)}. "
                            f"可用的列 (* 为必填): {self.describe()}")
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated:
            raise SpecError(f"{self.name}表格中的列重复: {'、'.join(duplicated)}")
        missing = [c.header for c in self.columns if c.required and c.header not in header]
        if missing:
            raise SpecError(f"{self.name}表格缺少必填的列: {'、'.join(missing)}. 可用的列 (* 为必填): {self.describe()}")
        out = []
        for number_, row in enumerate(datatable[1:], start=1):
            values: dict[str, Any] = {}
            for head, cell in zip(header, row):
                column = self.by_header[head]
                if cell is None or not str(cell).strip():
                    if column.required:
                        raise SpecError(f"{self.name}表格第{number_}行: '{head}' 不能为空")
                    continue
                try:
                    values[column.field] = column.parse(str(cell))
                except ValueError as exc:
                    raise SpecError(f"{self.name}表格第{number_}行, 列 '{head}': {exc}") from None
            out.append(values)
        return out


def build(model, values: dict, what: str, table: Table | None = None):
    """A record through its pydantic model; a validation error names the record and the Chinese column."""
    try:
        return model(**values)
    except ValidationError as exc:
        words = {c.field: c.header for c in table.columns} if table is not None else FIELD_WORDS
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            path = ".".join(str(p) for p in error["loc"])
            head = path.split(".")[0]
            problems.append(f"{words.get(head, FIELD_WORDS.get(head, head))} ({path}): {error['msg']}")
        raise SpecError(f"{what} 不是有效的记录 (does not validate): " + "; ".join(problems)) from None


def facts(text: str) -> list[str]:
    """"考核结果、学时记录" (or the record's own names) → the facts a source does not carry."""
    from kaohe.engine.explain import FACT_NAMES

    by_word = {names["zh"]: fact for fact, names in FACT_NAMES.items()}
    out = []
    for word in items(text):
        collection, _, kind = word.replace("：", ":").partition(":")
        if collection not in by_word and collection not in FACT_NAMES:
            raise SpecError(f"'{word}' 不是记录能包含的事实; 可写: {'、'.join(by_word)} (某一类型写作 考核结果:应用能力点测评)")
        fact = by_word.get(collection, collection)
        out.append(f"{fact}:{kind}" if kind else fact)
    return out


# ---- the tables the steps read -------------------------------------------------------------------

HOURS = Table("学时记录", (
    Column("活动类别", "category", required=True, help="如 校本研修、网络研修"),
    Column("活动类型", "kind", required=True, help="如 教学研讨、研修作业、听课评课、线下活动"),
    Column("学时", "hours", number, required=True, help="每次登记的学时"),
    Column("次数", "times", count, help="同样的活动几次, 默认1"),
    Column("日期", "date", date, help="YYYY-MM-DD, 默认为评估日期"),
    Column("标题", "title"),
), example="| 活动类别 | 活动类型 | 学时 | 次数 |\n| 校本研修 | 教学研讨 | 2 | 13 |")

ARTEFACTS = Table("材料", (
    Column("材料类型", "kind", required=True, help="如 提升计划、提升总结"),
    Column("文件名", "file_name", required=True),
    Column("格式", "format", help="扩展名, 默认取自文件名"),
    Column("大小KB", "size_kb", number, required=True),
    Column("能力点", "point"),
    Column("上传日期", "uploaded_on", date),
    Column("份数", "times", count, help="同样的文件几份, 默认1"),
), example="| 材料类型 | 能力点 | 文件名 | 大小KB |\n| 提升总结 | GD:B1 | B1总结.pdf | 800 |")

ASSESSMENTS = Table("测评结果", (
    Column("考核类型", "kind", required=True, help="如 应用能力点测评、过程性材料初审"),
    Column("结果", "result", required=True, help="如 合格、不合格、优秀、待考核、通过"),
    Column("能力点", "point"),
    Column("日期", "date", date),
), example="| 考核类型 | 能力点 | 结果 |\n| 应用能力点测评 | GD:B1 | 合格 |")

TEACHERS = Table("教师", (
    Column("教师", "id", required=True, help="平台的教师编号或称呼; 不得为身份证号"),
    Column("学校", "school_id"),
    Column("姓名", "name"),
    Column("专任教师", "full_time", yes_no, help="是/否, 默认是"),
    Column("学段", "stage"),
    Column("学科", "subject"),
    Column("状态", "status", help="如 在岗、调岗"),
    Column("教研组", "research_group"),
    Column("能力点", "ability_points", items, help="用 、 分隔"),
    Column("数据未包含", "not_recorded", facts, help="数据来源未包含的事实 (如 考核结果、学时记录), 用 、 分隔"),
    Column("参照", "like", help="照搬这位已描述教师的学时、材料、测评和能力点"),
    Column("人数", "times", count, help="按此行生成几位教师, 编号为 教师1、教师2 …"),
), example="| 教师 | 参照 | 人数 | 专任教师 |\n| 合格教师 | 李老师 | 19 | 是 |")

SCHOOLS = Table("学校", (
    Column("学校", "id", required=True),
    Column("名称", "name"),
    Column("所属区县", "county_id"),
    Column("所属地市", "city_id"),
    Column("所属省份", "province_id"),
    Column("试点学校", "is_pilot", yes_no),
    Column("信息化环境", "environment"),
    Column("自评打分", "self_score", number),
))

REGIONS = Table("区域", (
    Column("区域", "id", required=True),
    Column("级别", "level", region_level, required=True, help="区县、地市 或 省"),
    Column("名称", "name"),
    Column("上级", "parent_id"),
))

DOCUMENTS = Table("文件", (
    Column("文件类型", "kind", required=True, help="如 校本研修计划与考核方案"),
    Column("提交日期", "filed_on", date, help="留空表示尚未提交"),
    Column("文件名", "file_name"),
), example="| 文件类型 | 提交日期 |\n| 校本主题 | 2022-04-20 |")

RESEARCH_GROUPS = Table("教研组", (
    Column("教研组", "name", required=True),
    Column("组长", "leader"),
    Column("成员", "members", items),
    Column("材料", "materials", items, help="如 研修计划、教学设计、教学视频、教学反思"),
))

EVIDENCE = Table("证明材料", (
    Column("证明材料", "item", required=True),
))

TEAM = Table("信息化管理团队", (
    Column("姓名", "name", required=True),
    Column("职务", "role", required=True),
    Column("校长", "is_principal", yes_no),
    Column("组长", "is_leader", yes_no),
    Column("人数", "times", count, help="按此行生成几位成员, 姓名为 姓名1、姓名2 …; 0 表示没有, 默认1"),
), example="| 姓名 | 职务 | 校长 | 组长 | 人数 |\n| 张校长 | 校长 | 是 | 是 | 1 |\n| 骨干教师 | 信息技术骨干教师 | 否 | 否 | 4 |")

COUNTS = Table("统计", (
    Column("项目", "key", required=True),
    Column("数量", "value", count, required=True),
))

# a record's field → the words a policy officer wrote (for validation messages of whole records)
FIELD_WORDS = {c.field: c.header for t in (TEACHERS, SCHOOLS, REGIONS) for c in t.columns}
FIELD_WORDS.update({"hours": "学时记录", "artefacts": "材料", "assessments": "测评结果", "documents": "文件",
                    "research_groups": "教研组", "evidence": "证明材料", "management_team": "信息化管理团队"})

ALL_TABLES = (HOURS, ARTEFACTS, ASSESSMENTS, TEACHERS, SCHOOLS, REGIONS, DOCUMENTS, RESEARCH_GROUPS, EVIDENCE, TEAM, COUNTS)
