"""Per-update context: the person behind the update and a translator in their language; the
update handled once, logged, within the flood limits and the bot's budget; every button press
answered exactly once."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User

from bot.budget import budget_of
from bot.i18n import Translations
from bot.services import Clock, Services
from bot.services.updates import UpdateLog

log = logging.getLogger(__name__)


class PersonMiddleware(BaseMiddleware):
    def __init__(self, services: Services, translations: Translations) -> None:
        self.services = services
        self.translations = translations

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        language = self.translations.default
        # People who talk to the bot privately or press its buttons become people here; the
        # members of a group the bot was added to do not.
        talks_to_bot = (
            chat is None
            or chat.type == "private"
            or isinstance(event, Update)
            and (event.callback_query is not None)
        )
        if user is not None and not user.is_bot and talks_to_bot:
            person = await self.services.onboarding.touch(
                user.id, user.full_name, user.language_code
            )
            data["person"] = person
            language = person.language or language
        data["t"] = self.translations.bind(language)
        return await handler(event, data)


class OnceMiddleware(BaseMiddleware):
    """Skips an update whose id was handled before (webhook redelivery, replay after a crash)."""

    def __init__(self, updates: UpdateLog) -> None:
        self.updates = updates

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and not await self.updates.claim(event.update_id):
            log.info("update %s: seen before, skipped", event.update_id)
            return None
        return await handler(event, data)


class LogMiddleware(BaseMiddleware):
    """One line per update: its id, kind, the user's id and how long it took (ids only)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            user: User | None = data.get("event_from_user")
            if isinstance(event, Update):
                log.info(
                    "update %s %s user %s handled in %.0f ms",
                    event.update_id,
                    event.event_type,
                    user.id if user else "-",
                    (time.perf_counter() - started) * 1000,
                )


class FloodMiddleware(BaseMiddleware):
    """At most ``limit`` messages per person per minute (or button presses: a second instance
    on callback queries). Past it the person is asked once to slow down and the rest of that
    minute is ignored. Kept in memory: per instance."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._warned: set[int] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if not isinstance(event, Message | CallbackQuery) or user is None:
            return await handler(event, data)
        now = self.clock().timestamp()
        window = self._seen[user.id]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.limit:
            if user.id not in self._warned:
                self._warned.add(user.id)
                log.info("user %s: flood limit reached", user.id)
                t = data.get("t")
                if t is not None:
                    press = isinstance(event, CallbackQuery)
                    await event.answer(t("flood-slow-down-press" if press else "flood-slow-down"))
            return None
        self._warned.discard(user.id)
        window.append(now)
        return await handler(event, data)


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
