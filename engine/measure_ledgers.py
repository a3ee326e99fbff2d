"""sum: a ledger's entries added up, with a credit per kind, a cap per entry and a cap on the total.
"""

from __future__ import annotations

from operator import attrgetter

from . import expressions as ex
from .filters import all_of, equality
from .measure_model import Measure, MeasureError, canonical
from .records import normal_text


# sum with credits and caps
def sum_(c, name, level, body, path, types):
    of, fields, members, preds, allowed = c.predicate(level, body, path)
    allowed |= {"value", "credit", "by", "cap", "others"}
    c.reject_unknown(body, allowed, path)
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
        kind = normal_text(kind)
        if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in ("fixed", "up_to", "reported"):
            raise MeasureError(f"credit for '{kind}' must be one of fixed: P, up_to: P, reported: true",
                               path + ("credit", kind))
        how, operand = next(iter(rule.items()))
        if how != "reported":
            amount = c.number(operand, path + ("credit", kind, how))
            credit_rules[kind] = (how, amount)
        else:
            credit_rules[kind] = ("reported", 0)
    cap = c.number(body["cap"], path + ("cap",)) if "cap" in body else None
    pred = all_of(preds)
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

    eq_get, eq_wanted = equality(body)
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


def reductions(c, name, level, body, path, types):
    """`{of: school_based_hours}`: the entries a `sum` measure credited less than reported, as
    `线下活动 12→10` — why the hours recorded are fewer than the hours reported."""
    other = body.get("of") if isinstance(body, dict) else None
    spec = c.specs.get(other) if isinstance(other, str) else None
    if not isinstance(spec, dict) or "sum" not in spec or spec.get("level") != level:
        raise MeasureError(f"'reductions' needs 'of': a sum measure of the {level}", path + ("of",),
                           ex.suggest(str(other), [n for n, s in c.specs.items() if isinstance(s, dict) and "sum" in s]))
    c.reject_unknown(body, {"of"}, path)
    summed = sum_(c, other, level, spec["sum"], ("sum",), types)

    def value(record, member_results=None):
        entries = summed.detail(record)["entries"]
        return tuple(dict.fromkeys(f"{e['kind']} {ex.format_value(e['reported'])}→{ex.format_value(e['credited'])}"
                                   for e in entries if e["credited"] < e["reported"]))
    return Measure(name, level, ex.LIST, {}, {}, "", value)
