"""Resolved ruleset → CompiledRuleset: measures as closures, rule conditions as durable_rules rulesets.

This module compiles a ruleset as a whole (parameters, measures in dependency order, what is
used, one durable_rules ruleset per level); `rules` compiles one rule.

Everything that can be decided without a record is decided here, once: names are resolved,
types checked, parameters folded into conditions, templates checked, and each rule registered
with durable_rules under a name that includes the revision. `evaluation` then only evaluates.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import expressions as ex
from .durable_backend import LevelMatcher, ruleset_name
from .errors import Diagnostic, Location, RulesetError
from .language import LEVELS, Resolved, parse_date
from .measures import MEMBER_LEVEL, Compiler as MeasureCompiler, Measure, MeasureError
from .rules import (BUILTIN_NAMES, PRESENT_SUFFIX, Rule, compile_rule, default_actual_of,  # noqa: F401
                    render_title)  # render_title: old callers
from .states import citation_of, compile_scope, measure_facts
from .wording import DEFAULT_LABELS, label as label_of



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
    scope: dict = field(default_factory=dict)  # level -> states.Scope: whom the level's rules leave out
    facts: dict = field(default_factory=dict)  # measure name -> the record facts it reads (states.measure_facts)

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
        rule = compile_rule(resolved, rule_spec, params, param_types, compiled_measures, report, number)
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
    scope = compile_scope(resolved, params, report, citation_of(resolved, "scope", report))
    if errors:
        raise RulesetError(errors + warnings)
    labels = {level: {**DEFAULT_LABELS, **words} for level, words in resolved.labels.items()}
    measures = _live_measures(measures, rules, resolved.measures)
    matchers = {level: LevelMatcher.get(ruleset_name(resolved.id, engine_revision, "level", level),
                                        [c for rule in rules[level] for c in rule.conditions])
                for level in LEVELS}
    return CompiledRuleset(resolved, params, param_types, measures, rules, labels, warnings,
                           overrides=dict(overrides or {}), extensions=extensions, matchers=matchers, scope=scope,
                           facts={name: measure_facts(name, compiled_measures) for name in compiled_measures},
                           catalogue=catalogue)


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
            tree = ex.parse(text) if "actual" in spec else default_actual_of(ex.parse(text), params)
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
    used = _names_in([resolved.measures, resolved.rules, resolved.scope], set(resolved.parameters))
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
