"""`kaohe evaluate --record` and `kaohe decisions …` on both backends; a batch killed mid-run leaves
whole decisions only, and exactly as many as it acknowledged."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from kaohe.cli import main
from kaohe.store import DecisionStore, open_database
from kaohe.store.decisions import unpack

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2022-12-31"


def _schools(teachers: int, per_school: int) -> list[dict]:
    sys.path.insert(0, str(ROOT / "examples"))
    import generate_guangdong

    return list(generate_guangdong.iter_schools(teachers, per_school))


@pytest.fixture(scope="module")
def small_jsonl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "schools.jsonl"
    path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _schools(300, 20)), encoding="utf-8")
    return path


def test_a_recorded_batch_names_each_schools_decision_and_the_cli_finds_replays_and_exports_it(
        tmp_path, database_url, small_jsonl, capsys):
    out = tmp_path / "results.jsonl"
    code = main(["evaluate", "--ruleset", "guangdong", "--as-of", AS_OF, str(small_jsonl), "-o", str(out),
                 "--workers", "1", "--record", "--database", database_url, "--no-progress"])
    assert code == 0, capsys.readouterr().err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    store = DecisionStore(open_database(database_url))
    try:
        schools = len(small_jsonl.read_text(encoding="utf-8").splitlines())
        assert store.count() == len(lines) == schools
        batch_id = store.get(lines[0]["decision_id"])["batch_id"]
        assert store.batch_run(batch_id)["decisions"] == schools and store.batch_run(batch_id)["finished_at"] is not None
        for line in lines:
            decision = store.get(line["decision_id"])
            assert decision["verdict"] == line["verdict"]
            teachers = {s["id"]: s["verdict"] for s in decision["result"]["subjects"] if s["level"] == "teacher"}
            assert teachers == {t["id"]: t["verdict"] for t in line["teachers"]}
    finally:
        store.database.close()
    capsys.readouterr()

    chosen = lines[3]
    teacher_id = chosen["teachers"][0]["id"]
    assert main(["decisions", "list", "--teacher-id", teacher_id, "--format", "json", "--database", database_url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in listed["items"]] == [chosen["decision_id"]]

    assert main(["decisions", "replay", chosen["decision_id"], "--database", database_url]) == 0
    replay = json.loads(capsys.readouterr().out)
    assert replay["under_stored_revision"]["reproduced"] and not replay["under_current_revision"]["changed"]

    assert main(["decisions", "show", chosen["decision_id"], "--database", database_url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["input"]["id"] == chosen["id"] and shown["kind"] == "school"

    export = tmp_path / "appeal.csv"
    assert main(["decisions", "export", "--school-id", chosen["id"], "-o", str(export), "--database", database_url]) == 0
    rows = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8-sig"))))
    rules = sum(len(t["rules"]) for t in chosen["teachers"]) + len(chosen["rules"])
    assert len(rows) == rules and {r["decision_id"] for r in rows} == {chosen["decision_id"]}
    workbook = tmp_path / "appeal.xlsx"
    assert main(["decisions", "export", "--school-id", chosen["id"], "-o", str(workbook), "--database", database_url]) == 0
    from openpyxl import load_workbook

    assert load_workbook(workbook).active.max_row == rules + 1
    lines_out = tmp_path / "all.jsonl"
    assert main(["decisions", "export", "--batch-id", batch_id, "-o", str(lines_out), "--database", database_url]) == 0
    assert len(lines_out.read_text(encoding="utf-8").splitlines()) == len(lines)

    capsys.readouterr()
    assert main(["decisions", "purge", "--older-than", "30d", "--database", database_url]) == 0
    assert "deleted 0 decision(s)" in capsys.readouterr().out
    assert main(["decisions", "purge", "--older-than", "2999-01-01", "--dry-run", "--database", database_url]) == 0
    assert f"would delete {len(lines)} decision(s)" in capsys.readouterr().out
    assert main(["decisions", "purge", "--older-than", "soon", "--database", database_url]) == 2


def test_db_upgrade_creates_the_schema(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["db", "upgrade", "--database", url]) == 0
    assert "schema 0001" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database", "mysql://x@y/z"]) == 2
    assert "SQLite or PostgreSQL" in capsys.readouterr().err


def test_a_batch_killed_mid_run_leaves_whole_decisions_and_loses_none_it_acknowledged(tmp_path, database_url):
    data = tmp_path / "big.jsonl"
    data.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _schools(12_000, 40)), encoding="utf-8")
    env = {**os.environ, "KAOHE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "kaohe.cli", "evaluate", "--ruleset", "guangdong", "--as-of", AS_OF, str(data),
               "-o", str(tmp_path / "out.jsonl"), "--workers", "2", "--record", "--no-progress"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    database = open_database(database_url)
    try:
        deadline = time.time() + 120
        acknowledged = 0
        while time.time() < deadline and process.poll() is None:
            with database.engine.connect() as connection:
                acknowledged = connection.execute(text("SELECT coalesce(max(decisions), 0) FROM batch_runs")).scalar_one()
            if acknowledged > 0:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the batch finished before it could be stopped: " + process.stderr.read().decode()[-500:]
        assert acknowledged > 0
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        with database.engine.connect() as connection:
            run = connection.execute(text("SELECT id, decisions, finished_at FROM batch_runs")).one()
            stored = connection.execute(text("SELECT id, result FROM decisions WHERE batch_id = :b"), {"b": run.id}).all()
            subjects = dict(connection.execute(text(
                "SELECT decision_id, count(*) FROM decision_subjects GROUP BY decision_id")).all())
        assert run.finished_at is None  # it never finished
        assert 0 < len(stored) == run.decisions  # all it acknowledged, nothing it did not
        assert len(stored) < len(data.read_text(encoding="utf-8").splitlines())  # killed in the middle
        for decision_id, result in stored:  # whole decisions: every subject of each one is there
            assert subjects[decision_id] == len(json.loads(unpack(result))["subjects"])
        assert set(subjects) == {decision_id for decision_id, _ in stored}
    finally:
        if process.poll() is None:
            process.kill()
        database.close()
