"""The store on both backends: migrations, recording, lookup, filters and pages, policies, purge."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from kaohe.engine.records import Dataset, Teacher
from kaohe.store import DecisionStore, Recorder, bundle_of, open_database, registry_of
from kaohe.store.decisions import DecisionFilter, unpack, utc_now
from kaohe.store.recording import dataset_row, mask_id_cards, teacher_row

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2022, 12, 31)
ID_CARD = "44080219800101123X"


@pytest.fixture(scope="module")
def gd_data() -> dict:
    return json.loads((ROOT / "examples" / "guangdong" / "dataset.json").read_text(encoding="utf-8"))


@pytest.fixture()
def store(database_url):
    database = open_database(database_url)
    yield DecisionStore(database)
    database.close()


def _teacher_decision(guangdong, teacher: dict, caller="county-440802", at=None, as_of=AS_OF):
    body = orjson.dumps({"ruleset": "guangdong", "as_of": as_of.isoformat(), "teacher": teacher})
    result = guangdong.teacher(Teacher.model_validate(teacher), as_of)
    return teacher_row(str(uuid.uuid4()), guangdong.ruleset, as_of, body, result, caller, at), result


def test_migrations_bring_a_new_database_to_the_newest_schema_and_run_again_harmlessly(database_url):
    database = open_database(database_url)
    try:
        assert database.schema_revision() == database.head_revision() != ""
        assert database.upgrade() == database.head_revision()
        with database.engine.connect() as connection:
            tables = {"decisions", "decision_subjects", "policies", "policy_texts", "batch_runs"}
            for table in tables:
                assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    finally:
        database.close()


def test_a_teacher_decision_keeps_who_when_which_revision_and_every_rule(store, guangdong, gd_data):
    teacher = gd_data["schools"][0]["teachers"][0]
    row, result = _teacher_decision(guangdong, teacher)
    store.record([row])
    found = store.get(row.id)
    assert found["caller"] == "county-440802"
    assert found["ruleset"]["id"] == "guangdong" and found["ruleset"]["revision"] == guangdong.ruleset.revision
    assert found["as_of"] == "2022-12-31" and found["kind"] == "teacher"
    assert found["input"]["teacher"]["id"] == teacher["id"]
    (subject,) = found["result"]["subjects"]
    assert subject["verdict"] == result.verdict == found["verdict"]
    rules = {r["id"]: r for r in subject["rules"]}
    assert list(rules) == [r.id for r in result.rules]
    for rule, outcome in zip(result.rules, result.outcomes):
        assert rules[rule.id]["status"] == outcome.status
        assert rules[rule.id]["expected"] == outcome.expected  # the required value, in zh and en
        assert rules[rule.id]["actual"] == json.loads(orjson.dumps(outcome.actual))
    assert store.get(str(uuid.uuid4())) is None


def test_id_card_numbers_are_never_stored(store, guangdong, gd_data, database_url):
    teacher = dict(gd_data["schools"][0]["teachers"][0])
    teacher["name"] = f"张三 {ID_CARD}"
    teacher["artefacts"] = [{"kind": "提升计划", "file_name": f"{ID_CARD}.pdf"}]
    row, _ = _teacher_decision(guangdong, teacher)
    store.record([row])
    with store.engine.connect() as connection:
        everything = " ".join(unpack(v).decode() if isinstance(v, (bytes, memoryview)) else str(v)
                              for r in connection.execute(text("SELECT * FROM decisions")) for v in r)
    assert ID_CARD not in everything and ID_CARD[:17] not in everything
    assert "440802***********X" in everything
    assert mask_id_cards(b'"12344080219800101123X5"') == b'"12344080219800101123X5"'  # not inside longer codes


def test_filters_and_cursor_pages(store, guangdong, gd_data):
    evaluator = guangdong
    start = utc_now() - dt.timedelta(hours=10)
    rows = []
    school = gd_data["schools"][0]
    for n, teacher in enumerate(school["teachers"][:7]):
        row, _ = _teacher_decision(evaluator, teacher, caller=f"key-{n % 2}", at=start + dt.timedelta(hours=n))
        rows.append(row)
    dataset = Dataset.model_validate({"schools": [school]})
    evaluation = evaluator.dataset(dataset, AS_OF)
    whole = dataset_row(str(uuid.uuid4()), evaluation, orjson.dumps({"schools": [school]}), None,
                        start + dt.timedelta(hours=8))
    rows.append(whole)
    store.record(rows)

    # newest first, three at a time, nothing twice, nothing missed
    seen, cursor = [], None
    while True:
        page = store.list(DecisionFilter(), cursor, limit=3)
        seen += [item["id"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [r.id for r in reversed(rows)]

    first = school["teachers"][0]["id"]
    assert [i["id"] for i in store.list(DecisionFilter(teacher_id=first)).items] == [whole.id, rows[0].id]
    assert {i["id"] for i in store.list(DecisionFilter(school_id=school["id"])).items} == {r.id for r in rows}
    failing = {t.record.id for t in evaluation.schools[0].members if t.verdict == "fail"}
    by_verdict = {i["id"] for i in store.list(DecisionFilter(verdict="fail")).items}
    assert by_verdict == {r.id for r in rows[:7] if r.subjects[0][1] in failing} | (
        {whole.id} if whole.verdict == "fail" else set())
    window = store.list(DecisionFilter(since=start + dt.timedelta(hours=2), until=start + dt.timedelta(hours=4))).items
    assert [i["id"] for i in window] == [rows[3].id, rows[2].id]
    assert store.list(DecisionFilter(ruleset="national")).items == []
    assert len(store.list(DecisionFilter(ruleset="guangdong")).items) == 8


def test_a_policy_is_kept_once_by_content_and_rebuilds_to_the_same_revision(store, guangdong, loaded):
    bundle = bundle_of(guangdong.ruleset)
    assert [t.kind for t in bundle.texts].count("ruleset") == 2  # guangdong and the national ruleset it extends
    assert any(t.kind == "catalogue" for t in bundle.texts)
    assert store.save_policy(bundle) == store.save_policy(bundle) == bundle.sha256
    back = store.policy(bundle.sha256)
    assert back == bundle
    rebuilt = registry_of(back, loaded.registry.extensions)
    assert not rebuilt.problems
    assert rebuilt.get("guangdong", AS_OF).revision == guangdong.ruleset.revision
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM policies")).scalar_one() == 1


def test_purge_counts_what_it_deletes_and_keeps_the_rest(store, guangdong, gd_data):
    now = utc_now()
    old = [_teacher_decision(guangdong, t, at=now - dt.timedelta(days=400))[0] for t in gd_data["schools"][0]["teachers"][:3]]
    new = [_teacher_decision(guangdong, t, at=now)[0] for t in gd_data["schools"][0]["teachers"][3:5]]
    store.record(old + new)
    dry = store.purge(now - dt.timedelta(days=365), dry_run=True)
    assert (dry.decisions, dry.subjects) == (3, 3)
    assert store.count() == 5
    done = store.purge(now - dt.timedelta(days=365))
    assert (done.decisions, done.subjects, done.policies) == (3, 3, 0)  # the policy still decides the new ones
    assert store.count() == 2 and all(store.get(r.id) for r in new)
    done = store.purge(now + dt.timedelta(days=1))
    assert (done.decisions, done.policies) == (2, 1) and done.texts > 0


def test_the_recorder_writes_everything_queued_even_when_the_queue_is_small(store, guangdong, gd_data):
    recorder = Recorder(store, max_queue=2)
    rows = []
    teachers = [t for school in gd_data["schools"] for t in school["teachers"]][:20]
    assert len(teachers) == 20
    for teacher in teachers:
        row, _ = _teacher_decision(guangdong, teacher)
        rows.append(row)
        recorder.submit(lambda row=row: row)  # blocks while the queue is full: nothing is dropped
    recorder.close()
    assert recorder.written == 20 and recorder.failed == 0
    assert store.count() == 20
