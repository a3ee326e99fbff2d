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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

RECORDS_VERSION = "1"

# An 18-character mainland resident ID (17 digits + digit or X). Platforms must not use it as a
# key: exports mask it, and kaohe must never store or echo it whole.
_ID_CARD = re.compile(r"^\d{17}[\dXx]$")

def mask_id_card(value: str) -> str:
    """An ID-card number is never echoed whole: keep the region prefix and the last digit."""
    return value[:6] + "*" * 11 + value[-1] if isinstance(value, str) and _ID_CARD.match(value) else value


NonNegative = Annotated[float, Field(ge=0)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# Facts a record can carry, by level: what a source (a platform export, an importer) may declare
# it does not carry in `not_recorded`. A rule that reads a fact not recorded cannot be judged.
RECORDED_FACTS = {
    "teacher": ("hours", "artefacts", "assessments", "ability_points", "research_group", "status", "stage", "subject",
                "full_time"),
    "school": ("management_team", "documents", "research_groups", "evidence", "self_score", "counts", "is_pilot",
               "environment", "teachers"),
    "region": ("documents", "counts", "schools"),
}


# Collections whose items have a kind: a source may carry some kinds and not others ("assessments:应用能力点测评").
KINDED = ("hours", "artefacts", "assessments", "documents")


def known_facts(level: str, value: list[str]) -> list[str]:
    def known(fact: str) -> bool:
        collection, _, kind = fact.partition(":")
        return collection in RECORDED_FACTS[level] and (not kind or collection in KINDED)

    unknown = [v for v in value if not known(v)]
    if unknown:
        raise ValueError(f"unknown fact {', '.join(unknown)}; a {level} record can carry: "
                         + ", ".join(RECORDED_FACTS[level]))
    return list(dict.fromkeys(value))


NOT_RECORDED = "facts the source of this record does not carry (e.g. an export without assessment results): " \
               "rules that read them come out as 'cannot be judged from this data', not as failures"


class HourEntry(_Record):
    """One line of a teacher's hour ledger (学时记录)."""

    category: Text = Field(description="研修类别, e.g. 校本研修, 网络研修, 工作坊研修, 校本应用考核")
    kind: Text = Field(description="活动类型, e.g. 教学研讨, 研修作业, 听课评课, 线下活动")
    hours: NonNegative = Field(description="reported hours (学时) of this activity, before any credit rule or cap")
    date: dt.date = Field(description="date the activity took place (YYYY-MM-DD)")
    title: Optional[str] = Field(default=None, max_length=500, description="activity title as the platform shows it")


class Artefact(_Record):
    """An uploaded file: the personal plan, a per-point summary, a lesson plan."""

    kind: Text = Field(description="材料类型, e.g. 提升计划, 提升总结, 教学设计")
    file_name: Optional[str] = Field(default=None, max_length=500, description="file name as uploaded")
    format: Optional[str] = Field(default=None, max_length=20, description="file format (extension without the dot), "
                                  "e.g. pdf, docx; empty when an export only says the file was uploaded")
    size_kb: Optional[NonNegative] = Field(default=None, description="size in KB (1 KB = 1024 bytes); empty when unknown")
    point: Optional[str] = Field(default=None, description="the ability point this file is for, where it is per point")
    uploaded_on: Optional[dt.date] = None

    @field_validator("format")
    @classmethod
    def _lower_format(cls, value: str | None) -> str | None:
        return value.lower().lstrip(".") if value else None


class Assessment(_Record):
    """A result the school or platform recorded, e.g. 应用能力点测评 合格 for point B1."""

    kind: Text = Field(description="考核类型, e.g. 过程性材料初审, 应用能力点测评")
    result: Text = Field(description="结果, e.g. 通过, 不通过, 合格, 不合格, 优秀, 待考核")
    point: Optional[str] = None
    date: Optional[dt.date] = None


class Teacher(_Record):
    id: Text = Field(description="the platform's teacher key; never an ID-card number")
    school_id: Text
    name: Optional[str] = Field(default=None, max_length=100)
    stage: Optional[str] = Field(default=None, description="任教学段: 学前, 小学, 初中, 高中, 中职")
    subject: Optional[str] = Field(default=None, description="任教学科")
    full_time: bool = Field(default=True, description="专任教师")
    status: Optional[str] = Field(default=None, description="在岗, 调岗, 离岗 ...")
    research_group: Optional[str] = Field(default=None, description="所属教研组")
    ability_points: list[Text] = Field(default_factory=list, description="chosen ability points (能力点), e.g. GD:B1")
    hours: list[HourEntry] = Field(default_factory=list)
    artefacts: list[Artefact] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)
    not_recorded: list[str] = Field(default_factory=list, description=NOT_RECORDED)

    @field_validator("not_recorded")
    @classmethod
    def _known_facts(cls, value: list[str]) -> list[str]:
        return known_facts("teacher", value)

    @field_validator("id")
    @classmethod
    def _not_an_id_card(cls, value: str) -> str:
        if _ID_CARD.match(value):
            raise ValueError("looks like an ID-card number (身份证号); use the platform's own teacher key")
        return value


class TeamMember(_Record):
    name: Text
    role: Text = Field(description="角色/职务, e.g. 校长, 教学主任, 信息技术骨干")
    is_principal: bool = False
    is_leader: bool = Field(default=False, description="leads the team (组长 / 第一责任人)")


class Document(_Record):
    """A document a school or region filed: plans, schemes, summaries."""

    kind: Text = Field(description="文件类型, e.g. 校本研修计划与考核方案, 学校信息化发展规划")
    filed_on: Optional[dt.date] = Field(default=None, description="date filed or uploaded; empty if not yet")
    file_name: Optional[str] = None


class ResearchGroup(_Record):
    """A 教研组 (subject research group)."""

    name: Text
    leader: Optional[str] = None
    members: list[Text] = Field(default_factory=list, description="teacher ids")
    materials: list[Text] = Field(default_factory=list, description="what the group produced, e.g. 研修计划, 教学设计")


class School(_Record):
    id: Text
    name: Optional[str] = None
    county_id: Optional[str] = None
    city_id: Optional[str] = None
    province_id: Optional[str] = None
    is_pilot: bool = Field(default=False, description="试点学校")
    environment: Optional[str] = Field(default=None, description="信息化环境 or mode, e.g. 智慧教育, 多技术融合")
    management_team: list[TeamMember] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    research_groups: list[ResearchGroup] = Field(default_factory=list)
    evidence: list[Text] = Field(default_factory=list, description="items of the evidence checklist provided")
    self_score: Optional[float] = Field(default=None, ge=0, description="school self-assessment score (自评打分)")
    counts: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="counts the policies need, e.g. {'优秀案例': 3}")
    teachers: list[Teacher] = Field(default_factory=list)
    not_recorded: list[str] = Field(default_factory=list, description=NOT_RECORDED)

    @field_validator("not_recorded")
    @classmethod
    def _known_facts(cls, value: list[str]) -> list[str]:
        return known_facts("school", value)


class Region(_Record):
    id: Text
    level: Literal["county", "city", "province"]
    name: Optional[str] = None
    parent_id: Optional[str] = None
    documents: list[Document] = Field(default_factory=list)
    counts: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    not_recorded: list[str] = Field(default_factory=list, description=NOT_RECORDED)

    @field_validator("not_recorded")
    @classmethod
    def _known_facts(cls, value: list[str]) -> list[str]:
        return known_facts("region", value)


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
