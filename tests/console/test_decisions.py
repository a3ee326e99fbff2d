"""The decisions page against a live `kaohe serve` that records decisions (kaohe.store, SQLite):
a decision made through the API is found by its id and by its teacher, its explanation is shown
as it was given, and replaying it reproduces it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("kaohe.store", reason="the decision store (kaohe.store) is not part of this tree")

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "examples" / "guangdong" / "dataset.json"
AS_OF = "2022-12-31"


@pytest.fixture(scope="module")
def recorded(served):
    """A failing Guangdong teacher evaluated through the API: (decision id, the API's answer)."""
    url, key = served
    teachers = [t for s in json.loads(DATASET.read_text(encoding="utf-8"))["schools"] for t in s["teachers"]]
    with httpx.Client(base_url=url, timeout=60, headers={"X-API-Key": key}) as client:
        for teacher in teachers:
            answer = client.post("/v1/evaluations/teacher", json={"ruleset": "guangdong", "as_of": AS_OF, "teacher": teacher})
            assert answer.status_code == 200, answer.text[:500]
            if answer.json()["teacher"]["verdict"] == "fail":
                break
        else:
            pytest.fail("the Guangdong example has no failing teacher")
        decision_id = answer.headers["kaohe-decision-id"]
        deadline = time.time() + 30
        while (found := client.get(f"/v1/decisions/{decision_id}")).status_code != 200:  # written off the request path
            assert time.time() < deadline, f"the decision was not recorded: {found.status_code} {found.text[:300]}"
            time.sleep(0.2)
    return decision_id, answer.json()


def test_a_decision_is_found_explained_as_given_and_replayed(signed_in, served, recorded, screenshot):
    url, _ = served
    decision_id, answer = recorded
    page = signed_in
    page.get_by_role("link", name="决定记录").first.click()
    page.get_by_label("决定编号").fill(decision_id)
    page.get_by_label("决定编号").press("Enter")
    page.locator("h2", has_text=decision_id).wait_for()
    teacher = answer["teacher"]
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == teacher["verdict"]
    for rule in teacher["rules"]:
        row = page.locator(f"tr[data-rule='{rule['id']}']").first
        assert rule["explanation"] in row.inner_text()
    page.get_by_role("button", name="重放").click()
    page.locator("#replay").wait_for()
    assert page.locator("[data-reproduced]").get_attribute("data-reproduced") == "true"
    screenshot(page, "decision")
    page.goto(url + "/console/decisions")
    page.get_by_label("教师标识").fill(teacher["id"])
    page.get_by_label("教师标识").press("Enter")
    listed = page.locator("#decision-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.decision)")
    assert decision_id in listed


def test_a_key_that_may_not_read_decisions_is_refused(served, console_keys, recorded):
    url, _ = served
    decision_id, _ = recorded
    with httpx.Client(base_url=url, timeout=30, cookies={"kaohe_console_key": console_keys["evaluator"]}) as client:
        assert client.get("/console/try").status_code == 200  # it may evaluate
        refused = client.get(f"/console/decisions?id={decision_id}&lang=zh")
    assert refused.status_code == 403 and "decisions:read" in refused.text
    assert f"<code>{decision_id}</code>" not in refused.text  # nothing of the record is shown
