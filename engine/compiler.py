"""Resolved ruleset → CompiledRuleset: measures as closures, rule conditions as durable_rules rulesets.

Everything that can be decided without a record is decided here, once: names are resolved,
types checked, parameters folded into conditions, templates checked, and each rule registered
with durable_rules under a name that includes the revision. `evaluation` then only evaluates.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import expressions as ex
from .durable_backend import Condition, FactTooLarge, LevelMatcher, check_size, ruleset_name
from .errors import Diagnostic, Location, RulesetError
from .language import LEVELS, Resolved, parse_date
from .measures import MEMBER_LEVEL, Compiler as MeasureCompiler, Measure, MeasureError
from .wording import DEFAULT_LABELS, PLACEHOLDER, compile_bilingual, fill, label as label_of, unit_suffix

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
    actual_label: dict | None = None  # for `m == 0` over a count of bad items: the count's own name, not "actual"
    gap_names: tuple = ()

    @property
    def never_applies(self) -> bool:
        """Folded to not applicable by the parameters (a reading switched off): reads nothing."""
        return isinstance(self.applies, ex.Const) and not self.applies.value

    @property
    def key_properties(self) -> tuple:
        """The fact properties an outcome depends on, in a fixed order: the rule's memo key."""
        return tuple(sorted(self.properties))


@dataclass
class CompiledRuleset:
    resolved: Resolved
    parameters: dict[str, Any]
    parameter_types: dict[str, str]
    measures: dict[str, list[Measure]]  # level -> measures in dependency order
    rules: dict[str, list[Rule]]  # level -> rules in document order
    labels: dict
    warnings: list[Diagnostic]
    overrides: dict = field(default_factory=dict)  # parameter values set at compile time (simulations)
    extensions: Any = None  # the plugins' primitives and catalogues it was compiled with
    catalogue: str | None = None  # namespace bare ability-point codes in records are read in (B1 → GD:B1)
    layouts: dict = field(default_factory=dict)  # level -> measure layout for output, built on first use
    matchers: dict = field(default_factory=dict)  # level -> durable_backend.LevelMatcher of its rules' conditions

    @property
    def id(self) -> str:
        return self.resolved.id

    @property
    def revision(self) -> str:
        return self.resolved.revision

    def with_overrides(self, overrides: dict[str, Any]) -> "CompiledRuleset":
        """The same ruleset compiled with some parameters set otherwise (with the same plugins' extensions)."""
        return compile_ruleset(self.resolved, overrides, self.extensions)

    def rule(self, rule_id: str) -> Rule:
        for rules in self.rules.values():
            for rule in rules:
                if rule.id == rule_id:
                    return rule
        raise KeyError(rule_id)

    def all_rules(self) -> list[Rule]:
        return [r for level in LEVELS for r in self.rules[level]]

    def in_force(self, day) -> bool:
        start, end = self.resolved.effective_from, self.resolved.effective_until
        return (start is None or day >= start) and (end is None or day <= end)

    def label(self, level: str, status: str, lang: str) -> str:
        return label_of(self.labels, level, status, lang)


# ---- compilation ------------------------------------------------------------------------------

