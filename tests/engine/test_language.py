"""The ruleset language (`engine/language.py`): reading a document, inheritance, revisions."""

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from kaohe.engine import RulesetError, parse_date, read_document, read_path, resolve

ROOT = Path(__file__).resolve().parents[2]
PARENT = textwrap.dedent("""\
    kaohe: 1
    id: parent
    version: "1"
    title: {zh: 母规则集, en: Parent}
    jurisdiction: {level: province, name: {zh: 某省, en: A province}}
    effective: {from: "2021-01-01"}
    sources: {S: {title: 测试文件}}
    parameters:
      hours_required: {value: 25, type: number, title: {zh: 学时要求, en: hours required}, cite: {source: S, clause: 一}}
    measures:
      hours: {level: teacher, title: {zh: 学时, en: hours}, sum: {of: hours, field: hours}}
    rules:
      - id: p.hours
        level: teacher
        title: {zh: 学时达标, en: Enough hours}
        require: hours >= hours_required
        explain:
          pass: {zh: 达标, en: enough}
          fail: {zh: 不足, en: not enough}
        remedy: {zh: 补学时, en: add hours}
        cite: {source: S, clause: 一}
    """)


def child(body: str) -> str:
    return textwrap.dedent("""\
        kaohe: 1
        id: child
        version: "1"
        extends: parent
        title: {zh: 子规则集, en: Child}
        jurisdiction: {level: county, name: {zh: 某县, en: A county}}
        effective: {from: "2022-01-01"}
        """) + textwrap.dedent(body)


def resolved_child(body: str):
    parent = read_document(PARENT, "parent.yaml")
    return resolve(read_document(child(body), "child.yaml"), {"parent": parent}.get)


def test_a_child_overrides_a_parameter_and_keeps_the_rest_of_its_spec():
    resolved = resolved_child("parameters:\n  hours_required: {value: 30}\n")
    assert resolved.parameters["hours_required"]["value"] == 30
    assert resolved.parameters["hours_required"]["title"] == {"zh": "学时要求", "en": "hours required"}
    assert resolved.lineage == ("child", "parent")
    assert resolved.effective_from == dt.date(2022, 1, 1)


def test_an_inherited_rule_points_at_the_file_it_was_written_in():
    resolved = resolved_child("")
    assert resolved.where("rule", "p.hours").file == "parent.yaml"


def test_a_child_can_remove_a_rule_but_not_one_its_parent_lacks():
    assert resolved_child("rules:\n  - {id: p.hours, remove: true}\n").rules == []
    with pytest.raises(RulesetError) as caught:
        resolved_child("rules:\n  - {id: p.nothing, remove: true}\n")
    assert [d.code for d in caught.value.diagnostics] == ["ruleset.unknown_rule"]


def test_an_unknown_parent_and_a_cycle_are_errors():
    with pytest.raises(RulesetError) as caught:
        resolve(read_document(child(""), "child.yaml"), {}.get)
    assert caught.value.diagnostics[0].code == "ruleset.unknown_parent"
    looping = read_document(PARENT.replace("id: parent", "id: parent\nextends: child"), "parent.yaml")
    with pytest.raises(RulesetError) as caught:
        resolve(read_document(child(""), "child.yaml"), {"parent": looping, "child": None}.get)
    assert "ruleset.extends_cycle" in [d.code for d in caught.value.diagnostics]


def test_the_revision_changes_with_what_can_change_a_verdict_and_only_with_it():
    same = resolved_child("parameters:\n  hours_required: {value: 30}\n")
    again = resolved_child("parameters:\n  hours_required: {value: 30}   # a comment changes nothing\n")
    other = resolved_child("parameters:\n  hours_required: {value: 31}\n")
    assert same.revision == again.revision != other.revision
    assert len(same.revision) == 12


def test_dates_are_read_only_from_iso_text_or_dates():
    assert parse_date("2023-08-30") == dt.date(2023, 8, 30)
    assert parse_date(dt.date(2023, 8, 30)) == dt.date(2023, 8, 30)
    assert parse_date(20230830) is None and parse_date("30/08/2023") is None


def test_every_shipped_ruleset_reads_as_a_mapping_with_an_id():
    shipped = [read_path(p) for p in sorted((ROOT / "rulesets").glob("*.yaml"))]
    rulesets = [doc for doc in shipped if "kaohe" in doc.data]  # beside them: data the rulesets share
    assert len(rulesets) >= 5
    for doc in rulesets:
        assert doc.id == Path(doc.file).stem, doc.file
