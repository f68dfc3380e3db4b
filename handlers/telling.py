"""One way to tell the person whose update failed, for refusals and apologies alike: the errors
router (handlers/errors.py) and the features' own error handlers use it."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, Message, Update

from telegram.budget import budget_of

log = logging.getLogger(__name__)


async def tell(
    update: Update,
    bot: Bot,
    text: str,
    what: str = "the refusal",
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """``text`` to the person whose update it was: in the chat, or on the button they pressed.
    ``reply_markup`` goes with a message in the chat (a question asked again)."""
    query = update.callback_query
    try:
        if update.message is not None:
            await update.message.answer(text, reply_markup=reply_markup)
        elif query is not None and not budget_of(bot).answered(query.id):
            await query.answer(text, show_alert=True)
        elif query is not None and isinstance(query.message, Message):
            # The button was answered before (a query is answered once): say it in the chat.
            await query.message.answer(text, reply_markup=reply_markup)
    except TelegramAPIError as error:  # blocked, gone: nobody to tell
        log.warning("update %s: %s was not delivered: %s", update.update_id, what, error)
