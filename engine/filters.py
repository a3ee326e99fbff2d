"""`where:` filters over the items of a collection (hour entries, artefacts, teachers of a school …).

A filter compiles once into a predicate over one item; the hot path calls only predicates.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

from . import expressions as ex
from .measure_model import MeasureError
from .records import normal_text

FILTER_OPS = ("in", "not_in", "eq", "ne", "gt", "ge", "lt", "le", "present", "contains_all", "lacks_any")


def compile_filter(spec: Any, fields: dict[str, str] | None, params: dict, path: tuple,
                   member_measures: dict[str, str] | None = None) -> Callable[[Any], bool]:
    """A `where:` mapping → a predicate over one item. Every key must hold (and).

    `field: value` is equality, `field: [a, b]` membership; `field: {op: operand}` with op one of
    in, not_in, eq, ne, gt, ge, lt, le, present, contains_all, lacks_any; an operand that is a
    bare word names a parameter. An empty (unknown) value matches no comparison, not_in included:
    nothing is judged wrong on a value nobody reported. Items that are plain text are filtered
    with the key `value`.
    """
    if spec is None:
        return lambda item: True
    if not isinstance(spec, dict) or not spec:
        raise MeasureError("'where' must be a mapping of field → condition", path)
    checks = []
    for key, condition in spec.items():
        getter = item_getter(str(key), fields, path + (key,), member_measures)
        direct = str(key) if fields is not None and member_measures is None and not str(key).startswith("counts.") else None
        checks.extend(_conditions(getter, condition, params, path + (key,), direct))
    return all_of(checks)


def equality(body: dict) -> tuple:
    """(getter, value) when the only filter is `where: {field: value}`: checked inline on hot paths."""
    where = body.get("where")
    if "where_any" in body or not isinstance(where, dict) or len(where) != 1:
        return None, None
    (field_name, wanted), = where.items()
    if isinstance(wanted, (dict, list)) or str(field_name).startswith("counts."):
        return None, None
    return attrgetter(str(field_name)), normal_text(wanted)


def all_of(checks: list[Callable]) -> Callable[[Any], bool] | None:
    """One predicate from several; unrolled for the usual one or two (the hot path)."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda item: first(item) and second(item)
    return lambda item: all(check(item) for check in checks)


def compile_any_filter(specs: Any, fields, params, path, member_measures=None) -> Callable[[Any], bool]:
    if not isinstance(specs, list) or not specs:
        raise MeasureError("'where_any' must be a list of 'where' mappings (any one may hold)", path)
    preds = [compile_filter(s, fields, params, path + (i,), member_measures) for i, s in enumerate(specs)]
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        first, second = preds
        return lambda item: first(item) or second(item)
    return lambda item: any(p(item) for p in preds)


def item_getter(key: str, fields: dict[str, str] | None, path: tuple, member_measures) -> Callable:
    if fields is None:  # plain text items
        if key != "value":
            raise MeasureError(f"these items are plain text; filter them with 'value', not '{key}'", path)
        return lambda item: item
    if member_measures is not None:  # teachers of a school, schools of a region
        if key == "verdict":
            return lambda member: member.verdict
        if key in fields:
            return attrgetter("record." + key)
        if key in member_measures:
            return lambda member, key=key: member.measures.get(key)
        raise MeasureError(f"unknown field '{key}'", path, ex.suggest(key, list(fields) + list(member_measures) + ["verdict"]))
    if key.startswith("counts."):
        name = key.split(".", 1)[1]
        return lambda item: item.counts.get(name, 0)
    if key not in fields:
        raise MeasureError(f"unknown field '{key}'", path, ex.suggest(key, fields), code="ruleset.unknown_name")
    return attrgetter(key)


def words(values) -> frozenset:
    """A ruleset's words as records' are read (`records.normal_text`)."""
    return frozenset(normal_text(v) for v in values)


def _conditions(getter: Callable, condition: Any, params: dict, path: tuple, direct: str | None = None) -> list[Callable]:
    """The ruleset's words are read as the records' are (`normal_text`): `首席信息官（CIO）` is `首席信息官(CIO)`."""
    condition = normal_text(condition)
    if isinstance(condition, list):
        allowed = words(condition)
        return [lambda item: getter(item) in allowed]
    if not isinstance(condition, dict):
        if direct is not None:  # a plain attribute of the item: one getattr, no extra call
            return [lambda item: getattr(item, direct) == condition]
        return [lambda item: getter(item) == condition]
    out = []
    for op, raw in condition.items():
        if op not in FILTER_OPS:
            raise MeasureError(f"unknown condition '{op}'", path + (op,), ex.suggest(op, FILTER_OPS))
        operand = params.get(raw, raw) if isinstance(raw, str) and op != "eq" and op != "ne" else raw
        if isinstance(raw, str) and op in ("in", "not_in", "gt", "ge", "lt", "le", "contains_all", "lacks_any") and raw not in params:
            raise MeasureError(f"unknown parameter '{raw}'", path + (op,), ex.suggest(raw, params), code="ruleset.unknown_name")
        if op in ("in", "not_in", "contains_all", "lacks_any"):
            if not isinstance(operand, (list, tuple, frozenset)):
                raise MeasureError(f"'{op}' needs a list", path + (op,))
            values = words(operand)
            # an unknown (empty) value is not proven to be outside a list: it matches neither in nor not_in
            if op == "in":
                out.append(lambda item, values=values: getter(item) in values)
            elif op == "not_in":
                out.append(lambda item, values=values: (v := getter(item)) is not None and v not in values)
            elif op == "contains_all":
                out.append(lambda item, values=values: values.issubset(getter(item) or ()))
            else:
                out.append(lambda item, values=values: not values.issubset(getter(item) or ()))
        elif op == "present":
            want = bool(operand)
            out.append(lambda item, want=want: (getter(item) not in (None, "", [], ())) == want)
        else:
            operand = normal_text(operand)
            compare = {"eq": ex._PY_COMPARE["=="], "ne": ex._PY_COMPARE["!="], "gt": ex._PY_COMPARE[">"],
                       "ge": ex._PY_COMPARE[">="], "lt": ex._PY_COMPARE["<"], "le": ex._PY_COMPARE["<="]}[op]

            def check(item, compare=compare, operand=operand):
                value = getter(item)
                return value is not None and compare(value, operand)
            out.append(check)
    return out
