"""Per-update context: the person behind the update and a translator in their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.i18n import Translations
from bot.services import Services


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
