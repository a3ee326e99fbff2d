"""Results as the stable, documented JSON shape, and as a report a person reads.

RESULT_VERSION is bumped when the shape changes incompatibly. A rule's JSON entry depends only on its
outcome, which every record with the same values shares, so it is built once per (outcome,
language) and reused, in this module's own cache: treat result dicts as read-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .asof import left_out_text
from .states import FACT_NAMES, fact_names  # noqa: F401  (the words of facts, part of the output surface)
from .compiler import CompiledRuleset, Rule
from .evaluation import VERDICT_PRECEDENCE, Evaluation, Outcome, RegionResult, SchoolResult, TeacherResult, _Result
from .expressions import format_value

RESULT_VERSION = "1"
LANG_CODES = {"zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "en": "en", "en-us": "en", "en-gb": "en"}


def language(code: str | None) -> str:
    """'zh-CN', 'en', 'en-US' → 'zh' | 'en'; anything else reads Chinese, the policies' language."""
    return LANG_CODES.get((code or "zh").strip().lower(), "zh")


_ENTRY_LIMIT = 1 << 16
# lang -> outcome -> entry. Outcomes compare and hash by identity, and a key keeps its outcome alive.
_entries: dict[str, dict] = {"zh": {}, "en": {}}


# Order in which per-verdict counts are listed.
VERDICTS = ("pass",) + VERDICT_PRECEDENCE + ("not_in_scope",)

def verdict_counts(results) -> dict:
    """How many records reached each verdict, every verdict listed (0 included), in a fixed order."""
    counts = dict.fromkeys(VERDICTS, 0)
    for result in results:
        counts[result.verdict] = counts.get(result.verdict, 0) + 1
    return counts


def rule_entry(rule: Rule, outcome: Outcome, lang: str) -> dict:
    """A rule's JSON entry. Outcomes are shared by every record that shows the same values, so each
    (outcome, language) is built once and reused: treat the entry as read-only."""
    cache = _entries[lang]
    entry = cache.get(outcome)
    if entry is not None:
        return entry
    entry = {
        "id": rule.id,
        "title": rule.title[lang],
        "severity": rule.severity,
        "status": outcome.status,
        "actual": _json_value(outcome.actual),
        "actual_text": outcome.actual_text[lang],
        "expected": outcome.expected[lang],
        "explanation": outcome.explanation[lang],
        "remedy": outcome.remedy[lang] if outcome.remedy else None,
        "citation": rule.citation,
    }
    if len(cache) >= _ENTRY_LIMIT:
        cache.clear()
    cache[outcome] = entry
    return entry


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


_SCALARS = (int, float, str, bool, type(None))


def measures_entry(result: _Result, detail: bool = True) -> dict:
    out = {}
    # a school with no teachers still has an (empty) group: a share of it is "none of none", not a crash
    values, record = result.values, result.record
    # a school's measures were computed over the teachers in scope: say how over those same teachers
    members = None if result.level == "teacher" else (result.in_scope if result.level == "school" else result.members)
    for name, unit, explain_how, shared in _measure_layout(result.ruleset, result.level):
        value = values[name]
        if explain_how is None or not detail:
            # depends on the value alone: one read-only entry per distinct value, like the rule entries
            entry = shared.get(value)
            if entry is None:
                entry = {"value": value if isinstance(value, _SCALARS) else _json_value(value)}
                if unit:
                    entry["unit"] = unit
                if len(shared) < 4096:
                    shared[value] = entry
            out[name] = entry
            continue
        entry = {"value": value if isinstance(value, _SCALARS) else _json_value(value)}
        if unit:
            entry["unit"] = unit
        entry["how"] = explain_how(record, members, value)
        out[name] = entry
    return out


def _measure_layout(ruleset: CompiledRuleset, level: str) -> tuple:
    layout = ruleset.layouts.get(level)
    if layout is None:
        layout = tuple((m.name, m.unit.get("zh") if m.unit else None, m.detail, {}) for m in ruleset.measures[level])
        ruleset.layouts[level] = layout
    return layout


