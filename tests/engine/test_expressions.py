"""The expression language: parsed, never executed; typed; constant parts folded."""

import pytest

from kaohe.engine import expressions as ex


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hi')",
    "hours.__class__",
    "[x for x in hours]",
    "lambda: 1",
    "hours[0]",
    "open('f')",
])
def test_anything_but_the_whitelist_is_refused(text):
    with pytest.raises(ex.ExpressionError):
        ex.parse(text)


def test_unknown_name_suggests_the_closest():
    tree = ex.parse("hour >= 25")
    with pytest.raises(ex.ExpressionError) as caught:
        ex.check(tree, {"hours": ex.NUMBER})
    assert caught.value.code == "ruleset.unknown_name"
    assert caught.value.hint == "did you mean 'hours'?"


@pytest.mark.parametrize("text, message", [
    ("hours and done", "'and' needs yes/no"),
    ("name >= 3", "cannot compare string with number"),
    ("done > false", "'>' does not apply to bool"),
    ("hours + done", "'+' needs numbers"),
])
def test_type_errors(text, message):
    types = {"hours": ex.NUMBER, "done": ex.BOOL, "name": ex.STRING}
    with pytest.raises(ex.ExpressionError) as caught:
        ex.check(ex.parse(text), types)
    assert message in caught.value.message


def test_chained_comparison_is_an_and():
    tree = ex.parse("3 <= team <= 5")
    assert isinstance(tree, ex.Logic) and tree.op == "and"
    check = ex.to_closure(tree, {})
    assert [check({"team": n}) for n in (2, 3, 5, 6)] == [False, True, True, False]


def test_folding_a_parameter_switch_drops_the_constant_branch():
    tree = ex.parse("len(missing) == 0 or (not per_point and summaries >= 3)")
    folded = ex.fold(tree, {"per_point": True})
    assert ex.names(folded) == {"missing"}
    folded_off = ex.fold(tree, {"per_point": False})
    assert ex.names(folded_off) == {"missing", "summaries"}


def test_durable_condition_negates_by_flipping_comparisons():
    plan = ex.to_durable(ex.parse("not (hours < 25)"), {})
    assert plan.condition == {"$gte": {"v_hours": 25}}


def test_arithmetic_is_computed_by_kaohe_and_compared_by_durable_rules():
    plan = ex.to_durable(ex.parse("practice / total * 100 >= share"), {"share": 50})
    (prop,) = [p for p in plan.properties if p.startswith("e_")]
    assert plan.condition == {"$gte": {prop: 50}}
    assert plan.properties[prop]({"practice": 30, "total": 60}) == 50


def test_missing_values_make_comparisons_false_both_ways():
    below, above = ex.to_closure(ex.parse("x < 3"), {}), ex.to_closure(ex.parse("x >= 3"), {})
    assert below({"x": None}) is False and above({"x": None}) is False


@pytest.mark.parametrize("value, zh, en", [
    (25.0, "25", "25"), (94.73684, "94.7", "94.7"), (True, "是", "yes"), (("a", "b"), "a、b", "a, b"), (None, "无", "none"),
])
def test_values_read_naturally(value, zh, en):
    assert ex.format_value(value, "zh") == zh and ex.format_value(value, "en") == en
