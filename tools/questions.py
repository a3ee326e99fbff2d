"""The open-questions register: every parameter whose reading a ruleset had to choose.

A parameter with a `question` records a point the policy text leaves open, the `reading` kaohe
applies meanwhile and, optionally, who is to decide (`decided_by`). Without `decided_by`, the
decision falls to the education department of the ruleset's jurisdiction, named from the
jurisdiction's name and level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from kaohe.engine import CompiledRuleset, Resolved, citation_fields, citation_text, format_value

# What the education department of a jurisdiction is called, by its level.
DEPARTMENT = {
    "national": {"zh": "教育部", "en": "Ministry of Education"},
    "province": {"zh": "{name}教育厅", "en": "{name} Department of Education"},
    "city": {"zh": "{name}教育局", "en": "{name} Education Bureau"},
    "county": {"zh": "{name}教育局", "en": "{name} Education Bureau"},
}
DEPARTMENT_OTHER = {"zh": "{name}教育行政部门", "en": "{name} education authority"}


@dataclass(frozen=True)
class OpenQuestion:
    ruleset_id: str
    version: str
    revision: str
    jurisdiction: dict  # name {zh, en}
    parameter: str
    title: dict
    value: Any
    unit: str | None
    question: dict
    reading: dict | None
    decided_by: dict
    decided_by_default: bool  # True when the ruleset names no one and the jurisdiction's department is assumed
    asked_in: str  # the ruleset document that raises the question (a parent, for an inherited parameter)
    cite: dict | None

    def to_dict(self) -> dict:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        if isinstance(value, dt.date):
            value = value.isoformat()
        return {"ruleset": self.ruleset_id, "version": self.version, "revision": self.revision,
                "jurisdiction": self.jurisdiction, "parameter": self.parameter, "title": self.title,
                "value": value, "unit": self.unit, "question": self.question, "reading": self.reading,
                "decided_by": self.decided_by, "decided_by_default": self.decided_by_default,
                "asked_in": self.asked_in, "cite": self.cite}


@dataclass
class QuestionRegister:
    questions: list[OpenQuestion]

    def to_dict(self) -> dict:
        return {"count": len(self.questions), "questions": [q.to_dict() for q in self.questions]}

    def text(self, lang: str = "zh") -> str:
        return questions_text(self.questions, lang)


def department(jurisdiction: dict) -> dict:
    """The education department of a jurisdiction, e.g. 广东省 (province) → 广东省教育厅."""
    name = jurisdiction.get("name") or {}
    if isinstance(name, str):
        name = {"zh": name, "en": name}
    words = DEPARTMENT.get(str(jurisdiction.get("level", "")).lower(), DEPARTMENT_OTHER)
    return {lang: words[lang].format(name=name.get(lang) or name.get("zh") or "") for lang in ("zh", "en")}


def _bilingual(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return {"zh": value.get("zh") or value.get("en") or "", "en": value.get("en") or value.get("zh") or ""}
    return {"zh": str(value), "en": str(value)}


def open_questions(rulesets: Iterable[Resolved | CompiledRuleset]) -> list[OpenQuestion]:
    """Every parameter with a question, per ruleset revision, in document order."""
    out = []
    for item in rulesets:
        resolved = item.resolved if isinstance(item, CompiledRuleset) else item
        values = item.parameters if isinstance(item, CompiledRuleset) else {}
        name_of_jurisdiction = _bilingual(resolved.jurisdiction.get("name")) or {"zh": "", "en": ""}
        default_decider = department(resolved.jurisdiction)
        for name, spec in resolved.parameters.items():
            if "question" not in spec:
                continue
            decider = _bilingual(spec.get("decided_by"))
            asked_in = next((d.id for d in resolved.documents
                             if "question" in ((d.data.get("parameters") or {}).get(name) or {})), resolved.id)
            out.append(OpenQuestion(
                ruleset_id=resolved.id, version=resolved.version, revision=resolved.revision,
                jurisdiction=name_of_jurisdiction, parameter=name, title=_bilingual(spec.get("title")) or {"zh": name, "en": name},
                value=values.get(name, spec.get("value")), unit=spec.get("unit"), question=_bilingual(spec["question"]),
                reading=_bilingual(spec.get("reading")), decided_by=decider or default_decider,
                decided_by_default=decider is None, asked_in=asked_in, cite=_cite(spec.get("cite"), resolved.sources)))
    return out


def _cite(cite: Any, sources: dict) -> dict | None:
    """The clause a question is about, with its document (title, 文号, date): the question stands alone."""
    if not isinstance(cite, dict):
        return None
    return {"source": cite.get("source"), **citation_fields(sources.get(cite.get("source"))),
            **{k: v for k, v in cite.items() if k != "source"}}


def register(registry, ruleset_id: str | None = None) -> QuestionRegister:
    """What the CLI calls: the questions of every loaded revision (of one ruleset id, if given)."""
    ids = [ruleset_id] if ruleset_id else registry.ids()
    revisions = [compiled for rid in ids for compiled in registry.revisions(rid)]
    return QuestionRegister(open_questions(revisions))


_WORDS = {
    "zh": {"title": "待决问题登记", "count": "共 {n} 个问题", "value": "现行取值", "question": "问题", "reading": "现行读法",
           "decides": "决定方", "cite": "依据", "quote": "原文", "assumed": "(默认: 规则集所属辖区的教育行政部门)", "asked_in": "提出于", "none": "没有待决问题。"},
    "en": {"title": "Open questions", "count": "{n} question(s)", "value": "value applied", "question": "question",
           "reading": "reading applied", "decides": "decided by", "cite": "source", "quote": "text", "assumed": "(assumed: the jurisdiction's education department)",
           "asked_in": "asked in", "none": "No open questions."},
}


def questions_text(questions: list[OpenQuestion], lang: str = "zh") -> str:
    w = _WORDS[lang]
    lines = [f"{w['title']} — {w['count'].format(n=len(questions))}", ""]
    if not questions:
        return "\n".join(lines + [w["none"]]) + "\n"
    current = None
    for q in questions:
        key = (q.ruleset_id, q.version)
        if key != current:
            current = key
            lines.append(f"{q.jurisdiction[lang]} · {q.ruleset_id} {q.version} ({q.revision})")
        value = format_value(q.value, lang)
        if q.unit and not isinstance(q.value, (list, tuple, bool)):
            value += q.unit if lang == "zh" else f" {q.unit}"
        lines.append(f"  {q.parameter} ({q.title[lang]})")
        lines.append(f"    {w['value']}: {value}")
        lines.append(f"    {w['question']}: {q.question[lang]}")
        if q.reading:
            lines.append(f"    {w['reading']}: {q.reading[lang]}")
        lines.append(f"    {w['decides']}: {q.decided_by[lang]}" + (f" {w['assumed']}" if q.decided_by_default else ""))
        if q.cite:
            quote = f" {w['quote']}「{q.cite['quote']}」" if q.cite.get("quote") else ""
            lines.append(f"    {w['cite']}: {citation_text(q.cite, lang)}{quote}")
        if q.asked_in != q.ruleset_id:
            lines.append(f"    {w['asked_in']}: {q.asked_in}")
    return "\n".join(lines) + "\n"


__all__ = ["open_questions", "register", "questions_text", "department", "OpenQuestion", "QuestionRegister"]
