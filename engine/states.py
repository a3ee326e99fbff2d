"""Outcome states beyond pass and fail: not yet due, cannot be judged from this data, not in scope.

- **not_yet_due** (未到期): a rule with `due:` whose requirement is unmet on or before its due date
  is neither passed nor failed; it says the date and what is still to do. After the date an unmet
  requirement fails and says by how many days (from `done_on`, the date it was done, else as_of).
  A record's verdict is judged on what is due: a rule not yet due does not decide it.
- **cannot_judge** (无法根据此数据判断): a rule reading a fact the record's source does not carry
  (`not_recorded`, e.g. an export without assessment results) is not failed. A share or count of
  members reads the members' verdicts, rule outcomes or measures; when some of those cannot be
  judged, neither can it.
- **not_in_scope** (不在本轮培训范围): a ruleset's `scope:` says whom its teacher rules leave out
  (e.g. teachers off post); such a teacher is listed, not judged, and not counted in any share.

Nothing here knows a jurisdiction: dates, statuses and wording come from the rulesets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from . import expressions as ex
from .errors import Location
from .filters import compile_filter
from .language import Resolved, parse_date
from .measure_model import MeasureError, model_fields
from .sources import citation_fields

# The default wording of a deadline that has not come, and of a requirement met late or not at all.
NOT_YET_DUE = {"zh": "未到期: 截止日期 {due}, 还有 {days_left} 天。", "en": "Not yet due: due {due}, {days_left} days left."}
LATE = {"zh": " (已逾期 {days_late} 天)", "en": " ({days_late} days late)"}
DUE_WORDS = ("due", "days_late", "days_left")

# Facts of members a share or count reads: their verdicts, one rule's outcomes, one measure.
MEMBER_VERDICTS = "member_verdicts"
MEMBER_RULE = "member_rule"  # (MEMBER_RULE, rule id)
MEMBER_MEASURE = "member_measure"  # (MEMBER_MEASURE, measure name)


# ---- due dates -----------------------------------------------------------------------------------

def parse_due(spec, params: dict, measures: dict, level: str, rule_id: str, where, report):
    """`due: plans_due` (a date parameter or "YYYY-MM-DD") or `due: {on: plans_due, done_on: a date measure}`
    → (due date, done_on measure name or None); (None, None) after reporting a problem."""
    on, done_on = (spec.get("on"), spec.get("done_on")) if isinstance(spec, dict) else (spec, None)
    if isinstance(spec, dict):
        for key in spec:
            if key not in ("on", "done_on"):
                report("ruleset.unknown_field", f"rule '{rule_id}': unknown field '{key}' in due", where("due", key),
                       ex.suggest(str(key), ["on", "done_on"]))
                return None, None
    day = params.get(on) if isinstance(on, str) and on in params else parse_date(on)
    if not isinstance(day, dt.date):
        report("ruleset.invalid_field", f"rule '{rule_id}': due names a date parameter or a date (YYYY-MM-DD), "
               f"not '{on}'", where("due"), ex.suggest(str(on), [n for n, v in params.items() if isinstance(v, dt.date)]))
        return None, None
    if done_on is not None:
        measure = measures.get(done_on)
        if measure is None or measure.level != level or measure.type != ex.DATE:
            report("ruleset.invalid_field", f"rule '{rule_id}': due.done_on names a date measure of the {level}",
                   where("due", "done_on"), ex.suggest(str(done_on), [n for n, m in measures.items()
                                                                     if m.level == level and m.type == ex.DATE]))
            return None, None
    return day, done_on


def due_words(rule, status: str, values: dict, lang: str) -> dict:
    """{due}, {days_left} (not yet due) and {days_late} (failed after the due date) for a rule with `due:`."""
    as_of = values["as_of"]
    words = {"due": ex.format_value(rule.due, lang), "days_left": "", "days_late": ""}
    if status == "not_yet_due":
        words["days_left"] = str((rule.due - as_of).days)
    elif status == "fail":
        done = values.get(rule.done_on) if rule.done_on else None
        words["days_late"] = str(((done if isinstance(done, dt.date) and done > rule.due else as_of) - rule.due).days)
    return words


def with_lateness(text: str, late: str) -> str:
    """"未报送: X。" + " (已逾期 3 天)" → "未报送: X (已逾期 3 天)。": before a sentence's closing stop."""
    stripped = text.rstrip()
    if stripped and stripped[-1] in "。.":
        return stripped[:-1] + late + stripped[-1]
    return stripped + late


