"""Request bytes → validated records → verdicts → response bytes. No HTTP here: routes call these.

Bodies are parsed by pydantic straight from JSON (one pass, in Rust); only when they do not
validate is the body parsed again, to name the records that are wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from kaohe.engine import explain
from kaohe.engine.evaluation import Evaluator
from kaohe.engine.records import Dataset
from kaohe.engine.registry import Registry

from kaohe.engine.jsonio import dumps
from .metrics import ApiMetrics
from .problems import Problem, first_json_error, summarise, validation_errors
from .schemas import EvaluationRequest, TeacherEvaluationRequest


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
    as_of = request.as_of or today
    evaluator: Evaluator = registry.evaluator(request.ruleset, as_of)
    dataset = Dataset.model_construct(records_version=request.records_version, schools=request.schools,
                                      regions=request.regions)
    evaluation = evaluator.dataset(dataset, as_of)
    out = {"decision_id": decision_id}
    out.update(explain.evaluation_dict(evaluation, lang, request.detail))
    compiled = evaluator.ruleset
    metrics.evaluated(compiled.id, (t for s in evaluation.schools for t in s.members), "teacher")
    metrics.evaluated(compiled.id, evaluation.schools, "school")
    metrics.evaluated(compiled.id, evaluation.regions, "region")
    return Decided(dumps(out), compiled.id, compiled.revision, ("dataset", evaluation))


def evaluate_teacher(body: bytes, registry: Registry, today: dt.date, lang: str, decision_id: str,
                     metrics: ApiMetrics) -> Decided:
    request = parse_request(TeacherEvaluationRequest, body, record_roots={"teacher": "teacher"})
    as_of = request.as_of or today
    evaluator: Evaluator = registry.evaluator(request.ruleset, as_of)
    result = evaluator.teacher(request.teacher, as_of)
    compiled = evaluator.ruleset
    out = {
        "decision_id": decision_id,
        "result_version": explain.RESULT_VERSION,
        "ruleset": explain.ruleset_header(compiled, lang),
        "as_of": as_of.isoformat(),
        "language": lang,
        "teacher": explain.teacher_dict(result, lang, request.detail),
    }
    metrics.evaluated(compiled.id, (result,), "teacher")
    return Decided(dumps(out), compiled.id, compiled.revision, ("teacher", compiled, as_of, result))
