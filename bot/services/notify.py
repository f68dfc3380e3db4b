"""Messages to people other than the sender of the current update go through the outbox: they are
rendered in the recipient's language and written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations
from bot.services.messages import write_text
from storage.repositories import PersonRepository


class Notifier:
    def __init__(self, translations: Translations) -> None:
        self.translations = translations

    async def tell(
        self,
        session: AsyncSession,
        telegram_id: int,
        key: str,
        now: datetime,
        **args: Any,
    ) -> None:
        person = await PersonRepository(session).by_telegram_id(telegram_id)
        language = person.language if person and person.language else self.translations.default
        text = self.translations.get(language, key, **args)
        await write_text(
            session,
            chat_id=telegram_id,
            person_id=person.id if person else None,
            text=text,
            now=now,
        )