def _judged(result: _Result, out: dict, lang: str, detail: str) -> dict:
    """The verdict and the rules behind it: compact (what fails or needs review) or full (every rule, the measures)."""
    out["verdict"] = result.verdict
    out["verdict_text"] = result.ruleset.label(result.level, result.verdict, lang)
    rules, statuses = result.rules, result.statuses
    if result.left_out:
        out["left_out"] = {"entries": dict(result.left_out),
                           "explanation": left_out_text(result.left_out, result.values["as_of"], lang)}
    if result.verdict == "not_in_scope":
        scope = result.ruleset.scope[result.level]
        out["scope"] = {"explanation": scope.reason[lang], "in_scope": scope.title[lang], "citation": scope.citation}
        if detail == "compact":
            out["failed_rules"], out["review_rules"] = [], []
        else:
            out["rules"] = [rule_entry(r, o, lang) for r, o in zip(rules, result.outcomes)]
            out["measures"] = {}
        return out
    if detail == "compact":  # only what fails, needs review, is not yet due or cannot be judged is worded
        out["failed_rules"] = [rule_entry(rules[i], result.outcome(i), lang) for i, s in enumerate(statuses) if s == "fail"]
        out["review_rules"] = [rule_entry(rules[i], result.outcome(i), lang) for i, s in enumerate(statuses)
                               if s == "needs_review"]
        for status in ("not_yet_due", "cannot_judge"):
            if status in statuses:
                out[f"{status}_rules"] = [rule_entry(rules[i], result.outcome(i), lang)
                                          for i, s in enumerate(statuses) if s == status]
    else:
        out["rules"] = [rule_entry(r, o, lang) for r, o in zip(rules, result.outcomes)]
        out["measures"] = measures_entry(result)
    return out


def teacher_dict(result: TeacherResult, lang: str = "zh", detail: str = "full") -> dict:
    return _judged(result, {"id": result.record.id, "school_id": result.record.school_id}, lang, detail)


def school_dict(result: SchoolResult, lang: str = "zh", detail: str = "full") -> dict:
    out = _judged(result, {"id": result.record.id, "name": result.record.name}, lang, detail)
    out["teacher_count"] = len(result.members)
    out["teachers_passing"] = sum(1 for t in result.members if t.verdict == "pass")
    out["teacher_verdicts"] = verdict_counts(result.members)
    out["teachers_not_in_scope"] = [t.record.id for t in result.members if t.verdict == "not_in_scope"]
    if detail != "compact":
        out["failing_teachers"] = {k: v for k, v in result.failing_teachers().items() if v}
    out["teachers"] = [teacher_dict(t, lang, detail) for t in result.members]
    return out


def region_dict(result: RegionResult, lang: str = "zh", detail: str = "full") -> dict:
    out = _judged(result, {"id": result.record.id, "level": result.record.level, "name": result.record.name}, lang, detail)
    out["schools"] = [s.record.id for s in result.members]
    out["schools_passing"] = sum(1 for s in result.members if s.verdict == "pass")
    out["school_verdicts"] = verdict_counts(result.members)
    return out


def ruleset_header(ruleset: CompiledRuleset, lang: str = "zh") -> dict:
    r = ruleset.resolved
    return {"id": r.id, "version": r.version, "revision": r.revision, "title": r.title[lang]}


def evaluation_summary(schools: list, regions: list) -> dict:
    """The counts every evaluation answer opens with (the API's isolated evaluation uses it too)."""
    teachers = [t for s in schools for t in s.members]
    return {
        "teachers": len(teachers),
        "teachers_passing": sum(1 for t in teachers if t.verdict == "pass"),
        "schools": len(schools),
        "schools_passing": sum(1 for s in schools if s.verdict == "pass"),
        "teacher_verdicts": verdict_counts(teachers),
        "school_verdicts": verdict_counts(schools),
        "with_rules_not_yet_due": {
            "teachers": sum(1 for t in teachers if "not_yet_due" in t.statuses),
            "schools": sum(1 for s in schools if "not_yet_due" in s.statuses),
            "regions": sum(1 for r in regions if "not_yet_due" in r.statuses),
        },
    }


