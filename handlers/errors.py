"""One place for what a handler does not catch: a service's refusal (ServiceError) is read to
the person in their language; anything else is logged with context and answered politely.

An update's error goes to every router's error handlers in the tree's order, so this router comes
last (handlers/__init__.py): a feature's own special case (``@router.error(ExceptionTypeFilter(X),
OnPress(...))``, handlers/filters.py) is seen first, and what none takes ends here."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramRetryAfter
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message

from bot.i18n import Translations, Translator
from bot.services.errors import ServiceError, Spent
from bot.services.updates import SharedStateUnavailable
from handlers.telling import tell
from handlers.ticketing import edit_quietly

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.error(ExceptionTypeFilter(SharedStateUnavailable))
async def on_shared_state_unavailable(event: ErrorEvent) -> None:
    """Redis did not answer before the update was handled: nothing was done, nobody is told;
    the door has Telegram deliver it again (telegram/webhook_requests.py)."""
    raise event.exception


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
