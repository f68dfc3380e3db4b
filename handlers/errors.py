"""One place for unhandled exceptions: log with context, answer politely."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import ErrorEvent, Message

from bot.budget import budget_of
from bot.i18n import Translations, Translator

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.error()
async def on_error(
    event: ErrorEvent, bot: Bot, translations: Translations, t: Translator | None = None
) -> None:
    update = event.update
    if isinstance(event.exception, TelegramRetryAfter):
        # Telegram asked for more patience than a person has: the budget (bot/budget.py) gave
        # up and logged one line. An apology would meet the same limit.
        return
    user = update.event.from_user if hasattr(update.event, "from_user") else None
    log.exception(
        "update %s from user %s failed",
        update.update_id,
        user.id if user else "-",
        exc_info=event.exception,
    )
    # The failure may have come before the caller's language was known.
    t = t or translations.bind(translations.default)
    text = t("error-generic")
    query = update.callback_query
    try:
        if update.message is not None:
            await update.message.answer(text)
        elif query is not None and not budget_of(bot).answered(query.id):
            await query.answer(text, show_alert=True)
        elif query is not None and isinstance(query.message, Message):
            # The button was answered before the failure (a query is answered once): say it
            # in the chat instead.
            await query.message.answer(text)
    except TelegramAPIError as error:  # blocked, gone: nobody to apologise to
        log.warning("update %s: the apology was not delivered: %s", update.update_id, error)
