"""Report categories. A community may replace the default set in its settings
(``settings["categories"]``: a list of {"code", "emoji", "urgent", "notify_coordinators",
"private", "names"}); ``CategorySpec`` is the schema of one entry. A private category (neighbour
disputes, by default) is between its author and the staff: never offered as "me too", never
followed, never merged, never shown to other residents."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.services.setting_errors import describe_error, warn_invalid

LANGUAGES = ("zh-hans", "en")  # bot.i18n.SUPPORTED_LANGUAGES, without importing Fluent here
MAX_CATEGORIES = 24  # two to a row of the report keyboard
CODE_PATTERN = r"[a-z][a-z0-9_]{0,31}"


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    emoji: str
    urgent: bool = False
    # Extra recipients: the coordinators hear of every ticket in this category at once.
    notify_coordinators: bool = False
    # Between the author and the staff only (see the module's docstring).
    private: bool = False
    # Display names by language; a built-in code without one uses its translation
    # (category-<code>).
    names: tuple[tuple[str, str], ...] = ()

    def name(self, language: str) -> str | None:
        return dict(self.names).get(language)


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
# Codes with a translation (category-<code> in bot/locales): a community's own code needs names.
BUILT_IN_CODES = frozenset(c.code for c in DEFAULT_CATEGORIES)


def _code(value: str) -> str:
    if not re.fullmatch(CODE_PATTERN, value):
        raise ValueError(
            f"the code {value[:40]!r} must be a lowercase ASCII identifier (a-z, 0-9 and _, "
            "starting with a letter, at most 32 characters)"
        )
    return value


Code = Annotated[str, AfterValidator(_code)]
Name = Annotated[str, Field(min_length=1, max_length=40)]


class CategorySpec(BaseModel):
    """One category as the office writes it in the ``categories`` setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    emoji: Annotated[str, Field(min_length=1, max_length=16)] = "📝"
    urgent: StrictBool = False
    notify_coordinators: StrictBool = False
    # Unset: private for "neighbours" only, like the default set.
    private: StrictBool | None = None
    names: dict[Literal["zh-hans", "en"], Name] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(value, Mapping | CategorySpec):
            raise ValueError('each category is an object, e.g. {"code": "repairs", "emoji": "🔧"}')
        return value

    @field_validator("emoji")
    @classmethod
    def _an_emoji(cls, value: str) -> str:
        if value.isascii() or any(c.isspace() for c in value):
            raise ValueError("emoji must be an emoji, e.g. 🔧")
        return value

    @model_validator(mode="after")
    def _named(self) -> CategorySpec:
        if self.code not in BUILT_IN_CODES and set(self.names) != set(LANGUAGES):
            raise ValueError(
                f"the category {self.code} of the community's own needs names in zh-hans and "
                'en, e.g. "names": {"zh-hans": "停车", "en": "Parking"}'
            )
        return self

    def category(self) -> Category:
        return Category(
            code=self.code,
            emoji=self.emoji,
            urgent=self.urgent,
            notify_coordinators=self.notify_coordinators,
            private=self.code in PRIVATE_BY_DEFAULT if self.private is None else self.private,
            names=tuple(sorted(self.names.items())),
        )


def spec_of(category: Category) -> dict[str, Any]:
    """A category as the setting writes it (every flag spelled out)."""
    spec: dict[str, Any] = {
        "code": category.code,
        "emoji": category.emoji,
        "urgent": category.urgent,
        "notify_coordinators": category.notify_coordinators,
        "private": category.private,
    }
    if category.names:
        spec["names"] = dict(category.names)
    return spec


def _unique(specs: list[CategorySpec]) -> list[CategorySpec]:
    seen: set[str] = set()
    for spec in specs:
        if spec.code in seen:
            raise ValueError(f"the code {spec.code} is used twice")
        seen.add(spec.code)
    return specs


CategoryList = Annotated[
    list[CategorySpec],
    Field(min_length=1, max_length=MAX_CATEGORIES),
    AfterValidator(_unique),
]
CATEGORY_LIST: TypeAdapter[list[CategorySpec]] = TypeAdapter(CategoryList)


def parse_categories(raw: Any) -> tuple[Category, ...]:
    """The categories of a ``categories`` value; raises pydantic's ValidationError."""
    return tuple(spec.category() for spec in CATEGORY_LIST.validate_python(raw))


def categories_for(settings: Mapping[str, Any]) -> Sequence[Category]:
    """A community's categories. A stored value that does not validate is read as the default
    set (logged once), so a bad setting never stops residents from reporting."""
    raw = settings.get("categories")
    if raw is None:
        return DEFAULT_CATEGORIES
    try:
        return parse_categories(raw)
    except ValidationError as error:
        warn_invalid("categories", raw, describe_error(error))
        return DEFAULT_CATEGORIES


def find_category(settings: Mapping[str, Any], code: str) -> Category | None:
    return next((c for c in categories_for(settings) if c.code == code), None)


def is_private(settings: Mapping[str, Any], code: str) -> bool:
    """A category the community no longer has is treated as private: when in doubt, say less."""
    category = find_category(settings, code)
    return category is None or category.private
