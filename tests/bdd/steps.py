"""The shared step library: the domain in Chinese, for every jurisdiction's features.

A step is declared with a readable template, which is also what a policy officer is shown when a
step they wrote does not match any:

    "{name}"             a quoted value, e.g. 教师 "李老师"
    {name:类型}           a typed value: 日期 (YYYY-MM-DD), 数字, 层级 (教师|学校|区域), 主体 (学校|区域)
    [主体的]              an optional subject, e.g. 学校 "湛江一中" 的 …; without it a `那么` step speaks of
                         whatever was evaluated last
    a space              any spacing, or none (规则"X"的结果为"通过" matches too)

Tables replace what was described before (…如下:); the 还有/还上传了 forms append. Every `那么`
step compares exactly and says what it found.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from pytest_bdd import given, parsers, then, when

from kaohe.engine.records import Artefact, Assessment, Document, HourEntry, ResearchGroup, TeamMember

from . import tables
from .tables import SpecError, build
from .world import LEVEL_NAMES, LEVEL_WORDS, STATUS_NAMES, STATUS_WORDS, Kaohe, World, shown

# ---- step templates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepType:
    pattern: str
    convert: Callable[[str], Any]
    words: str


def _number(value: str) -> int | float:
    return tables.number(value)


TYPES = {
    "日期": StepType(r"\d{4}-\d{2}-\d{2}", dt.date.fromisoformat, "YYYY-MM-DD"),
    "数字": StepType(r"[+-]?\d+(?:\.\d+)?", _number, "数字"),
    "层级": StepType(r"教师|学校|区域", LEVEL_WORDS.__getitem__, "教师|学校|区域"),
    "主体": StepType(r"学校|区域", LEVEL_WORDS.__getitem__, "学校|区域"),
}
_SUBJECT = r'(?:(?P<subject_level>教师|学校|区域)\s*"(?P<subject_id>[^"]+)"\s*的\s*)?'
_PLACEHOLDER = re.compile(r'"\{(\w+)\}"|\{(\w+):(\w+)\}|\[主体的\]| ')


@dataclass(frozen=True)
class StepDef:
    kind: str  # given | when | then
    template: str
    regex: str
    help: str = ""

    @property
    def keyword(self) -> str:
        return {"given": "假如", "when": "当", "then": "那么"}[self.kind]


STEPS: list[StepDef] = []


def compile_template(template: str) -> tuple[str, dict[str, Callable]]:
    """`规则 "{rule}" 的结果为 "{status}"` → a regex with named groups, and the typed converters."""
    out, converters, pos = [], {}, 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos:match.start()]))
        quoted, typed, type_name = match.group(1), match.group(2), match.group(3)
        if quoted:
            out.append(f'"(?P<{quoted}>[^"]*)"')
        elif typed:
            step_type = TYPES[type_name]
            out.append(f"(?P<{typed}>{step_type.pattern})")
            converters[typed] = step_type.convert
        elif match.group(0) == "[主体的]":
            out.append(_SUBJECT)
        else:
            out.append(r"\s*")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return "".join(out), converters


def step(kind: str, template: str, help: str = ""):
    """Declare a step by its readable template (see the module docstring)."""
    regex, converters = compile_template(template)
    decorator = {"given": given, "when": when, "then": then}[kind]
    STEPS.append(StepDef(kind, template, regex, help))
    return decorator(parsers.re(regex), converters=converters)


def describe_steps(kind: str | None = None) -> str:
    lines = []
    for s in STEPS:
        if kind is None or s.kind == kind:
            lines.append(f"  {s.keyword} {s.template}" + (f"    ({s.help})" if s.help else ""))
    return "\n".join(lines)


def closest_steps(text: str, kind: str, n: int = 3) -> list[StepDef]:
    """The step definitions most like a step that matched none: quoted values and the optional subject
    are set aside, so `教师 "黄老师" 的结论是 "通过"` comes out near `[主体的]结论为 "{verdict}"`."""
    import difflib

    def bare(value: str) -> str:
        return re.sub(r"\s+", "", re.sub(r'"[^"]*"', '""', value))

    wanted = bare(re.sub(r'^(教师|学校|区域)\s*"[^"]*"\s*的\s*', "", text))
    scored = []
    for s in STEPS:
        if s.kind != kind:
            continue
        template = bare(re.sub(r"\{\w+:\w+\}", "0", s.template.replace("[主体的]", "")))
        scored.append((difflib.SequenceMatcher(None, wanted, template).ratio(), s))
    scored.sort(key=lambda pair: -pair[0])
    return [s for score, s in scored[:n] if score >= 0.4]


def matching_steps(text: str, kind: str | None = None) -> list[StepDef]:
    return [s for s in STEPS if (kind is None or s.kind == kind) and re.fullmatch(s.regex, text)]


# ---- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kaohe_rulesets() -> Kaohe:
    """Every ruleset, compiled once for the session (compiling is the slow part)."""
    return Kaohe()


@pytest.fixture
def world(kaohe_rulesets: Kaohe, request) -> World:
    from .coverage import recorder

    record = recorder(request.config)
    where = scenario_label(request)
    return World(kaohe_rulesets, record=lambda compiled, result, variant: record(compiled, result, where, variant))


def scenario_label(request) -> str:
    """`features/guangdong/03_summaries.feature:71 文件格式与大小 [文件名=…, 大小KB=…]`: where a policy officer looks."""
    found = getattr(request.node, "kaohe_scenario", None)
    if found is None:
        return request.node.nodeid
    feature, scenario = found
    try:
        where = Path(feature.filename).resolve().relative_to(Path(request.config.rootpath).resolve()).as_posix()
    except ValueError:
        where = feature.filename
    example = request.getfixturevalue("_pytest_bdd_example") or {}
    shown = f" [{', '.join(f'{k}={v}' for k, v in example.items())}]" if example else ""
    return f"{where}:{scenario.line_number} {scenario.name}{shown}"


def _subject(world: World, subject_level: str | None, subject_id: str | None):
    return world.result(LEVEL_WORDS[subject_level], subject_id) if subject_level else world.result()


def _asserted(request, world: World, rule_id: str) -> None:
    from .coverage import mark_asserted

    mark_asserted(request.config, world.require_ruleset(), rule_id, variant=bool(world.overrides))


def _docstring_text(docstring: str | None, template: str) -> str:
    if docstring is None:
        raise SpecError(f'这一步后面需要一段文字 (a """ docstring """): {template}')
    return docstring.strip()


# ---- 假如: the ruleset ------------------------------------------------------------------------------------


@step("given", '采用规则集 "{ruleset}", 评估日期为 "{as_of:日期}"')
def _(world: World, ruleset: str, as_of: dt.date):
    world.adopt(ruleset, as_of)


@step("given", '参数 "{name}" 改为 "{value}"', help="按另一种读法: 是/否、数字、日期 (YYYY-MM-DD)、用 、 分隔的列表或文字")
def _(world: World, name: str, value: str):
    override_parameter(world, name, value)


def override_parameter(world: World, name: str, value: str) -> None:
    """A parameter read another way; the text is typed like the parameter's own value."""
    compiled = world.require_ruleset()
    if name not in compiled.parameters:
        known = "、".join(compiled.parameters)
        raise SpecError(f"规则集 '{compiled.id}' 没有参数 '{name}'. 已有的参数: {known}")
    current = compiled.parameters[name]
    try:
        if isinstance(current, bool):
            typed: Any = tables.yes_no(value)
        elif isinstance(current, (int, float)):
            typed = tables.number(value)
        elif isinstance(current, dt.date):
            typed = tables.date(value)
        elif isinstance(current, (list, tuple)):
            typed = tables.items(value)
        else:
            typed = value
    except ValueError as exc:
        raise SpecError(f"参数 '{name}': {exc}") from None
    world.override(name, typed)