def compile_ruleset(resolved: Resolved, overrides: dict[str, Any] | None = None, extensions=None) -> CompiledRuleset:
    """Type-check and compile; raises RulesetError listing every problem found.

    `extensions` are the measure primitives and catalogues plugins contributed."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def report(code, message, location, hint=None, severity="error"):
        (errors if severity == "error" else warnings).append(Diagnostic(code, message, location, hint, severity))

    params, param_types = _parameters(resolved, overrides or {}, report)
    catalogue = _catalogue(resolved, params, extensions, report)
    member_types: dict[str, dict[str, str]] = {}
    measures: dict[str, list[Measure]] = {level: [] for level in LEVELS}
    compiled_measures: dict[str, Measure] = {}
    compiler = MeasureCompiler(params, resolved.measures, member_types, extensions)
    # measures of a lower level first: a share over teachers needs the teacher measures' types
    for level in LEVELS:
        names = [n for n, s in resolved.measures.items() if s.get("level") == level]
        types = dict(param_types)
        types.update(BUILTIN_NAMES)
        types.update({n: _declared_type(resolved.measures[n], compiler.extensions) for n in names})
        for name in _dependency_order(names, resolved, report):
            spec = resolved.measures[name]
            try:
                measure = compiler.compile(name, spec, types)
            except MeasureError as exc:
                report(exc.code, f"measure '{name}': {exc.message}", resolved.where("measure", name, *exc.path), exc.hint)
                continue
            types[name] = measure.type
            compiled_measures[name] = measure
            measures[level].append(measure)
        member_types[level] = {m.name: m.type for m in measures[level]}

    _present_measures(resolved, params, compiled_measures, measures)
    rules: dict[str, list[Rule]] = {level: [] for level in LEVELS}
    used: set[str] = set()
    # parameters are folded into the durable_rules conditions, so overridden values need their own names
    engine_revision = resolved.revision
    if overrides:
        blob = json.dumps(overrides, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        engine_revision += "-" + hashlib.sha256(blob).hexdigest()[:8]
    for number, rule_spec in enumerate(resolved.rules):
        rule = _compile_rule(resolved, rule_spec, params, param_types, compiled_measures, report, number)
        if rule is not None:
            rules[rule.level].append(rule)
            used.update(rule.inputs)
    used |= _names_in(resolved.rules, set(compiled_measures))  # also rules that failed to compile: no noise
    used |= _member_filter_names(resolved.measures, set(compiled_measures))
    for measure in compiled_measures.values():
        used.update(measure.reads)
    for rule_list in rules.values():
        for rule in rule_list:
            used.update(rule.inputs)
    # only what this document defines is its own to tidy: a parent's measure that a child leaves
    # unused (it removed the rule) is not a mistake in the child
    own = resolved.documents[0] if resolved.documents else None

    def defined_here(kind, name):
        origin = resolved.origins.get((kind, name))
        return own is None or origin is None or origin.document is own

    for name, measure in compiled_measures.items():
        if name not in used and defined_here("measure", name):
            report("ruleset.unused_measure", f"measure '{name}' is not used by any rule", resolved.where("measure", name),
                   severity="warning")
    _check_member_rules(resolved, compiled_measures, rules, report)
    used_params = _used_parameters(resolved)
    for name in resolved.parameters:
        if name not in used_params and defined_here("parameter", name):
            report("ruleset.unused_parameter", f"parameter '{name}' is not used", resolved.where("parameter", name),
                   severity="warning")
    if errors:
        raise RulesetError(errors + warnings)
    labels = {level: {**DEFAULT_LABELS, **words} for level, words in resolved.labels.items()}
    measures = _live_measures(measures, rules, resolved.measures)
    matchers = {level: LevelMatcher.get(ruleset_name(resolved.id, engine_revision, "level", level),
                                        [c for rule in rules[level] for c in rule.conditions])
                for level in LEVELS}
    return CompiledRuleset(resolved, params, param_types, measures, rules, labels, warnings,
                           overrides=dict(overrides or {}), extensions=extensions, matchers=matchers, catalogue=catalogue)


def _catalogue(resolved: Resolved, params: dict, extensions, report) -> str | None:
    """The namespace bare ability-point codes are read in: `catalogue:` names it, or a parameter that holds it
    (so the reading is in the questions register and a simulation can change it)."""
    named = resolved.catalogue
    if named is None:
        return None
    namespace = params.get(named, named)
    known = sorted(extensions.catalogues) if extensions is not None else []
    if namespace not in known:
        where = next((d.where("catalogue") for d in resolved.documents if "catalogue" in d.data), Location(resolved.lineage[0]))
        report("ruleset.unknown_catalogue", f"unknown catalogue '{namespace}' (bare ability-point codes are read in it)",
               where, ex.suggest(str(namespace), known) or (f"known: {', '.join(known)}" if known else None))
    return namespace


def _declared_type(spec: dict, extensions) -> str:
    """A measure's type before it is compiled, so measures may refer to each other in any order."""
    for name, primitive in extensions.primitives.items():
        if name in spec:
            return primitive.result_type
    if any(p in spec for p in ("missing", "catalogue", "unrecognised", "collect", "reductions")):
        return ex.LIST
    if "exists" in spec:
        return ex.BOOL
    if "date" in spec:
        return ex.DATE
    return ex.NUMBER


