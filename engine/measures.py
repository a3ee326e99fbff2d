"""Measure primitives: the general building blocks a ruleset derives its values from.

count, distinct_count, exists, sum (with a credit per kind, a cap per item and a cap on the
total), missing (set coverage: "every chosen point has a summary"), share (% of a group),
date (earliest/latest date of a kind of document), field (a value of the record) and expr
(arithmetic over other measures). Nothing here knows any jurisdiction: the kinds, credits and caps
all come from the ruleset.

Each primitive compiles once into a `Measure` whose `value` runs per record on the hot path, and
whose `detail` says how the value came about (which entries were credited and by how much, which
cap applied, which items are missing, numerator and denominator).
"""

from __future__ import annotations

import datetime as dt
import typing
from operator import attrgetter
from dataclasses import dataclass, field
from typing import Any, Callable

from . import expressions as ex
from .records import Region, School, Teacher

# What each level's record can be measured over: collection name → item model (None = plain text).
COLLECTIONS: dict[str, dict[str, Any]] = {
    "teacher": {"hours": "HourEntry", "artefacts": "Artefact", "assessments": "Assessment", "ability_points": None},
    "school": {"management_team": "TeamMember", "documents": "Document", "research_groups": "ResearchGroup",
               "evidence": None, "teachers": "members"},
    "region": {"documents": "Document", "schools": "members"},
}
RECORD_MODEL = {"teacher": Teacher, "school": School, "region": Region}
MEMBER_LEVEL = {"school": "teacher", "region": "school"}
PRIMITIVES = ("count", "distinct_count", "exists", "sum", "missing", "share", "date", "field", "expr", "catalogue")
FILTER_OPS = ("in", "not_in", "eq", "ne", "gt", "ge", "lt", "le", "present", "contains_all", "lacks_any")


def canonical(number):
    """25.0 → 25, 24.999999999999996 → 25: one spelling per value.

    Hours are reported in tenths, which binary floats cannot hold: 8.3 + 8.3 + 8.4 sums to
    24.999999999999996, and a teacher with 25 hours would be judged short of 25. Rounding to nine
    places gives back the decimal a person adds up. Outcomes are remembered by measure values and
    25 == 25.0, so without the int the first teacher seen would decide how later ones are written."""
    if type(number) is float:
        number = round(number, 9)
        if number.is_integer():
            return int(number)
    return number


class MeasureError(Exception):
    def __init__(self, message: str, path: tuple = (), hint: str | None = None, code: str = "ruleset.invalid_measure"):
        super().__init__(message)
        self.message, self.path, self.hint, self.code = message, path, hint, code


@dataclass
class Measure:
    name: str
    level: str
    type: str
    title: dict
    unit: dict
    primitive: str
    value: Callable  # (record, members) -> value
    detail: Callable | None = None  # (record, members, value) -> dict: how the value came about
    reads: frozenset = frozenset()  # other measures an expr measure reads
    member_rules: frozenset = frozenset()  # rules of the member level a share or count refers to
    spec: dict = field(default_factory=dict)


