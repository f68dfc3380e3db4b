"""Set-up shared by the ticket tests: a community with people in their roles, made the way users
make it (invitations opened in chat)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import User
from sqlalchemy import Select, select

from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.staff_rows import StaffRows
from storage.db import Database
from storage.models import Channel, Contact, Person, Role, telegram_address
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient
from tests.conftest import FakeClock

BUILDINGS = [
    BuildingRow("塘中社区", "A1", "塘中新村1栋", "塘中路1号"),
    BuildingRow("塘中社区", "A2", "塘中新村2栋", "塘中路2号"),
    BuildingRow("塘中社区", "B1", "翠湖苑1座", "翠湖路1号"),
]


@dataclass
class World:
    client: BotClient
    services: Services
    db: Database
    clock: FakeClock
    payloads: dict[str, str]

    async def person(self, user: User) -> Person:
        return await self.services.onboarding.touch(
            telegram_address(user.id), user.full_name, user.language_code
        )

    async def join(self, user: User, code: str, flat: str | None = None) -> User:
        await self.client.send(user, f"/start {self.payloads[code]}")
        await self.client.send(user, flat or "/cancel")
        return user

    async def appoint(self, user: User, role: Role, target: str) -> User:
        invite = await self.services.community.invite(role, target)
        await self.client.send(user, f"/start {invite.payload}")
        return user

    async def deliver(self) -> None:
        worker = TelegramDelivery(
            self.client.bot,
            self.db,
            self.clock,
            cards=self.services.ticket_cards,
            availability=self.services.availability,
            approvals=self.services.approvals,
            notices=self.services.notice_copies,
            staff=StaffRows(self.services.notices.config, self.db),
        )
        while await worker.run_once():
            pass


async def make_world(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> World:
    report = await services.community.import_buildings(BUILDINGS)
    return World(client, services, db, clock, {b.code: b.payload for b in report.buildings})


def by_telegram(user_id: int) -> Select[Person]:
    """The query of the person a Telegram user is (through their contact)."""
    return (
        select(Person)
        .join(Contact, Contact.person_id == Person.id)
        .where(Contact.channel == Channel.TELEGRAM, Contact.address == str(user_id))
    )


def telegram_id_of(person: Person) -> int:
    """The Telegram user id of a person who has one (every person the Telegram tests make)."""
    return int(next(c.address for c in person.contacts if c.channel == Channel.TELEGRAM))
