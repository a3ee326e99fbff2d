"""Decisions over HTTP on both backends: recorded with every answer, looked up, listed, replayed;
scopes; and the appeal walk-through: evaluate, change the ruleset on disk, reload, replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaohe.api.app import create_app
from kaohe.api.keys import hash_key
from kaohe.api.settings import Settings
from kaohe.store.decisions import unpack

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2022-12-31"
COUNTY = """\
kaohe: 1
id: appeal-county
extends: guangdong
version: "2023.1"
title: {{zh: 示例县考核, en: Example county assessment}}
jurisdiction: {{code: "440899", level: county, name: {{zh: 示例县, en: Example county}}}}
effective: {{from: "2022-04-14"}}
parameters:
  school_based_hours_required:
    value: {hours}
"""


@pytest.fixture(scope="module")
def gd_data() -> dict:
    return json.loads((ROOT / "examples" / "guangdong" / "dataset.json").read_text(encoding="utf-8"))


def _client(settings: Settings):
    return TestClient(create_app(settings))


def _flush(client) -> None:
    client.app.state.decisions.recorder.flush()


@pytest.mark.parametrize("path", ["/v1/evaluations/teacher"])
def test_every_answer_is_recorded_and_can_be_looked_up(database_url, gd_data, path):
    teacher = gd_data["schools"][0]["teachers"][0]
    with _client(Settings(allow_anonymous=True, database_url=database_url, record=True)) as client:
        answer = client.post(path, json={"ruleset": "guangdong", "as_of": AS_OF, "teacher": teacher})
        assert answer.status_code == 200
        school = client.post("/v1/evaluations", json={"ruleset": "guangdong", "as_of": AS_OF,
                                                       "schools": [gd_data["schools"][0]], "detail": "compact"})
        _flush(client)
        decision_id = answer.json()["decision_id"]
        found = client.get(f"/v1/decisions/{decision_id}")
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["ruleset"]["revision"] == answer.headers["kaohe-ruleset-revision"]
        assert body["verdict"] == answer.json()["teacher"]["verdict"]
        stored = {r["id"]: r["status"] for r in body["result"]["subjects"][0]["rules"]}
        assert stored == {r["id"]: r["status"] for r in answer.json()["teacher"]["rules"]}
        # the teacher's decisions: the single one and the school's
        listed = client.get("/v1/decisions", params={"teacher_id": teacher["id"]}).json()
        assert {i["id"] for i in listed["items"]} == {decision_id, school.json()["decision_id"]}
        # the explanation, rendered again in English from what was stored
        english = client.get(f"/v1/decisions/{decision_id}?explain=true", headers={"Accept-Language": "en"}).json()
        assert english["explanation"]["teacher"]["rules"] == client.post(
            path, json={"ruleset": "guangdong", "as_of": AS_OF, "teacher": teacher},
            headers={"Accept-Language": "en"}).json()["teacher"]["rules"]
        assert client.get("/v1/decisions/00000000-0000-0000-0000-000000000000").json()["code"] == "decision.not_found"
        assert client.get("/v1/decisions", params={"cursor": "!!"}).status_code == 422


def test_scopes_keep_decisions_and_reloading_to_the_keys_allowed(tmp_path, database_url):
    keys = tmp_path / "keys"
    keys.write_text(f"{hash_key('k-eval')} counter\n{hash_key('k-read')} appeals scopes=evaluate,decisions:read\n"
                    f"{hash_key('k-admin')} operator scopes=admin\n", encoding="utf-8")
    settings = Settings(database_url=database_url, record=True).with_keys_file(keys)
    with _client(settings) as client:
        def get(key):
            return client.get("/v1/decisions", headers={"Authorization": f"Bearer {key}"})
        assert get("k-eval").status_code == 403 and get("k-eval").json()["code"] == "auth.forbidden"
        assert get("k-read").status_code == 200
        assert get("k-admin").status_code == 200
        assert get("nope").status_code == 401
        reload = lambda key: client.post("/v1/rulesets/reload", headers={"X-API-Key": key})  # noqa: E731
        assert reload("k-read").status_code == 403
        assert reload("k-admin").status_code == 200
        teacher = {"id": "T1", "school_id": "S1"}
        answer = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "teacher": teacher},
                             headers={"X-API-Key": "k-eval"})
        assert answer.status_code == 200
        _flush(client)
        found = client.get(f"/v1/decisions/{answer.json()['decision_id']}", headers={"X-API-Key": "k-read"}).json()
        assert found["caller"] == "counter"


def test_appeal_walk_through(tmp_path, database_url, gd_data):
    """A teacher appeals a verdict after the county changed its policy: the officer finds the old
    decision, replays it on exactly the revision that made it, and sees what today's revision says."""
    folder = tmp_path / "rulesets"
    folder.mkdir()
    county = folder / "county.yaml"
    county.write_text(COUNTY.format(hours=20), encoding="utf-8")
    settings = Settings(allow_anonymous=True, database_url=database_url, record=True, ruleset_paths=(str(folder),))
    with _client(settings) as client:
        # a teacher who passes the 20-hour rule under the first revision
        def evaluate(teacher):
            return client.post("/v1/evaluations/teacher", json={"ruleset": "appeal-county", "as_of": AS_OF, "teacher": teacher})
        chosen = None
        for school in gd_data["schools"]:
            for teacher in school["teachers"]:
                rules = {r["id"]: r for r in evaluate(teacher).json()["teacher"]["rules"]}
                rule = rules.get("gd.teacher.school-based-hours")
                if rule and rule["status"] == "pass" and isinstance(rule["actual"], (int, float)):
                    chosen, hours = teacher, rule["actual"]
                    break
            if chosen:
                break
        assert chosen is not None
        first = evaluate(chosen)
        old_revision = first.headers["kaohe-ruleset-revision"]
        decision_id = first.json()["decision_id"]

        # the county raises the bar above this teacher's hours, on disk; then reloads
        county.write_text(COUNTY.format(hours=int(hours) + 5), encoding="utf-8")
        reloaded = client.post("/v1/rulesets/reload")
        assert reloaded.status_code == 200 and "appeal-county" in reloaded.json()["changed"]
        second = evaluate(chosen)
        assert second.headers["kaohe-ruleset-revision"] != old_revision
        assert {r["id"]: r["status"] for r in second.json()["teacher"]["rules"]}["gd.teacher.school-based-hours"] == "fail"

        # the appeal: look the old decision up, replay it
        _flush(client)
        old = client.get(f"/v1/decisions/{decision_id}").json()
        assert old["ruleset"]["revision"] == old_revision
        replay = client.post(f"/v1/decisions/{decision_id}/replay")
        assert replay.status_code == 200, replay.text
        outcome = replay.json()
        assert outcome["under_stored_revision"] == {"revision": old_revision, "reproduced": True, "mismatches": []}
        today = outcome["under_current_revision"]
        assert today["revision"] == second.headers["kaohe-ruleset-revision"] and today["changed"]
        (change,) = today["changes"]
        assert change["id"] == chosen["id"] and change["verdict"]["before"] == first.json()["teacher"]["verdict"]
        (rule,) = change["rules"]
        assert rule["id"] == "gd.teacher.school-based-hours"
        assert (rule["before"]["status"], rule["after"]["status"]) == ("pass", "fail")
        assert rule["before"]["expected"]["en"] != rule["after"]["expected"]["en"]

        # a broken revision on disk: the reload is refused, the last good one keeps serving
        county.write_text("kaohe: 1\nid: appeal-county\nrules: [\n", encoding="utf-8")
        refused = client.post("/v1/rulesets/reload")
        assert refused.status_code == 422 and refused.json()["code"] == "ruleset.reload_failed"
        ready = client.get("/readyz").json()
        assert ready["reload"]["status"] == "failed" and ready["reload"]["problems"]
        assert evaluate(chosen).headers["kaohe-ruleset-revision"] == second.headers["kaohe-ruleset-revision"]


