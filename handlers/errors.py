"""One place for what a handler does not catch: a service's refusal (ServiceError) is read to
the person in their language; anything else is logged with context and answered politely.

An update's error goes to every router's error handlers in the tree's order, so this router comes
last (handlers/__init__.py): a feature's own special case (``@router.error(ExceptionTypeFilter(X),
OnPress(...))``, handlers/filters.py) is seen first, and what none takes ends here."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message, Update

from bot.i18n import Translations, Translator
from bot.services.errors import ServiceError, Spent
from handlers.ticketing import edit_quietly
from telegram.budget import budget_of

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.error(ExceptionTypeFilter(Spent))
async def on_spent(
    event: ErrorEvent, bot: Bot, translations: Translations, t: Translator | None = None
) -> None:
    """A button that did its work already (or is too old to): refused like any other, and it
    goes from the pressed message, so nobody presses it again."""
    await on_refusal(event, bot, translations, t)
    query = event.update.callback_query
    if query is not None and isinstance(query.message, Message):
        await edit_quietly(query.message.edit_reply_markup(reply_markup=None))


@router.error(ExceptionTypeFilter(ServiceError))
async def on_refusal(
    event: ErrorEvent, bot: Bot, translations: Translations, t: Translator | None = None
) -> None:
    """A use case refused (not allowed, a wrong code, a limit): no failure, the person reads
    why. Handlers let ServiceError through to here instead of catching it themselves."""
    error = event.exception
    assert isinstance(error, ServiceError)
    t = t or translations.bind(translations.default)
    await tell(event.update, bot, t(error.key, **error.args_))


@router.error()
async def on_error(
    event: ErrorEvent, bot: Bot, translations: Translations, t: Translator | None = None
) -> None:
    update = event.update
    if isinstance(event.exception, TelegramRetryAfter):
        # Telegram asked for more patience than a person has: the budget (telegram/budget.py) gave
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
    await tell(update, bot, t("error-generic"), "the apology")


async def tell(update: Update, bot: Bot, text: str, what: str = "the refusal") -> None:
    """``text`` to the person whose update it was: in the chat, or on the button they pressed."""
    query = update.callback_query
    try:
        if update.message is not None:
            await update.message.answer(text)
        elif query is not None and not budget_of(bot).answered(query.id):
            await query.answer(text, show_alert=True)
        elif query is not None and isinstance(query.message, Message):
            # The button was answered before (a query is answered once): say it in the chat.
            await query.message.answer(text)
    except TelegramAPIError as error:  # blocked, gone: nobody to tell
        log.warning("update %s: %s was not delivered: %s", update.update_id, what, error)
