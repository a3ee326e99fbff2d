"""One rule compiled: its conditions for durable_rules, what they compare, and its wording.

Everything a rule can decide without a record is decided here: names resolved, types checked,
parameters folded into the conditions, computed operands named per rule so that all of a level's
rules share one durable_rules ruleset, templates split into text and names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from . import expressions as ex
from .durable_backend import Condition, FactTooLarge, check_size
from .errors import Location
from .language import LEVELS, Resolved
from .measures import Measure
from .states import DUE_WORDS, citation_of, measure_facts, parse_due
from .wording import PLACEHOLDER, compile_bilingual, fill, unit_suffix

_PLACEHOLDER = PLACEHOLDER
_TEMPLATE_WORDS = {"actual", "expected", "gap"}
BUILTIN_NAMES = {"as_of": ex.DATE}


@dataclass
class Rule:
    """One rule as compiled: what it compares (durable_rules conditions over fact properties) and
    how it words an outcome (templates compiled once). Evaluation decides and fills."""

    id: str
    level: str
    title: dict
    severity: str
    citation: dict
    require: Any
    applies: Any | None
    inputs: tuple  # measure names (and as_of) the rule reads, in a fixed order
    list_inputs: frozenset
    conditions: tuple  # durable_backend.Condition: applies, require, review (none if it never applies)
    properties: dict  # fact property -> closure over measure values: what the conditions compare
    actual_fn: Callable
    actual_unit: dict
    expected_fn: Callable  # values -> {zh, en}
    expected_names: tuple  # the measures an expected template names
    gap_fn: Callable | None
    templates: dict  # status (pass, fail, needs_review, not_applicable), remedy, expected: {zh: Template, en: Template}
    constants: dict
    actual_names: tuple = ()  # the measures the actual value is computed from
    gap_names: tuple = ()
    due: dt.date | None = None  # a requirement unmet on or before this day is not yet due, not failed
    done_on: str | None = None  # the date measure saying when it was done (to say how late)
    facts: frozenset = frozenset()  # the record's facts the rule reads (states.measure_facts)
    actual_label: dict | None = None  # for `m == 0` over a count of bad items: the count's own name, not "actual"

    @property
    def never_applies(self) -> bool:
        """Folded to not applicable by the parameters (a reading switched off): reads nothing."""
        return isinstance(self.applies, ex.Const) and not self.applies.value

    @property
    def key_properties(self) -> tuple:
        """The fact properties an outcome depends on, in a fixed order: the rule's memo key."""
        return tuple(sorted(self.properties))


def _expression(resolved, rule_id, key, text, types, report):
    """Parse + type-check a rule expression; report with line and column."""
    try:
        tree = ex.parse(text)
        kind = ex.check(tree, types)
        return tree, kind
    except ex.ExpressionError as exc:
        base = resolved.where("rule", rule_id, key)
        column = base.column + exc.offset if base.column is not None else None
        report(exc.code, f"rule '{rule_id}' {key}: {exc.message}", Location(base.file, base.line, column, base.path), exc.hint)
        return None, None


