"""The resident's report, driven as a resident would, and where it is routed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiogram.types import Contact, Location, PhotoSize, Sticker, Voice
from sqlalchemy import func, select

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from storage.models import (
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketRecipient,
    TicketStatus,
    telegram_address,
)
from tests.botclient import BotClient, Sent, asked, only, texts
from tests.conftest import FakeClock
from tests.factories import World, by_telegram, make_world, telegram_id_of


@pytest.fixture
async def world(client: BotClient, services: Services, db: Database, clock: FakeClock) -> World:
    return await make_world(client, services, db, clock)


def photo(file_id: str) -> list[PhotoSize]:
    return [
        PhotoSize(file_id=f"{file_id}-small", file_unique_id=f"{file_id}s", width=90, height=90),
        PhotoSize(file_id=file_id, file_unique_id=f"{file_id}l", width=1280, height=960),
    ]


async def tickets(db: Database) -> list[Ticket]:
    async with db.session() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def outbox_for(db: Database, chat_id: int) -> list[OutboxMessage]:
    async with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.address == str(chat_id))
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def choose(world: World, user: Any, sent: list[Sent], button: str) -> list[Sent]:
    """Press the button with this label on the last message that has it."""
    for item in reversed(sent):
        if button in item.buttons:
            return await world.client.click(user, item, button)
    raise AssertionError(f"no {button!r} in {[s.buttons for s in sent]}")


async def test_report_with_an_album_and_a_location_reaches_the_head(world: World) -> None:
    client = world.client
    head = await world.appoint(client.user(100, "en", "Head"), Role.HEAD, "A1")
    resident = await world.join(client.user(1, "en", "Zhang"), "A1", "3-502")

    sent = await client.send(resident, "/report")
    assert "What kind of problem" in only(sent).text
    sent = await choose(world, resident, sent, "🛗 Elevator")
    assert "describe the problem" in texts(sent)[-1]

    # An album: two updates with one media_group_id, acknowledged once.
    first = await client.send(
        resident,
        None,
        photo=photo("p1"),
        media_group_id="g1",
        caption="The lift stops between floors 3 and 4",
    )
    second = await client.send(resident, None, photo=photo("p2"), media_group_id="g1")
    assert "Photo received" in only(first).text and second == []
    sent = await client.click(resident, only(first), "Continue ›")
    assert "Where is it?" in texts(sent)[-1]
    sent = await client.send(resident, None, location=Location(latitude=23.1, longitude=113.0))
    assert "Location added" in texts(sent)[0]
    sent = await choose(world, resident, sent, "Continue ›")
    summary = asked(sent)
    assert "Photos: 2" in summary.text and "Location: yes" in summary.text
    sent = await client.click(resident, summary, "✅ Send")
    assert "#1" in texts(sent)[-1] and "building head of 塘中新村1栋" in texts(sent)[-1]

    [ticket] = await tickets(world.db)
    assert (ticket.number, ticket.status, ticket.category) == (1, TicketStatus.NEW, "elevator")
    assert ticket.description == "The lift stops between floors 3 and 4"
    assert [m["file_id"] for m in ticket.media] == ["p1", "p2"]
    assert (ticket.latitude, ticket.longitude, ticket.flat) == (23.1, 113.0, "3-502")
    head_person = await world.person(head)
    assert ticket.owner_id == head_person.id

    # The card, both photos and the pin go to the head, in that order, through the outbox.
    assert [r.kind for r in await outbox_for(world.db, 100)][-4:] == [
        "card",
        "media",
        "media",
        "location",
    ]
    before = len(client.session.requests)
    await world.deliver()
    delivered = [Sent(m) for m in client.session.requests[before:]]
    card = next(s for s in delivered if "#1" in s.text and s.buttons)
    assert "Zhang 1" in card.text and "flat 3-502" in card.text
    assert card.buttons[:3] == ["✋ Take", "💬 Reply", "📜 History"] or "✋ Take" in card.buttons
    assert [type(s.method).__name__ for s in delivered].count("SendPhoto") == 2
    assert all(r.status is OutboxStatus.SENT for r in await outbox_for(world.db, 100))


async def test_same_problem_is_followed_instead_of_duplicated(world: World) -> None:
    client = world.client
    await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    first = await world.join(client.user(1, "en"), "A1")
    neighbour = await world.join(client.user(2, "en"), "A1")
    sent = await client.send(first, "/report")
    sent = await choose(world, first, sent, "🧹 Sanitation")
    await client.send(first, "Rubbish piling up by the gate")
    sent = await choose(world, first, await client.send(first, "Skip"), "Continue ›")
    await client.click(first, asked(sent), "✅ Send")

    sent = await client.send(neighbour, "/report")
    sent = await choose(world, neighbour, sent, "🧹 Sanitation")
    offer = asked(sent)
    # What, where, when and how it stands; never the neighbour's own words.
    assert "Ticket #1 · 🧹 Sanitation · 塘中新村1栋" in offer.text
    assert "Status: new, waiting for the head" in offer.text and "just now" in offer.text
    assert "Rubbish" not in offer.text
    sent = await client.click(neighbour, offer, "🙋 Same problem: follow #1")
    assert "You now follow ticket #1" in texts(sent)[-1]
    assert len(await tickets(world.db)) == 1
    async with world.db.session() as session:
        followers = (await session.scalars(select(TicketFollower))).all()
    assert [f.person_id for f in followers] == [(await world.person(neighbour)).id]


async def test_a_restart_in_the_middle_keeps_the_draft(
    world: World, config: Config, translations: Translations, clock: FakeClock
) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A2")
    sent = await client.send(resident, "/report")
    await choose(world, resident, sent, "🔧 Repairs")
    await client.send(resident, "The corridor light is broken")

    # A new process: a new Database object and a new dispatcher over the same file.
    db2 = Database(config.database_url)
    try:
        client.dp = create_dispatcher(config, db2, translations=translations, clock=clock)
        sent = await client.send(resident, "Skip")
        sent = await choose(world, resident, sent, "Continue ›")
        assert "The corridor light is broken" in asked(sent).text
        await client.click(resident, asked(sent), "✅ Send")
    finally:
        await db2.close()
    [ticket] = await tickets(world.db)
    assert ticket.description == "The corridor light is broken"


async def test_a_press_of_send_whose_answer_was_lost_tells_the_number_again(world: World) -> None:
    """Telegram did not take the "your ticket number is" answer (an instance killed before it
    left does the same): the draft is still there, and the press again (Telegram's redelivery,
    or the resident's) answers with the ticket already filed, not a second one."""
    client = world.client
    resident = await world.join(client.user(1, "en"), "A2")
    sent = await choose(world, resident, await client.send(resident, "/report"), "🔧 Repairs")
    await client.send(resident, "The corridor light is broken")
    summary = asked(
        await choose(world, resident, await client.send(resident, "Skip"), "Continue ›")
    )
    client.session.fail("SendMessage", 502, "Bad Gateway")
    sent = await client.click(resident, summary, "✅ Send")
    assert "something went wrong on our side" in texts(sent)[-1]  # the errors router's answer
    sent = await client.click(resident, summary, "✅ Send")
    assert "Your ticket number is #1." in texts(sent)[-1]
    [ticket] = await tickets(world.db)
    assert ticket.description == "The corridor light is broken"


async def test_wrong_content_and_huge_text_mid_flow_change_nothing(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    sent = await client.send(resident, "/report")
    await choose(world, resident, sent, "🔧 Repairs")
    sticker = Sticker(
        file_id="s",
        file_unique_id="s",
        type="regular",
        width=1,
        height=1,
        is_animated=False,
        is_video=False,
    )
    assert (
        "send text, photos or a voice note"
        in only(await client.send(resident, None, sticker=sticker)).text
    )
    assert "too long" in only(await client.send(resident, "x" * 10_000)).text
    # Still describing: a voice note is taken.
    sent = await client.send(
        resident, None, voice=Voice(file_id="v1", file_unique_id="v1", duration=3)
    )
    assert "Where is it?" in texts(sent)[-1]
    assert await tickets(world.db) == []


async def test_a_free_message_is_offered_as_a_report(world: World) -> None:
    client = world.client
    await world.appoint(client.user(100, "zh-hans"), Role.HEAD, "A1")
    resident = await world.join(client.user(1, "zh-hans"), "A1")
    offer = only(await client.send(resident, "楼道灯坏了，晚上很黑"))
    assert "反映给楼长" in offer.text
    sent = await client.click(resident, offer, "📝 是的，反映")
    sent = await choose(world, resident, sent, "🔧 维修")
    assert "问题在哪里" in texts(sent)[-1]  # the description is already known
    sent = await client.send(resident, "跳过")
    sent = await choose(world, resident, sent, "继续 ›")
    sent = await client.click(resident, asked(sent), "✅ 提交")
    assert "#1" in texts(sent)[-1]
    [ticket] = await tickets(world.db)
    assert ticket.description == "楼道灯坏了，晚上很黑"


async def test_someone_who_has_not_joined_is_told_how(world: World) -> None:
    stranger = world.client.user(5, "en")
    assert "First join your building" in only(await world.client.send(stranger, "/report")).text
    assert "First join your building" in only(await world.client.send(stranger, "help me")).text


async def quick_report(world: World, user: Any, category: str, text: str = "broken") -> str:
    sent = await world.client.send(user, "/report")
    sent = await choose(world, user, sent, category)
    if any("Same problem" in b for s in sent for b in s.buttons):
        sent = await choose(world, user, sent, "📝 No, a new problem")
    sent = await world.client.send(user, text)
    sent = await world.client.send(user, "Skip")
    sent = await choose(world, user, sent, "Continue ›")
    return texts(await world.client.click(user, asked(sent), "✅ Send"))[-1]


async def test_daily_limit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    reporting = world.client.dp["services"].reporting
    monkeypatch.setattr(
        reporting,
        "config",
        Config(**{**_fields(reporting.config), "max_tickets_per_day": 2}),
    )
    resident = await world.join(world.client.user(1, "en"), "A1")
    for category in ("🔧 Repairs", "🧹 Sanitation"):
        assert "#" in await quick_report(world, resident, category)
    sent = await world.client.send(resident, "/report")
    sent = await choose(world, resident, sent, "🛗 Elevator")
    await world.client.send(resident, "again")
    sent = await world.client.send(resident, "Skip")
    sent = await choose(world, resident, sent, "Continue ›")
    refusal = await world.client.click(resident, asked(sent), "✅ Send")
    assert "today's limit of 2" in refusal[0].method.text  # type: ignore[attr-defined]
    assert len(await tickets(world.db)) == 2
    world.clock.advance(days=1, seconds=1)
    assert "#3" in await quick_report(world, resident, "🛗 Elevator")


def _fields(config: Config) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


async def routed(db: Database, ticket_number: int) -> dict[str, Any]:
    async with db.session() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == ticket_number))
        assert ticket is not None
        event = await session.scalar(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "routed"
            )
        )
        assert event is not None
        recipients = (
            await session.scalars(
                select(TicketRecipient)
                .where(TicketRecipient.ticket_id == ticket.id)
                .order_by(TicketRecipient.id)
            )
        ).all()
        owner = await session.get(Person, ticket.owner_id) if ticket.owner_id else None
    return {
        "to": [(r.person_id, r.reason) for r in recipients],
        "owner": telegram_id_of(owner) if owner else None,
        "skipped": [tuple(s) for s in event.data["skipped"]],
    }


