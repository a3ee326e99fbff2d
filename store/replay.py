"""Replaying a decision: its stored input under its stored policy (must give the stored outcome
exactly) and under the policy in force today (what would change, rule by rule).

It also renders a stored decision's full explanation again, in either language: the explanation
is a function of the input and the policy, and both are kept.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Callable

import orjson

from kaohe.engine import Dataset, Evaluator, KaoheError, Registry, School, Teacher, explain

from .decisions import DecisionStore, expand_result
from .policy import bundle_of, registry_of
from .recording import subject_of, school_subjects


class ReplayError(KaoheError):
    code = "decision.not_replayable"


def _stored_subjects(result_json: dict) -> list[dict]:
    return [{"level": s["level"], "id": s["id"], "school_id": s.get("school_id"), "verdict": s["verdict"],
             "rules": [list(r) if isinstance(r, list) else [r["id"], r["status"], r["actual"], r["expected"]]
                       for r in s["rules"]]} for s in result_json["subjects"]]


def _normal(subjects: list[dict]) -> list[dict]:
    """Subjects as plain JSON (fragments resolved), for comparing with what was stored."""
    return _stored_subjects(orjson.loads(orjson.dumps({"subjects": subjects})))


class Replayer:
    def __init__(self, store: DecisionStore, current: Callable[[], Registry], cache_size: int = 16):
        self.store = store
        self.current = current  # today's registry (it changes when rulesets are reloaded)
        self._cache: OrderedDict[str, Evaluator] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # ---- the policy a decision was made under --------------------------------------------------

    def stored_evaluator(self, decision: dict) -> Evaluator:
        key = decision["ruleset"]["policy"]
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        registry = self.current()
        evaluator = self._loaded_evaluator(registry, key, decision["ruleset"]["id"])
        if evaluator is None:
            bundle = self.store.policy(key)
            if bundle is None:
                raise ReplayError(f"decision {decision['id']}: its policy {key} is not in the store")
            rebuilt = registry_of(bundle, registry.extensions)
            if rebuilt.problems:
                raise ReplayError(f"decision {decision['id']}: the stored policy no longer compiles: "
                                  f"{rebuilt.problems[0][1]}", hint="a plugin it needs may have changed")
            matching = [c for c in rebuilt.revisions(bundle.ruleset_id) if c.revision == bundle.revision]
            if not matching:
                raise ReplayError(f"decision {decision['id']}: the stored policy compiles to another revision than "
                                  f"{bundle.revision}")
            evaluator = Evaluator(matching[0])
        with self._lock:
            self._cache[key] = evaluator
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return evaluator

    @staticmethod
    def _loaded_evaluator(registry: Registry, key: str, ruleset_id: str) -> Evaluator | None:
        try:
            revisions = registry.revisions(ruleset_id)
        except KaoheError:
            return None
        for compiled in revisions:
            if bundle_of(compiled).sha256 == key:
                return Evaluator(compiled)
        return None

    # ---- evaluating a stored input ------------------------------------------------------------

    @staticmethod
    def evaluate(evaluator: Evaluator, decision: dict, as_of: dt.date) -> tuple[list, object]:
        """(subjects in stored form, the engine's results) of a decision's input under `evaluator`."""
        data = decision["input"]
        kind = decision["kind"]
        subjects: list = []
        index: list = []
        if kind == "teacher":
            teacher = Teacher.model_validate(data["teacher"])
            result = evaluator.teacher(teacher, as_of)
            return [subject_of(result, teacher.school_id)], result
        if kind == "school":
            school = School.model_validate(data)
            result = evaluator.school(school, as_of)
            school_subjects(result, subjects, index)
            return subjects, result
        if kind == "dataset":
            dataset = Dataset.model_validate({"schools": data.get("schools", []), "regions": data.get("regions", [])})
            evaluation = evaluator.dataset(dataset, as_of)
            for school in evaluation.schools:
                school_subjects(school, subjects, index)
            for region in evaluation.regions:
                subjects.append(subject_of(region, None))
            return subjects, evaluation
        raise ReplayError(f"decision {decision['id']}: unknown kind {kind!r}")

    def replay(self, decision_id: str, today: dt.date) -> dict:
        decision = self.store.get(decision_id)
        if decision is None:
            raise ReplayError(f"no decision {decision_id}", code="decision.not_found")
        as_of = dt.date.fromisoformat(decision["as_of"])
        stored = _stored_subjects(decision["result"])
        evaluator = self.stored_evaluator(decision)
        again, _ = self.evaluate(evaluator, decision, as_of)
        again = _normal(again)
        mismatches = compare(stored, again)
        current = self.current().evaluator(decision["ruleset"]["id"], today)
        today_subjects = _normal(self.evaluate(current, decision, as_of)[0])
        changes = compare(stored, today_subjects)
        return {
            "decision_id": decision_id,
            "ruleset": decision["ruleset"],
            "as_of": decision["as_of"],
            "under_stored_revision": {"revision": evaluator.ruleset.revision, "reproduced": not mismatches,
                                      "mismatches": mismatches},
            "under_current_revision": {"revision": current.ruleset.revision, "as_of": decision["as_of"],
                                       "in_force_on": today.isoformat(),
                                       "same_revision": current.ruleset.revision == decision["ruleset"]["revision"],
                                       "changed": bool(changes), "changes": changes},
        }

    def explanation(self, decision: dict, lang: str) -> dict:
        """The decision's full explanation rendered again from its stored input and policy."""
        as_of = dt.date.fromisoformat(decision["as_of"])
        evaluator = self.stored_evaluator(decision)
        _, results = self.evaluate(evaluator, decision, as_of)
        if decision["kind"] == "teacher":
            return {"ruleset": explain.ruleset_header(evaluator.ruleset, lang), "as_of": decision["as_of"],
                    "language": lang, "teacher": explain.teacher_dict(results, lang, "full")}
        if decision["kind"] == "school":
            return {"ruleset": explain.ruleset_header(evaluator.ruleset, lang), "as_of": decision["as_of"],
                    "language": lang, "school": explain.school_dict(results, lang, "full")}
        return explain.evaluation_dict(results, lang, "full")


def compare(before: list[dict], after: list[dict]) -> list[dict]:
    """Subject by subject, rule by rule: what differs (status, actual, expected, verdict; rules added or gone)."""
    changes = []
    after_by_key = {(s["level"], s["id"]): s for s in after}
    before_keys = set()
    for old in before:
        key = (old["level"], old["id"])
        before_keys.add(key)
        new = after_by_key.get(key)
        if new is None:
            changes.append({"level": key[0], "id": key[1], "verdict": {"before": old["verdict"], "after": None}, "rules": []})
            continue
        rules = []
        new_rules = {r[0]: r for r in new["rules"]}
        old_ids = set()
        for rule in old["rules"]:
            old_ids.add(rule[0])
            other = new_rules.get(rule[0])
            if other is None:
                rules.append({"id": rule[0], "change": "removed", "before": _rule(rule), "after": None})
            elif other != rule:
                rules.append({"id": rule[0], "change": "changed", "before": _rule(rule), "after": _rule(other)})
        for rule in new["rules"]:
            if rule[0] not in old_ids:
                rules.append({"id": rule[0], "change": "added", "before": None, "after": _rule(rule)})
        if rules or old["verdict"] != new["verdict"]:
            changes.append({"level": key[0], "id": key[1], "verdict": {"before": old["verdict"], "after": new["verdict"]},
                            "rules": rules})
    for new in after:
        if (new["level"], new["id"]) not in before_keys:
            changes.append({"level": new["level"], "id": new["id"], "verdict": {"before": None, "after": new["verdict"]},
                            "rules": [{"id": r[0], "change": "added", "before": None, "after": _rule(r)} for r in new["rules"]]})
    return changes


def _rule(stored: list) -> dict:
    return {"status": stored[1], "actual": stored[2], "expected": stored[3]}


__all__ = ["Replayer", "ReplayError", "compare", "expand_result"]