def compile_rule(resolved: Resolved, spec: dict, params: dict, param_types: dict, measures: dict[str, Measure], report,
                  number: int):
    rule_id = spec["id"]
    where = lambda *more: resolved.where("rule", rule_id, *more)  # noqa: E731
    level = spec.get("level")
    ok = True
    if level not in LEVELS:
        report("ruleset.invalid_field", f"rule '{rule_id}' needs level: teacher, school or region", where("level"))
        return None
    severity = spec.get("severity", "required")
    if severity not in ("required", "advisory"):
        report("ruleset.invalid_field", f"rule '{rule_id}': severity is required or advisory", where("severity"))
        ok = False
    for key, lang_required in (("title", True),):
        if not _bilingual(spec.get(key)):
            report("ruleset.missing_translation", f"rule '{rule_id}' needs a {key} in zh and en", where(key))
            ok = False
    explain = spec.get("explain") or {}
    for outcome in ("pass", "fail"):
        if not _bilingual(explain.get(outcome)):
            report("ruleset.missing_translation", f"rule '{rule_id}' needs explain.{outcome} in zh and en", where("explain"))
            ok = False
    if "remedy" in spec and not _bilingual(spec["remedy"]):
        report("ruleset.missing_translation", f"rule '{rule_id}': remedy needs zh and en", where("remedy"))
        ok = False
    if severity == "required" and "remedy" not in spec:
        report("ruleset.missing_remedy", f"rule '{rule_id}' is required but says nothing of what to do when it fails (remedy)",
               where(), severity="warning")
    citation = _citation(resolved, rule_id, spec.get("cite"), report)
    if citation is None:
        ok = False

    types = dict(param_types)
    types.update(BUILTIN_NAMES)
    types.update({n: m.type for n, m in measures.items() if m.level == level})
    foreign = {n for n, m in measures.items() if m.level != level}

    def check_level(tree, key):
        wrong = ex.names(tree) & foreign
        for name in sorted(wrong):
            report("ruleset.wrong_level", f"rule '{rule_id}' ({level}) reads '{name}', a {measures[name].level} measure",
                   where(key))
        return not wrong

    if "require" not in spec:
        report("ruleset.missing_field", f"rule '{rule_id}' needs 'require'", where())
        return None
    require, kind = _expression(resolved, rule_id, "require", spec["require"], types, report)
    if require is not None and kind != ex.BOOL:
        report("ruleset.type_error", f"rule '{rule_id}' require must be a yes/no condition, not a {kind}", where("require"))
        require = None
    review = None
    if "review_when" in spec:
        review, kind = _expression(resolved, rule_id, "review_when", spec["review_when"], types, report)
        if review is not None and kind != ex.BOOL:
            report("ruleset.type_error", f"rule '{rule_id}' review_when must be a yes/no condition", where("review_when"))
            return None
        if review is None:
            return None
        if not _bilingual(explain.get("review")):
            report("ruleset.missing_translation", f"rule '{rule_id}' has review_when, so it needs explain.review in zh and en",
                   where("explain"))
            return None
    applies = None
    if "applies_when" in spec:
        applies, kind = _expression(resolved, rule_id, "applies_when", spec["applies_when"], types, report)
        if applies is not None and kind != ex.BOOL:
            report("ruleset.type_error", f"rule '{rule_id}' applies_when must be a yes/no condition", where("applies_when"))
            applies = None
        if applies is None:
            return None
    due, done_on = None, None
    if "due" in spec:
        due, done_on = parse_due(spec["due"], params, measures, level, rule_id, where, report)
        if due is None:
            return None
    if require is None or not ok:
        return None
    if not check_level(require, "require") or (applies is not None and not check_level(applies, "applies_when")):
        return None

    actual_tree = None
    if "actual" in spec:
        actual_tree, _ = _expression(resolved, rule_id, "actual", spec["actual"], types, report)
        if actual_tree is None:
            return None
        if isinstance(actual_tree, ex.Name) and actual_tree.name + PRESENT_SUFFIX in measures:
            actual_tree = ex.Name(actual_tree.name + PRESENT_SUFFIX)  # what the record has, not what it lacks
    else:
        actual_tree = _default_actual(require, params, measures)
    gap_tree = None
    if "gap" in spec and not any("{gap}" in text for text in _texts([spec.get("remedy"), explain])):
        report("ruleset.unused_gap", f"rule '{rule_id}' defines gap but no explanation or remedy shows {{gap}}",
               where("gap"), severity="warning")
    if "gap" in spec:
        gap_tree, kind = _expression(resolved, rule_id, "gap", spec["gap"], types, report)
        if gap_tree is None:
            return None
    else:
        gap_tree = _default_gap(require, params, types)

    read = set(ex.names(require)) | (ex.names(applies) if applies is not None else set())
    read |= ex.names(review) if review is not None else set()
    read |= ex.names(actual_tree) if actual_tree is not None else set()
    read |= ex.names(gap_tree) if gap_tree is not None else set()
    if due is not None:
        read |= {"as_of"} | ({done_on} if done_on else set())
    templates = {"pass": explain["pass"], "fail": explain["fail"]}
    if "not_yet_due" in explain:
        if due is None or not _bilingual(explain["not_yet_due"]):
            report("ruleset.invalid_field", f"rule '{rule_id}': explain.not_yet_due needs zh and en, and a 'due' date",
                   where("explain"))
            return None
        templates["not_yet_due"] = explain["not_yet_due"]
    if review is not None:
        templates["needs_review"] = explain["review"]
    if spec.get("remedy"):
        templates["remedy"] = spec["remedy"]
    if spec.get("not_applicable"):
        templates["not_applicable"] = spec["not_applicable"]
    if "expected" in spec:
        if not _bilingual(spec["expected"]):
            report("ruleset.missing_translation", f"rule '{rule_id}': expected needs zh and en", where("expected"))
            return None
        templates["expected"] = spec["expected"]
    for lang in ("zh", "en"):
        for name in _PLACEHOLDER.findall(spec["title"][lang]):
            if name not in params:
                report("ruleset.unknown_name", f"rule '{rule_id}' title.{lang}: '{{{name}}}' is not a parameter "
                       "(a title may name parameters only)", where("title"), ex.suggest(name, params))
                ok = False
    known = set(types) | _TEMPLATE_WORDS | (set(DUE_WORDS) if due is not None else set())
    for key, template in templates.items():
        for lang in ("zh", "en"):
            for name in _PLACEHOLDER.findall(template[lang]):
                if name not in known:
                    report("ruleset.unknown_name", f"rule '{rule_id}' {key}.{lang}: unknown placeholder '{{{name}}}'",
                           where(*(("explain",) if key in ("pass", "fail", "needs_review", "not_yet_due") else (key,))),
                           ex.suggest(name, known))
                    ok = False
                elif name not in _TEMPLATE_WORDS and name not in params and name not in DUE_WORDS:
                    read.add(name)
    if not ok:
        return None
    inputs = tuple(sorted(n for n in read if n not in params))
    constants = {n: params[n] for n in sorted(read | _template_params(templates, params)) if n in params}

    folded_require = ex.fold(require, params)
    folded_applies = ex.fold(applies, params) if applies is not None else None
    if isinstance(folded_applies, ex.Const) and folded_applies.value:
        folded_applies = None  # always applies
    never_applies = isinstance(folded_applies, ex.Const)
    if isinstance(folded_require, ex.Const) and not never_applies:
        report("ruleset.constant_condition", f"rule '{rule_id}' require does not depend on any measure: with these "
               f"parameters it is always {'met' if folded_require.value else 'unmet'}", where("require"))
        return None
    try:
        conditions, props = {}, {}
        if not never_applies:
            conditions["require"] = ex.to_durable(folded_require, params, props).condition
            if folded_applies is not None:
                conditions["applies"] = ex.to_durable(folded_applies, params, props).condition
            folded_review = ex.fold(review, params) if review is not None else None
            if isinstance(folded_review, ex.Const):
                if folded_review.value:
                    report("ruleset.constant_condition", f"rule '{rule_id}' review_when is always true with these parameters",
                           where("review_when"))
                    return None
            elif folded_review is not None:
                conditions["review"] = ex.to_durable(folded_review, params, props).condition
        # computed operands (e_0, len(x) …) are per rule: named after the rule's place in the document
        renamed = {p: f"{p}_r{number}" for p in props if not p.startswith("v_")}
        props = {renamed.get(p, p): getter for p, getter in props.items()}
        check_size(props)
        rule_conditions = tuple(Condition(rule_id, label, _renamed(condition, renamed), frozenset(_properties_in(condition, renamed)))
                                for label, condition in conditions.items())
    except ex.ExpressionError as exc:
        report(exc.code, f"rule '{rule_id}': {exc.message}", where("require"), exc.hint)
        return None
    except FactTooLarge as exc:
        report("ruleset.too_many_values", f"rule '{rule_id}': {exc}", where("require"))
        return None

    actual_fn = ex.to_closure(actual_tree, params) if actual_tree is not None else (lambda values: None)
    unit = {}
    if isinstance(actual_tree, ex.Name) and actual_tree.name in measures:
        unit = measures[actual_tree.name].unit
    gap_fn = ex.to_closure(gap_tree, params) if gap_tree is not None else None
    compiled_templates = {key: compile_bilingual(texts) for key, texts in templates.items()}
    expected_fn, expected_names = _expected(compiled_templates.get("expected"), require, params, measures, inputs, constants)
    measure_names = lambda tree: tuple(sorted(ex.names(tree) - set(params))) if tree is not None else ()  # noqa: E731
    return Rule(
        id=rule_id, level=level, title=render_title(spec["title"], params), severity=severity, citation=citation,
        require=require, applies=folded_applies, inputs=inputs,
        list_inputs=frozenset(n for n in inputs if types.get(n) == ex.LIST),
        conditions=rule_conditions, properties=props, actual_fn=actual_fn, actual_unit=unit,
        expected_fn=expected_fn, expected_names=expected_names, gap_fn=gap_fn,
        templates=compiled_templates, constants=constants,
        actual_names=measure_names(actual_tree), gap_names=measure_names(gap_tree), due=due, done_on=done_on,
        facts=frozenset(f for name in inputs if name in measures for f in measure_facts(name, measures)),
        actual_label=_count_of_bad_items(require, spec, measures))


