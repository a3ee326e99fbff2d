"""Request bytes → validated records → verdicts → response bytes. No HTTP here: routes call these.

Bodies are parsed by pydantic straight from JSON (one pass, in Rust); only when they do not
validate is the body parsed again, to name the records that are wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import orjson
from pydantic import ValidationError

from kaohe.engine import explain
from kaohe.engine.evaluation import Evaluator, SchoolResult, schools_in
from kaohe.engine.records import School
from kaohe.engine.registry import Registry

from kaohe.engine.jsonio import dumps
from .metrics import ApiMetrics
from .problems import Problem, check_identity, first_json_error, summarise, validation_errors
from .schemas import EvaluationRequest, TeacherEvaluationRequest

log = logging.getLogger("kaohe.api")
NOT_EVALUABLE = "the record could not be evaluated; it has been logged under the decision id"


@dataclass(frozen=True)
class Decided:
    body: bytes
    ruleset_id: str
    revision: str
    # what the decision store needs: ("teacher", compiled, as_of, result) or ("dataset", evaluation)
    evaluated: tuple | None = None


def parse_request(model, body: bytes, record_roots: dict[str, str] | None = None):
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        malformed = first_json_error(exc)
        if malformed is not None:
            raise Problem("request.malformed_json", f"the body is not valid JSON: {malformed}") from None
        try:
            data: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        errors = validation_errors(exc, data, record_roots=record_roots)
        code = "record.invalid_field" if any(e["record"] is not None for e in errors) else "request.invalid"
        raise Problem(code, summarise(errors), errors=errors) from None


def evaluate_dataset(body: bytes, registry: Registry, today: dt.date, lang: str, decision_id: str,
                     metrics: ApiMetrics) -> Decided:
    request = parse_request(EvaluationRequest, body)
    check_identity(request.schools, lang)
    as_of = request.as_of or today
    evaluator: Evaluator = registry.evaluator(request.ruleset, as_of)
    compiled = evaluator.ruleset
    schools, regions, errors = evaluate_isolated(evaluator, request, as_of, lang, request.detail, decision_id)
    teachers = [t for s, _ in schools for t in s.members]
    out = {"decision_id": decision_id, "result_version": explain.RESULT_VERSION,
           "ruleset": explain.ruleset_header(compiled, lang), "as_of": as_of.isoformat(), "language": lang,
           "summary": explain.evaluation_summary([s for s, _ in schools], [r for r, _ in regions]),
           "schools": [entry for _, entry in schools], "regions": [entry for _, entry in regions]}
    if errors:
        out["errors"] = errors
    metrics.evaluated(compiled.id, teachers, "teacher")
    metrics.evaluated(compiled.id, [s for s, _ in schools], "school")
    metrics.evaluated(compiled.id, [r for r, _ in regions], "region")
    evaluated = SimpleNamespace(ruleset=compiled, as_of=as_of, schools=[s for s, _ in schools],
                                regions=[r for r, _ in regions])  # what the decision store reads of an evaluation
    return Decided(dumps(out), compiled.id, compiled.revision, ("dataset", evaluated))


def evaluate_isolated(evaluator: Evaluator, request, as_of: dt.date, lang: str, detail: str, decision_id: str):
    """Each school evaluated (and rendered) on its own: one that cannot be evaluated is named in
    `errors` (a per-record problem, the failing teacher where one can be found) and the rest go on.
    A region is withheld, and named, when one of its schools could not be evaluated."""
    schools: list[tuple[SchoolResult, dict]] = []
    errors: list[dict] = []
    failed: list[School] = []
    for index, school in enumerate(request.schools):
        try:
            result = evaluator.school(school, as_of)
            schools.append((result, explain.school_dict(result, lang, detail)))
        except Exception:
            log.exception("school %s could not be evaluated (decision %s)", school.id, decision_id)
            failed.append(school)
            errors.append(_culprit(evaluator, school, index, as_of, lang, detail))
    regions = []
    for index, region in enumerate(request.regions):
        label = f"regions[{index}]"
        problem = {"record": label, "record_type": "region", "record_index": index, "record_id": region.id,
                   "field": None, "pointer": f"/regions/{index}"}
        if failed and any(True for _ in schools_in(region, (SimpleNamespace(record=s) for s in failed))):
            errors.append({**problem, "problem": "the region's verdict is withheld: one of its schools could not "
                           "be evaluated"})
            continue
        try:
            result = evaluator.region(region, list(schools_in(region, (s for s, _ in schools))), as_of)
            regions.append((result, explain.region_dict(result, lang, detail)))
        except Exception:
            log.exception("region %s could not be evaluated (decision %s)", region.id, decision_id)
            errors.append({**problem, "problem": NOT_EVALUABLE})
    return schools, regions, errors


def _culprit(evaluator: Evaluator, school: School, index: int, as_of: dt.date, lang: str, detail: str) -> dict:
    """The per-record problem of a school that could not be evaluated: its first teacher that cannot
    be evaluated on their own, else the school itself."""
    for position, teacher in enumerate(school.teachers):
        try:
            explain.teacher_dict(evaluator.teacher(teacher, as_of, school), lang, detail)
        except Exception:
            return {"record": f"schools[{index}].teachers[{position}]", "record_type": "teacher",
                    "record_index": position, "record_id": teacher.id, "field": None,
                    "problem": NOT_EVALUABLE + "; the rest of its school was not evaluated either",
                    "pointer": f"/schools/{index}/teachers/{position}"}
    return {"record": f"schools[{index}]", "record_type": "school", "record_index": index, "record_id": school.id,
            "field": None, "problem": NOT_EVALUABLE, "pointer": f"/schools/{index}"}


def evaluate_teacher(body: bytes, registry: Registry, today: dt.date, lang: str, decision_id: str,
                     metrics: ApiMetrics) -> Decided:
    request = parse_request(TeacherEvaluationRequest, body, record_roots={"teacher": "teacher"})
    as_of = request.as_of or today
    evaluator: Evaluator = registry.evaluator(request.ruleset, as_of)
    try:
        result = evaluator.teacher(request.teacher, as_of)
        entry = explain.teacher_dict(result, lang, request.detail)
    except Exception:
        log.exception("teacher %s could not be evaluated (decision %s)", request.teacher.id, decision_id)
        errors = [{"record": "teacher", "record_type": "teacher", "record_index": 0, "record_id": request.teacher.id,
                   "field": None, "problem": NOT_EVALUABLE, "pointer": "/teacher"}]
        raise Problem("record.not_evaluable", summarise(errors), errors=errors) from None
    compiled = evaluator.ruleset
    out = {
        "decision_id": decision_id,
        "result_version": explain.RESULT_VERSION,
        "ruleset": explain.ruleset_header(compiled, lang),
        "as_of": as_of.isoformat(),
        "language": lang,
        "teacher": entry,
    }
    metrics.evaluated(compiled.id, (result,), "teacher")
    return Decided(dumps(out), compiled.id, compiled.revision, ("teacher", compiled, as_of, result))
