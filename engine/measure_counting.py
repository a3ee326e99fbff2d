"""Counting primitives: count, exists, distinct_count, and share (% of a group of teachers or schools).
"""

from __future__ import annotations

from operator import attrgetter

from . import expressions as ex
from .filters import all_of, equality, item_getter
from .measure_model import MEMBER_LEVEL, Measure, MeasureError, canonical


# count / exists / distinct_count
def count(c, name, level, body, path, types, as_bool=False):
    of, fields, members, preds, allowed = c.predicate(level, body, path)
    if members is not None and "that" in body:
        preds.append(c.that(body["that"], fields, members, path + ("that",)))
        allowed.add("that")
    c.reject_unknown(body, allowed, path)
    items, pred = c.items(of, members), all_of(preds)
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
    elif equality(body)[0] is not None:
        get = attrgetter(of)
        get_field, wanted = equality(body)

        def value(record, member_results=None):  # map/count run in C: the common case, fast
            return list(map(get_field, get(record))).count(wanted)
    elif c.leading_equality(level, of, body, path) is not None:
        get = attrgetter(of)
        get_field, wanted, rest = c.leading_equality(level, of, body, path)

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
    return Measure(name, level, ex.NUMBER, {}, {}, "", value, detail, member_rules=c.rules_in(body))

def exists(c, name, level, body, path, types):
    return count(c, name, level, body, path, types, as_bool=True)

def distinct_count(c, name, level, body, path, types):
    of, fields, members, preds, allowed = c.predicate(level, body, path)
    allowed.add("by")
    c.reject_unknown(body, allowed, path)
    by = body.get("by")
    if fields is None and by not in (None, "value"):
        raise MeasureError("plain-text items are counted as they are; leave out 'by'", path + ("by",))
    if fields is not None and by not in fields and not (members is not None and by in members):
        raise MeasureError(f"'by' must name a field of the items: {', '.join(fields)}", path + ("by",))
    items, pred = c.items(of, members), all_of(preds)
    if fields is None and pred is None and members is None:
        get = attrgetter(of)

        def value(record, member_results=None):
            return len(set(get(record)))
        return Measure(name, level, ex.NUMBER, {}, {}, "", value)
    # members (teachers of a school, schools of a region) are results: read the key from their record
    key = (lambda item: item) if fields is None else item_getter(by, fields, path + ("by",), members)

    def value(record, member_results=None):
        return len({key(i) for i in items(record, member_results) if pred is None or pred(i)} - {None})
    return Measure(name, level, ex.NUMBER, {}, {}, "", value)


# share of a group
def share(c, name, level, body, path, types):
    if level not in MEMBER_LEVEL:
        raise MeasureError("'share' is measured over the teachers of a school or the schools of a region", path)
    of, fields, members, preds, allowed = c.predicate(level, body, path)
    if members is None:
        raise MeasureError(f"'share' is over teachers (school level) or schools (region level)", path + ("of",))
    if "that" not in body:
        raise MeasureError("'share' needs 'that': the condition the counted members meet", path)
    allowed.add("that")
    c.reject_unknown(body, allowed, path)
    base = all_of(preds)
    that = c.that(body["that"], fields, members, path + ("that",))

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
    return Measure(name, level, ex.NUMBER, {}, {}, "", value, detail, member_rules=c.rules_in(body))