def not_yet_due(statuses: tuple, due_now: tuple) -> tuple:
    """Statuses with every failing rule whose due date has not passed turned not_yet_due."""
    if not any(statuses[i] == "fail" for i in due_now):
        return statuses
    changed = list(statuses)
    for i in due_now:
        if changed[i] == "fail":
            changed[i] = "not_yet_due"
    return tuple(changed)


# ---- facts a source does not carry ------------------------------------------------------------

def measure_facts(name: str, measures: dict, seen: frozenset = frozenset()) -> frozenset:
    """The record facts a measure reads: collections ("assessments", or one kind of them,
    "assessments:应用能力点测评"), fields, and for shares and counts of members what of the members."""
    measure = measures.get(name)
    if measure is None or name in seen:
        return frozenset()
    body = measure.spec.get(measure.primitive)
    facts: set = set()
    if measure.primitive == "expr":
        for other in measure.reads:
            facts |= measure_facts(other, measures, seen | {name})
    elif measure.primitive == "field":
        if isinstance(body, str) and not body.startswith("school."):
            facts.add(body.split(".", 1)[0])
    elif isinstance(body, dict):
        for key in ("of", "in", "each"):
            if isinstance(body.get(key), str):
                facts.add(body[key])
        where = body.get("where")
        kind = where.get("kind") if isinstance(where, dict) else None
        collection = body.get("of") or body.get("in")
        if isinstance(collection, str) and isinstance(kind, str):
            facts.discard(collection)  # only this kind of the collection is read
            facts.add(f"{collection}:{kind}")
        if body.get("of") in ("teachers", "schools"):
            for condition in [body.get("that"), where] + list(body.get("where_any") or []):
                if not isinstance(condition, dict):
                    continue
                if "verdict" in condition:
                    facts.add(MEMBER_VERDICTS)
                passed = condition.get("passed")
                for rule_id in [passed] if isinstance(passed, str) else passed or ():
                    facts.add((MEMBER_RULE, rule_id))
                facts.update((MEMBER_MEASURE, key) for key in condition
                             if key in measures and measures[key].level != measure.level)
    return frozenset(facts)


def lacks(fact, unknown) -> bool:
    """A fact is not carried when it, or its whole collection, is declared not recorded."""
    return fact in unknown or (isinstance(fact, str) and fact.partition(":")[0] in unknown)


def unknown_facts(ruleset, record, members) -> frozenset:
    """Facts not carried: the record's own declaration, and its members' verdicts, rule outcomes and
    measures that cannot be judged."""
    unknown = set(record.not_recorded)
    for member in members:
        if member.verdict == "cannot_judge":
            unknown.add(MEMBER_VERDICTS)
            unknown.update((MEMBER_RULE, rule.id) for rule, status in zip(member.rules, member.statuses)
                           if status == "cannot_judge")
        lacking = member.record.not_recorded
        if lacking:
            for measure in ruleset.measures[member.level]:
                if any(lacks(f, lacking) for f in ruleset.facts.get(measure.name, ())):
                    unknown.add((MEMBER_MEASURE, measure.name))
    return frozenset(unknown)


def cannot_judge_statuses(ruleset, rules, statuses: tuple, unknown: frozenset) -> tuple[tuple, dict]:
    """(statuses with unjudgeable rules turned cannot_judge, {rule index: facts lacking}). A rule found not
    applicable stays so when what decides that (its applies_when) is carried."""
    changed, lacking_by_rule = list(statuses), {}
    for i, (rule, status) in enumerate(zip(rules, statuses)):
        lacking = frozenset(f for f in rule.facts if lacks(f, unknown))
        if not lacking or rule.never_applies:
            continue
        if status == "not_applicable":
            deciding = {f for name in ex.names(rule.applies) for f in ruleset.facts.get(name, ())}
            if not any(lacks(f, unknown) for f in deciding):
                continue
        changed[i] = "cannot_judge"
        lacking_by_rule[i] = lacking
    return tuple(changed), lacking_by_rule


def cannot_judge_explanation(lacking: frozenset, ruleset) -> dict:
    """What the source does not carry, or which of the members' results cannot be judged."""
    own = sorted(f for f in lacking if isinstance(f, str) and f != MEMBER_VERDICTS)
    if own:
        names = fact_names(own)
        return {"zh": f"无法根据此数据判断: 数据来源未包含{names['zh']}。",
                "en": f"Cannot be judged from this data: the source does not carry {names['en']}."}
    titles = {"zh": [], "en": []}
    for fact in sorted(lacking, key=str):
        if fact == MEMBER_VERDICTS:
            title = {"zh": "结论", "en": "verdicts"}
        elif fact[0] == MEMBER_RULE:
            title = ruleset.rule(fact[1]).title
        else:
            title = next((m.title for ms in ruleset.measures.values() for m in ms if m.name == fact[1]),
                         {"zh": fact[1], "en": fact[1]})
        for lang in ("zh", "en"):
            titles[lang].append(f"“{title[lang]}”" if lang == "zh" else f"\"{title[lang]}\"")
    return {"zh": f"无法根据此数据判断: 部分成员的{'、'.join(titles['zh'])}无法根据此数据判断。",
            "en": f"Cannot be judged from this data: some members' {', '.join(titles['en'])} cannot be judged from this data."}


