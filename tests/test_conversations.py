"""Answering without Telegram's Reply: after the head's question the resident simply types the
answer, and it reaches the head (issue "Trust" §7). One conversation in progress: relayed at
once, with a one-tap "No, this is a new problem" that takes it back honestly; several: the
person picks the ticket first. The same for a head whose resident wrote last."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram.types import PhotoSize, User, Voice
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.ticket_core import Content, Draft
from storage.db import Database
from storage.models import Role, Ticket, TicketEvent, telegram_address
from tests.botclient import BotClient, Sent, asked, only, texts
from tests.conftest import FakeClock
from tests.factories import World, make_world

HEAD, RESIDENT, NEIGHBOUR = 100, 1, 2


@dataclass
class Building:
    world: World
    head: User
    resident: User

    @property
    def client(self) -> BotClient:
        return self.world.client

    async def report(
        self, who: User | None = None, text: str = "The stair light is broken"
    ) -> Ticket:
        person = await self.world.person(who or self.resident)
        [building] = await self.world.services.reporting.resident_buildings(person)
        draft = Draft(building.building_id, "repairs", text)
        return (await self.world.services.reporting.report(person, draft)).ticket

    async def head_asks(self, ticket: Ticket, text: str = "Which floor is it?") -> None:
        head = await self.world.person(self.head)
        await self.world.services.ticket_actions.reply(head, ticket.id, Content(text=text))

    async def resident_writes(self, ticket: Ticket, text: str) -> None:
        resident = await self.world.person(self.resident)
        await self.world.services.ticket_actions.message(resident, ticket.id, Content(text=text))

    async def deliver(self) -> list[Sent]:
        before = len(self.client.session.requests)
        await self.world.deliver()
        return [Sent(m) for m in self.client.session.requests[before:]]


@pytest.fixture
async def building(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> Building:
    world = await make_world(client, services, db, clock)
    head = await world.appoint(client.user(HEAD, "en", "Wang"), Role.HEAD, "A1")
    resident = await world.join(client.user(RESIDENT, "en", "Auntie"), "A1")
    return Building(world, head, resident)


def to(sent: list[Sent], chat_id: int) -> list[Sent]:
    return [s for s in sent if getattr(s.method, "chat_id", None) == chat_id]


async def tickets(db: Database) -> list[Ticket]:
    async with db.session() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def events(db: Database, ticket_id: int) -> list[tuple[str, dict[str, Any]]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [(e.kind, e.data) for e in rows]


def photo(file_id: str) -> list[PhotoSize]:
    return [PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)]


# --------------------------------------------------------------------------- one conversation


async def test_a_typed_answer_to_the_heads_question_reaches_the_head(building: Building) -> None:
    ticket = await building.report()
    await building.head_asks(ticket)
    await building.deliver()

    sent = await building.client.send(building.resident, "The third floor, by the lift")
    answer = only(sent)
    assert answer.text == "✅ Sent to your building head (ticket #1)."
    assert answer.buttons == ["📝 No, this is a new problem"]
    to_head = to(await building.deliver(), HEAD)
    assert [s.text for s in to_head] == [
        "💬 Resident, ticket #1 (reply to this message to answer):\nThe third floor, by the lift"
    ]
    assert len(await tickets(building.world.db)) == 1  # no duplicate report
    messages = [d for kind, d in await events(building.world.db, ticket.id) if kind == "message"]
    assert [m["direction"] for m in messages] == ["to-resident", "to-staff"]

    # A second plain message goes there too: the conversation goes on.
    assert (
        "Sent to your building head"
        in only(await building.client.send(building.resident, "Thanks")).text
    )


async def test_no_this_is_a_new_problem_takes_it_back_and_starts_the_report(
    building: Building,
) -> None:
    client = building.client
    ticket = await building.report()
    await building.head_asks(ticket)
    await building.deliver()
    answer = only(await client.send(building.resident, "The bike shed door is broken"))
    await building.deliver()

    sent = await client.click(building.resident, answer, "📝 No, this is a new problem")
    edited = only(sent, "EditMessageText")
    assert edited.text.startswith("↩️ Taken back") and edited.buttons == []
    assert "What kind of problem" in only(sent).text  # the report begins at once
    # The head already has the message: they are told to ignore it, and History keeps both.
    notice = only(to(await building.deliver(), HEAD))
    assert notice.text == (
        "↩️ Ticket #1: the resident says their last message was not about this ticket. "
        "Please ignore it."
    )
    kinds = [kind for kind, _ in await events(building.world.db, ticket.id)]
    assert kinds[-2:] == ["message", "retracted"]

    # The report has the message as its description.
    sent = await client.click(building.resident, only(sent), "🔧 Repairs")
    assert "Where is it?" in texts(sent)[-1]
    privacy = only(await client.send(building.resident, "Skip"))
    summary = asked(await client.click(building.resident, privacy, "Continue ›"))
    await client.click(building.resident, summary, "✅ Send")
    new = (await tickets(building.world.db))[-1]
    assert (new.number, new.description) == (2, "The bike shed door is broken")

    # The button is spent: a second press takes nothing back twice.
    again = await client.click(building.resident, answer, "📝 No, this is a new problem")
    assert "taken back already" in only(again, "AnswerCallbackQuery").text
    assert [k for k, _ in await events(building.world.db, ticket.id)].count("retracted") == 1
    assert not any("ignore" in s.text for s in await building.deliver())


async def test_taken_back_before_it_went_it_does_not_go_and_nobody_is_asked_to_ignore_it(
    building: Building,
) -> None:
    """The message still waits in the outbox (delivery behind a burst) when the resident takes
    it back: the head receives neither it nor a "please ignore it"; History keeps both."""
    client = building.client
    ticket = await building.report()
    await building.head_asks(ticket)
    await building.deliver()
    answer = only(await client.send(building.resident, "The bike shed door is broken"))
    sent = await client.click(building.resident, answer, "📝 No, this is a new problem")
    assert only(sent, "EditMessageText").text == (
        "↩️ Taken back: that message on ticket #1 had not reached your building head yet, "
        "and will not."
    )
    assert to(await building.deliver(), HEAD) == []
    kinds = [kind for kind, _ in await events(building.world.db, ticket.id)]
    assert kinds[-2:] == ["message", "retracted"]


async def test_an_album_goes_to_the_conversation_with_one_answer(building: Building) -> None:
    client = building.client
    ticket = await building.report()
    await building.head_asks(ticket, "Can you send a photo?")
    await building.deliver()
    first = await client.send(
        building.resident, None, photo=photo("p1"), media_group_id="album", caption="Here"
    )
    rest = [
        await client.send(building.resident, None, photo=photo(f"p{n}"), media_group_id="album")
        for n in (2, 3)
    ]
    assert "Sent to your building head" in only(first).text and rest == [[], []]
    photos = [
        s for s in to(await building.deliver(), HEAD) if type(s.method).__name__ == "SendPhoto"
    ]
    assert [s.method.photo for s in photos] == ["p1", "p2", "p3"]  # type: ignore[attr-defined]

    # Taking it back takes back the whole album, and the report gets all three photos.
    sent = await client.click(building.resident, only(first), "📝 No, this is a new problem")
    notice = only(to(await building.deliver(), HEAD))
    assert "their last 3 messages were not about this ticket" in notice.text
    sent = await client.click(building.resident, only(sent), "🔧 Repairs")
    privacy = only(await client.send(building.resident, "Skip"))
    summary = asked(await client.click(building.resident, privacy, "Continue ›"))
    assert "Photos: 3" in summary.text and "Description:\nHere" in summary.text


async def test_a_head_who_types_after_the_resident_wrote_answers_them(
    building: Building,
) -> None:
    client = building.client
    ticket = await building.report()
    await building.resident_writes(ticket, "Is anyone coming?")
    await building.deliver()

    answer = only(await client.send(building.head, "Yes, at five"))
    assert answer.text == "✅ Sent to the resident (ticket #1)."
    assert answer.buttons == ["↩️ Not for #1: take it back"]
    relayed = only(to(await building.deliver(), RESIDENT))
    assert relayed.text.endswith("Yes, at five")

    # Not a resident anywhere: taking it back just takes it back.
    sent = await client.click(building.head, answer, "↩️ Not for #1: take it back")
    assert only(sent, "EditMessageText").text.startswith("↩️ Taken back: the resident")
    assert "SendMessage" not in [type(s.method).__name__ for s in sent]
    notice = only(to(await building.deliver(), RESIDENT))
    assert "the building head says their last message was not meant for this ticket" in notice.text


async def test_a_conversation_ends_after_three_quiet_days(
    building: Building, clock: FakeClock
) -> None:
    ticket = await building.report()
    await building.head_asks(ticket)
    await building.deliver()
    clock.advance(days=3, seconds=1)
    offer = only(await building.client.send(building.resident, "The lift is broken too"))
    assert "report this as a problem" in offer.text
    # And the head, with no resident waiting for them, gets the way to their tickets.
    assert "/tickets" in only(await building.client.send(building.head, "hello")).text


async def test_own_messages_and_closed_tickets_are_no_conversation(building: Building) -> None:
    ticket = await building.report()
    await building.resident_writes(ticket, "Hello?")  # the resident wrote, nobody answered
    offer = only(await building.client.send(building.resident, "Another thing"))
    assert "report this as a problem" in offer.text
    await building.client.send(building.resident, "/cancel")

    await building.head_asks(ticket)
    resident = await building.world.person(building.resident)
    await building.world.services.ticket_actions.withdraw(resident, ticket.id)
    offer = only(await building.client.send(building.resident, "And another"))
    assert "report this as a problem" in offer.text


# --------------------------------------------------------------------------- several


async def test_with_several_conversations_the_resident_picks_the_ticket(
    building: Building,
) -> None:
    client = building.client
    first = await building.report(text="Lift")
    second = await building.report(text="Light")
    for ticket in (first, second):
        await building.head_asks(ticket)
    await building.deliver()

    picker = only(await client.send(building.resident, "It is fine now"))
    assert picker.text.startswith("Which ticket is this message about?")
    assert picker.buttons == [
        "#2 🔧 Repairs · 塘中新村1栋",
        "#1 🔧 Repairs · 塘中新村1栋",
        "📝 A new problem",
    ]
    assert await building.deliver() == []  # nothing is sent before the choice
    voice = Voice(file_id="v1", file_unique_id="v1", duration=2)
    again = only(await client.send(building.resident, None, voice=voice))
    assert again.text.startswith("Which ticket are these 2 messages about?")

    sent = await client.click(building.resident, again, "#1 🔧 Repairs · 塘中新村1栋")
    assert only(sent, "EditMessageText").text == "✅ Sent to your building head (ticket #1)."
    to_head = to(await building.deliver(), HEAD)
    assert [type(s.method).__name__ for s in to_head] == ["SendMessage", "SendVoice"]
    assert "ticket #1" in to_head[0].text and to_head[0].text.endswith("It is fine now")
    assert [k for k, _ in await events(building.world.db, second.id)].count("message") == 1

    # The older picker's buttons are spent.
    stale = await client.click(building.resident, picker, "#2 🔧 Repairs · 塘中新村1栋")
    assert "no longer valid" in only(stale, "AnswerCallbackQuery").text
    assert await building.deliver() == []


async def test_messages_waiting_for_the_choice_hold_no_more_than_one_report(
    building: Building,
) -> None:
    """Long messages before the choice: the one that would make more than a report can hold
    is not kept (and the resident is told); "A new problem" then files what was kept, rather
    than being refused as too long at its very end."""
    client = building.client
    for ticket in (await building.report(text="Lift"), await building.report(text="Light")):
        await building.head_asks(ticket)
    await building.deliver()
    picker = only(await client.send(building.resident, "水" * 4000))
    for n in (2, 3):
        again = only(await client.send(building.resident, "水" * 4000))
        assert again.text.startswith(f"Which ticket are these {n} messages about?")
    full = only(await client.send(building.resident, "水" * 4000))
    assert full.text.startswith("That is as much as one report can hold")
    sent = await client.click(building.resident, picker, "📝 A new problem")
    sent = await client.click(building.resident, only(sent, "SendMessage"), "🔧 Repairs")
    privacy = only(await client.send(building.resident, "Skip"))
    summary = asked(await client.click(building.resident, privacy, "Continue ›"))
    filed = only(await client.click(building.resident, summary, "✅ Send"))
    assert "#3" in filed.text
    new = (await tickets(building.world.db))[-1]
    assert new.description == "\n".join(["水" * 4000] * 3)


async def test_the_picker_pages_and_a_new_problem_becomes_a_report(building: Building) -> None:
    client = building.client
    for n in range(7):
        await building.head_asks(await building.report(text=f"Problem {n + 1}"))
    await building.deliver()
    picker = only(await client.send(building.resident, "The gate squeaks"))
    assert picker.buttons[:5] == [f"#{n} 🔧 Repairs · 塘中新村1栋" for n in (7, 6, 5, 4, 3)]
    assert picker.buttons[5:] == ["›", "📝 A new problem"]
    page2 = only(await client.click(building.resident, picker, "›"), "EditMessageText")
    assert page2.buttons == [
        "#2 🔧 Repairs · 塘中新村1栋",
        "#1 🔧 Repairs · 塘中新村1栋",
        "‹",
        "📝 A new problem",
    ]
    sent = await client.click(building.resident, page2, "📝 A new problem")
    assert "What kind of problem" in only(sent, "SendMessage").text
    sent = await client.click(building.resident, only(sent, "SendMessage"), "🔧 Repairs")
    privacy = only(await client.send(building.resident, "Skip"))
    summary = asked(await client.click(building.resident, privacy, "Continue ›"))
    assert "The gate squeaks" in summary.text
    assert await building.deliver() == []  # nothing went to any of the seven


async def test_forged_and_foreign_buttons_change_nothing(building: Building) -> None:
    client = building.client
    neighbour = await building.world.join(client.user(NEIGHBOUR, "en"), "A1")
    ticket = await building.report()
    await building.head_asks(ticket)
    await building.deliver()
    answer = only(await client.send(building.resident, "Second floor"))
    await building.deliver()
    # The neighbour presses the resident's button (its data), or one with a made-up id.
    for data in (answer.button_data("📝 No, this is a new problem"), "cv1:r:99999"):
        sent = await client.press(neighbour, answer, data)
        assert "not allowed" in only(sent, "AnswerCallbackQuery").text
    # A pick without a picker is out of date.
    stale = await client.press(neighbour, answer, "cv1:p:1")
    assert "no longer valid" in only(stale, "AnswerCallbackQuery").text
    assert [k for k, _ in await events(building.world.db, ticket.id)].count("retracted") == 0
    assert await building.deliver() == []

    # With a picker open, a pick naming someone else's ticket is refused and the message
    # keeps waiting for a real choice.
    theirs = await building.report(neighbour, "Neighbour's own")
    await building.head_asks(await building.report(text="Another of mine"))
    await building.deliver()
    picker = only(await client.send(building.resident, "Which one?"))
    refused = await client.press(building.resident, picker, f"cv1:p:{theirs.id}")
    assert "not allowed" in only(refused, "AnswerCallbackQuery").text
    assert await building.deliver() == []
    sent = await client.click(building.resident, picker, picker.buttons[0])
    assert "Sent to your building head" in only(sent, "EditMessageText").text
    assert any(s.text.endswith("Which one?") for s in to(await building.deliver(), HEAD))


async def test_out_of_range_ids_are_stale_not_errors(building: Building) -> None:
    client = building.client
    answer_to = only(await client.send(building.resident, "/help"))
    for data in ("cv1:r:99999999999999999999", "cv1:p:-1", "cv1:g:2147483648"):
        sent = await client.press(building.resident, answer_to, data)
        assert "no longer valid" in only(sent, "AnswerCallbackQuery").text

    # The same while a picker waits for the choice; the message keeps waiting.
    await building.head_asks(await building.report())
    await building.head_asks(await building.report(text="Another of mine"))
    await building.deliver()
    picker = only(await client.send(building.resident, "Which one?"))
    for data in (f"cv1:p:{2**64}", f"cv1:g:{2**63}", f"cv1:r:{2**31}"):
        sent = await client.press(building.resident, picker, data)
        assert "no longer valid" in only(sent, "AnswerCallbackQuery").text
    assert await building.deliver() == []
    sent = await client.click(building.resident, picker, picker.buttons[0])
    assert "Sent to your building head" in only(sent, "EditMessageText").text


# --------------------------------------------------------------------------- PostgreSQL

PG_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)")
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_conversations_and_the_picker_search_on_postgres(pg_url: str) -> None:
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        services = Services.create(config, db, Translations(), FakeClock())
        await services.community.import_buildings(
            [
                BuildingRow("社区", "A-01", "新村1栋", ""),
                BuildingRow("社区", "A-11", "新村11栋", ""),
            ]
        )
        page, total = await services.onboarding.find_buildings(None, "ａ01", 0)
        [found] = page.items
        assert (found.building.code, total) == ("A-01", 1)
        head = await services.onboarding.touch(telegram_address(100), "Head", "en")
        resident = await services.onboarding.touch(telegram_address(1), "Resident", "en")
        invite = await services.community.invite(Role.HEAD, "A-01")
        await services.onboarding.open_payload(head, invite.payload)
        await services.onboarding.join_building(resident, found.building.id)
        ticket = (
            await services.reporting.report(resident, Draft(found.building.id, "repairs", "x"))
        ).ticket
        assert await services.conversations.in_progress(resident) == []
        await services.ticket_actions.reply(head, ticket.id, Content(text="Which floor?"))
        [conversation] = await services.conversations.in_progress(resident)
        assert (conversation.ticket.id, conversation.staff) == (ticket.id, False)
        relayed = await services.conversations.send(resident, ticket.id, Content(text="3rd"))
        [staff_side] = await services.conversations.in_progress(head)
        assert staff_side.staff
        await services.conversations.retract(resident, relayed.event_id)
        assert await services.conversations.in_progress(head) == []
    finally:
        await db.close()
