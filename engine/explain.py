"""Results as the stable, documented JSON shape, and as a report a person reads.

RESULT_VERSION is bumped when the shape changes incompatibly. A rule's JSON entry depends only on its
outcome, which every record with the same values shares, so it is built once per (outcome,
language) and reused: treat result dicts as read-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .compiler import CompiledRuleset, Outcome, Rule
from .evaluation import Evaluation, RegionResult, SchoolResult, TeacherResult, _Result
from .expressions import format_value

RESULT_VERSION = "1"
LANG_CODES = {"zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "en": "en", "en-us": "en", "en-gb": "en"}


def language(code: str | None) -> str:
    """'zh-CN', 'en', 'en-US' → 'zh' | 'en'; anything else reads Chinese, the policies' language."""
    return LANG_CODES.get((code or "zh").strip().lower(), "zh")


def rule_entry(rule: Rule, outcome: Outcome, lang: str) -> dict:
    entry = outcome.rendered.get(lang)
    if entry is None:
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
        outcome.rendered[lang] = entry
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
    members = None if result.level == "teacher" else result.members
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
    pairs = list(zip(result.rules, result.outcomes))
    if detail == "compact":
        out["failed_rules"] = [rule_entry(r, o, lang) for r, o in pairs if o.status == "fail"]
        out["review_rules"] = [rule_entry(r, o, lang) for r, o in pairs if o.status == "needs_review"]
    else:
        out["rules"] = [rule_entry(r, o, lang) for r, o in pairs]
        out["measures"] = measures_entry(result)
    return out


def teacher_dict(result: TeacherResult, lang: str = "zh", detail: str = "full") -> dict:
    return _judged(result, {"id": result.record.id, "school_id": result.record.school_id}, lang, detail)


def school_dict(result: SchoolResult, lang: str = "zh", detail: str = "full") -> dict:
    out = _judged(result, {"id": result.record.id, "name": result.record.name}, lang, detail)
    out["teacher_count"] = len(result.members)
    out["teachers_passing"] = sum(1 for t in result.members if t.verdict == "pass")
    if detail != "compact":
        out["failing_teachers"] = {k: v for k, v in result.failing_teachers().items() if v}
    out["teachers"] = [teacher_dict(t, lang, detail) for t in result.members]
    return out


def region_dict(result: RegionResult, lang: str = "zh", detail: str = "full") -> dict:
    out = _judged(result, {"id": result.record.id, "level": result.record.level, "name": result.record.name}, lang, detail)
    out["schools"] = [s.record.id for s in result.members]
    out["schools_passing"] = sum(1 for s in result.members if s.verdict == "pass")
    return out


def ruleset_header(ruleset: CompiledRuleset, lang: str = "zh") -> dict:
    r = ruleset.resolved
    return {"id": r.id, "version": r.version, "revision": r.revision, "title": r.title[lang]}


def evaluation_dict(evaluation: Evaluation, lang: str = "zh", detail: str = "full") -> dict:
    schools = [school_dict(s, lang, detail) for s in evaluation.schools]
    teachers = [t for s in evaluation.schools for t in s.members]
    return {
        "result_version": RESULT_VERSION,
        "ruleset": ruleset_header(evaluation.ruleset, lang),
        "as_of": evaluation.as_of.isoformat(),
        "language": lang,
        "summary": {
            "teachers": len(teachers),
            "teachers_passing": sum(1 for t in teachers if t.verdict == "pass"),
            "schools": len(evaluation.schools),
            "schools_passing": sum(1 for s in evaluation.schools if s.verdict == "pass"),
        },
        "schools": schools,
        "regions": [region_dict(r, lang, detail) for r in evaluation.regions],
    }


# ---- the readable report ------------------------------------------------------------------------

_WORDS = {
    "zh": {"ruleset": "规则集", "revision": "修订", "as_of": "评估日期", "school": "学校", "teacher": "教师",
           "region": "区域", "verdict": "结论", "actual": "实际", "required": "要求", "remedy": "还需",
           "clause": "依据", "summary": "汇总", "teachers_passing": "名教师通过", "schools_passing": "所学校通过",
           "all_met": "全部要求均已满足", "failing_teachers": "未通过的教师", "advisory": "建议项",
           "review": "待人工复核"},
    "en": {"ruleset": "Ruleset", "revision": "revision", "as_of": "As of", "school": "School", "teacher": "Teacher",
           "region": "Region", "verdict": "verdict", "actual": "actual", "required": "required", "remedy": "to do",
           "clause": "source", "summary": "Summary", "teachers_passing": "teachers pass", "schools_passing": "schools pass",
           "all_met": "every requirement is met", "failing_teachers": "teachers failing", "advisory": "advisory",
           "review": "needs review"},
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
    for rule, outcome in zip(result.rules, result.outcomes):
        if outcome.status == "needs_review":
            lines.append(f"{indent}? {rule.title[lang]} [{w['review']}]: {outcome.explanation[lang]}")
            lines.append(f"{indent}    {w['clause']}: {_citation_text(rule.citation, lang)}")
    for rule, outcome in result.failed():
        mark = "✗" if rule.severity == "required" else "△"
        tag = f" [{w['advisory']}]" if rule.severity == "advisory" else ""
        lines.append(f"{indent}{mark} {rule.title[lang]}{tag}: {outcome.explanation[lang]}")
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
            failed = teacher.failed() or teacher.verdict != "pass"
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
    lines.append(f"{w['summary']}: {sum(t.verdict == 'pass' for t in teachers)}/{len(teachers)} {w['teachers_passing']}, "
                 f"{sum(s.verdict == 'pass' for s in evaluation.schools)}/{len(evaluation.schools)} {w['schools_passing']}")
    return "\n".join(lines) + "\n"


__all__ = ["evaluation_dict", "teacher_dict", "school_dict", "region_dict", "text_report", "language", "format_value"]
