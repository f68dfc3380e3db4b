"""Join request buttons: the typed callback data and the keyboards built from a service's
abstract buttons. Next to handlers/joins.py; the delivery worker builds the approvers' cards
with ``join_markup`` too."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.join_view import JoinAction, JoinCard
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt


class JoinCb(CallbackData, prefix="jr1"):
    action: JoinAction
    id: CallbackInt = 0  # the request (0 for a list page)
    # 0: pressed on the request's own card; from 1: on that page of the list (page + 1; it is
    # shown again).
    list_page: CallbackInt = 0


def join_markup(request_id: int, card: JoinCard) -> InlineKeyboardMarkup | None:
    builder = InlineKeyboardBuilder()
    for row in card.buttons:
        for label, action in row:
            builder.button(text=label, callback_data=JoinCb(action=action, id=request_id))
    builder.adjust(*(len(row) for row in card.buttons))
    return builder.as_markup() if card.buttons else None


def cancel_markup(t: Translator, request_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("jr-btn-cancel"), callback_data=JoinCb(action=JoinAction.CANCEL, id=request_id)
    )
    return builder.as_markup()


def list_button(t: Translator, count: int) -> tuple[str, JoinCb]:
    """ "Join requests (N)" under the staff's ticket list."""
    return t("jr-list-button", count=count), JoinCb(action=JoinAction.LIST, list_page=1)
