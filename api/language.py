"""Which language a response speaks: Accept-Language → 'zh' | 'en'. Its own module because problems,
routes and the fast path all need it and none of them may import the others' dependencies."""

from __future__ import annotations

from functools import lru_cache

from starlette.requests import Request


@lru_cache(maxsize=512)
def negotiate_language(header: str | None) -> str:
    """Accept-Language → 'zh' | 'en'; the highest-q supported tag wins, Chinese when nothing matches."""
    if not header:
        return "zh"
    best: tuple | None = None
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag == "zh" or tag.startswith("zh-") or tag == "*":
            lang = "zh"
        elif tag == "en" or tag.startswith("en-"):
            lang = "en"
        else:
            continue
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, position, lang)
    return best[2] if best else "zh"


def request_language(request: Request) -> str:
    return negotiate_language(request.headers.get("accept-language"))


def content_language(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"
