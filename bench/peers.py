"""The peers kaohe is measured against, each deciding Guangdong's teacher rules on the same records.

- zen-engine (GoRules, 2.x): the policy as a JDM decision graph, ``bench/guangdong_zen.json``
  (one expression node computing what the rules compare and the failed rules; the input is the
  validated record as JSON). The graph assumes a teacher lists each ability point once, as the
  workloads do: ZEN has no distinct().
- durable_rules called directly: one ruleset holding every teacher rule, deciding on values
  computed beforehand by the hand-written reference's ``measures`` (not timed), one session and
  one fact per teacher.

Both return (verdict, failed rule ids) like the reference, so the bench can insist they agree.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ZEN_GRAPH = HERE / "guangdong_zen.json"


def zen_contender():
    import zen

    decision = zen.ZenEngine().create_decision(zen.ZenDecisionContent(ZEN_GRAPH.read_text(encoding="utf-8")))

    def evaluate(teacher_json: dict):
        result = decision.evaluate(teacher_json)["result"]
        return result["verdict"], result["failed"]
    return evaluate


# durable_rules: every rule that fails asserts its id; `seen` matches every fact (a ruleset whose
# first fact matches nothing crashes durable_rules 2.0.28 on delete_state; see engine/durable_backend.py)
def _conditions(params: dict) -> dict:
    return {
        # hours short, and no entry of an unknown kind to send it to review instead
        "gd.teacher.school-based-hours": {"$and": [{"$lt": {"hours": params["school_based_hours_required"]}}, {"unknown": 0}]},
        "gd.teacher.improvement-plan": {"$lt": {"plans": 1}},
        "gd.teacher.ability-points": {"$lt": {"points": params["min_ability_points"]}},
        "gd.teacher.point-summaries": {"$gt": {"missing": 0}},
        "gd.teacher.summary-files": {"$gt": {"bad_files": 0}},
        # not qualified, unless the rest is pending (待考核: not failed)
        "gd.teacher.point-assessment": {"$or": [{"$gt": {"not_qualified": 0}},
                                                {"$and": [{"$lt": {"qualified": 1}}, {"pending": 0}]}]},
        "gd.teacher.research-group": {"group": False},
        "gd.teacher.catalogue": {"$gt": {"outside": 0}},
    }


def durable_contender(params: dict):
    """durable_rules deciding every teacher rule, on the reference's pre-computed values."""
    from durable.engine import Host

    conditions = _conditions(params)
    order = list(conditions)

    class QuietHost(Host):
        def _run(self):
            return None

    fired: set = set()
    definition = {"seen": {"all": [{"m": {"seen": 1}}], "run": lambda c: None}}
    for index, (rule_id, condition) in enumerate(conditions.items()):
        definition[f"r{index}"] = {"all": [{"m": condition}], "run": _recorder(fired, rule_id)}
    host = QuietHost()
    name = "bench.durable_direct"
    host.register_rulesets({name: definition})
    sessions = itertools.count()
    lock = threading.Lock()

    def evaluate(values: dict):
        fact = {"hours": values["hours"], "plans": values["plans"], "points": values["points"],
                "missing": len(values["missing"]), "bad_files": values["bad_files"], "qualified": values["qualified"],
                "not_qualified": values["not_qualified"], "pending": values["pending"], "unknown": values["unknown"],
                "group": values["group"], "outside": len(values["outside"]),
                "seen": 1, "sid": str(next(sessions))}
        with lock:
            fired.clear()
            host.assert_fact(name, fact)
            host.delete_state(name, fact["sid"])
            failed = sorted(fired, key=order.index)
        if any(f != "gd.teacher.research-group" for f in failed):
            verdict = "fail"
        elif values["review"]:
            verdict = "needs_review"
        else:
            verdict = "pass"
        return verdict, failed
    return evaluate


def _recorder(fired: set, rule_id: str):
    def record(closure):
        fired.add(rule_id)  # an $or may match twice
    return record


def teacher_json(teacher) -> dict:
    """The record as ZEN reads it. ZEN has no distinct(): a point written twice, bare and with its
    prefix (B1, GD:B1), is given once, as the graph assumes (the graph reads bare codes itself)."""
    data = json.loads(teacher.model_dump_json())
    seen: set = set()
    points = []
    for code in data.get("ability_points", []):
        read = code if ":" in code else "GD:" + code
        if read not in seen:
            seen.add(read)
            points.append(code)
    data["ability_points"] = points
    return data
