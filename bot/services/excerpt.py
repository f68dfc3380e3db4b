"""Cutting user text for a place with a limit, in the units Telegram counts: UTF-16 code units
(an emoji outside the BMP is two). Never cuts inside a character."""

from __future__ import annotations

ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def excerpt(text: str, units: int) -> str:
    """``text`` if it fits in ``units`` UTF-16 code units, else its beginning and "…"."""
    if utf16_len(text) <= units:
        return text
    budget = units - utf16_len(ELLIPSIS)
    kept: list[str] = []
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if size > budget:
            break
        kept.append(ch)
        budget -= size
    return "".join(kept).rstrip() + ELLIPSIS
