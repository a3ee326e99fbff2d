"""The input records kaohe evaluates: teachers, schools and regions (county, city, province).

The format is versioned (``RECORDS_VERSION``) and strict: unknown fields, wrong types, negative
hours and impossible dates are rejected with the field path, so nothing a platform sends is
silently dropped. Field names are English; values (activity kinds, results) are the policy's own
Chinese words, because that is what the platforms export and what the rulesets name.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Iterable, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

RECORDS_VERSION = "1"

# An 18-character mainland resident ID (17 digits + digit or X). Platforms must not use it as a
# key: exports mask it, and kaohe must never store or echo it whole.
_ID_CARD = re.compile(r"^\d{17}[\dXx]$")

def mask_id_card(value: str) -> str:
    """An ID-card number is never echoed whole: keep the region prefix and the last digit."""
    return value[:6] + "*" * 11 + value[-1] if isinstance(value, str) and _ID_CARD.match(value) else value


_SPACES = re.compile(r"\s+")
_NORMAL: dict[str, str] = {}  # the same few hundred words recur across a province


def normal_text(value: Any) -> Any:
    """Text as a policy compares it: full-width and half-width forms alike (NFKC: `（CIO）` is `(CIO)`,
    `Ｂ１` is `B1`), no spaces around or inside (`首席 信息官` is `首席信息官`). Anything else unchanged.

    The one place words are normalised. The record fields that hold the policy's words (kinds,
    categories, roles, results, points, evidence items …: `Word` below) are normalised as they
    are read, and the ruleset's words where it compares them (filters, lists of required items),
    so `首席信息官（CIO）` in a record matches `首席信息官(CIO)` in a ruleset."""
    if type(value) is not str:
        return value
    found = _NORMAL.get(value)
    if found is None:
        found = _SPACES.sub("", unicodedata.normalize("NFKC", value))
        if len(_NORMAL) < 65536:
            _NORMAL[value] = found
    return found


def read_code(code: str, namespace: str | None) -> str:
    """An ability-point code as a ruleset reads it: `B1` under the GD catalogue is `GD:B1`; a code
    with a prefix of its own (`NAT:B1`) stays what it says."""
    code = normal_text(code)
    if namespace is None or not code or ":" in code:
        return code
    return f"{namespace}:{code}"


def _bare(code) -> bool:
    return code is not None and ":" not in code


def _has_bare_code(teacher: "Teacher") -> bool:
    for code in teacher.ability_points:
        if ":" not in code:
            return True
    for item in teacher.artefacts:
        if item.point is not None and ":" not in item.point:
            return True
    for item in teacher.assessments:
        if item.point is not None and ":" not in item.point:
            return True
    return False


def with_codes_read(teacher: "Teacher", namespace: str | None) -> "Teacher":
    """The teacher with every ability-point code (chosen points, the point of a file or of an
    assessment) read in the ruleset's catalogue; the same object when there is nothing to read."""
    if namespace is None or not _has_bare_code(teacher):
        return teacher
    update: dict = {"ability_points": [read_code(p, namespace) for p in teacher.ability_points]}
    for name in ("artefacts", "assessments"):
        update[name] = [i.model_copy(update={"point": read_code(i.point, namespace)}) if _bare(i.point) else i
                        for i in getattr(teacher, name)]
    return teacher.model_copy(update=update)


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
# A word of the policy's vocabulary (a kind, a category, a role, a result, a point code): compared
# with the ruleset's words, so read as `normal_text` reads it. Names of people, titles, file names and
# ids are not words: they are shown as sent.
Word = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(normal_text)]
OptionalWord = Annotated[Optional[str], AfterValidator(normal_text)]
RecordId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_an_id_card_number)]
OptionalId = Annotated[str, Field(max_length=200), AfterValidator(_not_an_id_card_number)]


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

    category: Word = Field(description="研修类别, e.g. 校本研修, 网络研修, 工作坊研修, 校本应用考核")
    kind: Word = Field(description="活动类型, e.g. 教学研讨, 研修作业, 听课评课, 线下活动")
    hours: Hours = Field(description="reported hours (学时) of this activity, before any credit rule or cap")
    date: Day = Field(description="date the activity took place (YYYY-MM-DD)")
    title: Optional[str] = Field(default=None, max_length=500, description="activity title as the platform shows it")


