"""Every call of a handler within the bot's budget, and every button press answered exactly once
(the client shows a spinner until it is, and Telegram refuses a second answer: "query is too
old")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject

from bot.budget import budget_of


class WithinBudgetMiddleware(BaseMiddleware):
    """First of ours on updates: the bot that handles them has its budget before any handler
    calls Telegram (create_bot installs it; a bot made elsewhere gets the default here, not
    halfway through an update)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        budget_of(data["bot"])
        return await handler(event, data)


class AnswerOnceMiddleware(BaseMiddleware):
    """Outermost on callback queries: a press nothing answered (refused by the flood limit, a
    handler that forgot) is answered silently afterwards. A second answer is dropped by the
    bot's budget (bot/budget.py), which remembers the answered ones; a failing handler is the
    errors router's (handlers/errors.py), which asks the budget too."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        if isinstance(event, CallbackQuery) and not budget_of(data["bot"]).answered(event.id):
            await event.answer()
        return result
