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
from .durable_backend import FactTooLarge, RuleMatcher, ruleset_name
from .errors import Diagnostic, Location, RulesetError
from .language import LEVELS, Resolved, parse_date
from .measures import MEMBER_LEVEL, Compiler as MeasureCompiler, Measure, MeasureError
from .sources import citation_fields

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TEMPLATE_WORDS = {"actual", "expected", "gap"}
BUILTIN_NAMES = {"as_of": ex.DATE}
DEFAULT_LABELS = {
    "pass": {"zh": "通过", "en": "pass"},
    "fail": {"zh": "不通过", "en": "fail"},
    "needs_review": {"zh": "待人工复核", "en": "needs review"},
    "not_applicable": {"zh": "不适用", "en": "not applicable"},
}


@dataclass(frozen=True)
class Outcome:
    """What one rule concluded for one combination of values, with its wording in both languages."""

    status: str  # pass | fail | needs_review | not_applicable
    actual: Any
    actual_text: dict
    expected: dict
    explanation: dict
    remedy: dict | None
    rendered: dict = field(default_factory=dict, compare=False, repr=False)  # lang -> JSON entry, filled by explain


@dataclass
class Rule:
    id: str
    level: str
    title: dict
    severity: str
    citation: dict
    require: Any
    applies: Any | None
    inputs: tuple  # measure names (and as_of) the rule reads, in a fixed order
    list_inputs: frozenset
    matcher: RuleMatcher
    actual_fn: Callable
    actual_unit: dict
    expected_fn: Callable  # values -> {zh, en}
    gap_fn: Callable | None
    templates: dict  # explain.pass/fail, remedy, not_applicable: {zh, en}
    constants: dict
    memo: dict = field(default_factory=dict)

    @property
    def never_applies(self) -> bool:
        """Folded to not applicable by the parameters (a reading switched off): reads nothing."""
        return isinstance(self.applies, ex.Const) and not self.applies.value

    def outcome(self, values: dict) -> Outcome:
        key = tuple([values.get(n) for n in self.inputs])  # list measures are tuples: hashable
        found = self.memo.get(key)
        if found is None:
            found = self._decide(values)
            if len(self.memo) >= 1 << 16:
                self.memo.clear()
            self.memo[key] = found
        return found

    def _decide(self, values: dict) -> Outcome:
        fired = self.matcher.match(values)
        if self.applies is not None and "applies" not in fired:
            status = "not_applicable"
        elif "require" not in fired:
            status = "fail"
        else:
            status = "needs_review" if "review" in fired else "pass"
        actual = self.actual_fn(values)
        gap = self.gap_fn(values) if self.gap_fn is not None and status == "fail" else None
        unit = self.actual_unit
        fields = {"zh": {}, "en": {}}
        expected = self.expected_fn(values)
        for lang in ("zh", "en"):
            words = fields[lang]
            for name in self.inputs:
                words[name] = ex.format_value(values.get(name), lang)
            for name, value in self.constants.items():
                words[name] = ex.format_value(value, lang)
            words["actual"] = ex.format_value(actual, lang) + _unit_suffix(actual, unit, lang)
            words["expected"] = expected[lang]
            words["gap"] = ex.format_value(gap, lang) + _unit_suffix(gap, unit, lang) if gap is not None else ""
        template = self.templates.get(status)
        explanation = {lang: fill(template[lang], fields[lang]) for lang in ("zh", "en")} if template else \
            {lang: DEFAULT_LABELS[status][lang] for lang in ("zh", "en")}
        remedy = None
        if status == "fail" and self.templates.get("remedy"):
            remedy = {lang: fill(self.templates["remedy"][lang], fields[lang]) for lang in ("zh", "en")}
        actual_text = {lang: fields[lang]["actual"] for lang in ("zh", "en")}
        return Outcome(status, actual, actual_text, expected, explanation, remedy)


def _unit_suffix(value, unit: dict, lang: str) -> str:
    if value is None or isinstance(value, (bool, list, tuple)) or not unit.get(lang):
        return ""
    spaced = lang == "en" and unit[lang] != "%"
    return (" " if spaced else "") + unit[lang]


