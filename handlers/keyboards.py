"""Ticket buttons: the typed callback data and the keyboards built from a service's abstract
buttons (label, action). The version in the prefix keeps old buttons answerable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from bot.services.policy import Action

# Every integer in callback data (ids, pages, stars). Telegram hands back whatever a client
# sends, and a forged 2**64 overflowed SQLite's 64-bit integers (OverflowError in the handler);
# ids are 32-bit integers on PostgreSQL. Out of range, the data does not unpack, no handler's
# filter matches, and the fallback router answers "this button is out of date".
CallbackInt = Annotated[int, Field(ge=0, lt=2**31)]


class TicketCb(CallbackData, prefix="t1"):
    action: Action
    ticket_id: CallbackInt
    arg: CallbackInt = 0


# TicketCb(action=a, ticket_id=i).pack() is "<this>:<i>:0" for every valid id: the model and
# its packing cost ~3 µs a button (a card's keyboard, every pass), the string ~0.3.
_PACKED_BEFORE_ID = {action: f"{TicketCb.__prefix__}:{action.value}" for action in Action}
_ID_LIMIT = 2**31  # CallbackInt's bound; anything else is packed (and refused) by the model


def ticket_data(action: Action, ticket_id: int) -> str:
    """``TicketCb(action=action, ticket_id=ticket_id).pack()``, the same string."""
    if type(ticket_id) is int and 0 <= ticket_id < _ID_LIMIT:
        return f"{_PACKED_BEFORE_ID[action]}:{ticket_id}:0"
    return TicketCb(action=action, ticket_id=ticket_id).pack()


def ticket_markup(
    ticket_id: int, buttons: Sequence[Sequence[Sequence[Any]]]
) -> InlineKeyboardMarkup | None:
    """Buttons are (label, action) for the row's ticket, or (label, action, ticket id) where one
    message lists several tickets (a reminder, the digest)."""
    rows = [
        [
            InlineKeyboardButton(
                text=str(button[0]),
                callback_data=ticket_data(
                    Action(button[1]), int(button[2]) if len(button) > 2 else ticket_id
                ),
            )
            for button in row
        ]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
