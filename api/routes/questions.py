"""GET /v1/questions: the open-questions register."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Query
from starlette.responses import Response

from kaohe.tools import questions

from ..deps import ApiKeyDep, LanguageDep, RegistryDep, content_language
from kaohe.engine.jsonio import dumps
from ..schemas import OpenQuestions, ProblemDetails

router = APIRouter(prefix="/v1/questions", tags=["rulesets 规则集"])

_PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}


@router.get("", summary="待决问题登记 The open questions of reading the policies", response_model=OpenQuestions,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "the register; with format=text, as `kaohe questions` prints it"},
                       401: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM})
async def list_questions(
        registry: RegistryDep, lang: LanguageDep, _key: ApiKeyDep,
        ruleset: Annotated[Optional[str], Query(max_length=64, description="one ruleset id (default: every loaded "
                                                                           "ruleset)")] = None,
        report_format: Annotated[Literal["json", "text"], Query(alias="format", description="json: the register as data; "
                                                         "text: the readable register")] = "json") -> Response:
    """Every parameter whose reading a ruleset had to choose, for each loaded revision: the value
    applied, the question the policy text leaves open, the reading applied meanwhile, and who is
    to decide (the jurisdiction's education department when the ruleset names no one). Texts come
    in both languages; with `format=text`, `Accept-Language` chooses one (default zh-CN)."""
    found = questions.register(registry, ruleset or None)  # an unknown id: ruleset.not_found
    headers = {"Content-Language": content_language(lang), "Vary": "Accept-Language"}
    if report_format == "text":
        return Response(found.text(lang), media_type="text/plain; charset=utf-8", headers=headers)
    return Response(dumps(found.to_dict()), media_type="application/json", headers=headers)