def evaluation_dict(evaluation: Evaluation, lang: str = "zh", detail: str = "full") -> dict:
    return {
        "result_version": RESULT_VERSION,
        "ruleset": ruleset_header(evaluation.ruleset, lang),
        "as_of": evaluation.as_of.isoformat(),
        "language": lang,
        "summary": evaluation_summary(evaluation.schools, evaluation.regions),
        "schools": [school_dict(s, lang, detail) for s in evaluation.schools],
        "regions": [region_dict(r, lang, detail) for r in evaluation.regions],
    }


# ---- the readable report ------------------------------------------------------------------------

_WORDS = {
    "zh": {"ruleset": "规则集", "revision": "修订", "as_of": "评估日期", "school": "学校", "teacher": "教师",
           "region": "区域", "verdict": "结论", "actual": "实际", "required": "要求", "remedy": "还需",
           "clause": "依据", "summary": "汇总", "teachers_passing": "名教师通过", "schools_passing": "所学校通过",
           "all_met": "全部要求均已满足", "failing_teachers": "未通过的教师", "advisory": "建议项",
           "review": "待人工复核", "not_yet_due": "未到期", "cannot_judge": "无法根据此数据判断",
           "not_in_scope": "不在本轮培训范围", "in_scope": "范围", "left_out": "未计入",
           "verdict_counts": "教师结论", "school_counts": "学校结论", "sep": "、",
           "upcoming": "有尚未到期的要求: {schools} 所学校, {teachers} 名教师, {regions} 个区域"},
    "en": {"ruleset": "Ruleset", "revision": "revision", "as_of": "As of", "school": "School", "teacher": "Teacher",
           "region": "Region", "verdict": "verdict", "actual": "actual", "required": "required", "remedy": "to do",
           "clause": "source", "summary": "Summary", "teachers_passing": "teachers pass", "schools_passing": "schools pass",
           "all_met": "every requirement is met", "failing_teachers": "teachers failing", "advisory": "advisory",
           "review": "needs review", "not_yet_due": "not yet due", "cannot_judge": "cannot be judged from this data",
           "not_in_scope": "not in scope", "in_scope": "scope", "left_out": "left out",
           "verdict_counts": "teachers", "school_counts": "schools", "sep": ", ",
           "upcoming": "with requirements not yet due: {schools} schools, {teachers} teachers, {regions} regions"},
}


def _citation_text(citation: dict, lang: str = "zh") -> str:
    """The document and clause; the seed text it was checked against follows in brackets."""
    from .sources import citation_text

    seed = citation.get("seed")
    return citation_text(citation, lang) + (f" [{seed}]" if seed else "")


def _failures(result: _Result, lang: str, indent: str) -> list[str]:
    """Every unmet requirement, and every outcome a person must review."""
    w = _WORDS[lang]
    lines = []
    if result.left_out:
        lines.append(f"{indent}({w['left_out']}: {left_out_text(result.left_out, result.values['as_of'], lang)})")
    for rule, outcome in zip(result.rules, result.outcomes):
        if outcome.status == "needs_review":
            lines.append(f"{indent}? {rule.title[lang]} [{w['review']}]: {outcome.explanation[lang]}")
            lines.append(f"{indent}    {w['clause']}: {_citation_text(rule.citation, lang)}")
        elif outcome.status == "cannot_judge":
            lines.append(f"{indent}- {rule.title[lang]} [{w['cannot_judge']}]: {outcome.explanation[lang]}")
        elif outcome.status == "not_yet_due":
            lines.append(f"{indent}… {rule.title[lang]} [{w['not_yet_due']}]: {outcome.explanation[lang]}")
            if outcome.remedy:
                lines.append(f"{indent}    {w['remedy']}: {outcome.remedy[lang]}")
            lines.append(f"{indent}    {w['clause']}: {_citation_text(rule.citation, lang)}")
    for rule, outcome in result.failed():
        mark = "✗" if rule.severity == "required" else "△"
        tag = f" [{w['advisory']}]" if rule.severity == "advisory" else ""
        lines.append(f"{indent}{mark} {rule.title[lang]}{tag}: {outcome.explanation[lang]}")
        if rule.actual_label:  # a count of bad items: named as such, not held against "= 0"
            lines.append(f"{indent}    {rule.actual_label[lang]}: {outcome.actual_text[lang]}")
        else:
            lines.append(f"{indent}    {w['actual']}: {outcome.actual_text[lang]}; {w['required']}: {outcome.expected[lang]}")
        if outcome.remedy:
            lines.append(f"{indent}    {w['remedy']}: {outcome.remedy[lang]}")
        lines.append(f"{indent}    {w['clause']}: {_citation_text(rule.citation, lang)}")
    return lines