# ---- 假如: a teacher ----------------------------------------------------------------------------------------


def _hour_entries(world: World, datatable) -> list[HourEntry]:
    entries = []
    for number_, row in enumerate(tables.HOURS.rows(datatable), start=1):
        times = row.pop("times", 1)
        if "date" not in row:
            if world.as_of is None:
                raise SpecError("学时记录没有日期: 请写 日期 列, 或先写 采用规则集 … 评估日期为 …")
            row["date"] = world.as_of
        entry = build(HourEntry, row, f"学时记录第{number_}行", tables.HOURS)
        entries.extend([entry] * times)
    return entries


@step("given", '教师 "{teacher}" 的学时记录如下:')
def _(world: World, teacher: str, datatable=None):
    world.teacher(teacher)["hours"] = _hour_entries(world, datatable)


@step("given", '教师 "{teacher}" 还有以下学时记录:')
def _(world: World, teacher: str, datatable=None):
    draft = world.teacher(teacher)
    draft["hours"] = list(draft.get("hours", [])) + _hour_entries(world, datatable)


@step("given", '教师 "{teacher}" 选择的能力点为 "{points}"', help="用 、 分隔")
def _(world: World, teacher: str, points: str):
    world.teacher(teacher)["ability_points"] = tables.items(points)


@step("given", '教师 "{teacher}" 未选择能力点')
def _(world: World, teacher: str):
    world.teacher(teacher)["ability_points"] = []


