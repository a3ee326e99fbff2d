"""The documents behind citations: a citation shows a document (title, 文号, date, clause), not a file.

The metadata is data, in `rulesets/sources.yaml`, keyed by seed file name; a ruleset's own
`sources` entry may give or override any of it (an external ruleset citing its own documents
needs nothing here). The seed file name is kept for a footnote or link.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from . import yamlsafe

SOURCES_KEY = "kaohe_sources"


def is_sources_file(data) -> bool:
    """A document catalogue (rulesets/sources.yaml), not a ruleset."""
    return isinstance(data, dict) and SOURCES_KEY in data


@lru_cache(maxsize=1)
def shipped_documents() -> dict[str, dict]:
    try:
        text = (resources.files("kaohe.rulesets") / "sources.yaml").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    data, _ = yamlsafe.load(text, "sources.yaml")
    return dict((data or {}).get("documents") or {})


def _text(value, lang: str) -> str | None:
    if isinstance(value, dict):
        return value.get(lang) or value.get("zh")
    return value or None


def source_document(source: dict | None) -> dict:
    """A ruleset's source entry completed from the catalogue: title (zh, en), issuer, number, date, seed."""
    source = dict(source or {})
    known = shipped_documents().get(source.get("seed") or "", {})
    title = known.get("title") or {}
    own_title = source.get("title")
    out = {
        "title": {"zh": _text(own_title, "zh") or _text(title, "zh"),
                  "en": (_text(own_title, "en") if isinstance(own_title, dict) else None) or _text(title, "en")
                  or _text(own_title, "zh")},
        "issuer": {"zh": _text(source.get("issuer") or known.get("issuer"), "zh"),
                   "en": _text(source.get("issuer") or known.get("issuer"), "en")},
        "number": source.get("number") or known.get("number"),
        "date": str(source.get("date") or known.get("date") or "") or None,
        "seed": source.get("seed"),
    }
    return out


def citation_fields(source: dict | None) -> dict:
    """What a compiled rule's citation carries about its document (added to source id and clause)."""
    doc = source_document(source)
    return {"document": doc["title"]["zh"], "document_en": doc["title"]["en"], "number": doc["number"],
            "date": doc["date"], "seed": doc["seed"]}


def document_text(citation: dict, lang: str = "zh") -> str:
    """《title》(文号, date) — the document a citation points at."""
    title = (citation.get("document_en") if lang == "en" else None) or citation.get("document") or citation.get("source") or ""
    bits = ", ".join(str(b) for b in (citation.get("number"), citation.get("date")) if b)
    if lang == "en":
        return f"“{title}”" + (f" ({bits})" if bits else "")
    return f"《{title}》" + (f"({bits})" if bits else "")


def citation_text(citation: dict | None, lang: str = "zh") -> str:
    """Document and clause, e.g. 《中小学、幼儿园…校本分享会(湛江专场)》(2022-04-14) 任务单."""
    if not citation:
        return ""
    clause = citation.get("clause")
    if not clause:
        return document_text(citation, lang)
    return f"{document_text(citation, lang)} {clause}" if lang == "zh" else f"{document_text(citation, lang)}, clause {clause}"


def footnote(citation: dict | None, lang: str = "zh") -> str | None:
    """The seed text a citation was checked against, for a footnote or link."""
    if not citation or not citation.get("seed"):
        return None
    return f"来源文本: {citation['seed']}" if lang == "zh" else f"source text: {citation['seed']}"