def test_a_tampered_record_is_reported_loudly_on_replay(database_url, gd_data):
    from sqlalchemy import text

    teacher = gd_data["schools"][0]["teachers"][1]
    with _client(Settings(allow_anonymous=True, database_url=database_url, record=True)) as client:
        decision_id = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF,
                                                                    "teacher": teacher}).json()["decision_id"]
        _flush(client)
        engine = client.app.state.decisions.store.engine
        with engine.begin() as connection:
            result = json.loads(unpack(connection.execute(text("SELECT result FROM decisions WHERE id = :i"),
                                                          {"i": decision_id}).scalar_one()))
            rule = result["subjects"][0]["rules"][0]
            rule[1] = "fail" if rule[1] != "fail" else "pass"
            connection.execute(text("UPDATE decisions SET result = :r WHERE id = :i"),
                               {"r": json.dumps(result).encode(), "i": decision_id})
        replay = client.post(f"/v1/decisions/{decision_id}/replay")
        assert replay.status_code == 409 and replay.headers["kaohe-replay"] == "mismatch"
        assert replay.json()["code"] == "decision.replay_mismatch"
        (mismatch,) = replay.json()["replay"]["under_stored_revision"]["mismatches"]
        assert mismatch["rules"][0]["id"] == rule[0]


def test_without_a_store_decisions_say_so(gd_data):
    with _client(Settings(allow_anonymous=True, record=False)) as client:
        assert client.get("/v1/decisions").json()["code"] == "store.disabled"


def test_a_running_server_reloads_on_sighup_and_flushes_its_decisions_on_shutdown(tmp_path, gd_data):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from kaohe.store import DecisionStore, open_database

    folder = tmp_path / "rulesets"
    folder.mkdir()
    county = folder / "county.yaml"
    county.write_text(COUNTY.format(hours=20), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"sqlite:///{tmp_path / 'served.db'}"
    env = {**os.environ, "KAOHE_DATABASE_URL": url, "KAOHE_RULESETS": str(folder), "KAOHE_RECORD": "1",
           "KAOHE_API_NO_AUTH": "1"}
    server = subprocess.Popen([sys.executable, "-m", "kaohe.api.server", "--port", str(port), "--log-level", "warning"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        body = {"ruleset": "appeal-county", "as_of": AS_OF, "teacher": gd_data["schools"][0]["teachers"][0]}
        first = httpx.post(f"{base}/v1/evaluations/teacher", json=body)
        assert first.status_code == 200
        county.write_text(COUNTY.format(hours=40), encoding="utf-8")
        server.send_signal(signal.SIGHUP)
        deadline = time.time() + 60
        while time.time() < deadline and (httpx.get(f"{base}/readyz").json().get("reload") or {}).get("status") != "reloaded":
            time.sleep(0.2)
        second = httpx.post(f"{base}/v1/evaluations/teacher", json=body)
        assert second.headers["kaohe-ruleset-revision"] != first.headers["kaohe-ruleset-revision"]
        ids = [first.json()["decision_id"], second.json()["decision_id"]]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    store = DecisionStore(open_database(url))
    try:  # written before the server exited, each under the revision that made it
        assert [store.get(i)["ruleset"]["revision"] for i in ids] == [first.headers["kaohe-ruleset-revision"],
                                                                       second.headers["kaohe-ruleset-revision"]]
    finally:
        store.database.close()
