"""`kaohe lint`: every problem in one pass, each with file, line, column and a stable code."""

import textwrap

import pytest

from kaohe.engine.lint import lint_text

VALID = textwrap.dedent("""\
    kaohe: 1
    id: sample
    version: "1"
    title: {zh: 示例, en: Sample}
    jurisdiction: {level: county, name: {zh: 示例县, en: Sample county}}
    effective: {from: "2023-01-01"}
    sources:
      S: {title: 示例文件, seed: 000_78111344019430a3.txt}
    parameters:
      hours_required:
        value: 50
        unit: 学时
        title: {zh: 学时要求, en: Hours required}
        cite: {source: S, clause: 二}
    measures:
      hours:
        level: teacher
        title: {zh: 学时, en: Hours}
        sum: {of: hours}
    rules:
      - id: sample.hours
        level: teacher
        title: {zh: 学时达标, en: Enough hours}
        require: hours >= hours_required
        explain:
          pass: {zh: 达标, en: enough}
          fail: {zh: "差 {gap}", en: "{gap} short"}
        remedy: {zh: 补学时, en: do more}
        cite: {source: S, clause: 二}
    """)


def codes(text):
    return [d.code for d in lint_text(text, "sample.yaml")]


def test_a_valid_ruleset_lints_clean():
    assert lint_text(VALID, "sample.yaml") == []


def test_unknown_name_points_at_line_and_column_with_a_suggestion():
    (diagnostic,) = lint_text(VALID.replace("require: hours >= hours_required", "require: hour >= hours_required"), "s.yaml")
    assert diagnostic.code == "ruleset.unknown_name"
    assert (diagnostic.location.file, diagnostic.location.line, diagnostic.location.column) == ("s.yaml", 24, 14)
    assert diagnostic.hint == "did you mean 'hours'?"
    assert str(diagnostic).startswith("s.yaml:24:14 rules[0].require: ")


def test_all_problems_are_reported_in_one_pass():
    text = VALID.replace("require: hours >= hours_required", "require: hour >= 3").replace(
        "cite: {source: S, clause: 二}\n", "\n", 2)
    found = codes(text)
    assert "ruleset.unknown_name" in found and "ruleset.missing_citation" in found


def test_missing_translation():
    assert "ruleset.missing_translation" in codes(VALID.replace("title: {zh: 学时达标, en: Enough hours}", "title: {zh: 学时达标}"))


def test_duplicate_rule_ids():
    rule = VALID[VALID.index("  - id: sample.hours"):]
    assert "ruleset.duplicate_id" in codes(VALID + rule)


def test_type_error():
    assert "ruleset.type_error" in codes(VALID.replace("require: hours >= hours_required", "require: hours and true"))


def test_unused_measure_is_a_warning():
    text = VALID.replace(
        "  hours:\n    level: teacher", "  spare:\n    level: teacher\n    title: {zh: 备用, en: Spare}\n"
        "    count: {of: hours}\n  hours:\n    level: teacher")
    (diagnostic,) = lint_text(text, "s.yaml")
    assert (diagnostic.code, diagnostic.severity) == ("ruleset.unused_measure", "warning")


def test_newer_language_version_says_so_first():
    (diagnostic,) = lint_text(VALID.replace("kaohe: 1", "kaohe: 2"), "s.yaml")
    assert diagnostic.code == "ruleset.language_version" and "newer kaohe" in diagnostic.hint


def test_extends_cycle():
    from kaohe.engine.language import read_document
    from kaohe.engine.lint import lint_documents

    a = read_document(VALID.replace("\nid: sample\n", "\nid: a\nextends: b\n"), "a.yaml")
    b = read_document(VALID.replace("\nid: sample\n", "\nid: b\nextends: a\n"), "b.yaml")
    assert "ruleset.extends_cycle" in [d.code for d in lint_documents([a, b])]


def test_unknown_parent():
    assert "ruleset.unknown_parent" in codes(VALID.replace("\nid: sample\n", "\nid: sample\nextends: nowhere\n"))


def test_unknown_field_suggests():
    (diagnostic,) = [d for d in lint_text(VALID.replace("    require:", "    requires: x\n    require:"), "s.yaml")
                     if d.code == "ruleset.unknown_field"]
    assert diagnostic.hint == "did you mean 'require'?"


def test_constant_condition_is_refused():
    assert "ruleset.constant_condition" in codes(VALID.replace("require: hours >= hours_required", "require: hours_required >= 3"))


@pytest.mark.parametrize("path", ["rulesets"])
def test_shipped_rulesets_lint_clean(path):
    from pathlib import Path

    from kaohe.engine.lint import lint_paths

    root = Path(__file__).resolve().parents[2]
    assert [str(d) for d in lint_paths([root / path])] == []


def test_a_gap_no_template_shows_is_a_warning():
    text = VALID.replace("    require: hours >= hours_required\n", "    require: hours >= hours_required\n    gap: hours_required - hours\n")
    text = text.replace('fail: {zh: "差 {gap}", en: "{gap} short"}', "fail: {zh: 差, en: short}")
    (diagnostic,) = lint_text(text, "s.yaml")
    assert (diagnostic.code, diagnostic.severity) == ("ruleset.unused_gap", "warning")




WITH_DATE = VALID.replace("measures:\n", "  hours_due:\n    value: \"2023-08-30\"\n    type: date\n"
                          "    title: {zh: 期限, en: Deadline}\n    cite: {source: S, clause: 二}\nmeasures:\n")
DEADLINE = WITH_DATE.replace("title: {zh: 学时达标, en: Enough hours}",
                             "title: {zh: 8月30日前学时达标, en: Enough hours by 30 August}")
DUE = DEADLINE.replace("    require: hours >= hours_required\n", "    require: hours >= hours_required\n    due: hours_due\n")


def test_a_rule_naming_a_deadline_without_a_due_date_is_flagged():
    found = [d for d in lint_text(DEADLINE, "sample.yaml") if d.code == "ruleset.deadline_without_due"]
    assert len(found) == 1 and "8月30日前" in found[0].message and found[0].location.path == "rules[0]"
    assert "due:" in found[0].hint


def test_a_rule_with_a_due_date_is_not_flagged():
    assert lint_text(DUE, "sample.yaml") == []


def test_a_deadline_written_as_applies_when_is_flagged():
    text = WITH_DATE.replace("    require: hours >= hours_required\n",
                             "    applies_when: as_of > hours_due\n    require: hours >= hours_required\n")
    assert codes(text) == ["ruleset.deadline_without_due"]


def test_due_must_name_a_date():
    assert "ruleset.invalid_field" in codes(DUE.replace("due: hours_due", "due: hours_required"))