def _artefacts(datatable) -> list[Artefact]:
    out = []
    for number_, row in enumerate(tables.ARTEFACTS.rows(datatable), start=1):
        times = row.pop("times", 1)
        if "format" not in row:
            stem, dot, suffix = row["file_name"].rpartition(".")
            if not dot or not stem:
                raise SpecError(f"材料表格第{number_}行: 文件名 '{row['file_name']}' 没有扩展名, 请写 格式 列")
            row["format"] = suffix
        out.extend([build(Artefact, row, f"材料表格第{number_}行", tables.ARTEFACTS)] * times)
    return out


@step("given", '教师 "{teacher}" 上传的材料如下:')
def _(world: World, teacher: str, datatable=None):
    world.teacher(teacher)["artefacts"] = _artefacts(datatable)


@step("given", '教师 "{teacher}" 还上传了以下材料:')
def _(world: World, teacher: str, datatable=None):
    draft = world.teacher(teacher)
    draft["artefacts"] = list(draft.get("artefacts", [])) + _artefacts(datatable)


@step("given", '教师 "{teacher}" 没有上传 "{kind}"', help="去掉这一类型的全部材料")
def _(world: World, teacher: str, kind: str):
    draft = world.teacher(teacher)
    before = draft.get("artefacts", [])
    if not any(a.kind == kind for a in before):
        kinds = "、".join(sorted({a.kind for a in before})) or "无"
        raise SpecError(f"教师 '{teacher}' 本来就没有 '{kind}' 类材料 (已有: {kinds})")
    draft["artefacts"] = [a for a in before if a.kind != kind]


def _assessments(datatable) -> list[Assessment]:
    return [build(Assessment, row, f"测评结果表格第{n}行", tables.ASSESSMENTS)
            for n, row in enumerate(tables.ASSESSMENTS.rows(datatable), start=1)]


@step("given", '教师 "{teacher}" 的测评结果如下:')
def _(world: World, teacher: str, datatable=None):
    world.teacher(teacher)["assessments"] = _assessments(datatable)


@step("given", '教师 "{teacher}" 没有测评结果')
def _(world: World, teacher: str):
    world.teacher(teacher)["assessments"] = []


@step("given", '教师 "{teacher}" 属于教研组 "{group}"')
def _(world: World, teacher: str, group: str):
    world.teacher(teacher)["research_group"] = group


@step("given", '教师 "{teacher}" 未加入教研组')
def _(world: World, teacher: str):
    world.teacher(teacher).pop("research_group", None)


@step("given", "有以下教师:", help="表格; 可用 学校 列指定所在学校")
def _(world: World, datatable=None):
    world.add_teachers(tables.TEACHERS.rows(datatable))


@step("given", '学校 "{school}" 有以下教师:', help="表格, 即该校的全部教师; 参照 + 人数 可按一位已描述的教师生成多位")
def _(world: World, school: str, datatable=None):
    world.add_teachers(tables.TEACHERS.rows(datatable), school_id=school, replace=True)


@step("given", '学校 "{school}" 还有以下教师:')
def _(world: World, school: str, datatable=None):
    world.add_teachers(tables.TEACHERS.rows(datatable), school_id=school)


# ---- 假如: schools and regions --------------------------------------------------------------------------------


