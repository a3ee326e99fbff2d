"""Request and response schemas of the HTTP API, apart from the engine's internal types.

Requests wrap the versioned record format (`kaohe.engine.records`: School, Teacher, Region — the
exchange format platforms already send) in an envelope of their own. Responses are documented
here in the shape `kaohe.engine.explain` produces; tests check real responses against these
models so the documentation cannot drift from what is sent.

Long (some 560 lines) because it is the API's whole published contract with its Chinese examples,
and one place is what keeps OpenAPI, the tests and the responses in step.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaohe.engine.records import Day, Region, School, Teacher

from .examples import (EXAMPLE_AS_OF, EXAMPLE_CHANGED_RULESET, EXAMPLE_REGION, EXAMPLE_SCHOOL, EXAMPLE_TEACHER,
                       EXAMPLE_TEACHER_PASSING)

RulesetId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$",
                                 description="ruleset id, e.g. guangdong (GET /v1/rulesets lists them)",
                                 examples=["guangdong"])]
Detail = Literal["full", "compact"]
DETAIL_DESCRIPTION = ("full: every rule with its explanation, and the measures with how they were computed; "
                      "compact: verdict and the failed rules only")


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ruleset: RulesetId
    as_of: Optional[Day] = Field(default=None, description="evaluate as of this day (YYYY-MM-DD); picks the "
                                     "revision in force that day. Default: today (China Standard Time)")
    records_version: Literal["1"] = Field(default="1", description="version of the record format")


class _Request(_Envelope):
    detail: Detail = Field(default="full", description=DETAIL_DESCRIPTION)


class EvaluationRequest(_Request):
    """Schools (each with its teachers) and, optionally, the regions they belong to."""

    schools: list[School] = Field(min_length=1, description="schools with their teachers")
    regions: list[Region] = Field(default_factory=list, description="counties, cities or provinces to assess "
                                  "over the schools sent (by county_id, city_id, province_id)")


class TeacherEvaluationRequest(_Request):
    """One teacher, without school context: only teacher-level rules are evaluated."""

    teacher: Teacher


ParameterName = Annotated[str, Field(min_length=1, max_length=100)]


class SimulationRequest(_Envelope):
    """The records, and a change to the ruleset: parameter values `set`, a `changed_ruleset`, or both
    (the changed text first, then the values set on it). The records are evaluated under the revision
    in force on `as_of` and under the changed one, and compared."""

    schools: list[School] = Field(min_length=1, description="schools with their teachers")
    regions: list[Region] = Field(default_factory=list, description="counties, cities or provinces to assess "
                                  "over the schools sent")
    set_values: dict[ParameterName, Any] = Field(
        default_factory=dict, alias="set", max_length=200,
        description="parameter name → value, as JSON: a number (20), true/false, text, a date (\"2023-09-01\"), "
                    "a list or an object, of the parameter's type (GET /v1/rulesets/{id} lists the parameters)")
    changed_ruleset: Optional[str] = Field(
        default=None, description="YAML text of a changed revision of the ruleset (or of a ruleset that extends a "
        "loaded one); checked as POST /v1/rulesets/validate checks it, never executed")
    detail: Detail = Field(default="full", description="full: each teacher, school and region that changes, with "
                           "the rules that changed status; compact: the same records without their rules")

    @field_validator("set_values")
    @classmethod
    def _plausible_numbers(cls, values: dict) -> dict:
        for name, value in values.items():
            _check_parameter_value(name, value)
        return values


MAX_PARAMETER_MAGNITUDE = 1e9  # a parameter is an hour count, a share, a number of points: never near this
MAX_PARAMETER_DEPTH = 8


def _check_parameter_value(name: str, value: Any, depth: int = 0) -> None:
    if depth > MAX_PARAMETER_DEPTH:
        raise ValueError(f"{name}: the value is nested more than {MAX_PARAMETER_DEPTH} levels deep")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        if not (math.isfinite(value) and abs(value) <= MAX_PARAMETER_MAGNITUDE):
            raise ValueError(f"{name}: a number must be finite and at most {MAX_PARAMETER_MAGNITUDE:,.0f} in size")
        return
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        _check_parameter_value(name, item, depth + 1)


EVALUATION_EXAMPLES = {
    "school": {
        "summary": "一所学校及其三名教师 (广东, 湛江)",
        "description": "湛江市示例第二中学的三名教师: 冯玉校本研修学时不足, 龙丽应用能力点测评待考核, 马磊全部达标.",
        "value": {"ruleset": "guangdong", "as_of": EXAMPLE_AS_OF, "detail": "full", "schools": [EXAMPLE_SCHOOL]},
    },
    "school_and_county": {
        "summary": "学校及所在区县 (赤坎区), 简要结果",
        "description": "同一学校, 连同赤坎区的考核文件; detail=compact 只返回结论与未通过的规则.",
        "value": {"ruleset": "guangdong", "as_of": EXAMPLE_AS_OF, "detail": "compact", "schools": [EXAMPLE_SCHOOL],
                  "regions": [EXAMPLE_REGION]},
    },
}
TEACHER_EXAMPLES = {
    "short_hours": {
        "summary": "校本研修学时不足的教师",
        "description": "冯玉: 记录的校本研修学时不足25学时.",
        "value": {"ruleset": "guangdong", "as_of": EXAMPLE_AS_OF, "teacher": EXAMPLE_TEACHER},
    },
    "passing": {
        "summary": "全部达标的教师 (简要结果)",
        "description": "马磊: 每条教师规则均已满足.",
        "value": {"ruleset": "guangdong", "as_of": EXAMPLE_AS_OF, "detail": "compact", "teacher": EXAMPLE_TEACHER_PASSING},
    },
}

SIMULATION_EXAMPLES = {
    "lower_hours": {
        "summary": "校本研修学时要求由25学时降至20学时",
        "description": "湛江市示例第二中学的三名教师: 若校本研修学时要求降为20学时, 冯玉 (24学时) 由不通过变为通过.",
        "value": {"ruleset": "guangdong", "as_of": EXAMPLE_AS_OF, "set": {"school_based_hours_required": 20},
                  "schools": [EXAMPLE_SCHOOL], "regions": [EXAMPLE_REGION]},
    },
    "changed_ruleset": {
        "summary": "变更后的规则集: 湛江市要求30学时",
        "description": "以继承广东规则集的湛江市规则集 (YAML 文本) 作为变更修订, 比较同一批记录的结论.",
        "value": {"ruleset": "guangdong", "as_of": EXAMPLE_AS_OF, "changed_ruleset": EXAMPLE_CHANGED_RULESET,
                  "schools": [EXAMPLE_SCHOOL]},
    },
}


# ---- responses (documentation of the explain shape) --------------------------------------------------

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class RulesetHeader(_Open):
    id: str
    version: str
    revision: str = Field(description="content hash of the revision that decided; changes whenever a verdict or "
                          "its wording could")
    title: str


class Citation(_Open):
    source: str
    document: Optional[str] = None
    number: Optional[str] = None
    seed: Optional[str] = None
    clause: str
    quote: Optional[str] = None


RuleStatus = Literal["pass", "fail", "needs_review", "not_applicable", "not_yet_due", "cannot_judge", "not_in_scope"]
Verdict = Literal["pass", "fail", "needs_review", "cannot_judge", "not_in_scope"]
VERDICT_DESCRIPTION = ("fail if a required rule fails; else cannot_judge (a rule reads a fact the source does not "
                       "carry), else needs_review; else pass (rules not yet due do not decide it); not_in_scope: a "
                       "teacher the ruleset's scope leaves out (not judged, not counted in shares)")


class LeftOut(_Open):
    entries: dict[str, int] = Field(description="collection → entries dated after as_of, left out")
    explanation: str


class ScopeNote(_Open):
    explanation: str
    in_scope: str = Field(description="whom the ruleset's teacher rules are about")
    citation: Citation


class RuleOutcome(_Open):
    id: str
    title: str
    severity: Literal["required", "advisory"]
    status: RuleStatus = Field(description="not_yet_due: unmet before its due date (says the date and what is to "
                               "do); cannot_judge: reads a fact the source does not carry")
    actual: Any = None
    actual_text: str
    expected: str
    explanation: str
    remedy: Optional[str] = None
    citation: Citation


class MeasureValue(_Open):
    value: Any = None
    unit: Optional[str] = None
    how: Optional[dict] = None


class TeacherVerdict(_Open):
    id: str
    school_id: str
    verdict: Verdict = Field(description=VERDICT_DESCRIPTION)
    verdict_text: str
    left_out: Optional[LeftOut] = Field(default=None, description="dated facts after as_of, left out")
    rules: Optional[list[RuleOutcome]] = Field(default=None, description="detail=full")
    measures: Optional[dict[str, MeasureValue]] = Field(default=None, description="detail=full")
    failed_rules: Optional[list[RuleOutcome]] = Field(default=None, description="detail=compact")
    not_yet_due_rules: Optional[list[RuleOutcome]] = Field(default=None, description="detail=compact, when any")
    cannot_judge_rules: Optional[list[RuleOutcome]] = Field(default=None, description="detail=compact, when any")
    scope: Optional[ScopeNote] = Field(default=None, description="why a teacher is not in scope")


class SchoolVerdict(_Open):
    id: str
    name: Optional[str] = None
    verdict: Verdict = Field(description=VERDICT_DESCRIPTION)
    verdict_text: str
    left_out: Optional[LeftOut] = Field(default=None, description="dated facts after as_of, left out")
    teacher_count: int
    teachers_passing: int
    teacher_verdicts: Optional[dict[str, int]] = Field(default=None, description="verdict → teachers")
    teachers_not_in_scope: Optional[list[str]] = Field(default=None, description="ids of teachers the scope leaves "
                                                       "out: listed, not counted in shares")
    rules: Optional[list[RuleOutcome]] = None
    measures: Optional[dict[str, MeasureValue]] = None
    failing_teachers: Optional[dict[str, list[str]]] = Field(default=None, description="teacher rule id → ids of "
                                                             "this school's teachers failing it (detail=full)")
    failed_rules: Optional[list[RuleOutcome]] = None
    teachers: list[TeacherVerdict]


class RegionVerdict(_Open):
    id: str
    level: Literal["county", "city", "province"]
    name: Optional[str] = None
    verdict: Verdict = Field(description=VERDICT_DESCRIPTION)
    verdict_text: str
    left_out: Optional[LeftOut] = Field(default=None, description="dated facts after as_of, left out")
    schools: list[str]
    schools_passing: int
    school_verdicts: Optional[dict[str, int]] = Field(default=None, description="verdict → schools")
    rules: Optional[list[RuleOutcome]] = None
    measures: Optional[dict[str, MeasureValue]] = None
    failed_rules: Optional[list[RuleOutcome]] = None


class Summary(_Open):
    teachers: int
    teachers_passing: int
    schools: int
    schools_passing: int
    teacher_verdicts: Optional[dict[str, int]] = Field(default=None, description="verdict → teachers (every verdict, "
                                                       "0 included)")
    school_verdicts: Optional[dict[str, int]] = Field(default=None, description="verdict → schools")
    with_rules_not_yet_due: Optional[dict[str, int]] = Field(default=None, description="teachers, schools and regions "
                                                             "with a requirement not yet due")


class EvaluationResponse(_Open):
    decision_id: str = Field(description="uuid of this decision; quote it to trace it in the logs")
    result_version: str
    ruleset: RulesetHeader
    as_of: dt.date
    language: Literal["zh", "en"]
    summary: Summary
    schools: list[SchoolVerdict]
    regions: list[RegionVerdict]
    errors: Optional[list[RecordProblem]] = Field(default=None, description="records that validated but could not be "
                                                  "evaluated (record.not_evaluable), and regions withheld with them; "
                                                  "absent when there are none")


class TeacherEvaluationResponse(_Open):
    decision_id: str
    result_version: str
    ruleset: RulesetHeader
    as_of: dt.date
    language: Literal["zh", "en"]
    teacher: TeacherVerdict


class StreamLine(_Open):
    """One line of the JSON Lines the stream answers with."""

    type: Literal["school", "error", "end"]
    line: Optional[int] = Field(default=None, description="line of the request this is about (1-based); for a "
                                "school, the line that opened it")
    lines: Optional[list[int]] = Field(default=None, description="for a school: first and last line it was read from")
    decision_id: str
    ruleset: Optional[RulesetHeader] = None
    school: Optional[SchoolVerdict] = None
    problem: Optional[dict] = Field(default=None, description="for an error line: a problem+json object")


class RecordProblem(BaseModel):
    record: Optional[str] = Field(description="where the record is in the request, e.g. schools[0].teachers[1]")
    record_type: Optional[Literal["school", "teacher", "region"]] = None
    record_index: Optional[int] = Field(description="index of the record in its list (schools, teachers, regions)")
    record_id: Optional[Any] = Field(description="the record's id, where it has one")
    field: Optional[str] = Field(description="path of the field inside the record, e.g. hours[0].hours")
    problem: str
    pointer: Optional[str] = Field(default=None, description="JSON Pointer (RFC 6901) into the request body")
    duplicate_of: Optional[str] = Field(default=None, description="for a record given twice (record.duplicate_id): "
                                        "JSON Pointer to its first occurrence")


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with kaohe's stable error code."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="page explaining this kind of problem: /problems/{code}")
    title: str
    status: int
    detail: str
    instance: str = Field(description="urn:uuid of this occurrence (the decision id)")
    code: str = Field(description="stable error code, e.g. record.invalid_field, ruleset.not_found")
    decision_id: str
    hint: Optional[str] = None
    errors: Optional[list[RecordProblem]] = None


class Period(BaseModel):
    from_: Optional[dt.date] = Field(alias="from", default=None)
    until: Optional[dt.date] = None
    model_config = ConfigDict(populate_by_name=True)


class RevisionSummary(BaseModel):
    revision: str
    version: str
    effective: Period
    in_force_today: bool


class RulesetSummary(BaseModel):
    id: str
    title: str
    jurisdiction: Optional[str] = None
    extends: Optional[str] = None
    revisions: list[RevisionSummary]


class RulesetList(BaseModel):
    rulesets: list[RulesetSummary]


class ParameterInfo(BaseModel):
    name: str
    title: Optional[str] = None
    value: Any = None
    type: Optional[str] = None
    unit: Optional[str] = None
    question: Optional[str] = Field(default=None, description="the open question of reading the policy")
    reading: Optional[str] = Field(default=None, description="the reading this ruleset chose")
    citation: Optional[dict] = None


class RuleInfo(BaseModel):
    id: str
    level: Literal["teacher", "school", "region"]
    title: str
    severity: Literal["required", "advisory"]
    require: Optional[str] = Field(default=None, description="the condition, in the ruleset language")
    applies_when: Optional[str] = None
    citation: Citation


class MeasureInfo(BaseModel):
    name: str
    level: Literal["teacher", "school", "region"]
    title: Optional[str] = None
    unit: Optional[str] = None
    type: str


class RulesetDetail(BaseModel):
    id: str
    version: str
    revision: str
    title: str
    jurisdiction: Optional[str] = None
    lineage: list[str] = Field(description="this ruleset, then the rulesets it extends")
    effective: Period
    sources: dict[str, dict]
    parameters: list[ParameterInfo]
    measures: list[MeasureInfo]
    rules: list[RuleInfo]
    revisions: list[RevisionSummary]


class Diagnostic(BaseModel):
    code: str
    severity: Literal["error", "warning"]
    message: str
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    path: Optional[str] = None
    hint: Optional[str] = None


class ValidationResult(BaseModel):
    valid: bool = Field(description="no errors (warnings allowed)")
    errors: list[Diagnostic]
    warnings: list[Diagnostic]


class ImpactRevision(_Open):
    id: str
    version: str
    revision: str
    title: dict[str, str] = Field(description="zh and en")


class ImpactTally(_Open):
    total: int
    passing_before: int
    passing_after: int
    pass_to_fail: int
    fail_to_pass: int


class ImpactSummary(_Open):
    teachers: ImpactTally
    schools: ImpactTally
    regions: ImpactTally


class ParameterChangeInfo(_Open):
    name: str
    change: Literal["added", "removed", "changed"]
    title: dict[str, str]
    unit: Optional[str] = None
    old: Any = Field(default=None, description="the baseline's value (null when added)")
    new: Any = Field(default=None, description="the changed revision's value (null when removed)")
    value_changed: bool
    fields: list[dict] = Field(description="other changed fields of the parameter (question, reading, title …)")


class RuleImpactInfo(_Open):
    rule_id: str
    level: Literal["teacher", "school", "region"]
    title: dict[str, str]
    severity: Literal["required", "advisory"]
    in_baseline: bool
    in_changed: bool
    pass_to_fail: int
    fail_to_pass: int
    other: int = Field(description="to or from not_applicable or needs_review, or the rule added or removed")
    records: list[str] = Field(description="ids of the records whose status on this rule changed")


class GroupImpactInfo(_Open):
    kind: Literal["county", "school"]
    id: Optional[str] = None
    name: Optional[str] = None
    county_id: Optional[str] = None
    teachers: ImpactTally
    schools: ImpactTally


class StatusChangeInfo(_Open):
    rule_id: str
    old: str = Field(description="pass, fail, needs_review, not_applicable, or absent (no such rule)")
    new: str


class RecordChangeInfo(_Open):
    level: Literal["teacher", "school", "region"]
    id: str
    name: Optional[str] = None
    school_id: Optional[str] = None
    school_name: Optional[str] = None
    county_id: Optional[str] = None
    old_verdict: str
    new_verdict: str
    direction: Optional[str] = Field(description="pass_to_fail, fail_to_pass (or another old_to_new); null when "
                                     "only a rule's status changed")
    rules_changed: list[StatusChangeInfo]


class Impact(_Open):
    """`kaohe.tools.simulate.Impact.to_dict()`: what `kaohe simulate --json` prints."""

    baseline: ImpactRevision
    changed: ImpactRevision
    as_of: dt.date
    parameters: list[ParameterChangeInfo] = Field(description="parameters whose value differs")
    summary: ImpactSummary
    by_rule: list[RuleImpactInfo] = Field(description="rules whose status changed for some record")
    by_county: list[GroupImpactInfo]
    by_school: list[GroupImpactInfo]
    teachers: list[RecordChangeInfo] = Field(description="teachers whose verdict changed first, then those with "
                                             "only a rule's status changed")
    schools: list[RecordChangeInfo]
    regions: list[RecordChangeInfo]


class SimulationResponse(_Open):
    decision_id: str
    ruleset: str
    as_of: dt.date
    baseline_revision: str = Field(description="the revision in force on as_of")
    changed_revision: str = Field(description="content hash of the changed revision")
    language: Literal["zh", "en"]
    warnings: list[Diagnostic] = Field(description="warnings about changed_ruleset, if sent")
    impact: Impact


class OpenQuestion(_Open):
    """One entry of `kaohe.tools.questions.QuestionRegister.to_dict()`."""

    ruleset: str
    version: str
    revision: str
    jurisdiction: dict[str, str]
    parameter: str
    title: dict[str, str]
    value: Any = Field(default=None, description="the value applied meanwhile")
    unit: Optional[str] = None
    question: dict[str, str] = Field(description="what the policy text leaves open (zh, en)")
    reading: Optional[dict[str, str]] = Field(default=None, description="the reading applied meanwhile")
    decided_by: dict[str, str] = Field(description="who is to decide")
    decided_by_default: bool = Field(description="true when the ruleset names no one and the jurisdiction's "
                                     "education department is assumed")
    asked_in: str = Field(description="the ruleset that raises the question (a parent, for an inherited parameter)")
    cite: Optional[dict] = None


class OpenQuestions(_Open):
    count: int
    questions: list[OpenQuestion]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    rulesets: list[str]
    problems: list[dict] = Field(default_factory=list, description="plugins or rulesets that did not load")
    reload: Optional[dict] = Field(default=None, description="the last reload: status (reloaded | failed), when, "
                                   "problems, the revisions serving")


class ProblemPage(BaseModel):
    code: str
    status: int
    title: dict[str, str]
    description: str
