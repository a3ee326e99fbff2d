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


def _laughs(levels: int = 7, width: int = 9) -> str:
    """The billion-laughs shape: each anchor is a list of `width` aliases of the one before."""
    text = 'a0: &a0 [' + ", ".join(['"lol"'] * width) + "]\n"
    for level in range(1, levels):
        text += f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]\n"
    return text


def test_alias_expansion_is_refused_once_the_document_passes_its_budget():
    text = _laughs()  # ~250 bytes that expand to 9**7 ≈ 4.8 million values
    assert len(text) < 400
    with pytest.raises(RulesetError) as caught:
        yamlsafe.load(text, "lol.yaml")
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "ruleset.yaml_too_costly" and str(yamlsafe.MAX_NODES) in diagnostic.message
    assert diagnostic.location.file == "lol.yaml" and diagnostic.location.line is not None


def test_aliases_within_the_budget_still_work():
    data, _ = yamlsafe.load("base: &base {value: 25}\ncopy: *base\n", "ok.yaml")
    assert data["copy"] == {"value": 25}


def test_a_ruleset_file_of_laughs_is_refused_when_loaded_from_disk(tmp_path):
    from kaohe.engine.language import read_path

    path = tmp_path / "lol.yaml"
    path.write_text("kaohe: 1\nid: lol\n" + _laughs(), encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        read_path(path)
    assert caught.value.diagnostics[0].code == "ruleset.yaml_too_costly"


@pytest.mark.parametrize("text, words", [
    ("a: " + "5" * 5000 + "\n", "digits"),  # Python refuses int('5' * 5000) with its own message
    ("a: 1.0e400\n", "too large"),
    ("a: " + "[" * 5000 + "\n", "nested"),
    ("a: " + "{b: " * 100 + "1" + "}" * 100 + "\n", "nested"),
])
def test_costly_scalars_and_nesting_are_refused_with_a_plain_message(text, words):
    with pytest.raises(RulesetError) as caught:
        yamlsafe.load(text, "x.yaml")
    message = caught.value.diagnostics[0].message
    assert words in message and "sys.set_int_max_str_digits" not in message
