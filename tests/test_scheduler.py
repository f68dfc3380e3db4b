"""The scheduler's jobs over a real database with a controllable clock: nudges and their
back-off, quiet hours, snoozing, the escalation ladder, auto-close, the "still fixed?"
follow-up, the digest against a seeded dataset, and claims that hold across a restart and
between two instances. Jobs are driven by calling them with the clock set: no real waiting."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Config
from bot.drawing import Renderer
from bot.i18n import Translations
from bot.scheduler import INTERVALS, Scheduler, job_functions
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.digest_view import DigestData
from bot.services.errors import ServiceError
from bot.services.ticket_core import Draft
from handlers.scheduling import outbox_markup
from storage.db import Database
from storage.models import (
    Community,
    OutboxMessage,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketRecipient,
    TicketStatus,
    telegram_address,
)
from storage.repositories.stats import Scope
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient, Sent, only, texts
from tests.conftest import ADMIN_ID, FakeClock

S = TicketStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")
BUILDINGS = [
    BuildingRow("塘中社区", "A1", "塘中新村1栋", ""),
    BuildingRow("塘中社区", "A2", "塘中新村2栋", ""),
    BuildingRow("塘中社区", "B1", "翠湖苑1座", ""),
]
HEAD, HEAD2, RESIDENT, OFFICE, B1_COORDINATOR, A1_COORDINATOR = 100, 101, 1, 300, 301, 302


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Shanghai in 2026, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def at(spec: str) -> datetime | None:
    """A time in Shanghai in 2026 ("26 9:30" in November, "10-1 9:30"), as UTC; "" is None."""
    if not spec:
        return None
    day, clock = spec.split()
    month, dom = (int(x) for x in day.split("-")) if "-" in day else (11, int(day))
    hour, minute = (int(x) for x in clock.split(":"))
    return local(month, dom, hour, minute)


@dataclass
class Town:
    services: Services
    db: Database
    clock: FakeClock
    buildings: dict[str, int]

    async def person(self, telegram_id: int, name: str, language: str = "en") -> Person:
        return await self.services.onboarding.touch(telegram_address(telegram_id), name, language)

    async def appoint(self, telegram_id: int, role: Role, target: str, lang: str = "en") -> Person:
        person = await self.person(telegram_id, f"{role.value.title()} {telegram_id}", lang)
        invite = await self.services.community.invite(
            role, target, building_only=target != "塘中社区"
        )
        await self.services.onboarding.open_payload(person, invite.payload)
        return person

    async def resident(self, telegram_id: int = RESIDENT, code: str = "A1") -> Person:
        person = await self.person(telegram_id, f"Resident {telegram_id}")
        await self.services.onboarding.join_building(person, self.buildings[code])
        return person

    async def report(
        self, person: Person, code: str = "A1", category: str = "repairs", text: str = "Broken"
    ) -> Ticket:
        draft = Draft(self.buildings[code], category, text)
        return (await self.services.reporting.report(person, draft)).ticket

    async def outbox(self, after: int = 0, chat_id: int | None = None) -> list[OutboxMessage]:
        async with self.db.session() as session:
            query = select(OutboxMessage).where(OutboxMessage.id > after)
            if chat_id is not None:
                query = query.where(OutboxMessage.address == str(chat_id))
            return list((await session.scalars(query.order_by(OutboxMessage.id))).all())

    async def messages(self, after: int, chat_id: int) -> list[OutboxMessage]:
        """What the scheduler said to someone (cards and media left out)."""
        rows = await self.outbox(after, chat_id)
        return [r for r in rows if r.kind == "text"]

    async def mark(self) -> int:
        async with self.db.session() as session:
            return int(await session.scalar(select(func.max(OutboxMessage.id))) or 0)

    async def ticket(self, ticket_id: int) -> Ticket:
        async with self.db.session() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            return ticket

    async def events(self, ticket_id: int) -> list[str]:
        async with self.db.session() as session:
            query = select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
            return list((await session.scalars(query.order_by(TicketEvent.id))).all())

    async def at(self, moment: datetime) -> None:
        self.clock.now = moment

    async def community(self) -> Community:
        async with self.db.session() as session:
            community: Community | None = await session.scalar(select(Community))
        assert community is not None
        return community


async def make_town(services: Services, db: Database, clock: FakeClock) -> Town:
    await services.community.import_buildings(BUILDINGS)
    buildings = {}
    for row in BUILDINGS:
        buildings[row.code] = (await services.community.find_building(row.code)).id
    return Town(services, db, clock, buildings)


@pytest.fixture
async def town(services: Services, db: Database, clock: FakeClock) -> Town:
    return await make_town(services, db, clock)


def as_sent(row: OutboxMessage) -> Sent:
    """An outbox row as the delivery worker will send it (with the keyboard of
    handlers.scheduling.outbox_markup)."""
    markup = outbox_markup(row.ticket_id, row.payload.get("buttons", []))
    return Sent(
        SendMessage(chat_id=int(row.address), text=row.payload["text"], reply_markup=markup)
    )


def labels(row: OutboxMessage) -> list[str]:
    return [str(b[0]) for line in row.payload.get("buttons", []) for b in line]


# ----------------------------------------------------------------------------- nudges


async def test_nudges_back_off_and_list_all_waiting_tickets_in_one_message(town: Town) -> None:
    reminders = town.services.scheduling.reminders
    await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    await town.at(local(11, 26, 10))
    first = await town.report(resident, text="The tap drips")
    await town.at(local(11, 26, 11))
    second = await town.report(resident, text="The door sticks")
    mark = await town.mark()

    await town.at(local(11, 26, 11, 59))
    assert await reminders.run() == 0
    await town.at(local(11, 26, 12))
    assert await reminders.run() == 1
    [nudge] = await town.messages(mark, HEAD)
    # One message lists both waiting tickets (the second is not due yet), a button for each.
    assert "2 tickets are waiting" in nudge.payload["text"]
    assert "#1" in nudge.payload["text"] and "#2" in nudge.payload["text"]
    assert nudge.payload["buttons"][0] == [
        ["Open #1", "open", first.id],
        ["Open #2", "open", second.id],
    ]
    assert labels(nudge)[-2:] == ["⏰ In 1 hour", "🌅 Tomorrow 9:00"]
    assert await reminders.run() == 0  # claimed: not again

    # Back-off: 2 h (the second ticket, at 13:00), 6 h, 24 h after routing, and no more.
    expected = {
        local(11, 26, 13): (1, 1),
        local(11, 26, 15, 59): (1, 1),
        local(11, 26, 16): (2, 1),
        local(11, 26, 17): (2, 2),
        local(11, 27, 10): (3, 2),
        local(11, 27, 11): (3, 3),
        local(11, 29, 11): (3, 3),
    }
    for moment, counts in expected.items():
        await town.at(moment)
        await reminders.run()
        tickets = (await town.ticket(first.id), await town.ticket(second.id))
        assert (tickets[0].nudges_sent, tickets[1].nudges_sent) == counts, moment
    assert (await town.events(first.id)).count("nudged") == 3
    assert len(await town.messages(mark, HEAD)) == 6

    # Taken: no more reminders. "Not fixed" gives it back to its head, still taken: nothing
    # to remind of (a reopened ticket waiting for anyone: test_reopen).
    head = await town.person(HEAD, "Head 100")
    await town.services.ticket_actions.take(head, first.id)
    await town.services.ticket_actions.resolve(head, first.id, "fixed")
    await town.services.reopening.reopen(resident, first.id, "still drips")
    mark = await town.mark()
    await town.at(local(11, 29, 13))
    await reminders.run()
    assert (await town.ticket(first.id)).status is S.TAKEN
    assert await town.messages(mark, HEAD) == []


async def test_quiet_hours_hold_reminders_until_morning_but_not_for_safety(town: Town) -> None:
    reminders = town.services.scheduling.reminders
    await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    await town.at(local(11, 26, 21))
    leak = await town.report(resident, text="A leak")
    mark = await town.mark()
    for moment in (local(11, 26, 23), local(11, 27, 3), local(11, 27, 7, 59)):
        await town.at(moment)
        assert await reminders.run() == 0
    await town.at(local(11, 27, 8))
    assert await reminders.run() == 1
    # The 23:00 and the 03:00 reminders became one at 08:00.
    assert (await town.ticket(leak.id)).nudges_sent == 2
    assert len(await town.messages(mark, HEAD)) == 1

    await town.at(local(11, 27, 21))
    gas = await town.report(resident, category="safety", text="Smell of gas")
    mark = await town.mark()
    await town.at(local(11, 27, 23))
    assert await reminders.run() == 1  # urgent: at night too
    [nudge] = await town.messages(mark, HEAD)
    assert "#2" in nudge.payload["text"]
    assert (await town.ticket(gas.id)).nudges_sent == 1
    assert (await town.ticket(leak.id)).nudges_sent == 2  # the leak still waits for morning


async def test_a_missed_nudge_is_sent_once_after_downtime(town: Town) -> None:
    await town.appoint(HEAD, Role.HEAD, "A1")
    ticket = await town.report(await town.resident())
    mark = await town.mark()
    await town.at(town.clock.now + timedelta(hours=30))  # the bot was down
    assert await town.services.scheduling.reminders.run() == 1
    assert await town.services.scheduling.reminders.run() == 0
    assert (await town.ticket(ticket.id)).nudges_sent == 3
    assert len(await town.messages(mark, HEAD)) == 1


async def test_snooze_buttons(town: Town, client: BotClient) -> None:
    reminders = town.services.scheduling.reminders
    await town.appoint(HEAD, Role.HEAD, "A1")
    await town.at(local(11, 26, 10))
    await town.report(await town.resident())
    mark = await town.mark()
    await town.at(local(11, 26, 12))
    await reminders.run()
    [nudge] = await town.messages(mark, HEAD)

    head = client.user(HEAD, "en", "Head")
    sent = await client.click(head, as_sent(nudge), "⏰ In 1 hour")
    assert any("remind you again at 13:00" in text for text in texts(sent))
    person = await town.person(HEAD, "Head 100")
    assert person.snoozed_until == local(11, 26, 13)

    mark = await town.mark()
    await town.at(local(11, 26, 12, 59))
    assert await reminders.run() == 0
    await town.at(local(11, 26, 13))
    assert await reminders.run() == 1  # the reminder the head asked for
    await town.at(local(11, 26, 13, 1))
    assert await reminders.run() == 0
    [again] = await town.messages(mark, HEAD)

    # "Tomorrow 9:00": the 6 h reminder at 16:00 is held, and comes at 09:00.
    sent = await client.click(head, as_sent(again), "🌅 Tomorrow 9:00")
    assert any("09:00" in text for text in texts(sent))
    mark = await town.mark()
    await town.at(local(11, 26, 16))
    assert await reminders.run() == 0
    await town.at(local(11, 27, 9))
    assert await reminders.run() == 1
    assert len(await town.messages(mark, HEAD)) == 1


async def test_idle_taken_tickets_get_a_gentle_reminder(town: Town) -> None:
    reminders = town.services.scheduling.reminders
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    ticket = await town.report(await town.resident())
    await town.services.ticket_actions.take(head, ticket.id)
    mark = await town.mark()
    await town.at(town.clock.now + timedelta(days=3) - timedelta(minutes=1))
    assert await reminders.run() == 0
    await town.at(town.clock.now + timedelta(minutes=1))
    assert await reminders.run() == 1
    [idle] = await town.messages(mark, HEAD)
    assert "no news for a few days" in idle.payload["text"] and "#1" in idle.payload["text"]
    await town.at(town.clock.now + timedelta(days=1))
    assert await reminders.run() == 0  # once per quiet spell


# ----------------------------------------------------------------------------- escalation


async def test_escalation_ladder_levels_are_events_in_history(town: Town) -> None:
    ladder = town.services.scheduling.ladder
    await town.appoint(HEAD, Role.HEAD, "A1")
    building_office = await town.appoint(A1_COORDINATOR, Role.COORDINATOR, "A1")
    office = await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    resident = await town.resident()
    await town.at(local(11, 26, 10))
    ticket = await town.report(resident)
    mark = await town.mark()

    await town.at(local(11, 27, 9, 59))
    assert await ladder.run() == 0
    await town.at(local(11, 27, 10))
    assert await ladder.run() == 1
    assert await ladder.run() == 0
    row = await town.ticket(ticket.id)
    assert (row.escalation_level, row.escalation_reason, row.escalated) == (1, "untaken", True)
    [notice] = await town.messages(mark, A1_COORDINATOR)
    assert "not been taken for 24 hours" in notice.payload["text"]
    cards = [r for r in await town.outbox(mark, A1_COORDINATOR) if r.kind == "card"]
    assert len(cards) == 1  # the card, with the reason above
    assert await town.messages(mark, OFFICE) == []

    await town.at(local(11, 29, 9, 59))
    assert await ladder.run() == 0
    await town.at(local(11, 29, 10))  # 48 h later, still not taken
    assert await ladder.run() == 1
    assert (await town.ticket(ticket.id)).escalation_level == 2
    assert "level 2" in (await town.messages(mark, OFFICE))[0].payload["text"]
    async with town.db.session() as session:
        reasons = dict(
            (
                await session.execute(
                    select(TicketRecipient.person_id, TicketRecipient.reason).where(
                        TicketRecipient.ticket_id == ticket.id
                    )
                )
            ).all()
        )
    assert reasons[building_office.id] == reasons[office.id] == "escalation"

    _, lines = await town.services.ticket_cards.history(
        office, ticket.id, town.services.ticket_cards.translations.bind("en")
    )
    assert any("passed to the building's coordinator" in line for line in lines)
    assert any("passed to the community office" in line for line in lines)
    await town.at(local(12, 9, 10))
    assert await ladder.run() == 0  # the top of the ladder


async def test_an_unresolved_ticket_climbs_and_its_holder_is_told(town: Town) -> None:
    ladder = town.services.scheduling.ladder
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    ticket = await town.report(await town.resident())
    await town.services.ticket_actions.take(head, ticket.id)
    mark = await town.mark()
    await town.at(town.clock.now + timedelta(days=7))
    assert await ladder.run() == 1
    # No building coordinator: the community's coordinators are level 1.
    assert "still not resolved" in (await town.messages(mark, OFFICE))[0].payload["text"]
    assert (
        "community office is now following" in (await town.messages(mark, HEAD))[0].payload["text"]
    )
    assert "ladder-unresolved-1" in await town.events(ticket.id)


# ----------------------------------------------------------------------------- closing the loop


async def test_unconfirmed_resolution_is_reminded_then_closes_and_may_be_reopened(
    town: Town, client: BotClient
) -> None:
    closing = town.services.scheduling.closing
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    await town.at(local(11, 26, 10))
    ticket = await town.report(resident)
    await town.services.ticket_actions.take(head, ticket.id)
    await town.services.ticket_actions.resolve(head, ticket.id, "Replaced the washer")
    mark = await town.mark()

    await town.at(local(11, 27, 10))
    assert await closing.run() == 1
    [reminder] = await town.messages(mark, RESIDENT)
    assert "Is ticket #1 really fixed?" in reminder.payload["text"]
    assert reminder.ticket_id == ticket.id and len(labels(reminder)) == 2  # confirm · reopen
    assert await closing.run() == 0

    await town.at(local(11, 29, 10))
    assert await closing.run() == 1
    row = await town.ticket(ticket.id)
    assert (row.status, row.autoclosed_at) == (S.CLOSED, local(11, 29, 10))
    assert "auto-closed" in await town.events(ticket.id)
    told = (await town.messages(mark, RESIDENT))[-1]
    assert "it is now closed" in told.payload["text"] and "2026-12-06" in told.payload["text"]

    mark = await town.mark()
    user = client.user(RESIDENT, "en", "Resident")
    sent = await client.click(user, as_sent(told), "👎 Not fixed")
    assert any("open again" in text for text in texts(sent))
    # Back with the head who held it, still taken (bot/services/reopening.py).
    row = await town.ticket(ticket.id)
    assert (row.status, row.holder_id, row.closed_at) == (S.TAKEN, head.id, None)
    assert "is back with you" in (await town.messages(mark, HEAD))[0].payload["text"]
    sent = await client.click(user, as_sent(told), "👎 Not fixed")  # a stale button
    assert (await town.ticket(ticket.id)).status is S.TAKEN


async def test_reopening_window_and_who_may_reopen(town: Town) -> None:
    closing = town.services.scheduling.closing
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    ticket = await town.report(resident)
    await town.services.ticket_actions.take(head, ticket.id)
    await town.services.ticket_actions.resolve(head, ticket.id, "")
    await town.at(town.clock.now + timedelta(days=3))
    await closing.run()
    with pytest.raises(ServiceError) as refused:
        await closing.reopen_closed(head, ticket.id)
    assert refused.value.key == "not-allowed"
    await town.at(town.clock.now + timedelta(days=7, minutes=1))
    with pytest.raises(ServiceError) as late:
        await closing.reopen_closed(resident, ticket.id)
    assert late.value.key == "sched-reopen-expired"


async def test_still_fixed_follow_up_no_opens_a_linked_ticket(
    town: Town, client: BotClient
) -> None:
    closing = town.services.scheduling.closing
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    await town.at(local(11, 1, 10))
    old = await town.report(resident, category="elevator", text="The lift stops")
    await town.services.ticket_actions.take(head, old.id)
    await town.services.ticket_actions.resolve(head, old.id, "")
    await town.services.ticket_actions.confirm(resident, old.id)
    mark = await town.mark()

    await town.at(local(12, 1, 9, 59))
    assert await closing.run() == 0
    await town.at(local(12, 1, 10))
    assert await closing.run() == 1
    assert await closing.run() == 0  # asked once
    [ask] = await town.messages(mark, RESIDENT)
    assert "Is it still fixed?" in ask.payload["text"]

    user = client.user(RESIDENT, "en", "Resident")
    mark = await town.mark()
    sent = await client.click(user, as_sent(ask), "👎 No, it is back")
    assert any("New ticket #2 (linked to #1)" in text for text in texts(sent))
    async with town.db.session() as session:
        linked = await session.scalar(select(Ticket).where(Ticket.parent_id == old.id))
    assert linked is not None
    assert (linked.number, linked.status, linked.category) == (2, S.NEW, "elevator")
    assert "The lift stops" in linked.description
    assert (await town.ticket(old.id)).followup_answer == "no"
    assert "followup-no" in await town.events(old.id)
    assert await town.events(linked.id) == ["created", "linked", "routed"]
    assert any(r.kind == "card" and r.ticket_id == linked.id for r in await town.outbox(mark, HEAD))

    sent = await client.click(user, as_sent(ask), "👍 Yes, still fine")
    assert (await town.ticket(old.id)).followup_answer == "no"  # the first answer stays
    async with town.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 2


# ----------------------------------------------------------------------------- the digest


async def seed_digest_dataset(town: Town) -> dict[str, Person]:
    """The hand-checked dataset (see the expectations in test_digest_figures)."""
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    head2 = await town.appoint(HEAD2, Role.HEAD, "A2")
    office = await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    b1 = await town.appoint(B1_COORDINATOR, Role.COORDINATOR, "B1", "zh-hans")
    resident = await town.resident()
    holders = {"head": head, "b1": b1}
    rows = [
        # number, building, category, status, created, taken, resolved, closed (day of November
        # and time in Shanghai), holder, rating
        (1, "A1", "repairs", S.RESOLVED, "26 9:00", "26 10:00", "26 15:00", "", "head", None),
        (2, "A1", "repairs", S.NEW, "26 11:00", "", "", "", "", None),
        (3, "A2", "elevator", S.NEW, "20 9:00", "", "", "", "", None),
        (4, "A1", "repairs", S.TAKEN, "10 9:00", "10 12:00", "", "", "head", None),
        (5, "B1", "sanitation", S.CLOSED, "25 8:00", "26 9:00", "26 12:00", "26 20:00", "b1", 5),
        (6, "A1", "repairs", S.CLOSED, "1 9:00", "1 10:00", "2 9:00", "3 9:00", "head", 3),
        (7, "A1", "repairs", S.CLOSED, "15 9:00", "15 9:30", "15 21:00", "16 9:00", "head", 4),
        (8, "A2", "elevator", S.WITHDRAWN, "21 9:00", "", "", "21 10:00", "", None),
        (9, "A2", "elevator", S.CLOSED, "22 9:00", "", "", "22 10:00", "", None),  # merged
        (10, "A1", "other", S.CLOSED, "10-1 9:00", "10-1 10:00", "10-2 9:00", "10-3 9:00", "head",
         1),  # October: before the 30 days
    ]  # fmt: skip
    async with town.db.session() as session:
        community = await session.scalar(select(Community))
        assert community is not None
        ids = {}
        for number, code, category, status, *times, holder, rating in rows:
            created, taken, resolved, closed = (at(str(x)) for x in times)
            assert created is not None
            ticket = Ticket(
                community_id=community.id,
                number=number,
                building_id=town.buildings[str(code)],
                author_id=resident.id,
                category=category,
                status=status,
                description=f"problem {number}",
                media=[],
                created_at=created,
                updated_at=created,
                taken_at=taken,
                resolved_at=resolved,
                closed_at=closed,
                holder_id=holders[str(holder)].id if holder else None,
                owner_id=head.id,
                rating=rating,
            )
            session.add(ticket)
            await session.flush()
            ids[number] = ticket.id
            session.add(
                TicketEvent(ticket_id=ticket.id, kind="created", data={}, created_at=created)
            )
        merged = await session.get(Ticket, ids[9])
        assert merged is not None
        merged.merged_into_id = ids[3]
        community.ticket_seq = 10
        # head2 blocked the bot.
        blocked = await session.get(Person, head2.id)
        assert blocked is not None
        blocked.unreachable_since = local(11, 20)
        await session.commit()
    return {"head": head, "office": office, "b1": b1, "resident": resident}


async def gather_seeded(town: Town) -> DigestData:
    await seed_digest_dataset(town)
    await town.at(local(11, 27, 8))
    async with town.db.session() as session:
        community = await session.scalar(select(Community))
    assert community is not None
    digest = town.services.scheduling.digest
    return await digest.gather(community, Scope(community.id), date(2026, 11, 26))


def assert_hand_computed(data: DigestData) -> None:
    # Yesterday (26 Nov, local): #1 and #2 new; #1 and #5 taken and resolved; #5 closed.
    c = data.counts
    assert (c.new, c.taken, c.resolved, c.closed) == (2, 2, 2, 1)
    # Open now: #2, #3, #4; overdue: #3 (untaken 7 days) and #4 (taken 17 days), oldest first.
    assert (data.open, data.overdue_total) == (3, 2)
    assert [o.number for o in data.overdue] == [4, 3]
    # Buildings with news that day: A1 (#1, #2) and B1 (#5).
    lines = [(b.name, b.new, b.taken, b.resolved, b.open) for b in data.building_lines]
    assert lines == [("塘中新村1栋", 2, 1, 1, 2), ("翠湖苑1座", 0, 1, 1, 0)]
    # KPIs over 30 days: #1–#7 (#8 withdrawn, #9 merged, #10 too old).
    k = data.kpis
    assert (k.reports, k.due, k.responded) == (7, 6, 4)  # #2 is not due yet; #3, #5 late
    assert (k.resolved, k.rated, k.satisfied) == (4, 3, 2)
    assert k.median_take == pytest.approx(3600)  # 0.5, 1, 1, 3, 25 hours
    assert k.median_resolve == pytest.approx(18 * 3600)  # 6, 12, 24, 28 hours
    assert (data.coverage.buildings, data.coverage.with_head) == (3, 2)
    assert data.coverage.without == ["翠湖苑1座"]
    assert [(r.building, r.category, r.reports) for r in data.recurring] == [
        ("塘中新村1栋", "repairs", 5),
        ("塘中新村2栋", "elevator", 3),
    ]
    assert [(u.name, u.role) for u in data.unreachable] == [("Head 101", "head")]
    leaders: list[tuple[object, ...]] = [
        (x.name, x.resolved, x.median_resolve, x.rating, x.ratings) for x in data.leaders
    ]
    # Heads and deputies only: B1's coordinator resolved #5 but is not on the heads' board.
    assert leaders == [("Head 100", 3, pytest.approx(12 * 3600), pytest.approx(3.5), 2)]
    assert list(data.chart_new) == [0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 2]  # 13–26 Nov
    assert list(data.chart_resolved) == [0, 0, 1] + [0] * 10 + [2]


async def test_digest_figures_match_the_hand_computed_ones(town: Town) -> None:
    data = await gather_seeded(town)
    assert_hand_computed(data)
    digest = town.services.scheduling.digest
    community = await town.community()
    english = await digest.render(data, town.services.ticket_cards.translations.bind("en"))
    for expected in (
        "daily report for Thu 26/11",
        "That day: 2 new · 2 taken · 2 resolved · 1 closed",
        "Open now: 3, of which overdue: 2",
        "Response rate (taken within 24 h): 67% (4/6)",
        "Resolution rate: 57% (4/7)",
        "Satisfaction rate (4–5 stars): 67% (2/3)",
        "Median time to take: 1 h · to resolve: 18 h",
        "Coverage: 2 of 3 buildings have a head",
        "Without a head: 翠湖苑1座",
        "塘中新村1栋 · 🔧 Repairs · 5 reports",
        "Head 101 (building head)",
        "🥇 Head 100: 3 resolved · median 12 h · 3.5★ (2 ratings)",
    ):
        assert expected in english.text, expected
    assert english.buttons == [
        [
            ("Open #4", "open", data.overdue[0].ticket_id),
            ("Open #3", "open", data.overdue[1].ticket_id),
        ]
    ]
    assert english.png is not None and english.png.startswith(b"\x89PNG")
    chinese = await digest.render(data, town.services.ticket_cards.translations.bind("zh-hans"))
    assert "响应率 67%" in chinese.text and "解决率 57%" in chinese.text
    assert "满意率 67%" in chinese.text

    # A building coordinator sees their buildings only.
    scoped = await digest.gather(community, Scope(community.id, (town.buildings["B1"],)), data.day)
    assert (scoped.counts.new, scoped.counts.taken, scoped.counts.closed, scoped.open) == (
        0,
        1,
        1,
        0,
    )
    assert (scoped.kpis.reports, scoped.kpis.responded, scoped.kpis.satisfied) == (1, 0, 1)
    assert (scoped.coverage.buildings, scoped.coverage.with_head) == (1, 0)


async def test_morning_digest_goes_once_even_across_a_restart(
    town: Town, config: Config, translations: Translations
) -> None:
    await seed_digest_dataset(town)
    digest = town.services.scheduling.digest
    mark = await town.mark()
    await town.at(local(11, 27, 7, 59))
    assert await digest.run() == 0
    await town.at(local(11, 27, 8))
    assert await digest.run() == 2  # the office (whole community) and B1's coordinator
    rows = await town.outbox(mark)
    office = [r for r in rows if int(r.address) == OFFICE]
    assert [r.kind for r in office] == ["text", "chart"]
    assert "Open now: 3" in office[0].payload["text"]
    assert base64.b64decode(office[1].payload["photo_png"]).startswith(b"\x89PNG")
    b1 = [r for r in rows if int(r.address) == B1_COORDINATOR]
    assert "每日简报" in b1[0].payload["text"] and "范围：翠湖苑1座" in b1[0].payload["text"]

    # A restart: new objects over the same database file.
    restarted_db = Database(config.database_url)
    try:
        restarted = Services.create(config, restarted_db, translations, town.clock)
        await town.at(local(11, 27, 8, 1))
        assert await restarted.scheduling.digest.run() == 0
        assert await digest.run() == 0
        await town.at(local(11, 28, 8))
        assert await restarted.scheduling.digest.run() == 2  # the next morning
    finally:
        await restarted_db.close()
    assert len(await town.outbox(mark)) == 8


async def test_weekly_summary_on_monday_morning_once(town: Town) -> None:
    await seed_digest_dataset(town)
    digest = town.services.scheduling.digest
    mark = await town.mark()
    await town.at(local(11, 30, 8, 59))  # Monday
    assert await digest.run_weekly() == 0
    await town.at(local(11, 30, 9))
    assert await digest.run_weekly() == 1  # head 101 blocked the bot
    assert await digest.run_weekly() == 0
    [summary] = await town.messages(mark, HEAD)
    text = summary.payload["text"]
    # The community (and its heads) began on Thursday: the week is counted from then.
    assert "Your week, Thu 26/11 – Sun 29/11" in text
    assert "Open tickets in your buildings: 2" in text  # #2 and #4
    assert "You resolved 1 ticket this week." in text  # #1 on 26 Nov
    assert labels(summary) == ["Open #4", "Open #2"]


async def test_digest_on_demand(town: Town, client: BotClient) -> None:
    await seed_digest_dataset(town)
    await town.at(local(11, 27, 15))
    office = client.user(OFFICE, "en", "Office")
    sent = await client.send(office, "/digest")
    report = only(sent)
    assert "daily report for Thu 26/11" in report.text
    # At 15:00 #2 is 28 hours old: overdue too, since the morning.
    assert report.buttons == ["Open #4", "Open #3", "Open #2", "📊 Today so far"]
    photo = only(sent, "SendPhoto")
    assert photo.text == "📈 New and resolved tickets per day, last 14 days"

    sent = await client.send(office, "/digest 2026-11-15")
    assert "That day: 1 new · 1 taken · 1 resolved · 0 closed" in only(sent).text
    sent = await client.send(office, "/digest soon")
    assert "/digest 2026-11-25" in only(sent).text
    sent = await client.send(office, "/digest 2026-12-01")
    assert "has not happened yet" in only(sent).text

    resident = client.user(RESIDENT, "en", "Resident")
    sent = await client.send(resident, "/digest")
    assert "for coordinators and the community office" in only(sent).text

    # An admin sees every community.
    admin = client.user(ADMIN_ID, "en", "Admin")
    sent = await client.send(admin, "/digest")
    assert "塘中社区 · daily report" in only(sent).text


async def test_the_digest_and_the_scans_never_walk_the_ticket_history(town: Town) -> None:
    """Every query of the scheduler's jobs (the scans, the digest, the weekly summary) reaches
    the tickets through an index on what is open or on a date window, never through all of a
    community's tickets (or all those ever routed to someone). No ANALYZE, as in production:
    the planner chooses here what it chooses at a million tickets (status IN (…) ordered by
    date once made it walk the whole history)."""
    await seed_digest_dataset(town)
    await town.at(local(11, 30, 9))  # a Monday: the weekly summary is due too
    community = await town.community()
    statements: list[tuple[str, object]] = []

    def capture(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        if sql.lstrip().upper().startswith("SELECT") and "tickets" in sql:
            statements.append((sql, params))

    engine = town.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        written = {name: await job() for name, job in job_functions(town.services).items()}
        await town.services.scheduling.digest.gather(
            community, Scope(community.id, (town.buildings["B1"],)), date(2026, 11, 29)
        )
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert written["digest-daily"] and written["digest-weekly"] and written["sla-reminders"]
    walks = []
    async with town.db.engine.connect() as connection:
        for sql, params in statements:
            plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)  # type: ignore[arg-type]
            for line in plan.scalars(3):  # the plan's detail column
                if line.startswith("SCAN tickets") or (
                    line.startswith("SEARCH tickets") and line.endswith("(community_id=?)")
                ):
                    walks.append(f"{line}: {' '.join(sql.split())[-500:]}")
                if line.startswith("SEARCH ticket_recipients") and line.endswith("(person_id=?)"):
                    # every ticket ever routed to someone
                    walks.append(f"{line}: {' '.join(sql.split())[-500:]}")
    assert walks == []


async def test_the_chart_is_drawn_outside_the_bots_process(
    town: Town, client: BotClient, request: pytest.FixtureRequest
) -> None:
    """matplotlib, numpy and PIL would stay in the bot for its life (45–60 MB): the morning job
    and /digest have their charts drawn by a child process, and the bot never imports them."""
    heavy = ("matplotlib", "numpy", "PIL", "openpyxl")
    if [m for m in heavy if m in sys.modules] and not os.environ.get(FRESH):
        # A test of the documents ran earlier in this process and loaded them: the same test
        # in an interpreter of its own says whether the bot does.
        await _in_a_fresh_interpreter(request.node.nodeid)
        return
    assert not [m for m in heavy if m in sys.modules], "imported before the test"
    await seed_digest_dataset(town)
    mark = await town.mark()
    await town.at(local(11, 27, 8))
    assert await town.services.scheduling.digest.run() == 2
    photos = [r for r in await town.outbox(mark) if r.kind == "chart"]
    assert len(photos) == 2
    assert all(base64.b64decode(r.payload["photo_png"]).startswith(b"\x89PNG") for r in photos)
    sent = await client.send(client.user(OFFICE, "en", "Office"), "/digest")
    assert only(sent, "SendPhoto").method.photo.data.startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert [m for m in heavy if m in sys.modules] == []


FRESH = "LOUZHANG_TEST_FRESH_INTERPRETER"


async def _in_a_fresh_interpreter(node_id: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        node_id,
        env={**os.environ, FRESH: "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await child.communicate()
    assert child.returncode == 0, output.decode(errors="replace")[-3000:]


async def test_the_digest_goes_without_its_chart_when_the_child_fails(
    town: Town, client: BotClient
) -> None:
    await seed_digest_dataset(town)
    crashing = Renderer([sys.executable, "-c", "import sys; sys.exit(3)"])
    for services in (town.services, client.dp["services"]):  # the jobs', the handlers'
        services.scheduling.digest.charts = crashing
    mark = await town.mark()
    await town.at(local(11, 27, 8))
    assert await town.services.scheduling.digest.run() == 2
    rows = await town.outbox(mark)
    assert [r.kind for r in rows] == ["text", "text"]
    assert "Open now: 3" in [r for r in rows if int(r.address) == OFFICE][0].payload["text"]
    sent = await client.send(client.user(OFFICE, "en", "Office"), "/digest")
    assert [type(s.method).__name__ for s in sent] == ["SendMessage"]  # no photo
    assert "daily report for Thu 26/11" in sent[0].text


# ----------------------------------------------------------------------------- running the jobs


async def test_two_instances_over_one_database_send_each_nudge_once(
    town: Town, config: Config, translations: Translations
) -> None:
    await town.appoint(HEAD, Role.HEAD, "A1")
    await town.appoint(HEAD2, Role.HEAD, "A2")
    residents = {"A1": await town.resident(1, "A1"), "A2": await town.resident(2, "A2")}
    tickets = [await town.report(residents[code], code) for code in ("A1", "A2", "A1", "A2")]
    mark = await town.mark()
    await town.at(town.clock.now + timedelta(hours=2))

    second_db = Database(config.database_url)
    try:
        other = Services.create(config, second_db, translations, town.clock)
        written = await asyncio.gather(
            town.services.scheduling.reminders.run(), other.scheduling.reminders.run()
        )
    finally:
        await second_db.close()
    assert sum(written) == 2  # one message per head, from whichever instance won
    for ticket in tickets:
        assert (await town.ticket(ticket.id)).nudges_sent == 1
        assert (await town.events(ticket.id)).count("nudged") == 1
    assert len(await town.messages(mark, HEAD)) == len(await town.messages(mark, HEAD2)) == 1


async def test_scheduler_registers_every_job_and_survives_a_failing_one(
    services: Services,
) -> None:
    assert set(job_functions(services)) == {job_id for job_id, _ in INTERVALS}
    woken = []
    scheduler = Scheduler(services, "Asia/Shanghai", on_written=lambda: woken.append(1))

    async def broken() -> int:
        raise RuntimeError("boom")

    scheduler.jobs["sla-ladder"] = broken
    assert await scheduler.run("sla-ladder") == 0

    async def wrote() -> int:
        return 2

    scheduler.jobs["sla-closing"] = wrote
    assert await scheduler.run("sla-closing") == 2 and woken == [1]
    scheduler.start()
    try:
        assert scheduler.running
        jobs = scheduler._scheduler.get_jobs() if scheduler._scheduler else []
        assert sorted(j.id for j in jobs) == sorted(job_id for job_id, _ in INTERVALS)
        assert all(j.misfire_grace_time >= 3600 and j.coalesce for j in jobs)
    finally:
        scheduler.shutdown()
    assert not scheduler.running


def test_outbox_buttons_name_their_ticket_or_use_the_rows() -> None:
    markup = outbox_markup(
        7,
        [
            [["Take", "take"]],
            [["Open #3", "open", 3], ["Later", "snooze-hour", 0]],
            [],
        ],
    )
    assert markup is not None
    data = [[b.callback_data for b in row] for row in markup.inline_keyboard]
    assert data == [["t1:take:7:0"], ["t1:open:3:0", "s1:snooze-hour:0"]]
    with pytest.raises(ValueError):
        outbox_markup(None, [[["Dance", "dance", 1]]])
    assert outbox_markup(None, []) is None


# ----------------------------------------------------------------------------- PostgreSQL

PG_URL = os.environ.get("TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="TEST_POSTGRES_URL is not set")


@pytest.fixture
async def pg_town(
    config: Config, translations: Translations, clock: FakeClock
) -> AsyncIterator[tuple[Town, str]]:
    """A town on a fresh PostgreSQL database (the SQL of the digest and the claims differ
    there: EXTRACT(EPOCH …), row locks instead of SQLite's single writer)."""
    assert PG_URL is not None
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_sched_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        await db.migrate()
        pg_config = dataclasses.replace(config, database_url=url)
        services = Services.create(pg_config, db, translations, clock)
        yield await make_town(services, db, clock), url
    finally:
        await db.close()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@needs_postgres
async def test_digest_figures_on_postgres(pg_town: tuple[Town, str]) -> None:
    town, _ = pg_town
    data = await gather_seeded(town)
    assert_hand_computed(data)
    assert await town.services.scheduling.digest.run() == 2


@needs_postgres
async def test_two_instances_on_postgres_send_each_nudge_once(
    pg_town: tuple[Town, str], config: Config, translations: Translations
) -> None:
    town, url = pg_town
    await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    tickets = [await town.report(resident) for _ in range(4)]
    mark = await town.mark()
    await town.at(town.clock.now + timedelta(hours=2))
    second_db = Database(url)
    try:
        other = Services.create(
            dataclasses.replace(config, database_url=url), second_db, translations, town.clock
        )
        await asyncio.gather(
            town.services.scheduling.reminders.run(),
            other.scheduling.reminders.run(),
            town.services.scheduling.ladder.run(),
            other.scheduling.ladder.run(),
        )
    finally:
        await second_db.close()
    for ticket in tickets:
        assert (await town.events(ticket.id)).count("nudged") == 1
    # Row locks let the two instances split the tickets, so the head may get two messages,
    # but every ticket's reminder was claimed exactly once.
    assert 1 <= len(await town.messages(mark, HEAD)) <= 2


async def test_the_delivery_worker_sends_what_the_scheduler_wrote(
    town: Town, client: BotClient
) -> None:
    """Through the real worker, with its keyboards built by handlers.scheduling.outbox_markup
    (the one-line change of bot/delivery.py this needs): the reminder keeps its snooze
    buttons, the digest's chart arrives as a photo."""
    await town.appoint(HEAD, Role.HEAD, "A1")
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    await town.at(local(11, 26, 10))
    await town.report(await town.resident())
    await town.at(local(11, 27, 8))
    assert await town.services.scheduling.reminders.run() == 1
    assert await town.services.scheduling.digest.run() == 1
    worker = TelegramDelivery(
        client.bot,
        town.db,
        town.clock,
        cards=town.services.ticket_cards,
        availability=town.services.availability,
    )
    before = len(client.session.requests)
    while await worker.run_once():
        pass
    sent = [Sent(m) for m in client.session.requests[before:]]
    to_head = [s for s in sent if getattr(s.method, "chat_id", None) == HEAD]
    nudge = next(s for s in to_head if "waiting for someone" in s.text)
    assert nudge.buttons == ["Open #1", "⏰ In 1 hour", "🌅 Tomorrow 9:00"]
    to_office = [s for s in sent if getattr(s.method, "chat_id", None) == OFFICE]
    report = next(s for s in to_office if "daily report" in s.text)
    assert report.buttons == []  # nothing overdue yet
    photo = only(to_office, "SendPhoto")
    assert isinstance(photo.method.photo, BufferedInputFile)  # type: ignore[attr-defined]
    assert photo.method.photo.data.startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert all(row.status.value == "sent" for row in await town.outbox())