def _count_of_bad_items(require, spec: dict, measures: dict) -> dict | None:
    """`m == 0` over a count: a tally of things that should not be there (格式不符的总结). Its value is
    labelled by the count's title ("格式不符的总结: 1份"), not as an "actual" to hold against "= 0"."""
    if "actual" in spec or not isinstance(require, ex.Compare) or require.op != "==":
        return None
    sides = (require.left, require.right)
    zero = [s for s in sides if isinstance(s, ex.Const) and s.value == 0 and s.type == ex.NUMBER]
    named = [s for s in sides if isinstance(s, ex.Name) and s.name in measures]
    if not zero or not named or measures[named[0].name].primitive != "count":
        return None
    return dict(measures[named[0].name].title)


def _renamed(condition, names: dict):
    """A durable_rules condition with fact properties renamed (keys, and `$m` references)."""
    if isinstance(condition, dict):
        return {names.get(k, k): (names.get(v, v) if k == "$m" and isinstance(v, str) else _renamed(v, names))
                for k, v in condition.items()}
    if isinstance(condition, list):
        return [_renamed(item, names) for item in condition]
    return condition


def _properties_in(condition, names: dict) -> set:
    """The fact properties a condition reads (after renaming)."""
    found: set = set()
    if isinstance(condition, dict):
        for k, v in condition.items():
            if not k.startswith("$"):
                found.add(names.get(k, k))
            if k == "$m" and isinstance(v, str):
                found.add(names.get(v, v))
            else:
                found |= _properties_in(v, names)
    elif isinstance(condition, list):
        for item in condition:
            found |= _properties_in(item, names)
    return found


