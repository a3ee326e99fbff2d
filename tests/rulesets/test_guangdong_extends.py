"""guangdong extends national: what it inherits, what it turns off, and that its own rules are untouched."""

from __future__ import annotations

from pathlib import Path

import yaml

from ruleset_cases import day, document, entry, evaluate, principal_led_team, school, teacher

from kaohe.engine.compiler import render_title

AS_OF = day("2022-12-31")
GUANGDONG_YAML = Path(__file__).resolve().parents[2] / "rulesets" / "guangdong.yaml"


def test_every_national_rule_is_inherited_but_the_one_guangdong_replaces(registry):
    national = {rule.id for rule in registry.get("national", AS_OF).all_rules()}
    guangdong = {rule.id for rule in registry.get("guangdong", AS_OF).all_rules()}
    assert national - guangdong == {"nat.school.plans-filed"}  # replaced by gd.school.platform-documents


def test_guangdong_rules_are_its_own(registry):
    """Every rule written in guangdong.yaml is compiled with its own title and citation, not the parent's."""
    written = [r for r in yaml.safe_load(GUANGDONG_YAML.read_text(encoding="utf-8"))["rules"] if not r.get("remove")]
    compiled = registry.get("guangdong", AS_OF)
    for rule in written:
        # a title may name parameters ({school_based_hours_required}): compiled, they are filled in
        assert compiled.rule(rule["id"]).title == render_title(rule["title"], compiled.parameters)
        assert compiled.rule(rule["id"]).citation["source"] == "SEED-GD"


def test_national_hour_rules_do_not_apply_to_the_school_based_ledger(registry):
    """Guangdong records only 校本研修 hours (at most 25): the national total and share are not worked out."""
    result = evaluate(registry.evaluator("guangdong", AS_OF),
                      teacher(hours=[entry("校本研修", 5, kind="研修作业") for _ in range(5)]), AS_OF)
    assert result.status_of("nat.teacher.practice-share") == "not_applicable"
    assert result.status_of("nat.teacher.total-hours") == "not_applicable"
    # the same teacher under national would be judged on the share
    national = evaluate(registry.evaluator("national", AS_OF), teacher(hours=[entry("网络研修", 25)]), AS_OF)
    assert national.status_of("nat.teacher.practice-share") == "fail"


def test_the_national_filing_rule_is_replaced_by_the_platform_filing(registry):
    """The research plan is filed on the platform as 校本研修计划与考核方案 (gd.school.platform-documents);
    the IT plan is an item of the evidence checklist. The national filing rule would check the same file again."""
    evaluator = registry.evaluator("guangdong", AS_OF)
    result = evaluate(evaluator, school(documents=[document("校本研修方案")]), AS_OF)
    assert "nat.school.plans-filed" not in {rule.id for rule in result.rules}
    assert result.status_of("gd.school.platform-documents") == "fail"


def test_principal_led_team_is_checked_in_guangdong(registry):
    evaluator = registry.evaluator("guangdong", AS_OF)
    assert evaluate(evaluator, school(management_team=principal_led_team(4)), AS_OF).status_of(
        "nat.school.team-led-by-principal") == "pass"
    assert evaluate(evaluator, school(), AS_OF).status_of("nat.school.team-led-by-principal") == "fail"
