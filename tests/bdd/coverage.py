"""Rule coverage of the policy specs: which rules of which ruleset the scenarios saw pass and fail.

Every evaluation a scenario runs (a teacher, a school with its teachers, a region with its schools)
is recorded from its results: for each rule, the statuses it came out with and a few scenarios that
showed them. At the end of the run the report lists, per ruleset, the rules never seen failing and
never seen passing, and is written as JSON (default `out/rule-coverage.json`).

Like OPA's `opa test --coverage --threshold`, the run fails when a ruleset has its *required* rules
seen passing and failing in fewer than THRESHOLD percent of the (rule, pass) and (rule, fail) pairs;
the default threshold is 100: every required rule must be seen both ways. The rulesets checked are
every built-in ruleset (those kaohe's default plugins load: a built-in ruleset that no scenario
evaluates fails the run, as a ruleset without features) and any other ruleset the specs use; with
the rulesets setting `used`, only the rulesets the specs use. Built-in rulesets are expected only
when the run holds policy-spec scenarios at all (running `tests/engine` alone reports nothing).
Advisory rules are reported, not enforced. A rule whose `applies_when` is false under the ruleset's
own parameters (an inherited national hour rule where the ledger holds only school-based hours) can
only be 不适用: it is listed as never applicable and left out of the count. Evaluations under a
changed parameter (`参数 … 改为 …`) are reported apart and never count: coverage is of the ruleset
as written. A partial run (-k, -m, --lf, node ids) reports but does not enforce, since it cannot see
every scenario.

Settings, first found wins: the command-line options (when the plugin is loaded at start-up, e.g.
`pytest tests/bdd`), then the environment (KAOHE_RULE_COVERAGE, KAOHE_RULE_COVERAGE_JSON,
KAOHE_RULE_COVERAGE_RULESETS), then the ini options (kaohe_rule_coverage, kaohe_rule_coverage_json,
kaohe_rule_coverage_rulesets). The threshold is a percentage, or `off` to report without enforcing;
the rulesets are `built-in` (the default) or `used`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

PLUGIN_NAME = "kaohe-rule-coverage"
DEFAULT_THRESHOLD = "100"
DEFAULT_JSON = "out/rule-coverage.json"
DEFAULT_RULESETS = "built-in"
RULESET_CHOICES = ("built-in", "used")
EXAMPLES_KEPT = 3
STATUSES = ("pass", "fail", "needs_review", "not_applicable")


def never_applies(rule) -> bool:
    """A rule whose `applies_when` is false under the ruleset's own parameters (folded at compile time):
    it can only ever be 不适用, so it is reported, not counted (e.g. an inherited national hour rule in a
    ruleset whose ledger holds only school-based hours)."""
    from kaohe.engine import expressions as ex

    applies = getattr(rule, "applies", None)
    return isinstance(applies, ex.Const) and not applies.value


def pytest_addoption(parser) -> None:
    group = parser.getgroup("kaohe", "kaohe policy specs")
    try:
        group.addoption("--kaohe-rule-coverage", dest="kaohe_rule_coverage", default=None, metavar="PERCENT",
                        help="fail unless the required rules of every ruleset the specs use are seen passing and "
                             f"failing in at least PERCENT%% of cases (default {DEFAULT_THRESHOLD}); 'off' only reports")
        group.addoption("--kaohe-rule-coverage-json", dest="kaohe_rule_coverage_json", default=None, metavar="PATH",
                        help=f"where to write the rule-coverage report (default {DEFAULT_JSON}, under the rootdir)")
        group.addoption("--kaohe-rule-coverage-rulesets", dest="kaohe_rule_coverage_rulesets", default=None,
                        choices=RULESET_CHOICES,
                        help="which rulesets must be covered: 'built-in' (default: every ruleset of kaohe's default "
                             "plugins, and any other the specs use) or 'used' (only the rulesets the specs use)")
        parser.addini("kaohe_rule_coverage", "rule-coverage threshold in percent, or off", default=DEFAULT_THRESHOLD)
        parser.addini("kaohe_rule_coverage_json", "rule-coverage report path", default=DEFAULT_JSON)
        parser.addini("kaohe_rule_coverage_rulesets", "rulesets that must be covered: built-in or used",
                      default=DEFAULT_RULESETS)
    except ValueError:  # already added: the plugin is loaded both at start-up and by the bdd conftest
        pass


def pytest_configure(config) -> None:
    configure(config)


def configure(config) -> "RuleCoverage":
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        plugin = RuleCoverage(config)
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    return plugin


def recorder(config):
    """`record(compiled, result, scenario, variant)` for the steps; a no-op when the plugin is not active."""
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    return plugin.record if plugin is not None else (lambda *args, **kwargs: None)


def mark_asserted(config, compiled, rule_id: str, variant: bool = False) -> None:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is not None:
        plugin.asserted(compiled, rule_id, variant)


def _setting(config, option: str, env: str, ini: str, default: str) -> str:
    value = config.getoption(option, None)
    if value is None:
        value = os.environ.get(env) or None
    if value is None:
        try:
            value = config.getini(ini) or None
        except ValueError:  # ini option not registered (plugin loaded late)
            value = None
    return str(value if value is not None else default)


def builtin_rulesets() -> tuple[dict[str, list], list[str]]:
    """Every revision of every ruleset kaohe's default plugins load ({id: [compiled, …]}), and the
    problems of any that did not load. Entry-point plugins (a third party's) are left out."""
    from kaohe.plugins.manager import DEFAULT_PLUGINS, build_registry

    loaded = build_registry(entry_points=False, defaults=DEFAULT_PLUGINS)
    found = {rid: loaded.registry.revisions(rid) for rid in loaded.registry.ids()}
    return found, [f"{p.plugin}: {p.reason}" for p in loaded.problems]


def _is_scenario(item) -> bool:
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    try:
        return getattr(item, "obj", None) in scenario_wrapper_template_registry
    except TypeError:
        return False


class RuleCoverage:
    def __init__(self, config) -> None:
        self.config = config
        self.rulesets: dict[str, dict[str, Any]] = {}
        self.partial: list[str] = []
        self.scenarios_run = 0
        self.failure: str | None = None
        self.expected_added = False
        self.load_problems: list[str] = []

    # ---- recording ------------------------------------------------------------------------------
    def _data(self, compiled) -> dict:
        data = self.rulesets.get(compiled.id)
        if data is None:
            data = self.rulesets[compiled.id] = {"title": compiled.resolved.title.get("zh"), "built_in": False,
                                                 "revisions": [], "revisions_with_changed_parameters": [],
                                                 "rules": {}, "evaluations": 0}
        return data

    @staticmethod
    def _add_rules(data: dict, compiled) -> None:
        for rule in compiled.all_rules():
            data["rules"].setdefault(rule.id, {
                "id": rule.id, "level": rule.level, "severity": rule.severity, "title": rule.title.get("zh"),
                "never_applies": never_applies(rule), "seen": {}, "variant": {}, "asserted": False})

    def _ruleset(self, compiled, variant: bool = False) -> dict:
        data = self._data(compiled)
        revisions = data["revisions_with_changed_parameters" if variant else "revisions"]
        if compiled.revision not in revisions:
            revisions.append(compiled.revision)
            self._add_rules(data, compiled)
        return data

    def expect(self, compiled) -> None:
        """A ruleset that must be covered whether or not a scenario uses it (every rule of this revision)."""
        data = self._data(compiled)
        data["built_in"] = True
        self._add_rules(data, compiled)

    def rulesets_setting(self) -> str:
        raw = _setting(self.config, "kaohe_rule_coverage_rulesets", "KAOHE_RULE_COVERAGE_RULESETS",
                       "kaohe_rule_coverage_rulesets", DEFAULT_RULESETS).strip().lower()
        if raw not in RULESET_CHOICES:
            raise pytest.UsageError(f"kaohe rule coverage rulesets: '{raw}' is not one of {', '.join(RULESET_CHOICES)}")
        return raw

    def _add_expected(self) -> None:
        """The built-in rulesets, once, when the run holds policy-spec scenarios (and the setting is built-in)."""
        if self.expected_added or not self.scenarios_run or self.rulesets_setting() != "built-in":
            return
        self.expected_added = True
        found, self.load_problems = builtin_rulesets()
        for revisions in found.values():
            for compiled in revisions:
                self.expect(compiled)

    def record(self, compiled, result, scenario: str, variant: bool = False) -> None:
        """Every rule outcome of `result` (a teacher, school or region result), seen in `scenario`."""
        data = self._ruleset(compiled, variant)
        if not variant:
            data["evaluations"] += 1
        for rule, outcome in zip(result.rules, result.outcomes):
            entry = data["rules"][rule.id]
            seen = entry["variant" if variant else "seen"].setdefault(outcome.status, {"count": 0, "examples": []})
            seen["count"] += 1
            if scenario not in seen["examples"] and len(seen["examples"]) < EXAMPLES_KEPT:
                seen["examples"].append(scenario)

    def asserted(self, compiled, rule_id: str, variant: bool = False) -> None:
        entry = self._ruleset(compiled, variant)["rules"].get(rule_id)
        if entry is not None:
            entry["asserted"] = True

    def pytest_sessionstart(self, session) -> None:
        self.threshold()  # a bad setting is a usage error before anything runs, not after
        self.rulesets_setting()

    # ---- which scenarios ran ---------------------------------------------------------------------------
    def pytest_deselected(self, items) -> None:
        left_out = sum(1 for item in items if _is_scenario(item))
        if left_out:
            self.partial.append(f"{left_out} scenario(s) deselected (-k, -m, --lf …)")

    def pytest_collection_finish(self, session) -> None:
        if any("::" in str(arg) for arg in session.config.args):
            self.partial.append("only the named tests were run")
        self.scenarios_run = sum(1 for item in session.items if _is_scenario(item))

    # ---- the verdict -----------------------------------------------------------------------------------
    def threshold(self) -> float | None:
        raw = _setting(self.config, "kaohe_rule_coverage", "KAOHE_RULE_COVERAGE", "kaohe_rule_coverage", DEFAULT_THRESHOLD)
        if raw.strip().lower() in ("off", "none", "no", "false"):
            return None
        try:
            value = float(raw.strip().rstrip("%"))
        except ValueError:
            raise pytest.UsageError(f"kaohe rule coverage: '{raw}' is not a percentage (or 'off')") from None
        if not 0 <= value <= 100:
            raise pytest.UsageError(f"kaohe rule coverage: {value} is not between 0 and 100")
        return value

    def summary(self) -> dict:
        threshold = self.threshold()
        self._add_expected()
        out = {"threshold": threshold, "enforced": threshold is not None and not self.partial,
               "rulesets_checked": self.rulesets_setting(), "partial_run": self.partial,
               "scenarios_run": self.scenarios_run, "built_in_rulesets_not_loaded": self.load_problems,
               "rulesets": {}}
        for rid, data in sorted(self.rulesets.items()):
            rules = list(data["rules"].values())
            required = [r for r in rules if r["severity"] == "required" and not r["never_applies"]]
            sides = sum(1 for r in required for s in ("pass", "fail") if s in r["seen"])
            percent = 100.0 if not required else round(100.0 * sides / (2 * len(required)), 1)
            out["rulesets"][rid] = {
                "title": data["title"],
                "built_in": data["built_in"],
                "revisions": data["revisions"],
                "revisions_with_changed_parameters": data["revisions_with_changed_parameters"],
                "evaluations": data["evaluations"],
                "required_rules": len(required),
                "required_outcomes_seen": sides,
                "required_outcomes": 2 * len(required),
                "percent": percent,
                "never_failing": [r["id"] for r in rules if "fail" not in r["seen"] and not r["never_applies"]],
                "never_passing": [r["id"] for r in rules if "pass" not in r["seen"] and not r["never_applies"]],
                "never_applicable": [r["id"] for r in rules if r["never_applies"]],
                "never_asserted": [r["id"] for r in rules if not r["asserted"]],
                "rules": [{
                    "id": r["id"], "level": r["level"], "severity": r["severity"], "title": r["title"],
                    "never_applies": r["never_applies"],
                    **{f"seen_{s}": r["seen"].get(s, {}).get("count", 0) for s in STATUSES},
                    "asserted": r["asserted"],
                    "examples": {s: v["examples"] for s, v in r["seen"].items()},
                    "only_with_changed_parameters": {s: v["count"] for s, v in r["variant"].items() if s not in r["seen"]},
                } for r in rules],
            }
        return out

    def shortfall(self, summary: dict) -> list[str]:
        threshold = summary["threshold"]
        if threshold is None:
            return []
        short = [f"built-in ruleset did not load: {problem}" for problem in summary["built_in_rulesets_not_loaded"]]
        for rid, data in summary["rulesets"].items():
            if not data["evaluations"] and data["built_in"]:
                short.append(f"{rid}: no scenario evaluates this built-in ruleset under its own parameters "
                             f"(write features/{rid}/*.feature); "
                             f"0 of {data['required_outcomes']} required rule outcomes seen")
            elif data["evaluations"] and data["percent"] < threshold:
                required = {r["id"] for r in data["rules"] if r["severity"] == "required" and not r["never_applies"]}
                missing = [f"{i} (never failing)" for i in data["never_failing"] if i in required]
                missing += [f"{i} (never passing)" for i in data["never_passing"] if i in required]
                short.append(f"{rid}: {data['percent']}% of required rule outcomes seen, below {threshold:g}%: "
                             + ", ".join(missing))
        return short

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        result = yield
        if hasattr(self.config, "workerinput") or self.config.option.collectonly:  # nothing ran: nothing to judge
            return result
        summary = self.summary()
        short = self.shortfall(summary)
        if short and summary["enforced"]:
            self.failure = "\n".join(short)
            session.testsfailed += 1
        return result

    def pytest_sessionfinish(self, session) -> None:
        if hasattr(self.config, "workerinput") or not self.rulesets or self.config.option.collectonly:
            return
        raw = _setting(self.config, "kaohe_rule_coverage_json", "KAOHE_RULE_COVERAGE_JSON", "kaohe_rule_coverage_json",
                       DEFAULT_JSON)
        path = Path(raw)
        if not path.is_absolute():
            path = Path(self.config.rootpath) / path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.summary(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.report_path = path

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.rulesets or self.config.option.collectonly:
            return
        summary = self.summary()
        write = terminalreporter.write_line
        terminalreporter.section("kaohe rule coverage (规则覆盖)")
        for problem in summary["built_in_rulesets_not_loaded"]:
            write(f"built-in ruleset did not load: {problem}")
        for rid, data in summary["rulesets"].items():
            if not data["evaluations"]:
                write(f"{rid}: no scenario evaluates this ruleset (没有场景评估这一规则集), {len(data['rules'])} rules, "
                      f"{data['required_rules']} required" + (" [built-in]" if data["built_in"] else ""))
                continue
            write(f"{rid}: {data['required_outcomes_seen']}/{data['required_outcomes']} required rule outcomes seen "
                  f"({data['percent']}%), {len(data['rules'])} rules, {data['evaluations']} evaluations")
            by_id = {r["id"]: r for r in data["rules"]}
            for label, key in (("never seen failing (从未见到不通过)", "never_failing"),
                               ("never seen passing (从未见到通过)", "never_passing"),
                               ("never applicable under this ruleset's parameters, not counted (按本规则集参数不适用)",
                                "never_applicable")):
                ids = data[key]
                if ids:
                    write(f"  {label}:")
                    for rule_id in ids:
                        tag = " [advisory]" if by_id[rule_id]["severity"] == "advisory" else ""
                        write(f"    {rule_id} — {by_id[rule_id]['title']}{tag}")
        if summary["partial_run"]:
            write("not enforced, partial run: " + "; ".join(summary["partial_run"]))
        elif summary["threshold"] is None:
            write("not enforced (threshold off)")
        if self.failure:
            terminalreporter.write_line(f"FAIL kaohe rule coverage:\n{self.failure}", red=True, bold=True)
        path = getattr(self, "report_path", None)
        if path is not None:
            write(f"report: {path}")
