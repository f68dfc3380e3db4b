"""Lists too long for one message or one keyboard (the roles in /help, the /report building
picker) are shown a page at a time; the page number in the callback data is only a wish,
clamped to the pages there are now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def page_of(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int, int]:
    """(the items of ``page``, that page clamped to the existing ones, how many pages)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages
