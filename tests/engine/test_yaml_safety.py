"""Policy YAML is read safely and predictably: no surprise booleans or dates, no duplicate keys."""

import pytest

from kaohe.engine import yamlsafe
from kaohe.engine.errors import RulesetError


def test_yes_on_no_stay_text_and_dates_stay_strings():
    data, _ = yamlsafe.load("a: yes\nb: on\nc: no\nd: 2023-08-30\ne: true\nf: 25\ng: 2.5\n", "x.yaml")
    assert data == {"a": "yes", "b": "on", "c": "no", "d": "2023-08-30", "e": True, "f": 25, "g": 2.5}


def test_duplicate_key_is_an_error_with_its_line():
    with pytest.raises(RulesetError) as caught:
        yamlsafe.load("id: a\nparameters: {}\nid: b\n", "rs.yaml")
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "ruleset.duplicate_key"
    assert (diagnostic.location.line, diagnostic.location.column) == (3, 1)


def test_python_tags_are_refused():
    with pytest.raises(RulesetError) as caught:
        yamlsafe.load("a: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml")
    assert caught.value.diagnostics[0].code == "ruleset.yaml_syntax"


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(RulesetError) as caught:
        yamlsafe.load("a: [1, 2\nb: 3\n", "broken.yaml")
    location = caught.value.diagnostics[0].location
    assert location.file == "broken.yaml" and location.line is not None


def test_marks_give_line_and_column_of_nested_values():
    _, marks = yamlsafe.load("rules:\n  - id: r1\n    require: x >= 1\n", "m.yaml")
    assert marks[("rules", 0, "require")] == (3, 14)
