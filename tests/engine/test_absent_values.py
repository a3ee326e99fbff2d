"""One meaning for every condition: the two compilations of an expression agree, absent values included.

A rule's condition is decided by durable_rules (`to_durable`); the same language computes derived
values and explanations through Python closures (`to_closure`). For every condition of every
shipped ruleset, hypothesis generates values — numbers, text, dates, lists and yes/no near the
condition's own constants, and absent ones — and both paths must say the same
(docs/language.md, "Absent values").
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.engine import expressions as ex
from kaohe.engine.durable_backend import Condition, LevelMatcher
from kaohe.plugins.manager import build_registry

_REGISTRY = build_registry().registry
_NAMES = itertools.count()


def _conditions():
    for ruleset_id in _REGISTRY.ids():
        for compiled in _REGISTRY.revisions(ruleset_id):
            for rule in compiled.all_rules():
                if rule.conditions:
                    yield pytest.param(compiled, rule, id=f"{ruleset_id}:{rule.id}")


def _yes_no_measures():
    """Measures that are conditions themselves (`expr: a >= 1 and b == 0`), computed by closures."""
    for ruleset_id in _REGISTRY.ids():
        for compiled in _REGISTRY.revisions(ruleset_id):
            for level_measures in compiled.measures.values():
                for measure in level_measures:
                    if measure.primitive == "expr" and measure.type == ex.BOOL:
                        yield pytest.param(compiled, measure, id=f"{ruleset_id}:{measure.name}")


def _constants(node, out: list) -> list:
    if isinstance(node, ex.Const):
        out.extend(node.value if isinstance(node.value, tuple) else (node.value,))
    for child in ex._children(node):
        _constants(child, out)
    return out


def _values_of(kind: str, near: list) -> st.SearchStrategy:
    absent = st.none()
    if kind == ex.NUMBER:
        numbers = [n for n in near if isinstance(n, (int, float)) and not isinstance(n, bool)] or [0]
        close = [n + d for n in numbers for d in (-1, -0.5, 0, 0.5, 1)]
        return absent | st.sampled_from(close) | st.integers(-3, 200) | st.floats(0, 120, allow_nan=False).map(lambda f: round(f, 1))
    if kind == ex.BOOL:
        return absent | st.booleans()
    if kind == ex.DATE:
        days = [d for d in near if isinstance(d, dt.date)] or [dt.date(2022, 6, 30)]
        return absent | st.sampled_from([d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)])
    words = [w for w in near if isinstance(w, str)] + ["其他"]
    if kind == ex.LIST:
        return absent | st.lists(st.sampled_from(words), max_size=3).map(tuple)
    return absent | st.sampled_from(words)


def _trees(compiled, rule) -> dict:
    spec = next(r for r in compiled.resolved.rules if r["id"] == rule.id)
    keys = {"require": "require", "applies": "applies_when", "review": "review_when"}
    return {label: ex.fold(ex.parse(spec[key]), compiled.parameters) for label, key in keys.items() if key in spec}


def _agree(trees: dict, conditions: list, properties: dict, constants: dict, names: dict, near: list, examples: int):
    """Both compilations of each tree, on values hypothesis draws for `names` (name → type)."""
    closures = {label: ex.to_closure(tree, constants) for label, tree in trees.items()}
    matcher = LevelMatcher.get(f"kaohe.test.absent.{next(_NAMES)}", conditions)

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({n: _values_of(kind, near) for n, kind in sorted(names.items())}))
    def agree(values):
        fact = {}
        for prop, getter in properties.items():
            value = getter(values)
            if value is not None:
                fact[prop] = value.toordinal() if isinstance(value, dt.date) else value
        (held,) = matcher.decide([fact])
        for label, tree in trees.items():
            by_closure = bool(closures[label](values))
            by_durable = label in held.get("r", ())
            assert by_closure == by_durable, (f"{label}: {ex.render(tree, constants)} with {values}: "
                                              f"closure {by_closure}, durable_rules {by_durable}")
    agree()


def _types(compiled) -> dict:
    types = dict(compiled.parameter_types, as_of=ex.DATE)
    for measures in compiled.measures.values():
        types.update({m.name: m.type for m in measures})
    return types


def _near(compiled, trees) -> list:
    near = [c for tree in trees for c in _constants(tree, [])]
    near += [v for v in compiled.parameters.values() if isinstance(v, (int, float, str, dt.date))]
    return near + [w for v in compiled.parameters.values() if isinstance(v, tuple) for w in v]


@pytest.mark.parametrize("compiled, measure", list(_yes_no_measures()))
def test_yes_no_measures_read_absent_values_as_the_rule_conditions_do(compiled, measure):
    tree = ex.fold(ex.parse(measure.spec["expr"]), compiled.parameters)
    props: dict = {}
    condition = ex.to_durable(tree, compiled.parameters, props).condition
    types = _types(compiled)
    names = {n: types[n] for n in ex.names(tree) - set(compiled.parameters)}
    _agree({"value": tree}, [Condition("r", "value", condition, frozenset(props))], props, compiled.parameters, names,
           _near(compiled, [tree]), 60)


@pytest.mark.parametrize("compiled, rule", list(_conditions()))
def test_durable_rules_and_the_closures_agree_on_every_condition(compiled, rule):
    trees = _trees(compiled, rule)
    types = _types(compiled)
    names = {n: types[n] for tree in trees.values() for n in ex.names(tree) - set(compiled.parameters)}
    conditions = [Condition("r", c.label, c.condition, c.properties) for c in rule.conditions]
    _agree({c.label: trees[c.label] for c in rule.conditions}, conditions, rule.properties, compiled.parameters, names,
           _near(compiled, trees.values()), 30)


# ---- the language itself: conditions as a ruleset might write them -----------------------------

_KINDS = {"n1": ex.NUMBER, "n2": ex.NUMBER, "b1": ex.BOOL, "b2": ex.BOOL, "s1": ex.STRING, "l1": ex.LIST,
          "d1": ex.DATE, "d2": ex.DATE}
_LIMIT = ex.Name("limit")  # a parameter: folded in as a constant
_OPS = ("<", "<=", ">", ">=", "==", "!=")


def _number():
    plain = st.sampled_from([ex.Name("n1"), ex.Name("n2"), ex.Call("len", ex.Name("l1"))])
    return plain | st.builds(lambda op, a, b: ex.Arith(op, a, b), st.sampled_from("+-*/"), plain,
                             st.sampled_from([ex.Name("n2"), ex.Const(2, ex.NUMBER), _LIMIT]))


def _atom():
    value = st.sampled_from([ex.Const(0, ex.NUMBER), ex.Const(25, ex.NUMBER), ex.Const(2.5, ex.NUMBER), _LIMIT])
    return st.one_of(
        st.builds(ex.Compare, st.sampled_from(_OPS), _number(), value | _number()),
        st.builds(ex.Compare, st.sampled_from(_OPS), st.just(ex.Name("d1")), st.sampled_from([ex.Name("d2"), ex.Name("as_of")])),
        st.builds(ex.Compare, st.sampled_from(("==", "!=")), st.just(ex.Name("b1")), st.sampled_from([ex.Name("b2"), ex.Const(True, ex.BOOL), ex.Const(False, ex.BOOL)])),
        st.sampled_from([ex.Name("b1"), ex.Name("b2")]),
        st.builds(ex.Compare, st.sampled_from(("==", "!=")), st.just(ex.Name("s1")), st.sampled_from([ex.Const("校本研修", ex.STRING), ex.Const("其他", ex.STRING)])),
        st.builds(ex.Member, st.just(ex.Name("s1")), st.just(ex.Const(("校本研修", "网络研修"), ex.LIST)), st.booleans()),
    )


_CONDITION = st.recursive(_atom(), lambda inner: st.one_of(
    st.builds(ex.Not, inner),
    st.builds(ex.Logic, st.sampled_from(("and", "or")), st.lists(inner, min_size=2, max_size=3).map(tuple))), max_leaves=6)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(_CONDITION, st.data())
def test_any_condition_reads_absent_values_one_way(tree, data):
    """`not (n1 >= 25)` with n1 absent, `n1 == n2` with n2 absent, `not b1` with b1 absent: one answer."""
    constants = {"limit": 20}
    tree = ex.fold(tree, constants)
    if isinstance(tree, ex.Const):
        return
    props: dict = {}
    condition = ex.to_durable(tree, constants, props).condition
    matcher = LevelMatcher.get(f"kaohe.test.absent.{next(_NAMES)}", [Condition("r", "c", condition, frozenset(props))])
    closure = ex.to_closure(tree, constants)
    today = dt.date(2022, 6, 30)
    for _ in range(8):
        values = data.draw(st.fixed_dictionaries({n: _values_of(k, [0, 20, 25, today]) for n, k in _KINDS.items()}))
        values["as_of"] = today
        fact = {}
        for prop, getter in props.items():
            value = getter(values)
            if value is not None:
                fact[prop] = value.toordinal() if isinstance(value, dt.date) else value
        (held,) = matcher.decide([fact])
        assert bool(closure(values)) == ("c" in held.get("r", ())), f"{ex.render(tree, constants)} with {values}"
