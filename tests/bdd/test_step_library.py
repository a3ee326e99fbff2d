"""The shared step library: tables, typed values, names, and the messages a spec writer sees."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kaohe.tools.policydoc import feature_files
from kaohe.engine.records import HourEntry, Teacher

from . import tables
from .steps import STEPS, compile_template, matching_steps
from .tables import SpecError, build
from .world import World

ROOT = Path(__file__).resolve().parents[2]
_STEP_LINE = re.compile(r"^\s*(假如|假设|假定|当|那么|并且|而且|同时|但是|Given|When|Then|And|But|\*)\s+(.*\S)\s*$")


def step_lines() -> list[tuple[str, int, str]]:
    """(file, line, step text) of every step in every feature file under features/."""
    out = []
    for path in feature_files([ROOT / "features"]):
        in_doc = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip().startswith('"""'):
                in_doc = not in_doc
                continue
            match = None if in_doc else _STEP_LINE.match(line)
            if match:
                out.append((path.relative_to(ROOT).as_posix(), number, match.group(2)))
    return out


# ---- tables -------------------------------------------------------------------------------------


def test_an_unknown_column_fails_listing_the_columns_that_exist():
    with pytest.raises(SpecError) as error:
        tables.HOURS.rows([["活动类别", "活动名称", "学时"], ["校本研修", "教学研讨", "2"]])
    message = str(error.value)
    assert "学时记录表格中有未知的列: 活动名称" in message
    assert "活动类别*" in message and "活动类型*" in message and "次数" in message


def test_a_missing_required_column_is_named():
    with pytest.raises(SpecError, match="学时记录表格缺少必填的列: 活动类型"):
        tables.HOURS.rows([["活动类别", "学时"], ["校本研修", "2"]])


def test_a_cell_that_does_not_parse_names_its_row_and_column():
    with pytest.raises(SpecError, match="学时记录表格第2行, 列 '学时': '两' 不是数字"):
        tables.HOURS.rows([["活动类别", "活动类型", "学时"], ["校本研修", "教学研讨", "2"], ["校本研修", "教学研讨", "两"]])


def test_typed_cells():
    rows = tables.TEACHERS.rows([["教师", "专任教师", "能力点", "人数"], ["甲", "否", "GD:B1、GD:B2, GD:G4", "3"]])
    assert rows == [{"id": "甲", "full_time": False, "ability_points": ["GD:B1", "GD:B2", "GD:G4"], "times": 3}]
    assert tables.number("2") == 2 and isinstance(tables.number("2"), int) and tables.number("2.5") == 2.5
    assert tables.date("2022-06-30") == dt.date(2022, 6, 30)
    with pytest.raises(ValueError, match="是 或 否"):
        tables.yes_no("对")


def test_a_value_the_record_model_refuses_fails_naming_the_chinese_column():
    with pytest.raises(SpecError) as error:
        build(HourEntry, {"category": "校本研修", "kind": "教学研讨", "hours": -2, "date": dt.date(2022, 5, 1)},
              "学时记录第1行", tables.HOURS)
    assert "学时记录第1行 不是有效的记录" in str(error.value) and "学时 (hours)" in str(error.value)


def test_a_teacher_keyed_by_an_id_card_number_is_refused():
    with pytest.raises(SpecError, match="身份证号"):
        build(Teacher, {"id": "44080219800101123X", "school_id": "S"}, "教师")


def test_an_empty_table_says_what_it_needs():
    with pytest.raises(SpecError, match="这一步需要一个材料表格.*文件名\\*"):
        tables.ARTEFACTS.rows(None)


def test_a_team_row_with_a_count_makes_that_many_members():
    """信息化管理团队 人数: a decision table can vary the size of a team (0 leaves the row out)."""
    from .steps import team_members

    team = team_members([["姓名", "职务", "校长", "组长", "人数"], ["张校长", "校长", "是", "是", "1"],
                         ["骨干教师", "信息技术骨干教师", "否", "否", "3"], ["外聘顾问", "顾问", "否", "否", "0"]])
    assert [m.name for m in team] == ["张校长", "骨干教师1", "骨干教师2", "骨干教师3"]
    assert [m.is_leader for m in team] == [True, False, False, False]
    with pytest.raises(SpecError, match="人数.*不是非负整数"):
        team_members([["姓名", "职务", "人数"], ["甲", "乙", "-1"]])


def test_a_date_parameter_read_another_way_is_a_date(kaohe_rulesets):
    """参数 "…" 改为 "2023-12-30": a date parameter takes a date, and text that is no date says so."""
    from .steps import override_parameter

    world = World(kaohe_rulesets)
    world.adopt("hunan-yueyang", dt.date(2024, 1, 15))
    override_parameter(world, "completion_deadline", "2023-12-30")
    assert world.overrides == {"completion_deadline": dt.date(2023, 12, 30)}
    assert world.require_ruleset().parameters["completion_deadline"] == dt.date(2023, 12, 30)
    with pytest.raises(SpecError, match="参数 'completion_deadline': '2023年12月30日' 不是日期"):
        override_parameter(world, "completion_deadline", "2023年12月30日")


# ---- step templates -------------------------------------------------------------------------------


