"""The ids of the WeChat door's ``msgmenu`` choices: a ticket's (``t<ticket>.<action>
[.<stars>]``: Yes, fixed / Not fixed / stars for a resident; Take / Reply / Resolve on a head's
card) and the others the door sends (forget, category, same problem, ballot, activity, flat,
claim, mute),
each parsed back by its own module. A tap comes back as a text with that id; an id the door
never sent parses to None."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.activity_menus import parse_activity
from bot.services.ballot_menus import parse_ballot
from bot.services.choice_numbers import choice_number
from bot.services.flat_menus import parse_claim, parse_claims_more, parse_flat
from bot.services.wechat_categories import parse_category
from bot.services.wechat_forget import parse_forget
from bot.services.wechat_metoo import parse_same
from bot.services.wechat_notices import parse_mute

# The choices the door offers as msgmenu; a ticket's other buttons are on its web page.
CHOICES = frozenset({"confirm", "reopen", "rate", "take", "reply", "resolve"})


def menu_id(ticket_id: int | None, value: str) -> str | None:
    """The msgmenu id of a button (``value``: an action, "rate.<stars>", or a whole
    "forget.<person>.yes|keep"); None for a button the door does not offer."""
    parsers = (
        parse_forget,
        parse_category,
        parse_ballot,
        parse_activity,
        parse_flat,
        parse_claim,
        parse_claims_more,
        parse_mute,
        parse_same,
    )
    if any(parse(value) is not None for parse in parsers):
        return value
    if ticket_id is None:
        return None
    return f"t{ticket_id}.{value}" if value.split(".")[0] in CHOICES else None


@dataclass(frozen=True, slots=True)
class Choice:
    ticket_id: int
    action: str
    stars: int = 0


def parse_menu(key: str) -> Choice | None:
    """The choice a menu id stands for; None for anything the door never sent."""
    parts = key.split(".")
    if len(parts) not in (2, 3) or not parts[0].startswith("t"):
        return None
    number, action = choice_number(parts[0][1:]), parts[1]
    if number is None or action not in CHOICES:
        return None
    if action == "rate":
        if len(parts) != 3 or parts[2] not in ("1", "2", "3", "4", "5"):
            return None
        return Choice(number, action, int(parts[2]))
    return None if len(parts) != 2 else Choice(number, action)