def _parameters(resolved: Resolved, overrides: dict, report) -> tuple[dict, dict]:
    params, types = {}, {}
    for name in overrides:
        if name not in resolved.parameters:
            report("ruleset.unknown_name", f"cannot set unknown parameter '{name}'", Location(resolved.lineage[0]),
                   ex.suggest(name, resolved.parameters))
    for name, spec in resolved.parameters.items():
        value = overrides.get(name, spec["value"])
        declared = spec.get("type")
        if declared == "date":
            parsed = parse_date(value)
            if parsed is None:
                report("ruleset.invalid_date", f"parameter '{name}': '{value}' is not a date (YYYY-MM-DD)",
                       resolved.where("parameter", name, "value"))
                continue
            params[name], types[name] = parsed, ex.DATE
            continue
        if isinstance(value, bool):
            kind = ex.BOOL
        elif isinstance(value, (int, float)):
            kind = ex.NUMBER
        elif isinstance(value, str):
            kind = ex.STRING
        elif isinstance(value, list):
            kind = ex.LIST
            value = tuple(value)
        elif isinstance(value, dict):
            kind = "table"
        else:
            report("ruleset.invalid_field", f"parameter '{name}' has no value", resolved.where("parameter", name))
            continue
        if declared and declared != kind:
            report("ruleset.type_error", f"parameter '{name}' is declared {declared} but its value is {kind}",
                   resolved.where("parameter", name, "value"))
        params[name], types[name] = value, kind
    return params, types


