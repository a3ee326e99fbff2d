"""JSON out, for the API and batch alike: orjson, with a slow path for text that is not valid Unicode.

JSON escapes can spell lone surrogates ("\\ud800"), which Python strings hold but UTF-8 cannot; a
record id or a YAML key made of them would otherwise stop orjson and turn an answer into a 500.
Such characters are answered as U+FFFD.
"""

from __future__ import annotations

from typing import Any

import orjson


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON; dates as ISO text (orjson's own), sets as sorted lists."""
    try:
        return orjson.dumps(obj, default=_default)
    except TypeError:
        return orjson.dumps(_scrub(obj), default=str)


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_scrub(k) if isinstance(k, str) else str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value