@step("given", "有以下学校:")
def _(world: World, datatable=None):
    for row in tables.SCHOOLS.rows(datatable):
        world.school(row["id"]).update(row)


@step("given", "有以下区域:")
def _(world: World, datatable=None):
    for row in tables.REGIONS.rows(datatable):
        world.regions[row["id"]] = {**world.regions.get(row["id"], {}), **row}


@step("given", '{owner:主体} "{owner_id}" 提交的文件如下:', help="提交日期 留空表示尚未提交")
def _(world: World, owner: str, owner_id: str, datatable=None):
    world.owner(owner, owner_id)["documents"] = [
        build(Document, row, f"文件表格第{n}行", tables.DOCUMENTS)
        for n, row in enumerate(tables.DOCUMENTS.rows(datatable), start=1)]


@step("given", '{owner:主体} "{owner_id}" 的统计数如下:')
def _(world: World, owner: str, owner_id: str, datatable=None):
    world.owner(owner, owner_id)["counts"] = {row["key"]: row["value"] for row in tables.COUNTS.rows(datatable)}


@step("given", '学校 "{school}" 的教研组如下:')
def _(world: World, school: str, datatable=None):
    world.school(school)["research_groups"] = [
        build(ResearchGroup, row, f"教研组表格第{n}行", tables.RESEARCH_GROUPS)
        for n, row in enumerate(tables.RESEARCH_GROUPS.rows(datatable), start=1)]


@step("given", '学校 "{school}" 提供的证明材料如下:')
def _(world: World, school: str, datatable=None):
    world.school(school)["evidence"] = [row["item"] for row in tables.EVIDENCE.rows(datatable)]


@step("given", '学校 "{school}" 未提供证明材料 "{item}"')
def _(world: World, school: str, item: str):
    draft = world.school(school)
    evidence = draft.get("evidence", [])
    if item not in evidence:
        raise SpecError(f"学校 '{school}' 本来就没有证明材料 '{item}' (已有: {'、'.join(evidence) or '无'})")
    draft["evidence"] = [e for e in evidence if e != item]


@step("given", '学校 "{school}" 的自评打分为 {score:数字} 分')
def _(world: World, school: str, score):
    world.school(school)["self_score"] = score


@step("given", '学校 "{school}" 尚未自评打分')
def _(world: World, school: str):
    world.school(school).pop("self_score", None)


def team_members(datatable) -> list[TeamMember]:
    """The members of a team table; a row with 人数 n makes <姓名>1 … <姓名>n (0: none)."""
    team = []
    for n, row in enumerate(tables.TEAM.rows(datatable), start=1):
        times = row.pop("times", 1)
        names = [row["name"]] if times == 1 else [f"{row['name']}{i}" for i in range(1, times + 1)]
        team += [build(TeamMember, {**row, "name": name}, f"信息化管理团队表格第{n}行", tables.TEAM) for name in names]
    return team


@step("given", '学校 "{school}" 的信息化管理团队如下:', help="人数 可按一行生成多位成员")
def _(world: World, school: str, datatable=None):
    world.school(school)["management_team"] = team_members(datatable)


# ---- 当: evaluate -------------------------------------------------------------------------------------------


@step("when", '评估教师 "{teacher}"')
def _(world: World, teacher: str):
    world.evaluate_teacher(teacher)


@step("when", '评估学校 "{school}"', help="连同该校的全部教师")
def _(world: World, school: str):
    world.evaluate_school(school)


@step("when", '评估区域 "{region}"', help="连同已描述的全部学校")
def _(world: World, region: str):
    world.evaluate_region(region)


# ---- 那么: verdicts, rules, wording, values ----------------------------------------------------------------------


def _who(result) -> str:
    return f"{LEVEL_NAMES[result.level]} '{result.record.id}'"


def _rule_line(result, rule) -> str:
    outcome = result.outcome_of(rule.id)
    return f"{rule.title['zh']} ({rule.id}): {STATUS_NAMES[outcome.status]} — {outcome.explanation['zh']}"


def _failed_summary(result) -> str:
    failed = result.failed()
    return "; ".join(f"{r.title['zh']} ({r.id})" for r, _ in failed) or "无"


