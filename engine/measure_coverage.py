"""Set coverage: missing (every required item is present) and catalogue (chosen ability points checked
against a plugin's catalogue).
"""

from __future__ import annotations

from operator import attrgetter

from . import expressions as ex
from .filters import all_of, equality, item_getter, words
from .measure_model import COLLECTIONS, Measure, MeasureError
from .records import normal_text


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
        required = tuple(normal_text(i) for i in c.params[each])
        required_of = lambda record: required  # noqa: E731
    elif isinstance(each, str) and each in own_lists:
        required_of = attrgetter(each)
    elif isinstance(each, list):
        required = tuple(normal_text(i) for i in each)
        required_of = lambda record: required  # noqa: E731
    else:
        raise MeasureError(f"'each' must be a list parameter or one of: {', '.join(sorted(own_lists))}",
                           path + ("each",), ex.suggest(str(each), list(c.params) + list(own_lists)))
    inner = dict(body)
    inner["of"] = inner.pop("in", None)
    inner.pop("each", None)
    by = inner.pop("by", None)
    if isinstance(inner["of"], str) and inner["of"] in c.params:  # e.g. every chosen point is in the catalogue
        allowed = words(c.params[inner["of"]])

        def not_listed(record, member_results=None):
            return tuple(dict.fromkeys(i for i in required_of(record) if i not in allowed))

        def listed(record, member_results=None):
            return tuple(dict.fromkeys(i for i in required_of(record) if i in allowed))
        # the value itself lists what is missing
        return Measure(name, level, ex.LIST, {}, {}, "", not_listed, present=listed)
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

    def found(record, member_results):
        if eq_get is not None:
            return {key(i) for i in get_items(record, member_results) if eq_get(i) == eq_wanted}
        return {key(i) for i in get_items(record, member_results) if pred is None or pred(i)}

    def value(record, member_results=None):
        required = required_of(record)
        if not required:
            return ()
        there = found(record, member_results)
        return tuple(dict.fromkeys(i for i in required if i not in there))

    def present(record, member_results=None):
        """What the record has of the required items: the `actual` of a coverage rule."""
        there = found(record, member_results)
        return tuple(dict.fromkeys(i for i in required_of(record) if i in there))

    if isinstance(each, str) and each in own_lists:  # required = the record's own list, shown there
        return Measure(name, level, ex.LIST, {}, {}, "", value, present=present)
    required_items = list(dict.fromkeys(required_of(None)))

    def detail(record, member_results=None, missing=None):
        return {"required": required_items, "present": len(required_items) - len(missing or ())}
    return Measure(name, level, ex.LIST, {}, {}, "", value, detail, present=present)


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


# naming the things counted
def collect(c, name, level, body, path, types):
    """`{of: artefacts, where: …, field: file_name}`: that field of the matching items, in order,
    each once — so an explanation names the files (`B1提升总结.ppt`), not only how many."""
    of, fields, members, preds, allowed = c.predicate(level, body, path)
    allowed.add("field")
    c.reject_unknown(body, allowed, path)
    wanted = body.get("field")
    if fields is None:
        get = lambda item: item  # noqa: E731
    elif members is not None and wanted in fields:
        get = attrgetter("record." + wanted)
    elif members is None and wanted in fields and fields[wanted] in (ex.STRING, ex.NUMBER, ex.DATE):
        get = attrgetter(wanted)
    else:
        raise MeasureError(f"'field' names a plain field of the items: {', '.join(fields or ())}", path + ("field",),
                           ex.suggest(str(wanted), fields or {}))
    items, pred = c.items(of, members), all_of(preds)

    def value(record, member_results=None):
        found = (get(i) for i in items(record, member_results) if pred is None or pred(i))
        return tuple(dict.fromkeys(v for v in found if v is not None))
    return Measure(name, level, ex.LIST, {}, {}, "", value)


