"""Set coverage: missing (every required item is present) and catalogue (chosen ability points checked
against a plugin's catalogue).
"""

from __future__ import annotations

from operator import attrgetter

from . import expressions as ex
from .filters import all_of, equality, item_getter
from .measure_model import COLLECTIONS, Measure, MeasureError


# missing: set coverage
def missing(c, name, level, body, path, types):
    """`each` required item (a list parameter, or one of the record's own text lists) must
    appear as the `by` field of some item of `in` (filtered by `where`). Value: what is missing."""
    if not isinstance(body, dict):
        raise MeasureError("'missing' needs each, in and (for records) by", path)
    c.reject_unknown(body, {"each", "in", "by", "where", "where_any"}, path)
    each = body.get("each")
    own_lists = {k for k, v in COLLECTIONS[level].items() if v is None}
    if isinstance(each, str) and each in c.params:
        required = tuple(c.params[each])
        required_of = lambda record: required  # noqa: E731
    elif isinstance(each, str) and each in own_lists:
        required_of = attrgetter(each)
    elif isinstance(each, list):
        required = tuple(each)
        required_of = lambda record: required  # noqa: E731
    else:
        raise MeasureError(f"'each' must be a list parameter or one of: {', '.join(sorted(own_lists))}",
                           path + ("each",), ex.suggest(str(each), list(c.params) + list(own_lists)))
    inner = dict(body)
    inner["of"] = inner.pop("in", None)
    inner.pop("each", None)
    by = inner.pop("by", None)
    if isinstance(inner["of"], str) and inner["of"] in c.params:  # e.g. every chosen point is in the catalogue
        allowed = frozenset(c.params[inner["of"]])

        def not_listed(record, member_results=None):
            return tuple(dict.fromkeys(i for i in required_of(record) if i not in allowed))
        return Measure(name, level, ex.LIST, {}, {}, "", not_listed)  # the value itself lists what is missing
    of, fields, members, preds, _ = c.predicate(level, inner, path)
    if fields is None:
        key = lambda item: item  # noqa: E731
    elif by in fields or (members is not None and by in members):
        key = item_getter(by, fields, path + ("by",), members)
    else:
        raise MeasureError(f"'by' must name the field that holds the required item: {', '.join(fields)}", path + ("by",))
    pred = all_of(preds)
    get_items = c.items(of, members)
    # members are results, read through their record: the inline equality is for plain items only
    eq_get, eq_wanted = equality(inner) if members is None else (None, None)

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


# ability points checked against a catalogue
def catalogue(c, name, level, body, path, types):
    """`{each: ability_points, catalogue: GD, find: outside | review}`: the chosen codes that are
    outside the catalogue (another namespace, a rejected pattern, or unlisted in a complete
    catalogue), or that need review (unverified, or unlisted in an incomplete catalogue)."""
    if not isinstance(body, dict):
        raise MeasureError("'catalogue' needs each, catalogue and find", path)
    c.reject_unknown(body, {"each", "catalogue", "find"}, path)
    each = body.get("each")
    own_lists = [k for k, v in COLLECTIONS[level].items() if v is None]
    if each not in own_lists:
        raise MeasureError(f"'each' must be one of the record's lists: {', '.join(own_lists)}", path + ("each",))
    catalogue = c.extensions.catalogues.get(body.get("catalogue"))
    if catalogue is None:
        raise MeasureError(f"unknown catalogue '{body.get('catalogue')}'", path + ("catalogue",),
                           ex.suggest(str(body.get("catalogue")), c.extensions.catalogues),
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

    details: dict = {}  # the codes found -> how they were classed: most teachers find none, many the same

    def detail(record, member_results=None, found=None):
        key = found or ()
        out = details.get(key)
        if out is None:
            out = {"catalogue": catalogue.namespace, "complete": catalogue.complete,
                   "codes": {code: kind_of(code) for code in key}}
            if len(details) < 4096:
                details[key] = out
        return out
    return Measure(name, level, ex.LIST, {}, {}, "", value, detail)