@step("then", '[主体的]结论为 "{verdict}"', help="通过/不通过, 或规则集的结论用语")
def _(world: World, verdict: str, subject_level, subject_id):
    result = _subject(world, subject_level, subject_id)
    wanted = world.verdict_word(result, verdict)
    compiled = world.require_ruleset()
    assert result.verdict == wanted, (
        f"{_who(result)} 的结论为 '{compiled.label(result.level, result.verdict, 'zh')}', 而场景期望 '{verdict}'. "
        f"未通过的规则: {_failed_summary(result)}")


@step("then", '[主体的]规则 "{rule}" 的结果为 "{status}"',
      help="通过、不通过、待人工复核、不适用、未到期、无法根据此数据判断 或 不在本轮培训范围")
def _(world: World, request, rule: str, status: str, subject_level, subject_id):
    result = _subject(world, subject_level, subject_id)
    found = world.rule(rule, result.level)
    if status not in STATUS_WORDS:
        raise SpecError(f"'{status}' 不是规则结果; 可写: {'、'.join(STATUS_NAMES.values())}")
    _asserted(request, world, found.id)
    actual = result.status_of(found.id)
    assert actual == STATUS_WORDS[status], (
        f"{_who(result)}: 规则 '{rule}' 的结果为 '{STATUS_NAMES[actual]}', 而场景期望 '{status}'. "
        f"{_rule_line(result, found)}")


def _expect_failing(world: World, request, result, text: str) -> None:
    wanted = {r.id for r in world.rules_in(text, result.level)}
    for rule_id in wanted:
        _asserted(request, world, rule_id)
    actual = {r.id for r, _ in result.failed()}
    assert actual == wanted, (
        f"{_who(result)} 未通过的规则为: {_failed_summary(result)}; 而场景期望: {text or '无'}")


@step("then", '[主体的]未通过的规则为 "{rules}"', help="用 、 分隔; 含建议项")
def _(world: World, request, rules: str, subject_level, subject_id):
    _expect_failing(world, request, _subject(world, subject_level, subject_id), rules)


@step("then", "[主体的]没有未通过的规则")
def _(world: World, request, subject_level, subject_id):
    _expect_failing(world, request, _subject(world, subject_level, subject_id), "")


def _outcome(world: World, request, rule: str, subject_level, subject_id):
    result = _subject(world, subject_level, subject_id)
    found = world.rule(rule, result.level)
    _asserted(request, world, found.id)
    return result, found, result.outcome_of(found.id)


def _same_text(what: str, result, rule, actual: str | None, wanted: str) -> None:
    assert actual == wanted, (
        f"{_who(result)}: 规则 '{rule.title['zh']}' 的{what}不同.\n  实际: {actual!r}\n  期望: {wanted!r}")


@step("then", '[主体的]规则 "{rule}" 的整改提示为:', help='后接 """ 文字 """, 逐字比较')
def _(world: World, request, rule: str, subject_level, subject_id, docstring=None):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    wanted = _docstring_text(docstring, "规则 … 的整改提示为:")
    _same_text("整改提示", result, found, outcome.remedy["zh"] if outcome.remedy else None, wanted)


@step("then", '[主体的]规则 "{rule}" 的整改提示为 "{text}"', help="逐字比较")
def _(world: World, request, rule: str, text: str, subject_level, subject_id):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    _same_text("整改提示", result, found, outcome.remedy["zh"] if outcome.remedy else None, text)


@step("then", '[主体的]规则 "{rule}" 没有整改提示')
def _(world: World, request, rule: str, subject_level, subject_id):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    _same_text("整改提示", result, found, outcome.remedy["zh"] if outcome.remedy else None, None)


@step("then", '[主体的]规则 "{rule}" 的说明为:', help='后接 """ 文字 """, 逐字比较')
def _(world: World, request, rule: str, subject_level, subject_id, docstring=None):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    _same_text("说明", result, found, outcome.explanation["zh"], _docstring_text(docstring, "规则 … 的说明为:"))


@step("then", '[主体的]规则 "{rule}" 的说明为 "{text}"', help="逐字比较")
def _(world: World, request, rule: str, text: str, subject_level, subject_id):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    _same_text("说明", result, found, outcome.explanation["zh"], text)