def _dependency_order(names: list[str], resolved: Resolved, report) -> list[str]:
    """expr measures after the measures they read; cycles reported."""
    deps: dict[str, set[str]] = {}
    for name in names:
        spec = resolved.measures[name]
        deps[name] = set()
        if "expr" in spec:
            try:
                deps[name] = ex.names(ex.parse(spec["expr"])) & set(names)
            except ex.ExpressionError:
                pass  # reported when the measure itself compiles
    order, state = [], {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            report("ruleset.measure_cycle", "measures depend on each other in a cycle: " + " → ".join(trail + [name]),
                   resolved.where("measure", name))
            return
        state[name] = "visiting"
        for dep in sorted(deps[name]):
            visit(dep, trail + [name])
        state[name] = "done"
        order.append(name)

    for name in names:
        visit(name, [])
    return order


def _used_parameters(resolved: Resolved) -> set[str]:
    """Parameters named anywhere in measures, rules or templates."""
    used = _names_in([resolved.measures, resolved.rules], set(resolved.parameters))
    return used | ({resolved.catalogue} & set(resolved.parameters))


def _live_measures(measures: dict[str, list[Measure]], rules: dict[str, list[Rule]], specs: dict) -> dict[str, list[Measure]]:
    """Only the measures some rule that can apply depends on, so evaluation computes nothing idle.

    A rule folded to never apply (a reading switched off by a parameter) needs nothing; a share
    over teachers needs the teacher measures its filters name; an expr needs what it reads."""
    needed: set[str] = set()
    for level_rules in rules.values():
        for rule in level_rules:
            if not rule.never_applies:
                needed.update(rule.inputs)
    by_name = {m.name: m for level_measures in measures.values() for m in level_measures}
    frontier = list(needed)
    while frontier:
        name = frontier.pop()
        measure = by_name.get(name)
        if measure is None:
            continue
        more = set(measure.reads) | _member_filter_names({name: specs.get(name, {})}, set(by_name))
        for other in more - needed:
            needed.add(other)
            frontier.append(other)
    return {level: [m for m in level_measures if m.name in needed] for level, level_measures in measures.items()}


def _member_filter_names(measure_specs: dict, names: set[str]) -> set[str]:
    """Member measures a share or count filters on (`that: {qualified: true}`): used, though not by a rule."""
    used: set[str] = set()
    for spec in measure_specs.values():
        for primitive in spec.values():
            if not isinstance(primitive, dict) or primitive.get("of") not in ("teachers", "schools"):
                continue
            for key in ("where", "that"):
                if isinstance(primitive.get(key), dict):
                    used |= set(primitive[key]) & names
            for mapping in primitive.get("where_any") or []:
                if isinstance(mapping, dict):
                    used |= set(mapping) & names
    return used


def _names_in(value, names: set[str]) -> set[str]:
    """Which of `names` appear as words anywhere in these (nested) specs."""
    used: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", value):
                if token in names:
                    used.add(token)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(value)
    return used


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


def _compile_rule(resolved: Resolved, spec: dict, params: dict, param_types: dict, measures: dict[str, Measure], report,
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
    templates = {"pass": explain["pass"], "fail": explain["fail"]}
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
    known = set(types) | _TEMPLATE_WORDS
    for key, template in templates.items():
        for lang in ("zh", "en"):
            for name in _PLACEHOLDER.findall(template[lang]):
                if name not in known:
                    report("ruleset.unknown_name", f"rule '{rule_id}' {key}.{lang}: unknown placeholder '{{{name}}}'",
                           where(*(("explain",) if key in ("pass", "fail", "needs_review") else (key,))), ex.suggest(name, known))
                    ok = False
                elif name not in _TEMPLATE_WORDS and name not in params:
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
        actual_names=measure_names(actual_tree), gap_names=measure_names(gap_tree),
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
    where = resolved.where("rule", rule_id, "cite")
    if not isinstance(cite, dict) or not cite.get("source") or not cite.get("clause"):
        report("ruleset.missing_citation", f"rule '{rule_id}' needs cite: {{source: …, clause: …}}", where)
        return None
    source = resolved.sources.get(cite["source"])
    if source is None:
        report("ruleset.unknown_source", f"rule '{rule_id}' cites unknown source '{cite['source']}'", where,
               ex.suggest(str(cite["source"]), resolved.sources))
        return None
    out = {"source": cite["source"], "document": source.get("title"), "number": source.get("number"),
           "seed": source.get("seed"), "clause": cite["clause"]}
    if cite.get("quote"):
        out["quote"] = cite["quote"]
    return out


def _measure_side(node):
    """The measure a simple comparison is about: `x >= p`, `p <= x`, `len(x) == 0`."""
    if isinstance(node, ex.Compare):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(side, (ex.Name, ex.Call)) and isinstance(other, (ex.Name, ex.Const)):
                return side, other
    return None, None


PRESENT_SUFFIX = "_present"
_PRESENT_TITLE = {"zh": "已有的 ({})", "en": "Present ({})"}


def _present_measures(resolved: Resolved, params: dict, compiled: dict, measures: dict) -> None:
    """A rule `len(m) == 0` over a `missing` measure m (or `actual: m`) is about what the record has:
    its actual is the required items that are there (measure `m_present`, added here), never the
    list of what is missing — that list is the explanation's and the remedy's."""
    for spec in resolved.rules:
        text = spec.get("actual", spec.get("require"))
        if not isinstance(text, str):
            continue
        try:
            tree = ex.parse(text) if "actual" in spec else _default_actual(ex.parse(text), params)
        except ex.ExpressionError:
            continue  # reported when the rule compiles
        missing = compiled.get(tree.name) if isinstance(tree, ex.Name) else None
        name = tree.name + PRESENT_SUFFIX if missing is not None else None
        if missing is None or missing.present is None or name in compiled or name in resolved.measures:
            continue
        title = {lang: _PRESENT_TITLE[lang].format(missing.title.get(lang, missing.name)) for lang in ("zh", "en")}
        present = Measure(name, missing.level, ex.LIST, title, missing.unit, "missing",
                          lambda record, members=None, f=missing.present: f(record, members), spec=missing.spec)
        compiled[name] = present
        level_measures = measures[missing.level]
        level_measures.insert(level_measures.index(missing) + 1, present)


def _default_actual(require, params, measures: dict | None = None):
    """The measure a requirement is about; for `len(m) == 0` over a `missing` m, what is there (`m_present`)."""
    found = _default_actual_of(require, params)
    if measures is not None and isinstance(found, ex.Name) and found.name + PRESENT_SUFFIX in measures:
        return ex.Name(found.name + PRESENT_SUFFIX)
    return found


def _default_actual_of(require, params):
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


def _check_member_rules(resolved, measures, rules, report):
    """A share `that: {passed: [...]}` must name rules of the member level."""
    for measure in measures.values():
        if not measure.member_rules:
            continue
        member_level = MEMBER_LEVEL[measure.level]
        known = {r.id for r in rules[member_level]}
        for rule_id in measure.member_rules:
            if rule_id not in known:
                report("ruleset.unknown_name", f"measure '{measure.name}' refers to unknown {member_level} rule '{rule_id}'",
                       resolved.where("measure", measure.name), ex.suggest(rule_id, known))
