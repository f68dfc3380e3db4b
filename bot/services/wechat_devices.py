"""The web door inside WeChat's browser: whose a device (the web door's cookie) is, once
WeChat's web authorisation (wechat/oauth.py) has named the WeChat person behind it."""

from __future__ import annotations

import secrets

from bot.services.clock import Clock
from bot.services.web_door import device_address
from storage.db import Database
from storage.models import Channel, Person
from storage.repositories import PersonRepository
from storage.repositories.contacts import merge_people


class WeChatDevices:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def person_of(self, openid: str) -> Person | None:
        async with self.db.session() as session:
            return await PersonRepository(session).by_contact(Channel.WECHAT, openid)

    async def device_in_wechat(self, device: str | None) -> bool:
        """Whether the web door's device (its cookie's secret) is a WeChat person's already."""
        if not device or len(device) > 128:
            return False
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(*device_address(device))
        return person is not None and any(c.channel == Channel.WECHAT for c in person.contacts)

    async def web_device(self, openid: str, device: str | None) -> str | None:
        """The web door inside WeChat's browser, after WeChat's web authorisation named the
        person (``openid``): the device (its cookie's ``device`` secret; a new device when
        None or unknown) becomes a contact of the person with that WeChat, so the web door and
        WeChat are one person's. A device that was somebody of its own only (a report from
        the poster's page in WeChat's browser) is folded in, tickets and all. Returns the
        device's secret; None when nobody has that WeChat yet (they never followed)."""
        now = self.clock()
        async with self.db.session() as session:
            people = PersonRepository(session)
            person = await people.by_contact(Channel.WECHAT, openid)
            if person is None:
                return None
            holder = await people.by_contact(*device_address(device)) if device else None
            if holder is None or device is None:
                device = secrets.token_urlsafe(32)
            await people.ensure_contact(person.id, device_address(device), now)
            if holder is not None and holder.id != person.id and not holder.contacts:
                await merge_people(session, person.id, holder.id)
            await session.commit()
        return device
