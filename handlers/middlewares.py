"""Per-update context: the person behind the update and a translator in their language."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bot.i18n import Translations
from bot.services import Services
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
        language = self.translations.default
        if user is not None and not user.is_bot:
            person = await self.services.onboarding.touch(
                user.id, user.full_name, user.language_code
            )
            data["person"] = person
            language = person.language or language
        data["t"] = self.translations.bind(language)
        try:
            return await handler(event, data)
        finally:
            # The handler may have committed notifications: let the delivery worker look now.
            delivery = data.get("delivery")
            if delivery is not None:
                delivery.wake()


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
