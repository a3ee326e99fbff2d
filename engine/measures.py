"""Measure primitives: the general building blocks a ruleset derives its values from.

count, distinct_count, exists, sum (with a credit per kind, a cap per item and a cap on the
total), missing (set coverage: "every chosen point has a summary"), share (% of a group),
date (earliest/latest date of a kind of document), field (a value of the record) and expr
(arithmetic over other measures). Nothing here knows any jurisdiction: the kinds, credits and caps
all come from the ruleset.

This module dispatches to the primitives (`measure_counting`, `measure_ledgers`, `measure_coverage`,
`measure_values`) and holds what they share: collections, filters, parameters, member rules. Each
primitive compiles once into a `Measure` whose `value` runs per record on the hot path, and
whose `detail` says how the value came about (which entries were credited and by how much, which
cap applied, which items are missing, numerator and denominator).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from . import expressions as ex
from . import measure_counting, measure_coverage, measure_ledgers, measure_values
from .filters import FILTER_OPS, all_of, compile_any_filter, compile_filter  # noqa: F401  (the measure language's surface)
from .records import normal_text
from .measure_model import (COLLECTIONS, MEMBER_LEVEL, RECORD_MODEL, Measure, MeasureError, canonical,  # noqa: F401
                            model_fields)

PRIMITIVES = ("count", "distinct_count", "exists", "sum", "missing", "share", "date", "field", "expr", "catalogue",
              "unrecognised", "collect", "reductions")
BUILDERS = {
    "count": measure_counting.count, "exists": measure_counting.exists, "distinct_count": measure_counting.distinct_count,
    "share": measure_counting.share, "sum": measure_ledgers.sum_, "missing": measure_coverage.missing,
    "catalogue": measure_coverage.catalogue, "date": measure_values.date, "field": measure_values.field_,
    "expr": measure_values.expr, "unrecognised": measure_coverage.unrecognised, "collect": measure_coverage.collect,
    "reductions": measure_ledgers.reductions,
}


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
            measure = measure_values.plugin(self, name, level, body, (primitive,), self.extensions.primitives[primitive])
        else:
            measure = BUILDERS[primitive](self, name, level, body, (primitive,), types)
        measure.title, measure.unit, measure.primitive, measure.spec = spec["title"], unit, primitive, spec
        return measure

    # -- helpers
    def collection(self, level: str, body: dict, path: tuple):
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

    def predicate(self, level, body, path):
        of, fields, members = self.collection(level, body, path)
        preds = []
        if "where" in body:
            preds.append(compile_filter(body["where"], fields, self.params, path + ("where",), members))
        if "where_any" in body:
            preds.append(compile_any_filter(body["where_any"], fields, self.params, path + ("where_any",), members))
        allowed = {"of", "where", "where_any"}
        return of, fields, members, preds, allowed

    @staticmethod
    def reject_unknown(body: dict, allowed: set, path: tuple):
        for key in body:
            if key not in allowed:
                raise MeasureError(f"unknown field '{key}'", path + (key,), ex.suggest(str(key), allowed))

    def leading_equality(self, level: str, of: str, body: dict, path: tuple):
        """(getter, value, predicate of the other conditions) when `where` starts with a plain
        `field: value` on ledger items: most items fail it, so it is checked inline first."""
        where = body.get("where")
        if not isinstance(where, dict) or not where:
            return None
        (field_name, wanted), *others = where.items()
        if isinstance(wanted, (dict, list)) or str(field_name).startswith("counts."):
            return None
        _, fields, members = self.collection(level, {"of": of}, path)
        if fields is None or members is not None or field_name not in fields:
            return None
        rest = []
        if others:
            rest.append(compile_filter(dict(others), fields, self.params, path + ("where",)))
        if "where_any" in body:
            rest.append(compile_any_filter(body["where_any"], fields, self.params, path + ("where_any",)))
        return attrgetter(str(field_name)), normal_text(wanted), all_of(rest)

    def items(self, of: str, members: Any):
        """Getter for the collection: record attribute, or the member results handed in."""
        if members is not None:
            return lambda record, member_results: member_results
        return lambda record, member_results, of=of: getattr(record, of)

    def number(self, operand, path):
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

    def that(self, spec, fields, members, path):
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
    def rules_in(body) -> frozenset:
        that = body.get("that") if isinstance(body, dict) else None
        if isinstance(that, dict) and "passed" in that:
            wanted = that["passed"]
            return frozenset([wanted] if isinstance(wanted, str) else wanted)
        return frozenset()
