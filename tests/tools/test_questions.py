"""The open-questions register: parameters whose reading a ruleset had to choose, and who decides."""

from __future__ import annotations

import json

import pytest

from kaohe.tools.questions import department, open_questions, questions_text, register
from kaohe.engine.registry import Registry

PARENT = """\
kaohe: 1
id: qtest-parent
version: "1"
title: {zh: 测试上级规则集, en: Test parent ruleset}
jurisdiction: {code: "430621", level: county, name: {zh: 岳阳县, en: Yueyang County}}
effective: {from: "2022-01-01"}
sources:
  SRC: {title: 测试文件}
parameters:
  min_plans:
    value: 1
    unit: 份
    title: {zh: 至少提升计划数, en: Fewest plans}
    cite: {source: SRC, clause: 一}
    question: {zh: "计划须每学年一份吗?", en: "Is a plan needed every school year?"}
    reading: {zh: 整个周期一份., en: One for the whole cycle.}
  max_plan_kb:
    value: 2048
    title: {zh: 计划文件大小上限, en: Largest plan file}
    cite: {source: SRC, clause: 二}
    question: {zh: "含2048KB吗?", en: "Is 2048 KB itself allowed?"}
    reading: {zh: 含., en: Yes.}
    decided_by: {zh: 岳阳市教育局, en: Yueyang City Education Bureau}
  plan_kind:
    value: 提升计划
    title: {zh: 计划的材料类型, en: Kind of the plan}
    cite: {source: SRC, clause: 一}
measures:
  plans:
    level: teacher
    title: {zh: 提升计划数, en: Plans}
    count: {of: artefacts, where: {kind: plan_kind}}
  plans_too_large:
    level: teacher
    title: {zh: 过大的计划, en: Plans too large}
    count: {of: artefacts, where: {kind: plan_kind, size_kb: {gt: max_plan_kb}}}
rules:
  - id: qtest.teacher.plan
    level: teacher
    title: {zh: 上传提升计划, en: Plan uploaded}
    require: plans >= min_plans and plans_too_large == 0
    explain:
      pass: {zh: 已上传。, en: Uploaded.}
      fail: {zh: 未上传。, en: Not uploaded.}
    remedy: {zh: 请上传。, en: Upload it.}
    cite: {source: SRC, clause: 一}
"""

CHILD = """\
kaohe: 1
id: qtest-child
extends: qtest-parent
version: "1"
title: {zh: 测试下级规则集, en: Test child ruleset}
jurisdiction: {code: "430600", level: city, name: {zh: 岳阳市, en: Yueyang}}
parameters:
  min_plans:
    value: 2
"""


@pytest.fixture
def parent_and_child(tmp_path):
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    registry = Registry()
    registry.add_path(tmp_path)
    assert registry.compile_all() == []
    return registry


def test_every_parameter_with_a_question_and_nothing_else(parent_and_child):
    questions = register(parent_and_child, "qtest-parent").questions
    assert [(q.ruleset_id, q.parameter, q.value) for q in questions] == [
        ("qtest-parent", "min_plans", 1), ("qtest-parent", "max_plan_kb", 2048)]
    first = questions[0]
    assert first.question == {"zh": "计划须每学年一份吗?", "en": "Is a plan needed every school year?"}
    assert first.reading == {"zh": "整个周期一份.", "en": "One for the whole cycle."}


def test_decided_by_as_written_else_the_jurisdictions_education_department(parent_and_child):
    by_name = {q.parameter: q for q in register(parent_and_child, "qtest-parent").questions}
    assert by_name["max_plan_kb"].decided_by == {"zh": "岳阳市教育局", "en": "Yueyang City Education Bureau"}
    assert by_name["max_plan_kb"].decided_by_default is False
    assert by_name["min_plans"].decided_by == {"zh": "岳阳县教育局", "en": "Yueyang County Education Bureau"}
    assert by_name["min_plans"].decided_by_default is True


def test_an_inherited_question_shows_the_childs_value_and_where_it_was_asked(parent_and_child):
    child = {q.parameter: q for q in register(parent_and_child, "qtest-child").questions}
    assert (child["min_plans"].value, child["min_plans"].asked_in) == (2, "qtest-parent")
    assert child["min_plans"].decided_by["zh"] == "岳阳市教育局"  # the child's jurisdiction, a city


def test_register_of_all_loaded_rulesets(parent_and_child):
    assert [(q.ruleset_id, q.parameter) for q in register(parent_and_child).questions] == [
        ("qtest-child", "min_plans"), ("qtest-child", "max_plan_kb"),
        ("qtest-parent", "min_plans"), ("qtest-parent", "max_plan_kb")]


def test_text_and_json(parent_and_child):
    reg = register(parent_and_child, "qtest-parent")
    assert reg.text("zh").splitlines()[:8] == [
        "待决问题登记 — 共 2 个问题",
        "",
        f"岳阳县 · qtest-parent 1 ({reg.questions[0].revision})",
        "  min_plans (至少提升计划数)",
        "    现行取值: 1份",
        "    问题: 计划须每学年一份吗?",
        "    现行读法: 整个周期一份.",
        "    决定方: 岳阳县教育局 (默认: 规则集所属辖区的教育行政部门)",
    ]
    data = json.loads(json.dumps(reg.to_dict(), ensure_ascii=False))
    assert data["count"] == 2
    assert data["questions"][1]["decided_by"] == {"zh": "岳阳市教育局", "en": "Yueyang City Education Bureau"}


def test_guangdong_register(gd_ruleset):
    questions = {q.parameter: q for q in open_questions([gd_ruleset]) if q.ruleset_id == "guangdong"}
    asked = {name for name, spec in gd_ruleset.resolved.parameters.items() if "question" in spec}
    assert set(questions) == asked
    cap = questions["school_based_hours_cap"]
    assert cap.value == gd_ruleset.parameters["school_based_hours_cap"]
    assert cap.question["zh"].startswith("超出25学时的部分是直接舍去")
    assert cap.decided_by == {"zh": "广东省教育厅", "en": "Guangdong Department of Education"}


@pytest.mark.parametrize("level, name, zh, en", [
    ("province", {"zh": "广东省", "en": "Guangdong"}, "广东省教育厅", "Guangdong Department of Education"),
    ("national", {"zh": "全国", "en": "China"}, "教育部", "Ministry of Education"),
    ("district", {"zh": "某区", "en": "A district"}, "某区教育行政部门", "A district education authority"),
])
def test_department_by_level(level, name, zh, en):
    assert department({"level": level, "name": name}) == {"zh": zh, "en": en}


def test_every_shipped_question_stands_alone(registry):
    """No question points at a research note outside the repository; each names its document and clause."""
    questions = open_questions([compiled for rid in registry.ids() for compiled in registry.revisions(rid)])
    assert questions
    for q in questions:
        for lang in ("zh", "en"):
            assert "policy-research" not in q.question[lang] and "§7" not in q.question[lang], (q.ruleset_id, q.parameter)
    text = questions_text(questions, "zh")
    assert "policy-research" not in text
    assert "    依据: 《中小学、幼儿园教师信息技术应用能力提升工程2.0培训校本分享会(湛江专场)》(2022-04-14) 校本研修流程 原文「超过25学时,平台只记录25学时」" in text
