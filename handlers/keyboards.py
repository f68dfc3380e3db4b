"""Ticket buttons: the typed callback data and the keyboards built from a service's abstract
buttons (label, action). The version in the prefix keeps old buttons answerable."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.policy import Action


class TicketCb(CallbackData, prefix="t1"):
    action: Action
    ticket_id: int
    arg: int = 0


def ticket_markup(
    ticket_id: int, buttons: Sequence[Sequence[tuple[str, str]]]
) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(
                text=label,
                callback_data=TicketCb(action=Action(action), ticket_id=ticket_id).pack(),
            )
            for label, action in row
        ]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
