"""Messages to people other than the sender of the current update go through the outbox: they are
rendered in the recipient's language and written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations
from bot.services.messages import write_text
from storage.models import Address, Person, Urgency
from storage.repositories import PersonRepository
from storage.repositories.people import address_of
from storage.repositories.stats import Scope


class Notifier:
    def __init__(self, translations: Translations) -> None:
        self.translations = translations

    async def tell(
        self,
        session: AsyncSession,
        to: Person | Address,
        key: str,
        now: datetime,
        *,
        urgency: Urgency = Urgency.TELL,
        staff: Scope | None = None,
        **args: Any,
    ) -> None:
        """``to`` a person (at the contact they used last), or an address nobody may have
        written from yet (an administrator's Telegram chat). ``urgency``: BULK for one copy of
        a message to a whole building (storage.models.Urgency). ``staff``: the area it is
        written for to a member of staff (bot/services/staff_rows.py)."""
        if isinstance(to, Person):
            person: Person | None = to
            address = address_of(to)
        else:
            person = await PersonRepository(session).by_contact(*to)
            address = (address_of(person) if person else None) or to
        if address is None:
            return  # nowhere to reach them (no contact left)
        language = person.language if person and person.language else self.translations.default
        text = self.translations.get(language, key, **args)
        await write_text(
            session,
            to=address,
            person_id=person.id if person else None,
            text=text,
            now=now,
            urgency=urgency,
            staff=staff,
        )
