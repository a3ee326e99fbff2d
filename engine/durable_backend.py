"""durable_rules, with its hard edges handled in one place.

- It is not thread-safe: every call into it goes through one process-wide lock, and the host we
  create runs no background dispatch threads (the stock Host starts timers that call into the
  engine from another thread, which nothing here needs).
- It keeps at most 1024 live sessions per ruleset: every match uses a fresh session id and
  deletes its state before releasing the lock.
- A fact holds at most 255 properties: a rule that would need more is refused at compile time.
- A ruleset name can never be registered twice: each rule of each ruleset revision gets its own
  name, and a name already registered in this process is reused, not registered again.
- If the first fact a ruleset ever receives matches no rule, a later `delete_state` of that
  session segfaults (found while building this; durable_rules 2.0.28). Every ruleset therefore
  carries a rule that matches every fact kaohe asserts (`seen`), so no fact is ever unhandled.

A rule's outcome is a pure function of the values it reads, so `RuleMatcher` remembers outcomes by
those values: durable_rules decides each distinct combination once, and every later teacher with
the same values gets the same decision without another round-trip into the engine.
"""

from __future__ import annotations

import itertools
import math
import re
import threading

from durable.engine import Host

MAX_FACT_PROPERTIES = 255
_SEEN = "kaohe_fact"  # present in every fact; the `seen` rule matches it
MEMO_LIMIT = 1 << 16

_LOCK = threading.Lock()
_HOST = None
_MATCHERS: dict[str, "RuleMatcher"] = {}
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


class RuleMatcher:
    """One kaohe rule as a durable_rules ruleset of (up to) two conditions: applies and require."""

    def __init__(self, name: str, conditions: dict[str, dict], properties: dict):
        self.name = name
        self.conditions = conditions
        self.properties = properties  # fact property -> closure over measure values
        self._fired: set[str] = set()

    @classmethod
    def get(cls, name: str, conditions: dict[str, dict], properties: dict) -> "RuleMatcher":
        if len(properties) + 2 > MAX_FACT_PROPERTIES:  # + sid and the `seen` marker
            raise FactTooLarge(f"a rule may read at most {MAX_FACT_PROPERTIES - 2} values; this one reads {len(properties)}")
        with _LOCK:
            existing = _MATCHERS.get(name)
            if existing is not None:
                return existing
            matcher = cls(name, conditions, properties)
            if conditions:  # a rule that never applies has nothing to register
                definition = {"seen": {"all": [{"m": {_SEEN: 1}}], "run": matcher._recorder("seen")}}
                for label, condition in conditions.items():
                    definition[label] = {"all": [{"m": condition}], "run": matcher._recorder(label)}
                _host().register_rulesets({name: definition})
            _MATCHERS[name] = matcher
            return matcher

    def _recorder(self, label: str):
        def record(closure):
            self._fired.add(label)
        return record

    def fact(self, values: dict) -> dict:
        fact = {}
        for prop, getter in self.properties.items():
            value = getter(values)
            if value is None:
                continue  # absent: no comparison on it can hold
            if hasattr(value, "toordinal"):
                value = value.toordinal()
            elif type(value) is float:
                value = _readable_float(value)
            fact[prop] = value
        return fact

    def match(self, values: dict) -> frozenset:
        """Which of this rule's conditions hold for these measure values."""
        if not self.conditions:
            return frozenset()
        fact = self.fact(values)
        with _LOCK:
            sid = f"s{next(_SESSIONS)}"
            fact["sid"] = sid
            fact[_SEEN] = 1
            self._fired = set()
            host = _host()
            try:
                host.assert_fact(self.name, fact)
            finally:
                host.delete_state(self.name, sid)
            if "seen" not in self._fired:
                raise RuntimeError(f"durable_rules did not process the fact for {self.name}")
            return frozenset(self._fired - {"seen"})


def _readable_float(value: float) -> float:
    """durable_rules' JSON reader fails (error 204) on a number in exponent form without a decimal
    point, which is how Python writes 1e-05, 5e-324 or 1e+16; the next float after it is written
    with one (1.0000000000000001e-05) and differs by one unit in the last place."""
    for _ in range(4):  # a subnormal may take a step or two (5e-324 → 1e-323 → 1.5e-323)
        text = repr(value)
        if not math.isfinite(value) or "e" not in text or "." in text:
            break
        value = math.nextafter(value, math.inf)
    return value


def registered_count() -> int:
    return len(_MATCHERS)