def _field_type(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "types.UnionType":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _field_type(args[0]) if args else ex.STRING
    if origin in (list, tuple, set, frozenset):
        return ex.LIST
    if origin is typing.Annotated:
        return _field_type(typing.get_args(annotation)[0])
    if annotation is bool:
        return ex.BOOL
    if annotation in (int, float):
        return ex.NUMBER
    if annotation is dt.date:
        return ex.DATE
    if origin is dict:
        return "table"
    return ex.STRING


def model_fields(model_name_or_cls) -> dict[str, str]:
    """Field name → expression type for a record model."""
    from . import records

    cls = getattr(records, model_name_or_cls) if isinstance(model_name_or_cls, str) else model_name_or_cls
    return {name: _field_type(info.annotation) for name, info in cls.model_fields.items()}


# ---- filters -----------------------------------------------------------------------------------

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
        getter = _item_getter(str(key), fields, path + (key,), member_measures)
        direct = str(key) if fields is not None and member_measures is None and not str(key).startswith("counts.") else None
        checks.extend(_conditions(getter, condition, params, path + (key,), direct))
    return all_of(checks)


def _equality(body: dict) -> tuple:
    """(getter, value) when the only filter is `where: {field: value}`: checked inline on hot paths."""
    where = body.get("where")
    if "where_any" in body or not isinstance(where, dict) or len(where) != 1:
        return None, None
    (field_name, wanted), = where.items()
    if isinstance(wanted, (dict, list)) or str(field_name).startswith("counts."):
        return None, None
    return attrgetter(str(field_name)), wanted


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


def _item_getter(key: str, fields: dict[str, str] | None, path: tuple, member_measures) -> Callable:
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


def _conditions(getter: Callable, condition: Any, params: dict, path: tuple, direct: str | None = None) -> list[Callable]:
    if isinstance(condition, list):
        allowed = frozenset(condition)
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
            values = frozenset(operand)
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
            compare = {"eq": ex._PY_COMPARE["=="], "ne": ex._PY_COMPARE["!="], "gt": ex._PY_COMPARE[">"],
                       "ge": ex._PY_COMPARE[">="], "lt": ex._PY_COMPARE["<"], "le": ex._PY_COMPARE["<="]}[op]

            def check(item, compare=compare, operand=operand):
                value = getter(item)
                return value is not None and compare(value, operand)
            out.append(check)
    return out


# ---- primitives ----------------------------------------------------------------------------------

class Compiler:
    """Compiles the measures of one resolved ruleset. Knows params; collects nothing itself."""

    def __init__(self, params: dict[str, Any], measure_specs: dict[str, dict], member_measure_types: dict,
                 extensions=None):
        from .extensions import Extensions

        self.params = params
        self.specs = measure_specs
        self.member_measure_types = member_measure_types  # level -> {measure name: type}
        self.extensions = extensions or Extensions()

    def compile(self, name: str, spec: dict, types: dict[str, str]) -> Measure:
        level = spec["level"]
        available = PRIMITIVES + tuple(self.extensions.primitives)
        found = [p for p in available if p in spec]
        if len(found) != 1:
            unknown = [k for k in spec if k not in ("level", "title", "unit", "note") and k not in available]
            hint = ex.suggest(unknown[0], available) if unknown else None
            raise MeasureError(f"measure '{name}' needs exactly one of: {', '.join(available)}", (), hint,
                               code="ruleset.invalid_measure")
        primitive = found[0]
        body = spec[primitive]
        unit = spec.get("unit") or {}
        if isinstance(unit, str):
            unit = {"zh": unit, "en": unit}
        if primitive in self.extensions.primitives:
            measure = self._plugin(name, level, body, (primitive,), self.extensions.primitives[primitive])
        else:
            measure = getattr(self, "_" + primitive)(name, level, body, (primitive,), types)
        measure.title, measure.unit, measure.primitive, measure.spec = spec["title"], unit, primitive, spec
        return measure

    # -- helpers
    def _collection(self, level: str, body: dict, path: tuple):
        of = body.get("of") if isinstance(body, dict) else None
        available = COLLECTIONS[level]
        if of not in available:
            raise MeasureError(f"'of' must name one of the {level}'s collections: {', '.join(available)}",
                               path + ("of",), ex.suggest(str(of), available))
        model = available[of]
        if model == "members":
            member_level = MEMBER_LEVEL[level]
            fields = model_fields(RECORD_MODEL[member_level])
            return of, fields, self.member_measure_types.get(member_level, {})
        return of, (model_fields(model) if model else None), None

    def _predicate(self, level, body, path):
        of, fields, members = self._collection(level, body, path)
        preds = []
        if "where" in body:
            preds.append(compile_filter(body["where"], fields, self.params, path + ("where",), members))
        if "where_any" in body:
            preds.append(compile_any_filter(body["where_any"], fields, self.params, path + ("where_any",), members))
        allowed = {"of", "where", "where_any"}
        return of, fields, members, preds, allowed

    @staticmethod
    def _combine(preds):
        return all_of(preds)

    @staticmethod
    def _reject_unknown(body: dict, allowed: set, path: tuple):
        for key in body:
            if key not in allowed:
                raise MeasureError(f"unknown field '{key}'", path + (key,), ex.suggest(str(key), allowed))

    def _leading_equality(self, level: str, of: str, body: dict, path: tuple):
        """(getter, value, predicate of the other conditions) when `where` starts with a plain
        `field: value` on ledger items: most items fail it, so it is checked inline first."""
        where = body.get("where")
        if not isinstance(where, dict) or not where:
            return None
        (field_name, wanted), *others = where.items()
        if isinstance(wanted, (dict, list)) or str(field_name).startswith("counts."):
            return None
        _, fields, members = self._collection(level, {"of": of}, path)
        if fields is None or members is not None or field_name not in fields:
            return None
        rest = []
        if others:
            rest.append(compile_filter(dict(others), fields, self.params, path + ("where",)))
        if "where_any" in body:
            rest.append(compile_any_filter(body["where_any"], fields, self.params, path + ("where_any",)))
        return attrgetter(str(field_name)), wanted, all_of(rest)

    def _items(self, of: str, members: Any):
        """Getter for the collection: record attribute, or the member results handed in."""
        if members is not None:
            return lambda record, member_results: member_results
        return lambda record, member_results, of=of: getattr(record, of)

    # -- count / exists / distinct_count
    def _count(self, name, level, body, path, types, as_bool=False):
        of, fields, members, preds, allowed = self._predicate(level, body, path)
        if members is not None and "that" in body:
            preds.append(self._that(body["that"], fields, members, path + ("that",)))
            allowed.add("that")
        self._reject_unknown(body, allowed, path)
        items, pred = self._items(of, members), self._combine(preds)
        if members is not None:
            if pred is None:
                def value(record, member_results=None):
                    return len(member_results)
            else:
                def value(record, member_results=None):
                    return sum(1 for item in member_results if pred(item))
        elif pred is None:
            get = attrgetter(of)

            def value(record, member_results=None):
                return len(get(record))
        elif _equality(body)[0] is not None:
            get = attrgetter(of)
            get_field, wanted = _equality(body)

            def value(record, member_results=None):  # map/count run in C: the common case, fast
                return list(map(get_field, get(record))).count(wanted)
        elif self._leading_equality(level, of, body, path) is not None:
            get = attrgetter(of)
            get_field, wanted, rest = self._leading_equality(level, of, body, path)

            def value(record, member_results=None):  # the equality inline, the rest only for items it keeps
                n = 0
                for item in get(record):
                    if get_field(item) == wanted and (rest is None or rest(item)):
                        n += 1
                return n
        else:
            get = attrgetter(of)

            def value(record, member_results=None):
                n = 0
                for item in get(record):
                    if pred(item):
                        n += 1
                return n
        if as_bool:
            return Measure(name, level, ex.BOOL, {}, {}, "", lambda r, m=None: value(r, m) > 0)
        detail = None
        if members is not None:
            def detail(record, member_results=None, value=None):
                return {"matching": [m.record.id for m in member_results if pred is None or pred(m)]}
        return Measure(name, level, ex.NUMBER, {}, {}, "", value, detail, member_rules=self._rules_in(body))

    def _exists(self, name, level, body, path, types):
        return self._count(name, level, body, path, types, as_bool=True)

    def _distinct_count(self, name, level, body, path, types):
        of, fields, members, preds, allowed = self._predicate(level, body, path)
        allowed.add("by")
        self._reject_unknown(body, allowed, path)
        by = body.get("by")
        if fields is None and by not in (None, "value"):
            raise MeasureError("plain-text items are counted as they are; leave out 'by'", path + ("by",))
        if fields is not None and by not in fields and not (members is not None and by in members):
            raise MeasureError(f"'by' must name a field of the items: {', '.join(fields)}", path + ("by",))
        items, pred = self._items(of, members), self._combine(preds)
        if fields is None and pred is None and members is None:
            get = attrgetter(of)

            def value(record, member_results=None):
                return len(set(get(record)))
            return Measure(name, level, ex.NUMBER, {}, {}, "", value)
        # members (teachers of a school, schools of a region) are results: read the key from their record
        key = (lambda item: item) if fields is None else _item_getter(by, fields, path + ("by",), members)

        def value(record, member_results=None):
            return len({key(i) for i in items(record, member_results) if pred is None or pred(i)} - {None})
        return Measure(name, level, ex.NUMBER, {}, {}, "", value)

    # -- sum with credits and caps
    def _sum(self, name, level, body, path, types):
        of, fields, members, preds, allowed = self._predicate(level, body, path)
        allowed |= {"value", "credit", "by", "cap", "others"}
        self._reject_unknown(body, allowed, path)
        if members is not None or fields is None:
            raise MeasureError("'sum' adds up a field of ledger entries (e.g. of: hours)", path + ("of",))
        value_field = body.get("value", "hours")
        if fields.get(value_field) != ex.NUMBER:
            raise MeasureError(f"'value' must name a number field of the items: "
                               f"{', '.join(k for k, t in fields.items() if t == ex.NUMBER)}", path + ("value",))
        by = body.get("by", "kind")
        if "credit" in body and by not in fields:
            raise MeasureError(f"'by' must name a field of the items", path + ("by",))
        others = body.get("others", "reported" if "credit" not in body else "none")
        if others not in ("reported", "none"):
            raise MeasureError("'others' is 'reported' (count reported hours) or 'none' (not credited)", path + ("others",))
        credit_rules: dict[str, tuple[str, float]] = {}
        for kind, rule in (body.get("credit") or {}).items():
            if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in ("fixed", "up_to", "reported"):
                raise MeasureError(f"credit for '{kind}' must be one of fixed: P, up_to: P, reported: true",
                                   path + ("credit", kind))
            how, operand = next(iter(rule.items()))
            if how != "reported":
                amount = self._number(operand, path + ("credit", kind, how))
                credit_rules[kind] = (how, amount)
            else:
                credit_rules[kind] = ("reported", 0)
        cap = self._number(body["cap"], path + ("cap",)) if "cap" in body else None
        pred = self._combine(preds)
        get_items, get_value, get_kind = attrgetter(of), attrgetter(value_field), attrgetter(by)
        default = ("reported", 0) if others == "reported" else ("none", 0)

        def credited(item) -> tuple[float, str]:
            how, amount = credit_rules.get(get_kind(item), default)
            if how == "fixed":
                return amount, "fixed"
            reported = get_value(item)
            if how == "up_to":
                return (amount, "capped") if reported > amount else (reported, "reported")
            if how == "reported":
                return reported, "reported"
            return 0, "not_credited"

        # the hot path: fixed credits and caps looked up once per entry, no tuples built
        fixed = {k: a for k, (h, a) in credit_rules.items() if h == "fixed"}
        up_to = {k: a for k, (h, a) in credit_rules.items() if h == "up_to"}
        reported_kinds = frozenset(k for k, (h, _) in credit_rules.items() if h == "reported")
        count_others = others == "reported"

        eq_get, eq_wanted = _equality(body)
        if eq_get is not None:
            pred = None  # checked inline below

        def value(record, member_results=None):
            total = 0
            for item in get_items(record):
                if eq_get is not None:
                    if eq_get(item) != eq_wanted:
                        continue
                elif pred is not None and not pred(item):
                    continue
                kind = get_kind(item)
                amount = fixed.get(kind)
                if amount is not None:
                    total += amount
                    continue
                limit = up_to.get(kind)
                if limit is not None:
                    reported = get_value(item)
                    total += limit if reported > limit else reported
                elif count_others or kind in reported_kinds:
                    total += get_value(item)
            return canonical(total if cap is None or total <= cap else cap)

        # an entry's line depends on its place, kind and reported hours only: one read-only dict each
        lines: dict = {}

        def detail(record, member_results=None, value=None):
            entries = []
            total = 0
            for index, item in enumerate(get_items(record)):
                if eq_get is not None:
                    if eq_get(item) != eq_wanted:
                        continue
                elif pred is not None and not pred(item):
                    continue
                kind, reported = get_kind(item), get_value(item)
                found = lines.get((index, kind, reported))
                if found is None:
                    amount = fixed.get(kind)
                    if amount is not None:
                        how = "fixed"
                    else:
                        amount, how = credited(item)
                    found = ({"entry": index, "kind": kind, "reported": reported, "credited": amount, "how": how}, amount)
                    if len(lines) < 65536:
                        lines[(index, kind, reported)] = found
                total += found[1]
                entries.append(found[0])
            out = {"entries": entries, "total_before_cap": canonical(total)}
            if cap is not None:
                out["cap"] = cap
                out["cap_applied"] = total > cap
            return out
        return Measure(name, level, ex.NUMBER, {}, {}, "", value, detail)

    def _number(self, operand, path):
        if isinstance(operand, bool):
            raise MeasureError("expected a number or a parameter name", path)
        if isinstance(operand, (int, float)):
            return operand
        if isinstance(operand, str) and operand in self.params:
            value = self.params[operand]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            raise MeasureError(f"parameter '{operand}' is not a number", path, code="ruleset.type_error")
        raise MeasureError(f"unknown parameter '{operand}'", path, ex.suggest(str(operand), self.params),
                           code="ruleset.unknown_name")

    # -- missing: set coverage
    def _missing(self, name, level, body, path, types):
        """`each` required item (a list parameter, or one of the record's own text lists) must
        appear as the `by` field of some item of `in` (filtered by `where`). Value: what is missing."""
        if not isinstance(body, dict):
            raise MeasureError("'missing' needs each, in and (for records) by", path)
        self._reject_unknown(body, {"each", "in", "by", "where", "where_any"}, path)
        each = body.get("each")
        own_lists = {k for k, v in COLLECTIONS[level].items() if v is None}
        if isinstance(each, str) and each in self.params:
            required = tuple(self.params[each])
            required_of = lambda record: required  # noqa: E731
        elif isinstance(each, str) and each in own_lists:
            required_of = attrgetter(each)
        elif isinstance(each, list):
            required = tuple(each)
            required_of = lambda record: required  # noqa: E731
        else:
            raise MeasureError(f"'each' must be a list parameter or one of: {', '.join(sorted(own_lists))}",
                               path + ("each",), ex.suggest(str(each), list(self.params) + list(own_lists)))
        inner = dict(body)
        inner["of"] = inner.pop("in", None)
        inner.pop("each", None)
        by = inner.pop("by", None)
        if isinstance(inner["of"], str) and inner["of"] in self.params:  # e.g. every chosen point is in the catalogue
            allowed = frozenset(self.params[inner["of"]])

            def not_listed(record, member_results=None):
                return tuple(dict.fromkeys(i for i in required_of(record) if i not in allowed))
            return Measure(name, level, ex.LIST, {}, {}, "", not_listed)  # the value itself lists what is missing
        of, fields, members, preds, _ = self._predicate(level, inner, path)
        if fields is None:
            key = lambda item: item  # noqa: E731
        elif by in fields or (members is not None and by in members):
            key = _item_getter(by, fields, path + ("by",), members)
        else:
            raise MeasureError(f"'by' must name the field that holds the required item: {', '.join(fields)}", path + ("by",))
        pred = self._combine(preds)
        get_items = self._items(of, members)
        # members are results, read through their record: the inline equality is for plain items only
        eq_get, eq_wanted = _equality(inner) if members is None else (None, None)

        def value(record, member_results=None):
            if eq_get is not None:
                present = {key(i) for i in get_items(record, member_results) if eq_get(i) == eq_wanted}
            else:
                present = {key(i) for i in get_items(record, member_results) if pred is None or pred(i)}
            required = required_of(record)
            if not required:
                return ()
            return tuple(dict.fromkeys(i for i in required if i not in present))

        if isinstance(each, str) and each in own_lists:
            return Measure(name, level, ex.LIST, {}, {}, "", value)  # required = the record's own list, shown there
        required_items = list(dict.fromkeys(required_of(None)))

        def detail(record, member_results=None, missing=None):
            return {"required": required_items, "present": len(required_items) - len(missing or ())}
        return Measure(name, level, ex.LIST, {}, {}, "", value, detail)

    # -- share of a group
    def _share(self, name, level, body, path, types):
        if level not in MEMBER_LEVEL:
            raise MeasureError("'share' is measured over the teachers of a school or the schools of a region", path)
        of, fields, members, preds, allowed = self._predicate(level, body, path)
        if members is None:
            raise MeasureError(f"'share' is over teachers (school level) or schools (region level)", path + ("of",))
        if "that" not in body:
            raise MeasureError("'share' needs 'that': the condition the counted members meet", path)
        allowed.add("that")
        self._reject_unknown(body, allowed, path)
        base = self._combine(preds)
        that = self._that(body["that"], fields, members, path + ("that",))

        def counts(member_results):
            group = [m for m in member_results if base is None or base(m)]
            return group, [m for m in group if that(m)]

        def value(record, member_results=None):
            group, meeting = counts(member_results)
            return None if not group else canonical(100.0 * len(meeting) / len(group))

        def detail(record, member_results=None, value=None):
            group, meeting = counts(member_results)
            met = {id(m) for m in meeting}
            return {"numerator": len(meeting), "denominator": len(group),
                    "not_meeting": [m.record.id for m in group if id(m) not in met]}
        return Measure(name, level, ex.NUMBER, {}, {}, "", value, detail, member_rules=self._rules_in(body))

    def _that(self, spec, fields, members, path):
        """A member condition: a where-mapping, with `passed: [rule ids]` for member rule outcomes."""
        if not isinstance(spec, dict):
            raise MeasureError("'that' is a mapping, e.g. {verdict: pass} or {passed: [rule-id]}", path)
        spec = dict(spec)
        checks = []
        if "passed" in spec:
            wanted = spec.pop("passed")
            wanted = tuple([wanted] if isinstance(wanted, str) else wanted)
            checks.append(lambda m: all(m.status_of(r) != "fail" for r in wanted))
        if spec:
            checks.append(compile_filter(spec, fields, self.params, path, members))
        return lambda m: all(c(m) for c in checks)

    @staticmethod
    def _rules_in(body) -> frozenset:
        that = body.get("that") if isinstance(body, dict) else None
        if isinstance(that, dict) and "passed" in that:
            wanted = that["passed"]
            return frozenset([wanted] if isinstance(wanted, str) else wanted)
        return frozenset()

    # -- date of a document
    def _date(self, name, level, body, path, types):
        of, fields, members, preds, allowed = self._predicate(level, body, path)
        allowed |= {"field", "pick"}
        self._reject_unknown(body, allowed, path)
        date_field = body.get("field", "filed_on")
        if fields is None or fields.get(date_field) != ex.DATE:
            raise MeasureError(f"'field' must name a date field of the items", path + ("field",))
        pick = body.get("pick", "earliest")
        if pick not in ("earliest", "latest"):
            raise MeasureError("'pick' is earliest or latest", path + ("pick",))
        choose = min if pick == "earliest" else max
        pred = self._combine(preds)

        def value(record, member_results=None):
            dates = [getattr(i, date_field) for i in getattr(record, of) if (pred is None or pred(i))]
            dates = [d for d in dates if d is not None]
            return choose(dates) if dates else None
        return Measure(name, level, ex.DATE, {}, {}, "", value)

    # -- a field of the record
    def _field(self, name, level, body, path, types):
        fields = model_fields(RECORD_MODEL[level])
        if level == "teacher" and isinstance(body, str) and body.startswith("school."):
            # a teacher's school, when the teacher is evaluated within it (absent for a lone teacher)
            school_field = body.split(".", 1)[1]
            school_fields = model_fields(School)
            if school_field not in school_fields or school_fields[school_field] in (ex.LIST, "table"):
                raise MeasureError(f"'{body}': the school record has no plain field '{school_field}'", path,
                                   ex.suggest(school_field, school_fields))
            get = attrgetter(school_field)
            return Measure(name, level, school_fields[school_field], {}, {}, "",
                           lambda r, school=None: None if school is None else get(school))
        if isinstance(body, str) and body.startswith("counts."):
            key = body.split(".", 1)[1]
            return Measure(name, level, ex.NUMBER, {}, {}, "", lambda r, m=None: r.counts.get(key, 0))
        if body not in fields or fields[body] in ("table",):
            raise MeasureError(f"'field' names a field of the {level} record: {', '.join(fields)} (or counts.NAME)",
                               path, ex.suggest(str(body), fields))
        return Measure(name, level, fields[body], {}, {}, "", lambda r, m=None, body=body: getattr(r, body))

    # -- arithmetic over other measures
    def _expr(self, name, level, body, path, types):
        try:
            tree = ex.parse(body)
            result_type = ex.check(tree, types)
        except ex.ExpressionError as exc:
            raise MeasureError(exc.message, path, exc.hint, code=exc.code) from None
        reads = frozenset(ex.names(tree)) - set(self.params)
        for other in reads:
            other_spec = self.specs.get(other, {})
            if other_spec.get("level") != level and other != "as_of":
                raise MeasureError(f"'{other}' is a {other_spec.get('level')} measure; this is a {level} measure", path)
        closure = ex.to_closure(tree, self.params)
        fn = (lambda values: canonical(closure(values))) if result_type == ex.NUMBER else closure
        # expr measures are computed from the values dict, not the record
        return Measure(name, level, result_type, {}, {}, "", fn, reads=reads)

    # -- a primitive contributed by a plugin
    def _plugin(self, name, level, body, path, primitive):
        from .extensions import PrimitiveContext

        def items(of):
            if of not in COLLECTIONS[level]:
                raise MeasureError(f"'{of}' is not a collection of the {level} record", path)
            return self._items(of, COLLECTIONS[level][of] if COLLECTIONS[level][of] == "members" else None)

        def where(spec, of):
            _, fields, members = self._collection(level, {"of": of}, path)
            return compile_filter(spec, fields, self.params, path + ("where",), members) or (lambda item: True)

        context = PrimitiveContext(level, dict(self.params), items, where)
        try:
            built = primitive.build(body, context)
        except (ValueError, KeyError, TypeError) as exc:
            raise MeasureError(f"{primitive.name} ({primitive.plugin or 'plugin'}): {exc}", path) from None
        value, detail = built if isinstance(built, tuple) else (built, None)
        return Measure(name, level, primitive.result_type, {}, {}, "", value, detail)

    # -- ability points checked against a catalogue
    def _catalogue(self, name, level, body, path, types):
        """`{each: ability_points, catalogue: GD, find: outside | review}`: the chosen codes that are
        outside the catalogue (another namespace, a rejected pattern, or unlisted in a complete
        catalogue), or that need review (unverified, or unlisted in an incomplete catalogue)."""
        if not isinstance(body, dict):
            raise MeasureError("'catalogue' needs each, catalogue and find", path)
        self._reject_unknown(body, {"each", "catalogue", "find"}, path)
        each = body.get("each")
        own_lists = [k for k, v in COLLECTIONS[level].items() if v is None]
        if each not in own_lists:
            raise MeasureError(f"'each' must be one of the record's lists: {', '.join(own_lists)}", path + ("each",))
        catalogue = self.extensions.catalogues.get(body.get("catalogue"))
        if catalogue is None:
            raise MeasureError(f"unknown catalogue '{body.get('catalogue')}'", path + ("catalogue",),
                               ex.suggest(str(body.get("catalogue")), self.extensions.catalogues),
                               code="ruleset.unknown_catalogue")
        find = body.get("find")
        wanted = {"outside": ("outside",), "review": ("unverified", "unlisted")}.get(find)
        if wanted is None:
            raise MeasureError("'find' is outside or review", path + ("find",))
        get = attrgetter(each)
        classify = catalogue.classify
        seen: dict[str, str] = {}  # code -> its class: the same few codes recur across a province

        def kind_of(code):
            kind = seen.get(code)
            if kind is None:
                kind = classify(code)
                if len(seen) < 65536:
                    seen[code] = kind
            return kind

        def value(record, member_results=None):
            return tuple(dict.fromkeys(code for code in get(record) if kind_of(code) in wanted))

        def detail(record, member_results=None, found=None):
            return {"catalogue": catalogue.namespace, "complete": catalogue.complete,
                    "codes": {code: kind_of(code) for code in found or ()}}
        return Measure(name, level, ex.LIST, {}, {}, "", value, detail)
