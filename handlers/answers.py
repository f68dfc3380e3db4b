"""Every call of a handler within the bot's budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.budget import budget_of


class WithinBudgetMiddleware(BaseMiddleware):
    """Outermost on updates: the bot that handles them has its budget before any handler
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