# What each fact a record can carry is called, to say what a source did not carry.
FACT_NAMES = {
    "hours": {"zh": "学时记录", "en": "hour entries"},
    "artefacts": {"zh": "上传材料", "en": "uploaded files"},
    "assessments": {"zh": "考核结果", "en": "assessment results"},
    "ability_points": {"zh": "能力点选择", "en": "chosen ability points"},
    "research_group": {"zh": "所属教研组", "en": "research group"},
    "status": {"zh": "在岗状态", "en": "post status"},
    "stage": {"zh": "任教学段", "en": "school stage"},
    "subject": {"zh": "任教学科", "en": "subject"},
    "full_time": {"zh": "是否专任教师", "en": "full-time status"},
    "management_team": {"zh": "管理团队", "en": "management team"},
    "documents": {"zh": "报送文件", "en": "filed documents"},
    "research_groups": {"zh": "教研组", "en": "research groups"},
    "evidence": {"zh": "佐证材料", "en": "evidence"},
    "self_score": {"zh": "自评打分", "en": "self-assessment score"},
    "counts": {"zh": "统计数", "en": "counts"},
    "is_pilot": {"zh": "是否试点", "en": "pilot status"},
    "environment": {"zh": "信息化环境", "en": "IT environment"},
    "teachers": {"zh": "教师名单", "en": "teacher list"},
    "schools": {"zh": "学校名单", "en": "school list"},
    "member_verdicts": {"zh": "部分成员的结论", "en": "every member's verdict"},
}

def fact_names(facts) -> dict:
    """["hours", "assessments"] → {"zh": "学时记录、考核结果", "en": "hour entries, assessment results"}."""
    def name(fact):
        if isinstance(fact, tuple) and fact[0] == "member_measure":
            return {"zh": f"部分成员的 {fact[1]}", "en": f"every member's {fact[1]}"}
        if isinstance(fact, tuple):
            return {"zh": f"部分成员的规则 {fact[1]} 结果", "en": f"every member's outcome of rule {fact[1]}"}
        collection, _, kind = fact.partition(":")
        words = FACT_NAMES.get(collection, {"zh": collection, "en": collection})
        return {"zh": f"{kind}{words['zh']}", "en": f"{words['en']} of kind {kind}"} if kind else words

    names = [name(f) for f in facts]
    return {"zh": "、".join(n["zh"] for n in names), "en": ", ".join(n["en"] for n in names)}


# ---- scope -----------------------------------------------------------------------------------------

@dataclass
class Scope:
    """Whom a level's rules are not about (e.g. teachers off post): left out, listed, and not counted in shares."""

    leaves_out: Callable  # record -> bool
    title: dict
    reason: dict
    citation: dict


def compile_scope(resolved: Resolved, params: dict, report, citation_of) -> dict:
    out = {}
    for level, spec in resolved.scope.items():
        where = lambda *more: resolved.where("scope", level, *more)  # noqa: E731
        try:
            predicate = compile_filter(spec["leave_out"], model_fields("Teacher"), params, ())
        except MeasureError as exc:
            report(exc.code, f"scope.{level}.leave_out: {exc.message}", where("leave_out", *exc.path), exc.hint)
            continue
        citation = citation_of(spec.get("cite"), where("cite"))
        if citation is None:
            continue
        out[level] = Scope(predicate, spec["title"], spec["reason"], citation)
    return out


def citation_of(resolved: Resolved, what: str, report):
    def cite(value, where: Location):
        if not isinstance(value, dict) or not value.get("source") or not value.get("clause"):
            report("ruleset.missing_citation", f"{what} needs cite: {{source: …, clause: …}}", where)
            return None
        source = resolved.sources.get(value["source"])
        if source is None:
            report("ruleset.unknown_source", f"{what} cites unknown source '{value['source']}'", where,
                   ex.suggest(str(value["source"]), resolved.sources))
            return None
        out = {"source": value["source"], **citation_fields(source), "clause": value["clause"]}
        if value.get("quote"):
            out["quote"] = value["quote"]
        return out
    return cite