async def test_routing_falls_back_and_is_recorded(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    office = await world.appoint(client.user(200, "en"), Role.COORDINATOR, "塘中社区")
    office_id = (await world.person(office)).id

    # No head: the community's coordinator.
    await quick_report(world, resident, "🔧 Repairs")
    assert await routed(world.db, 1) == {
        "to": [(office_id, "coordinator")],
        "owner": 200,
        "skipped": [],
    }

    # A head and a deputy: both get it, the head owns it.
    head = await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    deputy = await world.appoint(client.user(101, "en"), Role.DEPUTY, "A1")
    head_id, deputy_id = (await world.person(head)).id, (await world.person(deputy)).id
    await quick_report(world, resident, "🧹 Sanitation")
    assert (await routed(world.db, 2))["to"] == [(head_id, "head"), (deputy_id, "deputy")]

    # The head is away: the deputy covers.
    await world.services.availability.set_away(
        await world.person(head), world.clock() + timedelta(days=3)
    )
    await quick_report(world, resident, "🛗 Elevator")
    assert await routed(world.db, 3) == {
        "to": [(deputy_id, "deputy")],
        "owner": 101,
        "skipped": [(head_id, "away")],
    }

    # Both unreachable (blocked the bot): back to the coordinator.
    await world.services.availability.back(await world.person(head))
    for telegram_id in (100, 101):
        await world.services.onboarding.mark_unreachable(telegram_address(telegram_id))
    await quick_report(world, resident, "🏘 Neighbours")
    result = await routed(world.db, 4)
    assert result["to"] == [(office_id, "coordinator")]
    assert sorted(result["skipped"]) == [(head_id, "unreachable"), (deputy_id, "unreachable")]


async def test_safety_also_goes_to_the_coordinators(world: World) -> None:
    client = world.client
    head = await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    office = await world.appoint(client.user(200, "en"), Role.COORDINATOR, "塘中社区")
    resident = await world.join(client.user(1, "en"), "A1")
    await quick_report(world, resident, "⚠️ Safety hazard", "Gas smell on floor 2")
    result = await routed(world.db, 1)
    assert result["to"] == [
        ((await world.person(head)).id, "head"),
        ((await world.person(office)).id, "category"),
    ]
    [ticket] = await tickets(world.db)
    assert ticket.urgent


async def test_phone_is_shared_only_from_the_residents_own_contact(world: World) -> None:
    client = world.client
    await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    resident = await world.join(client.user(1, "en"), "A1")
    sent = await client.send(resident, "/report")
    sent = await choose(world, resident, sent, "🔧 Repairs")
    await client.send(resident, "Door lock broken")
    sent = await client.send(resident, "Skip")
    privacy = sent[-1]
    sent = await client.click(resident, privacy, "Show my phone to the head: ❌")
    assert "share your phone number" in only(sent).text
    someone_else = Contact(phone_number="+8613800000000", first_name="X", user_id=999)
    assert (
        "your own phone number"
        in only(await client.send(resident, None, contact=someone_else)).text
    )
    own = Contact(phone_number="+86 138 0000 1111", first_name="Me", user_id=1)
    sent = await client.send(resident, None, contact=own)
    assert "Show my phone to the head: ✅" in sent[-1].buttons
    sent = await client.click(resident, sent[-1], "Continue ›")
    await client.click(resident, asked(sent), "✅ Send")
    [ticket] = await tickets(world.db)
    assert ticket.show_phone and ticket.show_name
    async with world.db.session() as session:
        phone = await session.scalar(by_telegram(1).with_only_columns(Person.phone))
        assert phone == "+8613800001111"
        assert await session.scalar(select(func.count()).select_from(TicketRecipient)) == 1


async def test_stale_report_buttons_change_nothing(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    sent = await client.send(resident, "/report")
    categories = only(sent)
    await client.click(resident, categories, "🔧 Repairs")
    await client.send(resident, "/cancel")
    sent = await client.click(resident, categories, "🛗 Elevator")
    assert "no longer valid" in sent[0].method.text  # type: ignore[attr-defined]
    assert await tickets(world.db) == []


# --------------------------------------------------------------------------- one message a step


def changes(sent: list[Sent], chat_id: int) -> list[str]:
    """The calls that add or change a message in that chat (what Telegram's one message a
    second per chat counts), in order."""
    return [
        type(s.method).__name__
        for s in sent
        if getattr(s.method, "chat_id", None) == chat_id
        and type(s.method).__name__.startswith(("Send", "Edit", "Copy", "Forward"))
        and type(s.method).__name__ != "SendChatAction"
    ]


async def test_each_press_of_a_report_question_changes_one_message_in_the_chat(
    world: World,
) -> None:
    """A press of a question's button answered with the old keyboard edited away, then the
    next question: two messages in the resident's chat for each step, where Telegram lets a
    bot send about one a second. Now the next question takes the pressed one's place, with the
    answer on top; only a keyboard under the text field (the location step) needs a message
    of its own. A question that can no longer be edited is asked anew."""
    client = world.client
    await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    resident = client.user(1, "en")
    await world.join(resident, "A1")
    await world.join(resident, "A2")

    picker = only(await client.send(resident, "/report"))
    assert picker.text == "Which building is it about?"
    a2 = next(label for label in picker.buttons if label.startswith("塘中新村2栋"))
    sent = await client.click(resident, picker, a2)
    assert changes(sent, 1) == ["EditMessageText"]
    categories = only(sent, "EditMessageText")
    assert categories.text == "Building: 塘中新村2栋\n\nWhat kind of problem is it?"
    assert "🔧 Repairs" in categories.buttons

    sent = await client.click(resident, categories, "🔧 Repairs")
    assert changes(sent, 1) == ["EditMessageText"]
    describe = only(sent, "EditMessageText")
    assert describe.text.startswith("Problem: 🔧 Repairs\n\nPlease describe the problem")
    # The same message all along: the edits go where the first question was.
    assert describe.method.message_id == categories.method.message_id  # type: ignore[attr-defined]

    added = only(await client.send(resident, None, photo=photo("p1"), caption="Tap drips"))
    sent = await client.click(resident, added, "Continue ›")
    # A keyboard under the text field cannot come with an edit: the one step of two.
    assert changes(sent, 1) == ["EditMessageReplyMarkup", "SendMessage"]
    privacy = only(await client.send(resident, "Skip"))
    sent = await client.click(resident, privacy, "Continue ›")
    assert changes(sent, 1) == ["EditMessageText"]
    summary = only(sent, "EditMessageText")
    assert "Please check your report:" in summary.text and "Photos: 1" in summary.text

    # Edit → Category: the summary gives way to the question, then comes back in its place.
    parts = only(await client.click(resident, summary, "✏️ Edit"), "EditMessageReplyMarkup")
    sent = await client.click(resident, parts, "Category")
    assert changes(sent, 1) == ["EditMessageText"]
    sent = await client.click(resident, only(sent, "EditMessageText"), "🛗 Elevator")
    assert changes(sent, 1) == ["EditMessageText"]
    summary = only(sent, "EditMessageText")
    assert summary.text.startswith("Please check your report:")
    assert "Category: Elevator" in summary.text
    sent = await client.click(resident, summary, "✅ Send")
    assert "Your ticket number is #1." in texts(sent)[-1]

    # "Report this?" Yes, on a message Telegram no longer lets the bot edit (deleted, or
    # too old): the buildings come as a new message, and the report goes on from there.
    offer = only(await client.send(resident, "The lift light is out"))
    client.session.fail("EditMessageText", 400, "Bad Request: message to edit not found")
    sent = await client.click(resident, offer, "📝 Yes, report it")
    assert changes(sent, 1) == ["EditMessageText", "SendMessage"]  # refused, then asked anew
    picker = only(sent)
    assert picker.text == "Which building is it about?" and a2 in picker.buttons
    assert not [text for text in texts(sent) if "something went wrong" in text]
    sent = await client.click(resident, picker, a2)
    assert changes(sent, 1) == ["EditMessageText"]
    sent = await client.click(resident, only(sent, "EditMessageText"), "🔧 Repairs")
    assert "Where is it?" in texts(sent)[-1]  # the description is known already
    privacy = only(await client.send(resident, "Skip"))
    await client.click(
        resident, asked(await client.click(resident, privacy, "Continue ›")), "✅ Send"
    )
    assert [(t.number, t.category, t.description) for t in await tickets(world.db)] == [
        (1, "elevator", "Tap drips"),
        (2, "repairs", "The lift light is out"),
    ]