class Artefact(_Record):
    """An uploaded file: the personal plan, a per-point summary, a lesson plan."""

    kind: Word = Field(description="材料类型, e.g. 提升计划, 提升总结, 教学设计")
    file_name: Optional[str] = Field(default=None, max_length=500, description="file name as uploaded")
    format: Optional[str] = Field(default=None, max_length=20, description="file format (extension without the dot), "
                                  "e.g. pdf, docx; empty when an export only says the file was uploaded")
    size_kb: Optional[Annotated[NonNegative, Field(le=MAX_SIZE_KB)]] = Field(default=None, description="size in KB (1 KB = 1024 bytes); empty when unknown")
    point: OptionalWord = Field(default=None, description="the ability point this file is for, where it is per point")
    uploaded_on: Optional[Day] = None

    @field_validator("format")
    @classmethod
    def _lower_format(cls, value: str | None) -> str | None:
        return value.lower().lstrip(".") if value else None


class Assessment(_Record):
    """A result the school or platform recorded, e.g. 应用能力点测评 合格 for point B1."""

    kind: Word = Field(description="考核类型, e.g. 过程性材料初审, 应用能力点测评")
    result: Word = Field(description="结果, e.g. 通过, 不通过, 合格, 不合格, 优秀, 待考核")
    point: OptionalWord = None
    date: Optional[Day] = None


class Teacher(_Record):
    id: Text = Field(description="the platform's teacher key; never an ID-card number")
    school_id: RecordId
    name: Optional[str] = Field(default=None, max_length=100)
    stage: OptionalWord = Field(default=None, description="任教学段: 学前, 小学, 初中, 高中, 中职")
    subject: OptionalWord = Field(default=None, description="任教学科")
    full_time: Flag = Field(default=True, description="专任教师")
    status: OptionalWord = Field(default=None, description="在岗, 调岗, 离岗 ...")
    research_group: Optional[str] = Field(default=None, description="所属教研组")
    ability_points: list[Word] = Field(default_factory=list, description="chosen ability points (能力点), e.g. GD:B1")
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
    role: Word = Field(description="角色/职务, e.g. 校长, 教学主任, 信息技术骨干")
    is_principal: Flag = False
    is_leader: Flag = Field(default=False, description="leads the team (组长 / 第一责任人)")


class Document(_Record):
    """A document a school or region filed: plans, schemes, summaries."""

    kind: Word = Field(description="文件类型, e.g. 校本研修计划与考核方案, 学校信息化发展规划")
    filed_on: Optional[Day] = Field(default=None, description="date filed or uploaded; empty if not yet")
    file_name: Optional[str] = None


class ResearchGroup(_Record):
    """A 教研组 (subject research group)."""

    name: Text
    leader: Optional[str] = None
    members: list[RecordId] = Field(default_factory=list, description="teacher ids")
    materials: list[Word] = Field(default_factory=list, description="what the group produced, e.g. 研修计划, 教学设计")


class School(_Record):
    id: RecordId
    name: Optional[str] = None
    county_id: Optional[OptionalId] = None
    city_id: Optional[OptionalId] = None
    province_id: Optional[OptionalId] = None
    is_pilot: Flag = Field(default=False, description="试点学校")
    environment: OptionalWord = Field(default=None, description="信息化环境 or mode, e.g. 智慧教育, 多技术融合")
    management_team: list[TeamMember] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    research_groups: list[ResearchGroup] = Field(default_factory=list)
    evidence: list[Word] = Field(default_factory=list, description="items of the evidence checklist provided")
    self_score: Optional[Annotated[NonNegative, Field(le=MAX_SCORE)]] = Field(default=None, description="school self-assessment score (自评打分)")
    counts: dict[str, Count] = Field(
        default_factory=dict, description="counts the policies need, e.g. {'优秀案例': 3}")
    teachers: list[Teacher] = Field(default_factory=list)
    not_recorded: list[str] = Field(default_factory=list, description=NOT_RECORDED)

    @field_validator("not_recorded")
    @classmethod
    def _known_facts(cls, value: list[str]) -> list[str]:
        return known_facts("school", value)


class Region(_Record):
    id: RecordId
    level: Literal["county", "city", "province"]
    name: Optional[str] = None
    parent_id: Optional[OptionalId] = None
    documents: list[Document] = Field(default_factory=list)
    counts: dict[str, Count] = Field(default_factory=dict)
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


# ---- identity: each school and each teacher once ------------------------------------------------

