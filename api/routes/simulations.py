"""POST /v1/simulations: who would change verdict if the ruleset changed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from ..deps import (ApiKeyDep, DecisionIdDep, LanguageDep, RegistryDep, SettingsDep, SimulationBodyDep, TodayDep,
                   WorkerDep, content_language)
from ..schemas import SIMULATION_EXAMPLES, ProblemDetails, SimulationRequest, SimulationResponse

router = APIRouter(prefix="/v1/simulations", tags=["simulations 影响分析"])

_PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}
ERRORS = {400: {**_PROBLEM, "description": "body is not valid JSON"},
          401: {**_PROBLEM, "description": "no API key, or an unknown one"},
          404: {**_PROBLEM, "description": "unknown ruleset (ruleset.not_found)"},
          413: {**_PROBLEM, "description": "body or changed_ruleset too large"},
          415: {**_PROBLEM, "description": "not JSON"},
          422: {**_PROBLEM, "description": "records or request fields do not validate (record.invalid_field, "
                "request.invalid); a parameter unknown or of another type (simulate.unknown_parameter, "
                "simulate.invalid_value, with `parameter` and `hint`); changed_ruleset with errors "
                "(simulate.invalid_ruleset, with `diagnostics`: line and column of each); nothing to compare "
                "(simulate.nothing_changed); no revision in force on as_of (ruleset.not_in_force); too slow "
                "(simulate.timeout)"},
          503: {**_PROBLEM, "description": "too many simulations and ruleset checks waiting (service.busy)"}}
_DOC = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": f"#/components/schemas/{SimulationRequest.__name__}"}, "examples": SIMULATION_EXAMPLES}}}}


@router.post("", summary="模拟政策变更的影响 Who would change verdict if the ruleset changed",
             response_model=SimulationResponse,
             responses={**ERRORS, 200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                        "description": "the impact; with format=text, the report `kaohe simulate` prints"}},
             openapi_extra=_DOC)
async def simulate(body: SimulationBodyDep, worker: WorkerDep, settings: SettingsDep, _registry: RegistryDep,
                   lang: LanguageDep, today: TodayDep, decision_id: DecisionIdDep, _key: ApiKeyDep,
                   report_format: Annotated[Literal["json", "text"], Query(alias="format", description="json: the impact as data; "
                                                                    "text: the readable report")] = "json") -> Response:
    """The records are evaluated under the revision in force on `as_of` and under the changed one
    (`set` values, a `changed_ruleset`, or both), and compared: teachers, schools and regions whose
    verdict changes in each direction, broken down by rule, county and school, with the teachers
    affected. The same as `kaohe simulate`. Rule and parameter titles come in both languages;
    `Accept-Language: en` words the text report and the problems in English (default zh-CN).
    The changed revision is compiled in a separate process; nothing sent is executed."""
    answer = await worker.simulate(body, today, lang, decision_id, report_format == "text", settings.max_ruleset_bytes)
    return Response(answer.body, media_type=answer.media_type, headers={
        "Kaohe-Decision-Id": decision_id, "Kaohe-Ruleset": answer.ruleset_id,
        "Kaohe-Ruleset-Revision": answer.baseline_revision, **answer.headers,
        "Content-Language": content_language(lang), "Vary": "Accept-Language"})
