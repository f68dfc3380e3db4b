"""Finding a building by what people type in the join picker: its code or its name, however
written ("a01", "A-01", "TZ-A01"; "１栋", "1栋", "1号楼"). Pure functions, no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# Spaces and the punctuation people put in codes and numbers.
_SEPARATORS = re.compile(r"[\s\-_·・.,，。、#/()（）]+")
# The words for "building" after a number: 1号楼, 1幢 and 1号 all mean 1栋. (座 stays: the
# estates that number by 座 say so.)
_BUILDING_WORD = re.compile(r"(\d)(?:号楼|幢|号)")
# 01 and 1 are the same number on a door.
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


def normalise(text: str) -> str:
    """Width (full-width digits and letters, as Chinese keyboards type them), case,
    separators, leading zeros and the words for "building" no longer matter."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _SEPARATORS.sub("", text)
    text = _BUILDING_WORD.sub(r"\1栋", text)
    return _LEADING_ZEROS.sub("", text)


def rank(query: str, code: str, name: str) -> int | None:
    """0: the query is the building's code or name; 1: it is a part of one, and a number in
    it is not cut out of a longer number ("1" finds "1栋", not "11栋"); None: no match.
    ``query`` is normalised already."""
    if not query:
        return None
    fields = (normalise(code), normalise(name))
    if query in fields:
        return 0
    if any(_contains(field, query) for field in fields):
        return 1
    return None


def search(query: str, items: Sequence[T], key: Callable[[T], tuple[str, str]]) -> list[T]:
    """The items (``key``: their code and name) the query finds, best matches only: when the
    query is a code or a name exactly, that is the answer; otherwise every partial match, in
    the given order."""
    wanted = normalise(query)
    ranked = [(r, item) for item in items if (r := rank(wanted, *key(item))) is not None]
    if not ranked:
        return []
    best = min(r for r, _ in ranked)
    return [item for r, item in ranked if r == best]


def _contains(field: str, query: str) -> bool:
    start = field.find(query)
    while start >= 0:
        end = start + len(query)
        cut_before = query[0].isdigit() and start > 0 and field[start - 1].isdigit()
        cut_after = query[-1].isdigit() and end < len(field) and field[end].isdigit()
        if not cut_before and not cut_after:
            return True
        start = field.find(query, start + 1)
    return False
