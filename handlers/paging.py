"""Lists too long for one message or one keyboard (the roles in /help, the /report building
picker, the claims in /flats) are shown a page at a time; the page number in the callback data is
only a wish, clamped to the pages there are now. A list that shrinks while it is read (claims
decided from the cards already shown) is paged by key instead: the button carries the last key
shown, so nothing is skipped when earlier items go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def page_of(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int, int]:
    """(the items of ``page``, that page clamped to the existing ones, how many pages)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def keyset_page(items: Sequence[T], size: int, key: Callable[[T], int]) -> tuple[Sequence[T], int]:
    """(the first ``size`` of ``items``, the key to continue after; 0: this page is the last).
    ``items`` are those after the previous key, in key order, and at most ``size + 1`` of them:
    fetch one more than a page to know whether another follows."""
    shown = items[:size]
    return shown, key(shown[-1]) if len(items) > size else 0
