"""durable_rules, with its hard edges handled in one place.

Each level of a compiled ruleset (teacher, school, region) is one durable_rules ruleset holding
every condition of every rule of that level; a record is one fact carrying every value those
conditions compare, and many facts go into one session at once (`LevelMatcher.decide`).

- It is not thread-safe: every call into it goes through one process-wide lock, and the host we
  create runs no background dispatch threads (the stock Host starts timers that call into the
  engine from another thread, which nothing here needs).
- It keeps at most 1024 live sessions per ruleset: every `decide` uses one fresh session id and
  deletes its state before releasing the lock.
- A fact holds at most 255 properties: a level whose rules compare more values is split into
  several rulesets, each under the limit; a single rule that needs more is refused at compile time.
- A ruleset name can never be registered twice: each level of each ruleset revision gets its own
  name, and a name already registered in this process is reused, not registered again.
- If the first fact a ruleset ever receives matches no rule, a later `delete_state` of that
  session segfaults (found while building this; durable_rules 2.0.28). Every ruleset therefore
  carries a rule that matches every fact kaohe asserts (`seen`), so no fact is ever unhandled.

This module decides; it remembers nothing. Remembering decisions by the values the conditions
compare is the evaluator's business (`kaohe.engine.evaluation`).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field

from durable.engine import Host

MAX_FACT_PROPERTIES = 255
_SEEN = "kaohe_fact"  # present in every fact; the `seen` rule matches it
_INDEX = "kaohe_i"  # which fact of a batch this is
_SESSION = "sid"
_RESERVED = 3  # sid, the `seen` marker and the index

_LOCK = threading.Lock()
_HOST = None
_MATCHERS: dict[str, "LevelMatcher"] = {}
_SESSIONS = itertools.count(1)


class _QuietHost(Host):
    """A Host without the dispatch timers: kaohe asserts facts synchronously and under a lock."""

    def _run(self):
        return None


def _host() -> Host:
    global _HOST
    if _HOST is None:
        _HOST = _QuietHost()
    return _HOST


def ruleset_name(*parts: str) -> str:
    return "kaohe." + ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in parts)


class FactTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Condition:
    """One condition of one rule: `tag` names the rule, `label` the condition (applies, require, review)."""

    tag: str
    label: str
    condition: dict
    properties: frozenset  # the fact properties it reads


@dataclass
class _Part:
    name: str
    properties: tuple
    conditions: list = field(default_factory=list)


def check_size(properties) -> None:
    """A rule (a part is at least one rule) must fit in one fact."""
    if len(properties) + _RESERVED > MAX_FACT_PROPERTIES:
        raise FactTooLarge(f"a rule may compare at most {MAX_FACT_PROPERTIES - _RESERVED} values; "
                           f"this one compares {len(properties)}")


class LevelMatcher:
    """Every condition of one level's rules, registered with durable_rules once."""

    def __init__(self, name: str, parts: list[_Part]):
        self.name = name
        self.parts = parts
        self._fired: list = []

    @classmethod
    def get(cls, name: str, conditions: list[Condition]) -> "LevelMatcher":
        """The matcher registered under `name`, registering it on first use. Conditions of one tag
        stay in one part; parts are cut so that no fact exceeds durable_rules' property limit."""
        with _LOCK:
            existing = _MATCHERS.get(name)
            if existing is not None:
                return existing
            by_tag: dict[str, list[Condition]] = {}
            for condition in conditions:
                by_tag.setdefault(condition.tag, []).append(condition)
            parts: list[_Part] = []
            current: list[Condition] = []
            props: set = set()
            for tag_conditions in by_tag.values():
                needed = set().union(*(c.properties for c in tag_conditions))
                check_size(needed)
                if current and len(props | needed) + _RESERVED > MAX_FACT_PROPERTIES:
                    parts.append(_Part(f"{name}.{len(parts)}", tuple(sorted(props)), current))
                    current, props = [], set()
                current.extend(tag_conditions)
                props |= needed
            if current:
                parts.append(_Part(f"{name}.{len(parts)}", tuple(sorted(props)), current))
            matcher = cls(name, parts)
            for part in parts:
                definition = {"seen": {"all": [{"m": {_SEEN: 1}}], "run": matcher._recorder(None, "seen")}}
                for number, condition in enumerate(part.conditions):
                    definition[f"c{number}"] = {"all": [{"m": condition.condition}],
                                                "run": matcher._recorder(condition.tag, condition.label)}
                _host().register_rulesets({part.name: definition})
            _MATCHERS[name] = matcher
            return matcher

    def _recorder(self, tag, label: str):
        fired = self._fired

        def record(closure):
            fired.append((closure.m[_INDEX], tag, label))
        return record

    def decide(self, facts: list[dict]) -> list[dict]:
        """For each fact (fact property → value; absent or None: no comparison on it holds), the
        conditions that hold, as {tag: {label, ...}}. One session for all of them."""
        out: list[dict] = [{} for _ in facts]
        if not facts or not self.parts:
            return out
        with _LOCK:
            host = _host()
            for part in self.parts:
                sid = f"s{next(_SESSIONS)}"
                batch = []
                for index, fact in enumerate(facts):
                    mine = {p: fact[p] for p in part.properties if fact.get(p) is not None}
                    mine[_SESSION] = sid
                    mine[_SEEN] = 1
                    mine[_INDEX] = index
                    batch.append(mine)
                self._fired.clear()
                try:
                    host.assert_facts(part.name, batch)
                finally:
                    host.delete_state(part.name, sid)
                seen = 0
                for index, tag, label in self._fired:
                    if tag is None:
                        seen += 1
                    else:
                        out[index].setdefault(tag, set()).add(label)
                if seen != len(facts):
                    raise RuntimeError(f"durable_rules processed {seen} of {len(facts)} facts for {part.name}")
            self._fired.clear()
        return out


def registered_count() -> int:
    return len(_MATCHERS)
