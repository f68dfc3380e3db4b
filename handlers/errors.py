"""One place for unhandled exceptions: log with context, answer politely."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.i18n import Translations, Translator

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.error()
async def on_error(
    event: ErrorEvent, translations: Translations, t: Translator | None = None
) -> None:
    update = event.update
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
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