def render_title(title: dict, params: dict) -> dict:
    """A title may name parameters ("校本研修累计{school_based_hours_required}学时"): filled once, here,
    so a changed threshold changes the title with it."""
    words = {lang: {n: ex.format_value(v, lang) for n, v in params.items()} for lang in ("zh", "en")}
    return {lang: fill(title[lang], words[lang]) for lang in ("zh", "en")}


def _texts(value) -> list[str]:
    """Every string inside a (nested) template mapping."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _template_params(templates: dict, params: dict) -> set[str]:
    out = set()
    for template in templates.values():
        for lang in ("zh", "en"):
            out |= {n for n in _PLACEHOLDER.findall(template[lang]) if n in params}
    return out


def _bilingual(value) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(l), str) and value[l].strip() for l in ("zh", "en"))


def _citation(resolved: Resolved, rule_id: str, cite, report) -> dict | None:
    return citation_of(resolved, f"rule '{rule_id}'", report)(cite, resolved.where("rule", rule_id, "cite"))


def _measure_side(node):
    """The measure a simple comparison is about: `x >= p`, `p <= x`, `len(x) == 0`."""
    if isinstance(node, ex.Compare):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(side, (ex.Name, ex.Call)) and isinstance(other, (ex.Name, ex.Const)):
                return side, other
    return None, None


PRESENT_SUFFIX = "_present"  # `m_present`: the required items of a `missing` measure m that are there


def _default_actual(require, params, measures: dict | None = None):
    """The measure a requirement is about; for `len(m) == 0` over a `missing` m, what is there (`m_present`)."""
    found = default_actual_of(require, params)
    if measures is not None and isinstance(found, ex.Name) and found.name + PRESENT_SUFFIX in measures:
        return ex.Name(found.name + PRESENT_SUFFIX)
    return found


def default_actual_of(require, params):
    side, _ = _measure_side(require)
    if side is not None and not (isinstance(side, ex.Name) and side.name in params):
        return side.arg if isinstance(side, ex.Call) else side
    names = sorted(ex.names(require) - set(params))
    return ex.Name(names[0]) if len(names) == 1 else None


def _default_gap(require, params, types):
    """For `measure >= p` (and friends) the shortfall p - measure; else no gap."""
    if not isinstance(require, ex.Compare) or require.op not in (">=", ">", "<=", "<"):
        return None
    left, right = require.left, require.right
    if types.get(getattr(left, "name", None)) != ex.NUMBER and not isinstance(left, ex.Const):
        if not (isinstance(left, ex.Name) and left.name in params):
            return None
    if require.op in (">=", ">"):
        return ex.Arith("-", right, left)
    return ex.Arith("-", left, right)


def _expected(template, require, params, measures, inputs, constants) -> tuple[Callable, tuple]:
    """The requirement as policy text, and the measures it names: a template from the ruleset, or
    derived from the condition (then the same for every record)."""
    if template is not None:
        constant_words = {lang: {n: ex.format_value(v, lang) for n, v in constants.items()} for lang in ("zh", "en")}
        names = tuple(n for n in dict.fromkeys(template["zh"].names + template["en"].names) if n in inputs)

        def expected(values):
            out = {}
            for lang in ("zh", "en"):
                words = dict(constant_words[lang])
                words.update({n: ex.format_value(values.get(n), lang) for n in names})
                out[lang] = template[lang].fill(words)
            return out
        return expected, names
    side, other = _measure_side(require)
    if side is not None and isinstance(require, ex.Compare):
        op = require.op if require.left is side else ex._FLIP[require.op]
        unit = measures[side.name].unit if isinstance(side, ex.Name) and side.name in measures else {}
        text = {}
        for lang in ("zh", "en"):
            if isinstance(other, ex.Name) and other.name in params:
                value = ex.format_value(params[other.name], lang)
            elif isinstance(other, ex.Const):
                value = ex.format_value(other.value, lang)
            else:
                value = other.name
            suffix = unit_suffix(1, unit, lang)
            text[lang] = f"{ex.SYMBOL[op]} {value}{suffix}"
        return (lambda values: text), ()
    rendered = ex.render(require, params)
    fixed = {"zh": rendered, "en": rendered}
    return (lambda values: fixed), ()