def text_report(evaluation: Evaluation, lang: str = "zh") -> str:
    w = _WORDS[lang]
    ruleset = evaluation.ruleset
    r = ruleset.resolved
    lines = [f"{w['ruleset']}: {r.title[lang]} ({r.id} {r.version}, {w['revision']} {r.revision})",
             f"{w['as_of']}: {evaluation.as_of.isoformat()}", ""]
    for school in evaluation.schools:
        name = school.record.name or school.record.id
        lines.append(f"{w['school']} {name} [{school.record.id}]: {ruleset.label('school', school.verdict, lang)}")
        lines.extend(_failures(school, lang, "  "))
        for teacher in school.members:
            label = teacher.record.name or teacher.record.id
            verdict = ruleset.label("teacher", teacher.verdict, lang)
            if teacher.verdict == "not_in_scope":
                scope = ruleset.scope["teacher"]
                lines.append(f"  {w['teacher']} {label} [{teacher.record.id}]: {verdict}")
                lines.append(f"    {scope.reason[lang]}")
                lines.append(f"    {w['in_scope']}: {scope.title[lang]}; {w['clause']}: {_citation_text(scope.citation)}")
                continue
            failed = teacher.failed() or teacher.verdict != "pass" or teacher.left_out or \
                "not_yet_due" in teacher.statuses
            if not failed:
                lines.append(f"  {w['teacher']} {label} [{teacher.record.id}]: {verdict}, {w['all_met']}")
                continue
            lines.append(f"  {w['teacher']} {label} [{teacher.record.id}]: {verdict}")
            lines.extend(_failures(teacher, lang, "    "))
        lines.append("")
    for region in evaluation.regions:
        lines.append(f"{w['region']} {region.record.name or region.record.id} [{region.record.id}]: "
                     f"{ruleset.label('region', region.verdict, lang)}")
        lines.extend(_failures(region, lang, "  "))
        lines.append("")
    teachers = [t for s in evaluation.schools for t in s.members]
    for key, results, level in (("verdict_counts", teachers, "teacher"), ("school_counts", evaluation.schools, "school")):
        counts = {v: n for v, n in verdict_counts(results).items() if n and v != "pass"}
        if counts:
            lines.append(f"{w[key]}: " + w["sep"].join(f"{ruleset.label(level, v, lang)} {n}" for v, n in counts.items()))
    upcoming = {name: sum(1 for r in results if "not_yet_due" in r.statuses)
                for name, results in (("schools", evaluation.schools), ("teachers", teachers), ("regions", evaluation.regions))}
    if any(upcoming.values()):
        lines.append(w["upcoming"].format(**upcoming))
    lines.append(f"{w['summary']}: {sum(t.verdict == 'pass' for t in teachers)}/{len(teachers)} {w['teachers_passing']}, "
                 f"{sum(s.verdict == 'pass' for s in evaluation.schools)}/{len(evaluation.schools)} {w['schools_passing']}")
    return "\n".join(lines) + "\n"


__all__ = ["evaluation_dict", "teacher_dict", "school_dict", "region_dict", "text_report", "language", "format_value"]
