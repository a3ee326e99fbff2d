"""What one scenario builds up: the ruleset in force, the records described, the results evaluated.

Records are drafted as plain field values while the `假如` steps run and built through the
pydantic models (`kaohe.engine.records`) when a `当 评估…` step needs them, so a table that does
not make a valid record fails with the record, the field and the Chinese column. Nothing here
knows a jurisdiction: kinds, results and rule names all come from the feature and the ruleset.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from kaohe.engine.compiler import CompiledRuleset, Rule
from kaohe.engine.evaluation import Evaluator
from kaohe.engine.expressions import format_value
from kaohe.engine.records import Dataset, Region, School, Teacher

from .tables import SpecError, build

LEVEL_WORDS = {"教师": "teacher", "学校": "school", "区域": "region"}
LEVEL_NAMES = {level: word for word, level in LEVEL_WORDS.items()}
STATUS_WORDS = {"通过": "pass", "不通过": "fail", "待人工复核": "needs_review", "不适用": "not_applicable",
                "pass": "pass", "fail": "fail", "needs_review": "needs_review", "not_applicable": "not_applicable"}
STATUS_NAMES = {"pass": "通过", "fail": "不通过", "needs_review": "待人工复核", "not_applicable": "不适用"}
VERDICTS = ("pass", "fail", "needs_review")
UNASSIGNED_SCHOOL = "未指定学校"  # a teacher described without a school belongs to none of the schools
COPIED_FROM_TEMPLATE = ("hours", "artefacts", "assessments", "ability_points", "research_group", "full_time",
                        "stage", "subject", "status")


class Kaohe:
    """The rulesets of one test session: the registry is built (and every ruleset compiled) once."""

    def __init__(self) -> None:
        from kaohe.plugins.manager import build_registry

        loaded = build_registry()
        self.registry = loaded.registry
        self.problems = loaded.problems
        self._variants: dict[tuple, tuple[CompiledRuleset, Evaluator]] = {}

    def ruleset(self, ruleset_id: str, as_of: dt.date) -> tuple[CompiledRuleset, Evaluator]:
        from kaohe.engine.errors import KaoheError

        try:
            return self.registry.get(ruleset_id, as_of), self.registry.evaluator(ruleset_id, as_of)
        except KaoheError as exc:
            broken = "".join(f"\n  {p.plugin}: {p.reason}" for p in self.problems)
            raise SpecError(f"规则集 '{ruleset_id}' 不可用 (评估日期 {as_of}): {exc}. "
                            f"已加载的规则集: {'、'.join(self.registry.ids()) or '无'}{broken}") from None

    def variant(self, compiled: CompiledRuleset, overrides: dict[str, Any]) -> tuple[CompiledRuleset, Evaluator]:
        """The ruleset with some parameters read another way, compiled as a revision of its own (cached)."""
        from kaohe.engine.errors import KaoheError
        from kaohe.tools.simulate import compile_with_overrides

        key = (compiled.id, compiled.revision, tuple(sorted((k, repr(v)) for k, v in overrides.items())))
        if key not in self._variants:
            try:
                changed = compile_with_overrides(compiled, overrides)
            except KaoheError as exc:
                raise SpecError(f"参数改动无效 (invalid parameter change): {exc}") from None
            self._variants[key] = (changed, Evaluator(changed))
        return self._variants[key]


@dataclass
class World:
    kaohe: Kaohe
    record: Callable[[CompiledRuleset, Any, bool], None] = lambda compiled, result, variant: None
    ruleset_id: str | None = None
    as_of: dt.date | None = None
    compiled: CompiledRuleset | None = None
    evaluator: Evaluator | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    teachers: dict[str, dict] = field(default_factory=dict)
    schools: dict[str, dict] = field(default_factory=dict)
    regions: dict[str, dict] = field(default_factory=dict)
    results: dict[tuple[str, str], Any] = field(default_factory=dict)
    subject: tuple[str, str] | None = None

    # ---- the ruleset ------------------------------------------------------------------------
    def adopt(self, ruleset_id: str, as_of: dt.date) -> None:
        self.ruleset_id, self.as_of = ruleset_id, as_of
        self.compiled, self.evaluator = self.kaohe.ruleset(ruleset_id, as_of)
        self.overrides = {}

    def override(self, name: str, value: Any) -> None:
        base, _ = self.kaohe.ruleset(self.require_ruleset().id, self.as_of)
        self.overrides[name] = value
        self.compiled, self.evaluator = self.kaohe.variant(base, self.overrides)

    def require_ruleset(self) -> CompiledRuleset:
        if self.compiled is None:
            raise SpecError('还没有选定规则集: 请先写 假如 采用规则集 "<规则集>", 评估日期为 "YYYY-MM-DD"')
        return self.compiled

    # ---- drafts -----------------------------------------------------------------------------
    def teacher(self, teacher_id: str) -> dict:
        if teacher_id not in self.teachers:
            self.teachers[teacher_id] = {"id": teacher_id, "school_id": UNASSIGNED_SCHOOL}
        return self.teachers[teacher_id]

    def school(self, school_id: str) -> dict:
        if school_id not in self.schools:
            self.schools[school_id] = {"id": school_id}
        return self.schools[school_id]

    def region(self, region_id: str) -> dict:
        if region_id not in self.regions:
            known = "、".join(self.regions) or "无"
            raise SpecError(f"区域 '{region_id}' 尚未描述: 请先用 '有以下区域:' 表格写出它的级别 (已描述的区域: {known})")
        return self.regions[region_id]

    def owner(self, level: str, owner_id: str) -> dict:
        return self.school(owner_id) if level == "school" else self.region(owner_id)

    def add_teachers(self, rows: list[dict], school_id: str | None = None, replace: bool = False) -> None:
        """Teachers from a table. A row naming a teacher already described keeps that teacher's records;
        参照 copies another teacher's records; 人数 makes that many (编号1, 编号2 …). With `replace`, the
        school's roster becomes exactly these rows (teachers left out no longer belong to it)."""
        if school_id is not None:
            self.school(school_id)
            if replace:
                for draft in self.teachers.values():
                    if draft.get("school_id") == school_id:
                        draft["school_id"] = UNASSIGNED_SCHOOL
        for row in rows:
            row = dict(row)
            times = row.pop("times", 1)
            template_id = row.pop("like", None)
            base: dict = {}
            if template_id is not None:
                if template_id not in self.teachers:
                    known = "、".join(self.teachers) or "无"
                    raise SpecError(f"参照的教师 '{template_id}' 尚未描述 (已描述的教师: {known})")
                template = self.teachers[template_id]
                base = {k: copy.deepcopy(template[k]) for k in COPIED_FROM_TEMPLATE if k in template}
            if school_id is not None:
                if row.get("school_id", school_id) != school_id:
                    raise SpecError(f"教师 '{row['id']}' 的 学校 列为 '{row['school_id']}', 但这一步是在描述学校 '{school_id}' 的教师")
                row["school_id"] = school_id
            elif "school_id" in row:
                self.school(row["school_id"])
            ids = [row["id"]] if times == 1 else [f"{row['id']}{n}" for n in range(1, times + 1)]
            for teacher_id in ids:
                existing = self.teachers.get(teacher_id, {"school_id": UNASSIGNED_SCHOOL})
                self.teachers[teacher_id] = {**existing, **copy.deepcopy(base), **row, "id": teacher_id}

    # ---- records ------------------------------------------------------------------------------
    def teacher_record(self, teacher_id: str) -> Teacher:
        if teacher_id not in self.teachers:
            raise SpecError(f"教师 '{teacher_id}' 尚未描述 (已描述的教师: {'、'.join(self.teachers) or '无'})")
        return build(Teacher, self.teachers[teacher_id], f"教师 '{teacher_id}'")

    def school_record(self, school_id: str) -> School:
        if school_id not in self.schools:
            raise SpecError(f"学校 '{school_id}' 尚未描述 (已描述的学校: {'、'.join(self.schools) or '无'})")
        draft = dict(self.schools[school_id])
        draft["teachers"] = [self.teacher_record(t) for t, d in self.teachers.items() if d.get("school_id") == school_id]
        return build(School, draft, f"学校 '{school_id}'")

    def region_record(self, region_id: str) -> Region:
        return build(Region, self.region(region_id), f"区域 '{region_id}'")

    # ---- evaluation -----------------------------------------------------------------------------
    def _record_all(self, result) -> None:
        variant = bool(self.overrides)
        self.record(self.compiled, result, variant)
        for member in getattr(result, "members", ()) or ():
            self._record_all(member)

    def evaluate_teacher(self, teacher_id: str):
        """A teacher alone; if the teacher's school is described, with it (teacher measures may read the school)."""
        self.require_ruleset()
        record = self.teacher_record(teacher_id)
        if record.school_id in self.schools:
            result = self.evaluator.teacher(record, self.as_of, self.school_record(record.school_id))
        else:
            result = self.evaluator.teacher(record, self.as_of)
        self._remember("teacher", teacher_id, result)
        self._record_all(result)
        return result

    def evaluate_school(self, school_id: str):
        self.require_ruleset()
        result = self.evaluator.school(self.school_record(school_id), self.as_of)
        self._remember("school", school_id, result)
        for teacher in result.teachers:
            self.results[("teacher", teacher.record.id)] = teacher
        self._record_all(result)
        return result

    def evaluate_region(self, region_id: str):
        self.require_ruleset()
        region = self.region_record(region_id)
        dataset = build(Dataset, {"regions": [region], "schools": [self.school_record(s) for s in self.schools]},
                        "数据集 (dataset)")
        evaluation = self.evaluator.dataset(dataset, self.as_of)
        for school in evaluation.schools:
            self.results[("school", school.record.id)] = school
            for teacher in school.teachers:
                self.results[("teacher", teacher.record.id)] = teacher
        result = evaluation.regions[0]
        self._remember("region", region_id, result)
        self._record_all(result)
        return result

    def _remember(self, level: str, record_id: str, result) -> None:
        self.results[(level, record_id)] = result
        self.subject = (level, record_id)

    def result(self, level: str | None = None, record_id: str | None = None):
        """The result a `那么` step speaks of: the named one, else the last evaluated."""
        if level is None:
            if self.subject is None:
                raise SpecError("还没有评估任何对象: 请先写 当 评估教师 \"…\" / 当 评估学校 \"…\" / 当 评估区域 \"…\"")
            level, record_id = self.subject
        found = self.results.get((level, record_id))
        if found is None:
            seen = "、".join(f"{LEVEL_NAMES[lv]} {rid}" for lv, rid in self.results) or "无"
            raise SpecError(f"{LEVEL_NAMES[level]} '{record_id}' 尚未评估 (已评估: {seen}); "
                            f"请先写 当 评估{LEVEL_NAMES[level]} \"{record_id}\"")
        return found

    # ---- names in the ruleset -------------------------------------------------------------------------
    def rule(self, name: str, level: str | None = None) -> Rule:
        compiled = self.require_ruleset()
        found = [r for r in compiled.all_rules() if name in (r.id, r.title["zh"], r.title["en"])]
        if not found:
            listing = "\n".join(f"  {r.id} — {r.title['zh']} ({LEVEL_NAMES[r.level]})" for r in compiled.all_rules())
            raise SpecError(f"规则集 '{compiled.id}' 没有规则 '{name}'. 已有的规则 (写编号或中文名称均可):\n{listing}")
        rule = found[0]
        if level is not None and rule.level != level:
            raise SpecError(f"规则 '{name}' 是{LEVEL_NAMES[rule.level]}规则, 而这里说的是{LEVEL_NAMES[level]}; "
                            f"请写 {LEVEL_NAMES[rule.level]} \"<编号>\" 的规则 \"{name}\" …")
        return rule

    def rules_in(self, text: str, level: str) -> list[Rule]:
        """Rules named in a 、-separated list. Titles may hold 、 themselves (提升总结为doc、docx、pdf格式…),
        so the text is cut where the pieces are whole rule names, not at every 、."""
        compiled = self.require_ruleset()
        names = {n: r for r in compiled.all_rules() for n in (r.id, r.title["zh"], r.title["en"])}
        parts = [p.strip() for p in text.split("、")] if text.strip() else []
        found: list[str] = []

        def cut(start: int) -> bool:
            if start == len(parts):
                return True
            for end in range(len(parts), start, -1):
                name = "、".join(parts[start:end])
                if name in names and cut(end):
                    found.insert(0, name)
                    return True
            return False

        if not cut(0):
            unknown = [p for p in parts if p not in names]
            self.rule(unknown[0] if unknown else text, level)  # raises, listing the rules that exist
        return [self.rule(n, level) for n in found]

    def measure(self, name: str, level: str):
        compiled = self.require_ruleset()
        for measure in compiled.measures[level]:
            if name in (measure.name, measure.title.get("zh"), measure.title.get("en")):
                return measure
        listing = "\n".join(f"  {m.name} — {m.title.get('zh')}" for m in compiled.measures[level])
        raise SpecError(f"规则集 '{compiled.id}' 没有{LEVEL_NAMES[level]}的数据项 '{name}'. 已有的数据项:\n{listing}")

    def verdict_word(self, result, word: str) -> str:
        """'通过', '不通过', '待人工复核' or the ruleset's own label (可参加整校推进绩效考核 …) → pass | fail | needs_review."""
        compiled = self.require_ruleset()
        for status in VERDICTS:
            if word in (compiled.label(result.level, status, "zh"), compiled.label(result.level, status, "en"),
                        STATUS_NAMES[status], status):
                return status
        words = [compiled.label(result.level, s, "zh") for s in VERDICTS]
        raise SpecError(f"'{word}' 不是{LEVEL_NAMES[result.level]}的结论用语; 可写: {'、'.join(words)} (或 通过、不通过)")


def shown(value, unit: dict | None = None) -> str:
    """A value as a policy officer reads it in an explanation: 25学时, 94.7%, GD:B1、GD:B2, 无."""
    text = format_value(list(value) if isinstance(value, tuple) else value, "zh")
    if unit and unit.get("zh") and value is not None and not isinstance(value, (bool, list, tuple)):
        text += unit["zh"]
    return text