# entries whose words the ruleset does not know
def unrecognised(c, name, level, body, path, types):
    """`{of: hours, where: …, fields: [category, kind]}`: the words in those fields of the items that no
    measure of this ruleset compares them with (its `where` filters, its credit tables), plus
    any `known:` {field: [words] or a list parameter}. A field no measure constrains is not
    checked. So an entry of category 校本培训 is named, not silently counted as nothing."""
    if not isinstance(body, dict):
        raise MeasureError("'unrecognised' needs of and fields", path)
    c.reject_unknown(body, {"of", "where", "where_any", "fields", "known"}, path)
    of, fields, members, preds, _ = c.predicate(level, body, path)
    if members is not None or fields is None:
        raise MeasureError("'unrecognised' reads entries of the record (e.g. of: hours)", path + ("of",))
    wanted = body.get("fields")
    if not isinstance(wanted, list) or not wanted or any(f not in fields or fields[f] != ex.STRING for f in wanted):
        raise MeasureError(f"'fields' lists text fields of the items: "
                           f"{', '.join(k for k, t in fields.items() if t == ex.STRING)}", path + ("fields",))
    known = {f: set() for f in wanted}
    for other_name, spec in c.specs.items():
        if other_name == name or not isinstance(spec, dict) or spec.get("level") != level:
            continue
        for primitive, other in spec.items():
            if isinstance(other, dict) and other.get("of", other.get("in")) == of:
                _words_compared(c, other, known)
    extra = body.get("known") or {}
    if not isinstance(extra, dict) or any(f not in known for f in extra):
        raise MeasureError("'known' maps a field of 'fields' to more words (a list or a list parameter)", path + ("known",))
    for field_name, words in extra.items():
        words = c.params.get(words, words) if isinstance(words, str) else words
        if not isinstance(words, (list, tuple)):
            raise MeasureError(f"'known.{field_name}' needs a list", path + ("known", field_name))
        known[field_name] |= {normal_text(w) for w in words}
    checks = tuple((attrgetter(f), frozenset(words)) for f, words in known.items() if words)
    get_items, pred = attrgetter(of), all_of(preds)

    def value(record, member_results=None):
        found = []
        for item in get_items(record):
            if pred is not None and not pred(item):
                continue
            for get, words in checks:
                word = get(item)
                if word is not None and word not in words:
                    found.append(word)
        return tuple(dict.fromkeys(found))

    listed = {f: sorted(w) for f, w in known.items() if w}  # the same for every record: sorted once, shared

    def detail(record, member_results=None, found=None):
        if not found:  # most records use only known words
            return {"entries": [], "known": listed}
        entries = [{"entry": i, "field": f, "value": getattr(item, f)}
                   for i, item in enumerate(get_items(record)) if pred is None or pred(item) for f, words in known.items()
                   if words and getattr(item, f) is not None and getattr(item, f) not in words]
        return {"entries": entries, "known": listed}
    return Measure(name, level, ex.LIST, {}, {}, "", value, detail)


def _words_compared(c, body: dict, known: dict) -> None:
    """The words a measure body compares with the given fields: filters and credit tables."""
    filters = [body.get("where")] + list(body.get("where_any") or [])
    for where in filters:
        if not isinstance(where, dict):
            continue
        for field_name, condition in where.items():
            if field_name not in known:
                continue
            if isinstance(condition, dict):
                condition = [w for op, operand in condition.items() if op in ("in", "eq")
                             for w in (c.params.get(operand, operand) if isinstance(operand, str) and op == "in"
                                       else operand if isinstance(operand, (list, tuple)) else [operand])]
            for word in condition if isinstance(condition, (list, tuple)) else [condition]:
                if isinstance(word, str):
                    known[field_name].add(normal_text(word))
    by = body.get("by", "kind")
    if by in known and isinstance(body.get("credit"), dict):
        known[by] |= {normal_text(k) for k in body["credit"]}