def test_templates_allow_any_spacing_and_an_optional_subject():
    regex, converters = compile_template('[主体的]规则 "{rule}" 的结果为 "{status}"')
    assert re.fullmatch(regex, '规则"校本研修累计25学时"的结果为"通过"')
    match = re.fullmatch(regex, '教师 "李老师" 的规则 "校本研修累计25学时" 的结果为 "不通过"')
    assert match and match["subject_level"] == "教师" and match["subject_id"] == "李老师"
    assert not re.fullmatch(regex, '规则 "A" 的结果为 通过')  # the value must be quoted
    regex, converters = compile_template('采用规则集 "{ruleset}", 评估日期为 "{as_of:日期}"')
    match = re.fullmatch(regex, '采用规则集 "guangdong", 评估日期为 "2022-06-30"')
    assert converters["as_of"](match["as_of"]) == dt.date(2022, 6, 30)
    assert not re.fullmatch(regex, '采用规则集 "guangdong", 评估日期为 "2022年6月30日"')


def test_every_step_in_the_features_matches_exactly_one_step_definition():
    lines = step_lines()
    assert len(lines) > 100
    problems = []
    for where, number, text in lines:
        found = matching_steps(text)
        if len(found) != 1 and not (not found and "<" in text):
            problems.append(f"{where}:{number} {text!r}: {[s.template for s in found] or 'no step'}")
    assert not problems, "\n".join(problems)


def test_step_templates_are_unique_and_documented_by_keyword():
    templates = [(s.kind, s.template) for s in STEPS]
    assert len(templates) == len(set(templates))
    assert {s.kind for s in STEPS} == {"given", "when", "then"}


# ---- names in the ruleset --------------------------------------------------------------------------


@pytest.fixture
def guangdong_world(kaohe_rulesets) -> World:
    world = World(kaohe_rulesets)
    world.adopt("guangdong", dt.date(2022, 6, 30))
    return world


def test_rule_lists_are_cut_at_whole_titles_even_when_titles_hold_the_enumeration_comma(guangdong_world):
    rules = guangdong_world.rules_in("教研组有专题研修计划、教研组有组长、研修计划和教学案例", "school")
    assert [r.id for r in rules] == ["nat.school.research-group-plans", "gd.school.research-groups"]
    rules = guangdong_world.rules_in("提升总结为doc、docx、pdf格式且不超过2048KB、gd.teacher.catalogue", "teacher")
    assert [r.id for r in rules] == ["gd.teacher.summary-files", "gd.teacher.catalogue"]


def test_an_unknown_rule_lists_the_rules_that_exist(guangdong_world):
    with pytest.raises(SpecError) as error:
        guangdong_world.rule("校本研修累计24学时")
    assert "没有规则 '校本研修累计24学时'" in str(error.value)
    assert "gd.teacher.school-based-hours — 校本研修累计25学时 (教师)" in str(error.value)


def test_a_rule_of_another_level_says_how_to_name_the_subject(guangdong_world):
    with pytest.raises(SpecError, match="是教师规则, 而这里说的是学校"):
        guangdong_world.rule("校本研修累计25学时", "school")


def test_an_unknown_ruleset_lists_the_loaded_ones(kaohe_rulesets):
    world = World(kaohe_rulesets)
    with pytest.raises(SpecError, match="规则集 'guangdon' 不可用.*已加载的规则集: .*guangdong"):
        world.adopt("guangdon", dt.date(2022, 6, 30))


def test_verdict_words_are_the_rulesets_labels_or_pass_and_fail(guangdong_world):
    guangdong_world.add_teachers([{"id": "甲"}], school_id="S")
    result = guangdong_world.evaluate_school("S")
    assert guangdong_world.verdict_word(result, "暂不能参加整校推进绩效考核") == "fail"
    assert guangdong_world.verdict_word(result, "不通过") == "fail"
    with pytest.raises(SpecError, match="可写: 可参加整校推进绩效考核、暂不能参加整校推进绩效考核、待人工复核"):
        guangdong_world.verdict_word(result, "合格")


def test_a_teacher_table_for_a_school_replaces_its_roster_and_keeps_described_teachers(guangdong_world):
    world = guangdong_world
    world.teacher("样板")["ability_points"] = ["GD:B1"]
    world.add_teachers([{"id": "甲", "like": "样板", "times": 3}], school_id="S", replace=True)
    assert [t for t, d in world.teachers.items() if d["school_id"] == "S"] == ["甲1", "甲2", "甲3"]
    assert world.teachers["甲2"]["ability_points"] == ["GD:B1"]
    world.teachers["甲2"]["ability_points"].append("GD:B2")
    assert world.teachers["甲1"]["ability_points"] == ["GD:B1"]  # copies, not one shared list
    world.add_teachers([{"id": "样板"}], school_id="S", replace=True)
    assert [t for t, d in world.teachers.items() if d["school_id"] == "S"] == ["样板"]
    assert world.teachers["样板"]["ability_points"] == ["GD:B1"]


# ---- the guide for spec writers -------------------------------------------------------------------


def test_every_step_and_every_column_is_in_the_guide_for_spec_writers():
    guide = (ROOT / "features" / "README.md").read_text(encoding="utf-8")
    missing = [s.template for s in STEPS if f"| {s.keyword} | `{s.template}` |" not in guide]
    assert not missing, f"features/README.md does not list these steps: {missing}"
    rows = {line.split("|")[1].strip(): line for line in guide.splitlines() if line.startswith("| ") and line.count("|") == 3}
    for table in tables.ALL_TABLES:
        assert table.name in rows, f"features/README.md has no row for the {table.name} table"
        for column in table.columns:
            mark = "*" if column.required else ""
            assert re.search(rf"(^|、| ){re.escape(column.header + mark)}( |、|$|\()", rows[table.name].split("|")[2].strip()), \
                (table.name, column.header)
