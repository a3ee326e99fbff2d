"""Explanation wording: templates compiled once, filled per record; status labels.

A ruleset's explanations are templates with placeholders ("只记录了 {actual}, 不足 {hours}学时").
They are split into literal text and names once, when the ruleset is compiled, so filling one for
a teacher is a join, not a regular-expression pass. A placeholder nothing fills stays as written.
"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
LANGS = ("zh", "en")
DEFAULT_LABELS = {
    "pass": {"zh": "通过", "en": "pass"},
    "fail": {"zh": "不通过", "en": "fail"},
    "needs_review": {"zh": "待人工复核", "en": "needs review"},
    "not_applicable": {"zh": "不适用", "en": "not applicable"},
    "not_yet_due": {"zh": "未到期", "en": "not yet due"},
    "cannot_judge": {"zh": "无法根据此数据判断", "en": "cannot be judged from this data"},
    "not_in_scope": {"zh": "不在本轮培训范围", "en": "not in scope"},
}


class Template:
    """One template text as (literal, name) pairs: the literal before each placeholder, then its name."""

    __slots__ = ("text", "parts", "tail", "names")

    def __init__(self, text: str):
        self.text = text
        parts, start = [], 0
        for match in PLACEHOLDER.finditer(text):
            parts.append((text[start:match.start()], match.group(1)))
            start = match.end()
        self.parts = tuple(parts)
        self.tail = text[start:]
        self.names = tuple(dict.fromkeys(name for _, name in parts))

    def fill(self, words: dict) -> str:
        if not self.parts:
            return self.text
        out = []
        for literal, name in self.parts:
            value = words.get(name)
            out.append(literal)
            out.append(value if value is not None else "{" + name + "}")
        out.append(self.tail)
        return "".join(out)


def compile_bilingual(texts: dict) -> dict[str, Template]:
    return {lang: Template(texts[lang]) for lang in LANGS}


def fill(template: str, words: dict) -> str:
    """Fill a template given as text (compile-time uses: titles naming parameters)."""
    return Template(template).fill(words)


def unit_suffix(value, unit: dict, lang: str) -> str:
    if value is None or isinstance(value, (bool, list, tuple)) or not unit.get(lang):
        return ""
    spaced = lang == "en" and unit[lang] != "%"
    return (" " if spaced else "") + unit[lang]


def label(labels: dict, level: str, status: str, lang: str) -> str:
    """A verdict's words for a level: the ruleset's own, else the defaults, else the status itself
    (the set of statuses is open: a new one reads as its name until a ruleset words it)."""
    words = labels.get(level, {}).get(status) or DEFAULT_LABELS.get(status, {})
    return words.get(lang, status)