def fill(template: str, words: dict) -> str:
    return _PLACEHOLDER.sub(lambda m: words.get(m.group(1), m.group(0)), template)


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
    layouts: dict = field(default_factory=dict)  # level -> measure layout for output, built on first use

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
        words = self.labels.get(level, {}).get(status) or DEFAULT_LABELS.get(status, {})
        return words.get(lang, status)


# ---- compilation ------------------------------------------------------------------------------

def compile_ruleset(resolved: Resolved, overrides: dict[str, Any] | None = None, extensions=None) -> CompiledRuleset:
    """Type-check and compile; raises RulesetError listing every problem found.

    `extensions` are the measure primitives and catalogues plugins contributed."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def report(code, message, location, hint=None, severity="error"):
        (errors if severity == "error" else warnings).append(Diagnostic(code, message, location, hint, severity))

    params, param_types = _parameters(resolved, overrides or {}, report)
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

    rules: dict[str, list[Rule]] = {level: [] for level in LEVELS}
    used: set[str] = set()
    # parameters are folded into the durable_rules conditions, so overridden values need their own names
    engine_revision = resolved.revision
    if overrides:
        blob = json.dumps(overrides, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        engine_revision += "-" + hashlib.sha256(blob).hexdigest()[:8]
    for rule_spec in resolved.rules:
        rule = _compile_rule(resolved, rule_spec, params, param_types, compiled_measures, report, engine_revision)
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
    return CompiledRuleset(resolved, params, param_types, measures, rules, labels, warnings,
                           overrides=dict(overrides or {}), extensions=extensions)


def _declared_type(spec: dict, extensions) -> str:
    """A measure's type before it is compiled, so measures may refer to each other in any order."""
    for name, primitive in extensions.primitives.items():
        if name in spec:
            return primitive.result_type
    if "missing" in spec or "catalogue" in spec:
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
    return _names_in([resolved.measures, resolved.rules], set(resolved.parameters))


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
                  engine_revision: str):
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
    else:
        actual_tree = _default_actual(require, params)
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
        matcher = RuleMatcher.get(ruleset_name(resolved.id, engine_revision, rule_id), conditions, props)
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
    expected_fn = _expected(templates.get("expected"), require, params, resolved, measures, inputs, constants)
    return Rule(
        id=rule_id, level=level, title=render_title(spec["title"], params), severity=severity, citation=citation,
        require=require, applies=folded_applies, inputs=inputs,
        list_inputs=frozenset(n for n in inputs if types.get(n) == ex.LIST),
        matcher=matcher, actual_fn=actual_fn, actual_unit=unit, expected_fn=expected_fn, gap_fn=gap_fn,
        templates=templates, constants=constants)


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
    out = {"source": cite["source"], **citation_fields(source), "clause": cite["clause"]}
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


def _default_actual(require, params):
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


def _expected(template, require, params, resolved, measures, inputs, constants):
    """The requirement as policy text: a template from the ruleset, or derived from the condition."""
    if template is not None:
        def expected(values):
            words = {}
            out = {}
            for lang in ("zh", "en"):
                words = {n: ex.format_value(values.get(n), lang) for n in inputs}
                words.update({n: ex.format_value(v, lang) for n, v in constants.items()})
                out[lang] = fill(template[lang], words)
            return out
        return expected
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
            suffix = _unit_suffix(1, unit, lang)
            text[lang] = f"{ex.SYMBOL[op]} {value}{suffix}"
        return lambda values: text
    rendered = ex.render(require, params)
    return lambda values: {"zh": rendered, "en": rendered}


def _check_member_rules(resolved, measures, rules, report):
    """A share `that: {passed: [...]}` must name rules of the member level."""
    for measure in measures.values():
        if not measure.member_rules:
            continue
        member_level = MEMBER_LEVEL[measure.level]
        known = {r.id for r in rules[member_level]}
        # a rule that is written but failed to compile has its own error already: no follow-on
        written = {spec.get("id") for spec in resolved.rules if spec.get("level") == member_level}
        for rule_id in measure.member_rules:
            if rule_id not in known and rule_id not in written:
                report("ruleset.unknown_name", f"measure '{measure.name}' refers to unknown {member_level} rule '{rule_id}'",
                       resolved.where("measure", measure.name), ex.suggest(rule_id, known))
