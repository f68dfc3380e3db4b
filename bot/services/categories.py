"""Report categories. A community may override the default set in its settings
(``settings["categories"]``: a list of {"code", "emoji", "urgent", "notify_coordinators",
"private"}). A private category (neighbour disputes, by default) is between its author and the
staff: never offered as "me too", never followed, never merged, never shown to other residents."""

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
    # Between the author and the staff only (see the module's docstring).
    private: bool = False


PRIVATE_BY_DEFAULT = frozenset({"neighbours"})
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("repairs", "🔧"),
    Category("facilities", "🏛"),
    Category("sanitation", "🧹"),
    Category("elevator", "🛗"),
    Category("safety", "⚠️", urgent=True, notify_coordinators=True),
    # A complaint about the family upstairs ("…please don't say it was me") is nobody else's.
    Category("neighbours", "🏘", private=True),
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
            # Unset: private for the neighbour disputes, as in the defaults.
            private=bool(c.get("private", str(c["code"]) in PRIVATE_BY_DEFAULT)),
        )
        for c in custom
    )


def find_category(settings: Mapping[str, Any], code: str) -> Category | None:
    return next((c for c in categories_for(settings) if c.code == code), None)


def is_private(settings: Mapping[str, Any], code: str) -> bool:
    """A category the community no longer has is treated as private: when in doubt, say less."""
    category = find_category(settings, code)
    return category is None or category.private
