"""The input records kaohe evaluates: teachers, schools and regions (county, city, province).

The format is versioned (``RECORDS_VERSION``) and strict: unknown fields, wrong types, negative
hours and impossible dates are rejected with the field path, so nothing a platform sends is
silently dropped. Field names are English; values (activity kinds, results) are the policy's own
Chinese words, because that is what the platforms export and what the rulesets name.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

RECORDS_VERSION = "1"

# An 18-character mainland resident ID (17 digits + digit or X). Platforms must not use it as a
# key: exports mask it, and kaohe must never store or echo it whole.
_ID_CARD = re.compile(r"^\d{17}[\dXx]$")

def mask_id_card(value: str) -> str:
    """An ID-card number is never echoed whole: keep the region prefix and the last digit."""
    return value[:6] + "*" * 11 + value[-1] if isinstance(value, str) and _ID_CARD.match(value) else value


# What a record may hold, bounded so that no value can break an evaluation or an answer: numbers
# are finite, non-negative and plausible, and typed as the schema says (strict: "3" is not a number,
# 0 is not a date); dates fall in a plausible window. `kaohe schema` shows every bound.
MAX_HOURS = 1000  # one ledger line: a whole programme is about 50 hours
MAX_SIZE_KB = 10 * 1024 * 1024  # 10 GiB
MAX_SCORE = 1000
MAX_COUNT = 1_000_000
EARLIEST_DATE, LATEST_DATE = dt.date(1980, 1, 1), dt.date(2099, 12, 31)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_as_written(value):
    """A date is text, YYYY-MM-DD, as the schema says: never a number (of seconds since 1970) or its digits."""
    if isinstance(value, str) and not _ISO_DATE.match(value.strip()):
        raise ValueError("a date is written YYYY-MM-DD")
    if isinstance(value, (int, float)):  # bool too: JSON's true is no date either
        raise ValueError("a date is written as text, YYYY-MM-DD, not as a number")
    return value


def _in_window(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"the date must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def _not_an_id_card_number(value: str) -> str:
    if isinstance(value, str) and _ID_CARD.match(value):
        raise ValueError("looks like an ID-card number (身份证号); use the platform's own key")
    return value


Day = Annotated[dt.date, BeforeValidator(_date_as_written), AfterValidator(_in_window),
                Field(json_schema_extra={"formatMinimum": EARLIEST_DATE.isoformat(),
                                         "formatMaximum": LATEST_DATE.isoformat()})]
Hours = Annotated[float, Field(ge=0, le=MAX_HOURS, allow_inf_nan=False, strict=True)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
RecordId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_an_id_card_number)]
OptionalId = Annotated[str, Field(max_length=200), AfterValidator(_not_an_id_card_number)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class HourEntry(_Record):
    """One line of a teacher's hour ledger (学时记录)."""

    category: Text = Field(description="研修类别, e.g. 校本研修, 网络研修, 工作坊研修, 校本应用考核")
    kind: Text = Field(description="活动类型, e.g. 教学研讨, 研修作业, 听课评课, 线下活动")
    hours: Hours = Field(description="reported hours (学时) of this activity, before any credit rule or cap")
    date: Day = Field(description="date the activity took place (YYYY-MM-DD)")
    title: Optional[str] = Field(default=None, max_length=500, description="activity title as the platform shows it")


class Artefact(_Record):
    """An uploaded file: the personal plan, a per-point summary, a lesson plan."""

    kind: Text = Field(description="材料类型, e.g. 提升计划, 提升总结, 教学设计")
    file_name: Optional[str] = Field(default=None, max_length=500, description="file name as uploaded")
    format: Optional[str] = Field(default=None, max_length=20, description="file format (extension without the dot), "
                                  "e.g. pdf, docx; empty when an export only says the file was uploaded")
    size_kb: Optional[Annotated[NonNegative, Field(le=MAX_SIZE_KB)]] = Field(default=None, description="size in KB (1 KB = 1024 bytes); empty when unknown")
    point: Optional[str] = Field(default=None, description="the ability point this file is for, where it is per point")
    uploaded_on: Optional[Day] = None

    @field_validator("format")
    @classmethod
    def _lower_format(cls, value: str | None) -> str | None:
        return value.lower().lstrip(".") if value else None


