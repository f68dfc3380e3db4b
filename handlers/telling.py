"""One way to tell the person whose update failed, for refusals and apologies alike: the errors
router (handlers/errors.py) and the features' own error handlers use it."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, Update

from bot.text import TEXT_LIMIT, cut, fits
from telegram.budget import budget_of

log = logging.getLogger(__name__)
# answerCallbackQuery's text: 0-200 characters in the Bot API's reference; a longer one is
# refused (MESSAGE_TOO_LONG) and the button spins. A name of the person's
# (an activity's title of 200 units, a building of 100 emoji) is enough to pass it.
ANSWER_LIMIT = 200


async def answer_press(query: CallbackQuery, text: str, *, show_alert: bool = False) -> None:
    """``text`` on the pressed button when it fits there; longer, the button is answered
    without a word and ``text`` comes whole as a message in the chat (nothing is cut away)."""
    if fits(text, ANSWER_LIMIT) or not isinstance(query.message, Message):
        await query.answer(cut(text, ANSWER_LIMIT), show_alert=show_alert)
        return
    await query.answer()
    await query.message.answer(text)


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
    # A refusal may repeat what was typed ("no building with the code …"): as long as a whole
    # message, the refusal would be longer than one, Telegram would refuse it and the person
    # hear nothing. Such an echo is cut, visibly.
    text = cut(text, TEXT_LIMIT)
    try:
        if update.message is not None:
            await update.message.answer(text, reply_markup=reply_markup)
        elif query is not None and not budget_of(bot).answered(query.id):
            await answer_press(query, text, show_alert=True)
        elif query is not None and isinstance(query.message, Message):
            # The button was answered before (a query is answered once): say it in the chat.
            await query.message.answer(text, reply_markup=reply_markup)
    except TelegramAPIError as error:  # blocked, gone: nobody to tell
        log.warning("update %s: %s was not delivered: %s", update.update_id, what, error)
