"""Choosing the kind of problem when reporting in WeChat, as the chat's report asks it after
the building (handlers/report). WeChat has no inline keyboard: the door sends the community's
categories as a ``msgmenu`` (within the 48-hour window, which the person's report has just
opened), each choice numbered, its id ``cat.<code>``; a person whose WeChat shows no menu (an
old client, a computer) replies with the number, or the category's name, instead. The words
and photos wait with the person's pending choice (``wechat_pending``) until then."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.i18n import Translator
from bot.services.cards import category_label, category_name
from bot.services.categories import CODE_PATTERN, Category
from bot.services.messages import Buttons

PREFIX = "cat."
# A voice note's transcript says the number in words.
CHINESE_NUMBERS = {n: i for i, n in enumerate("一二三四五六七八九十", start=1)}


def category_choice(code: str) -> str:
    """The msgmenu id of a category."""
    return PREFIX + code


def parse_category(key: str) -> str | None:
    """The category code of a choice's id; None for anything else (a forged id included)."""
    if not key.startswith(PREFIX):
        return None
    code = key.removeprefix(PREFIX)
    return code if re.fullmatch(CODE_PATTERN, code) else None


def category_menu(t: Translator, categories: Sequence[Category]) -> Buttons:
    """One choice a row, numbered for those who answer by typing."""
    return [
        [
            (
                f"{number}. {category_label(t, category, category.code)}",
                category_choice(category.code),
            )
        ]
        for number, category in enumerate(categories, start=1)
    ]


def typed_category(t: Translator, text: str, categories: Sequence[Category]) -> Category | None:
    """The category a typed (or spoken) answer names: its number ("2", "２", "②", "二") or its
    name as the menu shows it; None for anything else."""
    plain = "".join(c for c in text.lower() if c.isalnum())
    number = _number(plain)
    if number is not None:
        return categories[number - 1] if 1 <= number <= len(categories) else None
    for category in categories:
        name = "".join(c for c in category_name(t, category, category.code).lower() if c.isalnum())
        if name and name == plain:
            return category
    return None


def _number(plain: str) -> int | None:
    """The number ``plain`` (letters and digits only) is as a list's choice, else None."""
    number = CHINESE_NUMBERS.get(plain)
    # Each character's digit value: int() reads no "②" or "²", though str.isdigit() says yes.
    digits = [unicodedata.digit(c, None) for c in plain]
    if number is None and plain and len(plain) <= 3 and None not in digits:
        number = int("".join(str(d) for d in digits))
    return number


def bare_choice(text: str) -> bool:
    """Whether ``text`` is nothing but a list's choice number ("1", "２", "②", "二"): the
    answer to a question, never the words of a report."""
    plain = "".join(c for c in text.lower() if c.isalnum())
    return _number(plain) is not None
