"""Property: every record the published schema accepts evaluates under every shipped ruleset, and its
answer is written, without an internal error. Records are drawn at the schema's edges (zero and the
largest hours, the first and last dates of the window, empty and long lists) and with the words the
rulesets themselves match on, so that rules fire rather than all being not applicable."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kaohe.engine import Evaluator, Region, School, dumps, explain, yamlsafe
from kaohe.engine.records import EARLIEST_DATE, LATEST_DATE, MAX_COUNT, MAX_HOURS, MAX_SCORE, MAX_SIZE_KB

ROOT = Path(__file__).resolve().parents[2]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _words() -> list[str]:
    """Short Chinese strings of the shipped rulesets: the categories, kinds and results they match."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, str) and _CJK.search(value) and len(value) <= 14 and "\n" not in value:
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((ROOT / "rulesets").rglob("*.yaml")):
        walk(yamlsafe.load(path.read_text(encoding="utf-8"), str(path))[0])
    return sorted(found)


def _points() -> list[str]:
    points: set[str] = set()
    for path in sorted((ROOT / "rulesets" / "catalogues").glob("*.yaml")):
        points.update(re.findall(r"\b[A-Z]{2,3}:[A-Z]\d+\b", path.read_text(encoding="utf-8")))
    return sorted(points) or ["GD:B1"]


WORDS = _words()
POINTS = _points()
word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12).filter(str.strip))
point = st.one_of(st.sampled_from(POINTS), word)
day = st.one_of(st.sampled_from([EARLIEST_DATE, LATEST_DATE, dt.date(2022, 12, 31)]),
                st.dates(EARLIEST_DATE, LATEST_DATE)).map(dt.date.isoformat)
hours = st.one_of(st.sampled_from([0, 0.5, 1, 25, MAX_HOURS]), st.floats(0, MAX_HOURS, allow_nan=False),
                  st.integers(0, MAX_HOURS))

hour_entry = st.fixed_dictionaries({"category": word, "kind": word, "hours": hours, "date": day},
                                   optional={"title": st.text(max_size=20)})
artefact = st.fixed_dictionaries({"kind": word}, optional={
    "file_name": st.text(max_size=20), "format": st.sampled_from(["pdf", "docx", "mp4", "PDF", ""]),
    "size_kb": st.one_of(st.just(MAX_SIZE_KB), st.floats(0, MAX_SIZE_KB, allow_nan=False)), "point": point,
    "uploaded_on": day})
assessment = st.fixed_dictionaries({"kind": word, "result": word}, optional={"point": point, "date": day})


def teacher(school_id: str):
    return st.fixed_dictionaries({"id": st.from_regex(r"T-[0-9]{1,4}", fullmatch=True), "school_id": st.just(school_id)},
                                 optional={"ability_points": st.lists(point, max_size=5),
                                           "hours": st.lists(hour_entry, max_size=8),
                                           "artefacts": st.lists(artefact, max_size=6),
                                           "assessments": st.lists(assessment, max_size=5),
                                           "full_time": st.booleans(), "stage": word, "subject": word,
                                           "status": word, "research_group": word})


school = st.fixed_dictionaries({"id": st.just("S-1"), "county_id": st.just("C-1")}, optional={
    "is_pilot": st.booleans(), "environment": word,
    "management_team": st.lists(st.fixed_dictionaries({"name": word, "role": word},
                                                      optional={"is_principal": st.booleans(), "is_leader": st.booleans()}),
                                max_size=4),
    "documents": st.lists(st.fixed_dictionaries({"kind": word}, optional={"filed_on": day}), max_size=4),
    "research_groups": st.lists(st.fixed_dictionaries({"name": word}, optional={
        "members": st.lists(st.from_regex(r"T-[0-9]{1,4}", fullmatch=True), max_size=4),
        "materials": st.lists(word, max_size=3)}), max_size=3),
    "evidence": st.lists(word, max_size=4), "self_score": st.floats(0, MAX_SCORE, allow_nan=False),
    "counts": st.dictionaries(word, st.integers(0, MAX_COUNT), max_size=3),
    "teachers": st.lists(teacher("S-1"), max_size=6)})
region = st.fixed_dictionaries({"id": st.just("C-1"), "level": st.just("county")}, optional={
    "documents": st.lists(st.fixed_dictionaries({"kind": word}, optional={"filed_on": day}), max_size=4),
    "counts": st.dictionaries(word, st.integers(0, MAX_COUNT), max_size=3)})


@pytest.fixture(scope="module")
def evaluators(registry):
    """Every revision of every shipped ruleset."""
    return [Evaluator(compiled) for rid in registry.ids() for compiled in registry.revisions(rid)]


@settings(max_examples=100, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(school_data=school, region_data=region, as_of=day, lang=st.sampled_from(["zh", "en"]))
def test_every_record_the_schema_accepts_evaluates_under_every_ruleset(evaluators, school_data, region_data, as_of, lang):
    try:
        record = School.model_validate_json(orjson.dumps(school_data))
        county = Region.model_validate_json(orjson.dumps(region_data))
    except ValidationError as exc:  # the strategy keeps to the schema: a refusal here is a finding too
        raise AssertionError(f"the schema refused a record drawn inside it: {exc}") from None
    day_ = dt.date.fromisoformat(as_of)
    for evaluator in evaluators:
        result = evaluator.school(record, day_)
        assert result.verdict in ("pass", "fail", "needs_review")
        assert len(result.members) == len(record.teachers)
        region_result = evaluator.region(county, [result], day_)
        for detail in ("full", "compact"):
            orjson.loads(dumps(explain.school_dict(result, lang, detail)))
            orjson.loads(dumps(explain.region_dict(region_result, lang, detail)))
