"""Report categories. A community may override the default set in its settings
(``settings["categories"]``: a list of {"code", "emoji", "urgent", "notify_coordinators"})."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    emoji: str
    urgent: bool = False
    # Extra recipients: the coordinators hear of every ticket in this category at once.
    notify_coordinators: bool = False


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("repairs", "🔧"),
    Category("facilities", "🏛"),
    Category("sanitation", "🧹"),
    Category("elevator", "🛗"),
    Category("safety", "⚠️", urgent=True, notify_coordinators=True),
    Category("neighbours", "🏘"),
    Category("other", "📝"),
)


def categories_for(settings: Mapping[str, Any]) -> Sequence[Category]:
    custom = settings.get("categories")
    if not custom:
        return DEFAULT_CATEGORIES
    return tuple(
        Category(
            code=str(c["code"]),
            emoji=str(c.get("emoji", "📝")),
            urgent=bool(c.get("urgent", False)),
            notify_coordinators=bool(c.get("notify_coordinators", False)),
        )
        for c in custom
    )


def find_category(settings: Mapping[str, Any], code: str) -> Category | None:
    return next((c for c in categories_for(settings) if c.code == code), None)
