"""The world as it was on the as-of date: dated facts after it are left out, and counted.

An evaluation "as of" a day must not see hours done, files uploaded, results recorded or documents
filed after that day. Every dated collection of a record is filtered here, once, before any measure
reads it, so no primitive and no rule has to remember the date.

Undated facts (an artefact without `uploaded_on`, an assessment without `date`, a document without
`filed_on`) are kept: a record is a snapshot a platform exported on or before the evaluation, and an
export that gives no date cannot be placed in time. What an undated document means (e.g. "not filed
yet") stays for each ruleset to say in its own filters.
"""

from __future__ import annotations

import datetime as dt

# level -> (collection, date field) of every dated fact a record carries
DATED = {
    "teacher": (("hours", "date"), ("artefacts", "uploaded_on"), ("assessments", "date")),
    "school": (("documents", "filed_on"),),
    "region": (("documents", "filed_on"),),
}

# How a left-out collection is named in an explanation.
FACT_WORDS = {
    "hours": {"zh": "条学时记录", "en": "hour entries"},
    "artefacts": {"zh": "份上传材料", "en": "uploaded files"},
    "assessments": {"zh": "条考核结果", "en": "assessment results"},
    "documents": {"zh": "份报送文件", "en": "filed documents"},
}


def as_of_view(record, level: str, as_of: dt.date):
    """(the record as it was on `as_of`, {collection: entries left out}); the record itself when nothing is later."""
    left_out = None
    for collection, date_field in DATED[level]:
        items = getattr(record, collection)
        if not items:
            continue
        later = 0
        for item in items:
            day = getattr(item, date_field)
            if day is not None and day > as_of:
                later += 1
        if later:
            if left_out is None:
                left_out = {}
            left_out[collection] = [i for i in items if getattr(i, date_field) is None or getattr(i, date_field) <= as_of]
    if left_out is None:
        return record, None
    counts = {name: len(getattr(record, name)) - len(kept) for name, kept in left_out.items()}
    return record.model_copy(update=left_out), counts


def left_out_text(counts: dict, as_of: dt.date, lang: str) -> str:
    """"评估日期 2022-12-31 之后的 1 条学时记录未计入" — how many entries were left out, and why."""
    day = as_of.isoformat()
    if lang == "zh":
        parts = "、".join(f"{n} {FACT_WORDS[c]['zh']}" for c, n in counts.items())
        return f"日期晚于评估日期 {day} 的 {parts}未计入"
    parts = ", ".join(f"{n} {FACT_WORDS[c]['en']}" for c, n in counts.items())
    return f"{parts} dated after the as-of date {day} left out"
