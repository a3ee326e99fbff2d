"""pytest wiring of the policy specs: the shared steps, rule tags as markers, rule coverage, and
errors that tell a spec writer what exists when a step or a column does not."""

from __future__ import annotations

import pytest
from pytest_bdd.exceptions import StepDefinitionNotFoundError

from . import coverage
from .steps import *  # noqa: F401,F403  the step definitions are fixtures: import them where pytest looks
from .steps import closest_steps, describe_steps, matching_steps

# `@rule:gd.teacher.school-based-hours` on a 规则 block or a scenario → pytest.mark.rule("gd.teacher…");
# `@ruleset:guangdong` on a feature → pytest.mark.ruleset("guangdong"). Select with `-m rule` etc.
TAG_MARKERS = {"rule": "rule(id): the scenario illustrates this rule of a ruleset (feature tag @rule:<id>)",
               "ruleset": "ruleset(id): the feature specifies this ruleset (feature tag @ruleset:<id>)"}


def pytest_addoption(parser, pluginmanager):
    coverage.pytest_addoption(parser)


def pytest_configure(config):
    for line in TAG_MARKERS.values():
        config.addinivalue_line("markers", line)
    coverage.configure(config)


def pytest_bdd_apply_tag(tag, function):
    name, sep, value = tag.partition(":")
    if sep and name in TAG_MARKERS:
        if not value:
            raise pytest.UsageError(f"tag '@{tag}' names no {name}: write @{name}:<id>")
        getattr(pytest.mark, name)(value)(function)
        return True
    return None  # other tags: pytest-bdd's default (they must be registered markers)


def pytest_bdd_before_scenario(request, feature, scenario):
    request.node.kaohe_scenario = (feature, scenario)  # for rule coverage: where each outcome was seen


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    """Replace pytest-bdd's 'Step definition is not found' with what a spec writer needs: the steps that exist."""
    keyword = {"given": "假如", "when": "当", "then": "那么"}[step.type]
    where = f"{scenario.feature.rel_filename}:{step.line_number}, 场景 \"{scenario.name}\""
    lines = [f"没有与这一步相符的步骤 (no step definition matches): {keyword} {step.name}", f"  位置: {where}"]
    elsewhere = matching_steps(step.name)
    if elsewhere:
        other = elsewhere[0]
        lines.append(f"  这一步是一个 '{other.keyword}' 步骤, 但在这里作为 '{keyword}' 使用 (check the keyword)")
    close = closest_steps(step.name, step.type)
    if close:
        lines.append("  最接近的步骤 (closest): " + " | ".join(f"{keyword} {s.template}" for s in close))
    lines.append(f"  可用的 '{keyword}' 步骤 (steps that exist; [主体的] = 可省略的 教师/学校/区域 \"编号\" 的):")
    lines.append(describe_steps(step.type))
    raise StepDefinitionNotFoundError("\n".join(lines))
