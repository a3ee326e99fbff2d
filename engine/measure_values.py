"""Single values: date (earliest or latest date of a kind of document), field (a value of the record),
expr (arithmetic over other measures), and primitives plugins contribute.
"""

from __future__ import annotations

from operator import attrgetter

from . import expressions as ex
from .filters import all_of, compile_filter
from .measure_model import COLLECTIONS, RECORD_MODEL, Measure, MeasureError, canonical, model_fields
from .records import School


# date of a document
def date(c, name, level, body, path, types):
    of, fields, members, preds, allowed = c.predicate(level, body, path)
    allowed |= {"field", "pick"}
    c.reject_unknown(body, allowed, path)
    date_field = body.get("field", "filed_on")
    if fields is None or fields.get(date_field) != ex.DATE:
        raise MeasureError(f"'field' must name a date field of the items", path + ("field",))
    pick = body.get("pick", "earliest")
    if pick not in ("earliest", "latest"):
        raise MeasureError("'pick' is earliest or latest", path + ("pick",))
    choose = min if pick == "earliest" else max
    pred = all_of(preds)

    def value(record, member_results=None):
        dates = [getattr(i, date_field) for i in getattr(record, of) if (pred is None or pred(i))]
        dates = [d for d in dates if d is not None]
        return choose(dates) if dates else None
    return Measure(name, level, ex.DATE, {}, {}, "", value)

# a field of the record
def field_(c, name, level, body, path, types):
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

# arithmetic over other measures
def expr(c, name, level, body, path, types):
    try:
        tree = ex.parse(body)
        result_type = ex.check(tree, types)
    except ex.ExpressionError as exc:
        raise MeasureError(exc.message, path, exc.hint, code=exc.code) from None
    reads = frozenset(ex.names(tree)) - set(c.params)
    for other in reads:
        other_spec = c.specs.get(other, {})
        if other_spec.get("level") != level and other != "as_of":
            raise MeasureError(f"'{other}' is a {other_spec.get('level')} measure; this is a {level} measure", path)
    closure = ex.to_closure(tree, c.params)
    fn = (lambda values: canonical(closure(values))) if result_type == ex.NUMBER else closure
    # expr measures are computed from the values dict, not the record
    return Measure(name, level, result_type, {}, {}, "", fn, reads=reads)


# a primitive contributed by a plugin
def plugin(c, name, level, body, path, primitive):
    from .extensions import PrimitiveContext

    def items(of):
        if of not in COLLECTIONS[level]:
            raise MeasureError(f"'{of}' is not a collection of the {level} record", path)
        return c.items(of, COLLECTIONS[level][of] if COLLECTIONS[level][of] == "members" else None)

    def where(spec, of):
        _, fields, members = c.collection(level, {"of": of}, path)
        return compile_filter(spec, fields, c.params, path + ("where",), members) or (lambda item: True)

    context = PrimitiveContext(level, dict(c.params), items, where)
    try:
        built = primitive.build(body, context)
    except (ValueError, KeyError, TypeError) as exc:
        raise MeasureError(f"{primitive.name} ({primitive.plugin or 'plugin'}): {exc}", path) from None
    value, detail = built if isinstance(built, tuple) else (built, None)
    return Measure(name, level, primitive.result_type, {}, {}, "", value, detail)