@dataclass(frozen=True)
class IdentityProblem:
    """The same id twice where it must be once: nothing is merged or counted twice, the input is wrong.

    `first` and `second` say where the two records are, as the input has them: a path
    (``schools[0].teachers[3]``) or a line (``records.jsonl:7``). `schools` are the ids of the schools
    that cannot be evaluated until it is fixed."""

    kind: str  # teacher_twice | school_twice | teacher_in_two_schools | teacher_elsewhere
    id: str
    first: str
    second: str
    schools: tuple
    record_type: str = "teacher"
    other_school: str | None = None

    code = "record.duplicate_id"

    def text(self, lang: str = "zh") -> str:
        ident, first, second, other = mask_id_card(self.id), self.first, self.second, mask_id_card(self.other_school or "")
        school = mask_id_card(self.schools[0]) if self.schools else ""
        if lang == "en":
            return {
                "teacher_twice": f"teacher {ident} is listed twice in school {school}: at {first} and at {second}; "
                                 "list each teacher once",
                "school_twice": f"school {ident} is given twice: at {first} and at {second}; give each school once",
                "teacher_in_two_schools": f"teacher {ident} is listed in two schools: {school} at {first} and {other} "
                                          f"at {second}; a teacher belongs to one school",
                "teacher_elsewhere": f"teacher {ident} at {second} is listed under school {school} ({first}) but "
                                     f"says school_id {other}",
            }[self.kind]
        return {
            "teacher_twice": f"教师 {ident} 在学校 {school} 中出现两次: {first} 与 {second}; 每位教师只能列一次",
            "school_twice": f"学校 {ident} 出现两次: {first} 与 {second}; 每所学校只能给一次",
            "teacher_in_two_schools": f"教师 {ident} 同时列在两所学校: {school} ({first}) 与 {other} ({second}); "
                                      "一位教师只属于一所学校",
            "teacher_elsewhere": f"教师 {ident} ({second}) 列在学校 {school} ({first}) 之下, 但其 school_id 为 {other}",
        }[self.kind]

    def as_problem(self, lang: str = "zh") -> dict:
        """In the shape of the other record problems: which record, which field, what is wrong."""
        kind = "school" if self.record_type == "school" else "teacher"
        field = "school_id" if self.kind == "teacher_elsewhere" else "id"
        return {"record": f"{kind} {mask_id_card(self.id)} ({self.second})", "field": field, "problem": self.text(lang),
                "code": self.code, "first": self.first, "second": self.second}


def _key(value: Any) -> str | None:
    """An id as the record format reads it (surrounding spaces stripped); None when there is none."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def identity_problems(schools: Iterable[tuple[Any, str, Iterable[tuple[Any, str, Any]]]]) -> list[IdentityProblem]:
    """Every school id once in a dataset, every teacher id once in it (within a school and across schools).

    `schools` yields (school id, where, teachers), teachers yielding (teacher id, where, its school_id),
    in input order; `where` is whatever names the position to the user. The first occurrence is kept
    as the reference and every later one is reported against it."""
    problems: list[IdentityProblem] = []
    school_at: dict[str, str] = {}
    teacher_at: dict[str, tuple[str, str]] = {}  # teacher id -> (school id, where)
    for school_id, school_where, teachers in schools:
        sid = _key(school_id)
        if sid is not None:
            if sid in school_at:
                problems.append(IdentityProblem("school_twice", sid, school_at[sid], school_where, (sid,), "school"))
            else:
                school_at[sid] = school_where
        for teacher_id, where, declared in teachers:
            tid = _key(teacher_id)
            if tid is None:
                continue
            declared_key = _key(declared)
            if sid is not None and declared_key is not None and declared_key != sid:
                problems.append(IdentityProblem("teacher_elsewhere", tid, school_where, where, (sid,),
                                                other_school=declared_key))
            if tid in teacher_at:
                first_school, first_where = teacher_at[tid]
                if first_school == sid:
                    problems.append(IdentityProblem("teacher_twice", tid, first_where, where, (sid,)))
                else:
                    problems.append(IdentityProblem("teacher_in_two_schools", tid, first_where, where,
                                                    tuple(s for s in (first_school, sid) if s is not None),
                                                    other_school=sid))
            else:
                teacher_at[tid] = (sid, where)
    return problems


def dataset_identity_problems(schools: Iterable[Any], root: str = "schools") -> list[IdentityProblem]:
    """`identity_problems` over schools as validated records or as parsed JSON, positions as paths."""
    def field(record, name):
        return record.get(name) if isinstance(record, dict) else getattr(record, name, None)

    def listed():
        for i, school in enumerate(schools):
            where = f"{root}[{i}]"
            teachers = field(school, "teachers")
            teachers = teachers if isinstance(teachers, (list, tuple)) else ()
            yield (field(school, "id"), where,
                   ((field(t, "id"), f"{where}.teachers[{j}]", field(t, "school_id")) for j, t in enumerate(teachers)))
    return identity_problems(listed())


def describe_validation_error(error: ValidationError, record: str) -> list[dict]:
    """Pydantic's errors as kaohe problems: which record, which field path, what is wrong."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"])
        problems.append({"record": record, "field": path, "problem": item["msg"]})
    return problems