@step("then", '[主体的]规则 "{rule}" 的实际值为 "{text}"')
def _(world: World, request, rule: str, text: str, subject_level, subject_id):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    _same_text("实际值", result, found, outcome.actual_text["zh"], text)


@step("then", '[主体的]规则 "{rule}" 的要求为 "{text}"')
def _(world: World, request, rule: str, text: str, subject_level, subject_id):
    result, found, outcome = _outcome(world, request, rule, subject_level, subject_id)
    _same_text("要求", result, found, outcome.expected["zh"], text)


@step("then", '[主体的]"{measure}" 为 "{value}"', help="数据项的编号或中文名称; 值带不带单位均可")
def _(world: World, measure: str, value: str, subject_level, subject_id):
    result = _subject(world, subject_level, subject_id)
    found = world.measure(measure, result.level)
    actual = result.values.get(found.name)
    with_unit, bare = shown(actual, found.unit), shown(actual)
    assert value in (with_unit, bare), (
        f"{_who(result)} 的 '{found.title.get('zh')}' ({found.name}) 为 '{with_unit}', 而场景期望 '{value}'")


@step("then", '[主体的]未通过规则 "{rule}" 的教师为 "{teachers}"', help="用 、 分隔")
def _(world: World, request, rule: str, teachers: str, subject_level, subject_id):
    _failing_teachers(world, request, rule, tables.items(teachers), subject_level, subject_id)


@step("then", '[主体的]没有教师未通过规则 "{rule}"')
def _(world: World, request, rule: str, subject_level, subject_id):
    _failing_teachers(world, request, rule, [], subject_level, subject_id)


def _failing_teachers(world: World, request, rule: str, wanted: list[str], subject_level, subject_id) -> None:
    result = _subject(world, subject_level, subject_id)
    if result.level != "school":
        raise SpecError(f"未通过规则的教师名单是学校的结果; 请先写 当 评估学校 \"…\" (现在说的是{_who(result)})")
    found = world.rule(rule, "teacher")
    _asserted(request, world, found.id)
    actual = result.failing_teachers()[found.id]
    assert sorted(actual) == sorted(wanted), (
        f"{_who(result)} 中未通过 '{found.title['zh']}' 的教师为: {'、'.join(actual) or '无'}; "
        f"而场景期望: {'、'.join(wanted) or '无'}")


@step("then", '[主体的]评估日期之后未计入的记录为 "{text}"', help="逐字比较, 如 日期晚于评估日期 2023-05-01 的 1 条学时记录未计入")
def _(world: World, text: str, subject_level, subject_id):
    from kaohe.engine.asof import left_out_text

    result = _subject(world, subject_level, subject_id)
    actual = left_out_text(result.left_out, world.as_of, "zh") if result.left_out else "无"
    assert actual == text, f"{_who(result)} 评估日期之后未计入的记录为 '{actual}', 而场景期望 '{text}'"


@step("then", '[主体的]不在本轮培训范围的教师为 "{teachers}"', help="用 、 分隔; 这些教师单独列出, 不计入比例")
def _(world: World, teachers: str, subject_level, subject_id):
    _out_of_scope(world, tables.items(teachers), subject_level, subject_id)


@step("then", "[主体的]没有不在本轮培训范围的教师")
def _(world: World, subject_level, subject_id):
    _out_of_scope(world, [], subject_level, subject_id)


def _out_of_scope(world: World, wanted: list[str], subject_level, subject_id) -> None:
    result = _subject(world, subject_level, subject_id)
    if result.level != "school":
        raise SpecError(f"不在范围的教师名单是学校的结果; 请先写 当 评估学校 \"…\" (现在说的是{_who(result)})")
    actual = [t.record.id for t in result.members if t.verdict == "not_in_scope"]
    assert sorted(actual) == sorted(wanted), (
        f"{_who(result)} 中不在本轮培训范围的教师为: {'、'.join(actual) or '无'}; 而场景期望: {'、'.join(wanted) or '无'}")


# ---- what conftest imports --------------------------------------------------------------------------

__all__ = ["kaohe_rulesets", "world"] + [name for name in list(globals()) if name.startswith("pytestbdd_")]
