"""The "same problem?" question of a WeChat report, as the chat's report asks it after the kind
of problem (handlers/report/entry.py): when a neighbour's open ticket of the same building and
kind exists, the person chooses between following it and sending their own. WeChat has no inline
keyboard: the choices are a ``msgmenu``, numbered, each id ``same.<ticket>.yes|no``; a person
whose WeChat shows no menu replies with the number (or yes / no) instead."""

from __future__ import annotations

import unicodedata

from bot.i18n import Translator
from bot.services.choice_numbers import choice_number
from bot.services.messages import Buttons

SAME = "same"  # the pending action and the choices' prefix
YES_WORDS = frozenset({"1", "是", "是的", "对", "yes", "y", "same"})
NO_WORDS = frozenset({"2", "不是", "不", "否", "no", "n", "new"})


def same_choice(ticket_id: int, same: bool) -> str:
    return f"{SAME}.{ticket_id}.{'yes' if same else 'no'}"


def parse_same(key: str) -> tuple[int, bool] | None:
    """(the neighbour's ticket, same) of a choice's id; None for anything else."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != SAME or parts[2] not in ("yes", "no"):
        return None
    ticket_id = choice_number(parts[1])
    return None if ticket_id is None else (ticket_id, parts[2] == "yes")


def same_menu(t: Translator, ticket_id: int, number: int) -> Buttons:
    return [
        [(f"1. {t('report-metoo-follow', number=number)}", same_choice(ticket_id, True))],
        [(f"2. {t('report-metoo-new')}", same_choice(ticket_id, False))],
    ]


def typed_same(text: str) -> bool | None:
    """The typed answer: True to follow the neighbour's ticket, False for a report of one's
    own, None for anything else."""
    plain = "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())
    if plain in YES_WORDS:
        return True
    if plain in NO_WORDS:
        return False
    return None