class Assessment(_Record):
    """A result the school or platform recorded, e.g. 应用能力点测评 合格 for point B1."""

    kind: Text = Field(description="考核类型, e.g. 过程性材料初审, 应用能力点测评")
    result: Text = Field(description="结果, e.g. 通过, 不通过, 合格, 不合格, 优秀, 待考核")
    point: Optional[str] = None
    date: Optional[Day] = None


class Teacher(_Record):
    id: Text = Field(description="the platform's teacher key; never an ID-card number")
    school_id: RecordId
    name: Optional[str] = Field(default=None, max_length=100)
    stage: Optional[str] = Field(default=None, description="任教学段: 学前, 小学, 初中, 高中, 中职")
    subject: Optional[str] = Field(default=None, description="任教学科")
    full_time: Flag = Field(default=True, description="专任教师")
    status: Optional[str] = Field(default=None, description="在岗, 调岗, 离岗 ...")
    research_group: Optional[str] = Field(default=None, description="所属教研组")
    ability_points: list[Text] = Field(default_factory=list, description="chosen ability points (能力点), e.g. GD:B1")
    hours: list[HourEntry] = Field(default_factory=list)
    artefacts: list[Artefact] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _not_an_id_card(cls, value: str) -> str:
        if _ID_CARD.match(value):
            raise ValueError("looks like an ID-card number (身份证号); use the platform's own teacher key")
        return value


class TeamMember(_Record):
    name: Text
    role: Text = Field(description="角色/职务, e.g. 校长, 教学主任, 信息技术骨干")
    is_principal: Flag = False
    is_leader: Flag = Field(default=False, description="leads the team (组长 / 第一责任人)")


class Document(_Record):
    """A document a school or region filed: plans, schemes, summaries."""

    kind: Text = Field(description="文件类型, e.g. 校本研修计划与考核方案, 学校信息化发展规划")
    filed_on: Optional[Day] = Field(default=None, description="date filed or uploaded; empty if not yet")
    file_name: Optional[str] = None


class ResearchGroup(_Record):
    """A 教研组 (subject research group)."""

    name: Text
    leader: Optional[str] = None
    members: list[RecordId] = Field(default_factory=list, description="teacher ids")
    materials: list[Text] = Field(default_factory=list, description="what the group produced, e.g. 研修计划, 教学设计")


class School(_Record):
    id: RecordId
    name: Optional[str] = None
    county_id: Optional[OptionalId] = None
    city_id: Optional[OptionalId] = None
    province_id: Optional[OptionalId] = None
    is_pilot: Flag = Field(default=False, description="试点学校")
    environment: Optional[str] = Field(default=None, description="信息化环境 or mode, e.g. 智慧教育, 多技术融合")
    management_team: list[TeamMember] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    research_groups: list[ResearchGroup] = Field(default_factory=list)
    evidence: list[Text] = Field(default_factory=list, description="items of the evidence checklist provided")
    self_score: Optional[Annotated[NonNegative, Field(le=MAX_SCORE)]] = Field(default=None, description="school self-assessment score (自评打分)")
    counts: dict[str, Count] = Field(
        default_factory=dict, description="counts the policies need, e.g. {'优秀案例': 3}")
    teachers: list[Teacher] = Field(default_factory=list)


class Region(_Record):
    id: RecordId
    level: Literal["county", "city", "province"]
    name: Optional[str] = None
    parent_id: Optional[OptionalId] = None
    documents: list[Document] = Field(default_factory=list)
    counts: dict[str, Count] = Field(default_factory=dict)


class Dataset(_Record):
    """What one evaluation receives: schools (with their teachers) and, optionally, regions."""

    records_version: Literal["1"] = Field(default=RECORDS_VERSION, description="version of this record format")
    regions: list[Region] = Field(default_factory=list)
    schools: list[School] = Field(default_factory=list)


def json_schema() -> dict:
    """The JSON Schema of a dataset, as `kaohe schema` prints it."""
    schema = Dataset.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"kaohe records v{RECORDS_VERSION}"
    return schema


def describe_validation_error(error: ValidationError, record: str) -> list[dict]:
    """Pydantic's errors as kaohe problems: which record, which field path, what is wrong."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"])
        problems.append({"record": record, "field": path, "problem": item["msg"]})
    return problems
