"""Conversations that do what people expect: what a message outside any flow becomes (a report
offer for text, photos, albums, voice notes and locations; a hint for staff and for the words
of a finished step), /cancel and /language giving back the menu, and the report's messages."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Location, PhotoSize, ReplyKeyboardMarkup, Voice
from sqlalchemy import select

from bot.services import Services
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import FsmRecord, Role, Ticket, TicketEvent
from tests.botclient import BotClient, Sent, asked, only, texts
from tests.conftest import FakeClock
from tests.factories import World, make_world


@pytest.fixture
async def world(client: BotClient, services: Services, db: Database, clock: FakeClock) -> World:
    return await make_world(client, services, db, clock)


def photo(file_id: str) -> list[PhotoSize]:
    return [PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)]


VOICE = Voice(file_id="voice-1", file_unique_id="v1", duration=4)


async def tickets(db: Database) -> list[Ticket]:
    async with db.session() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def states(db: Database) -> list[str | None]:
    async with db.session() as session:
        return [r.state for r in await session.scalars(select(FsmRecord))]


async def choose(world: World, user: Any, sent: list[Sent], label: str) -> list[Sent]:
    for item in reversed(sent):
        if label in item.buttons:
            return await world.client.click(user, item, label)
    raise AssertionError(f"no {label!r} in {[s.buttons for s in sent]}")


def keyboard(sent: Sent) -> list[str]:
    """The labels of the reply keyboard a message puts under the text field."""
    markup = getattr(sent.method, "reply_markup", None)
    assert isinstance(markup, ReplyKeyboardMarkup), f"no reply keyboard on {sent.text!r}"
    return [button.text for row in markup.keyboard for button in row]


# --------------------------------------------------------------------------- report this?


async def test_a_voice_note_outside_a_report_is_offered_as_one(world: World) -> None:
    client = world.client
    await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    resident = await world.join(client.user(1, "en"), "A1")
    offer = only(await client.send(resident, None, voice=VOICE))
    assert "report this as a problem" in offer.text
    sent = await client.click(resident, offer, "📝 Yes, report it")
    sent = await choose(world, resident, sent, "🔧 Repairs")
    assert "Where is it?" in texts(sent)[-1]  # the voice note is the description
    sent = await client.send(resident, "Skip")
    sent = await choose(world, resident, sent, "Continue ›")
    assert "voice notes: 1" in asked(sent).text
    await client.click(resident, asked(sent), "✅ Send")
    [ticket] = await tickets(world.db)
    assert ticket.media == [{"type": "voice", "file_id": "voice-1"}]


async def test_a_location_outside_a_report_becomes_the_reports_location(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    pin = Location(latitude=23.05, longitude=113.15)
    offer = only(await client.send(resident, None, location=pin))
    sent = await client.click(resident, offer, "📝 Yes, report it")
    sent = await choose(world, resident, sent, "🧹 Sanitation")
    assert "describe the problem" in texts(sent)[-1]
    sent = await client.send(resident, "Rubbish bags left here for a week")
    # The place is known already: no location question, straight to the privacy step.
    assert "Where is it?" not in " ".join(texts(sent))
    sent = await choose(world, resident, sent, "Continue ›")
    assert "Location: yes" in asked(sent).text
    await client.click(resident, asked(sent), "✅ Send")
    [ticket] = await tickets(world.db)
    assert (ticket.latitude, ticket.longitude) == (23.05, 113.15)
    assert ticket.description == "Rubbish bags left here for a week"


async def test_an_album_outside_a_report_is_offered_once(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    first = await client.send(
        resident, None, photo=photo("a"), media_group_id="g7", caption="Cracks in the wall"
    )
    rest = [
        await client.send(resident, None, photo=photo(name), media_group_id="g7")
        for name in ("b", "c")
    ]
    assert "report this as a problem" in only(first).text
    assert rest == [[], []]  # one question, not three
    # A separate photo while the offer waits is not quietly added: it gets the usual hint.
    said = only(await client.send(resident, None, photo=photo("d"))).text
    assert "buttons under the question “Would you like to report this?”" in said
    sent = await client.click(resident, only(first), "📝 Yes, report it")
    sent = await choose(world, resident, sent, "🔧 Repairs")
    assert "Where is it?" in texts(sent)[-1]
    sent = await choose(world, resident, await client.send(resident, "Skip"), "Continue ›")
    await client.click(resident, asked(sent), "✅ Send")
    [ticket] = await tickets(world.db)
    assert [m["file_id"] for m in ticket.media] == ["a", "b", "c"]
    assert ticket.description == "Cracks in the wall"


async def test_a_head_who_types_is_not_sent_to_the_join_poster(world: World) -> None:
    client = world.client
    head = await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    answer = only(await client.send(head, "I will come tomorrow")).text
    assert "scan" not in answer.lower() and "join" not in answer.lower()
    assert "💬 Reply" in answer and "/tickets" in answer
    assert await states(world.db) == []
    # A head who also lives in a building is a resident too: the usual offer.
    await world.join(head, "A1")
    assert "report this as a problem" in only(await client.send(head, "Lift broken")).text


async def test_the_word_of_a_finished_step_is_no_problem_report(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "zh-hans"), "A1")
    for word in ("跳过", "Skip", "不分享"):
        hint = only(await client.send(resident, word))
        assert "步骤已经结束" in hint.text
        assert keyboard(hint) == ["📝 反映问题", "📋 我的工单", "❓ 帮助"]
    assert await states(world.db) == []


# --------------------------------------------------------------------------- step keyboards


async def to_location_step(world: World, user: Any) -> None:
    sent = await world.client.send(user, "/report")
    await choose(world, user, sent, "🔧 Repairs")
    sent = await world.client.send(user, "The door of the bike shed is broken")
    assert keyboard(sent[-1]) == ["📍 Send my location", "Skip"]


async def test_cancel_at_the_location_step_brings_back_the_menu(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    await to_location_step(world, resident)
    cancelled = only(await client.send(resident, "/cancel"))
    assert cancelled.text == "Stopped. Nothing was changed."
    assert keyboard(cancelled) == ["📝 Report a problem", "📋 My tickets", "❓ Help"]
    # "Skip" from the old keyboard afterwards starts nothing.
    hint = only(await client.send(resident, "Skip"))
    assert "already finished" in hint.text and "report this" not in hint.text
    assert await states(world.db) == [] and await tickets(world.db) == []


async def test_a_pressed_step_button_is_answered_with_the_next_question(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    await to_location_step(world, resident)
    # The keyboard hides itself once used: "Location added" rides on the next question.
    pin = Location(latitude=23.1, longitude=113.0)
    privacy = only(await client.send(resident, None, location=pin))
    assert privacy.text.startswith("📍 Location added.\n\nWho may see your details?")
    assert "Continue ›" in privacy.buttons
    sent = await client.click(resident, privacy, "Show my phone to the head: ❌")
    assert keyboard(only(sent)) == ["☎️ Share my phone number", "Don't share"]
    privacy = only(await client.send(resident, "Don't share"))
    assert privacy.text.startswith("All right, your phone stays private.\n\nWho may see")
    summary = asked(await client.click(resident, privacy, "Continue ›"))
    # Editing the location: the Skip press and the summary, one message again.
    sent = await client.click(resident, summary, "✏️ Edit")
    sent = await client.click(resident, only(sent, "EditMessageReplyMarkup"), "Location")
    summary = only(await client.send(resident, "Skip"))
    assert summary.text.startswith("No location, that's fine.\n\nPlease check your report:")
    assert "Location: no" in summary.text


async def test_a_typed_answer_to_where_is_it_is_kept_and_the_keyboard_goes(
    world: World,
) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    await to_location_step(world, resident)
    noted, privacy = await client.send(resident, "Behind building 1, by the gate")
    # Typed: the keyboard is still up, and only a message of its own can remove it.
    assert noted.text.startswith("📍") and noted.method.reply_markup is not None  # type: ignore[attr-defined]
    assert type(noted.method.reply_markup).__name__ == "ReplyKeyboardRemove"  # type: ignore[attr-defined]
    assert "Who may see your details?" in privacy.text
    summary = asked(await client.click(resident, privacy, "Continue ›"))
    await client.click(resident, summary, "✅ Send")
    [ticket] = await tickets(world.db)
    assert ticket.description == (
        "The door of the bike shed is broken\n📍 Behind building 1, by the gate"
    )
    assert ticket.latitude is None


# --------------------------------------------------------------------------- /language


def methods(sent: list[Sent]) -> list[str]:
    return [type(s.method).__name__ for s in sent]


async def test_language_change_redraws_the_menu_in_the_new_language(world: World) -> None:
    client = world.client
    resident = await world.join(client.user(1, "zh-hans"), "A1")
    picker = only(await client.send(resident, "/language"))
    sent = await client.click(resident, picker, "English")
    assert methods(sent) == [
        "AnswerCallbackQuery",
        "EditMessageReplyMarkup",  # the picker's buttons are spent
        "SendMessage",
        "SetMyCommands",
    ]
    answer = only(sent)
    assert answer.text == "Language set: English."
    assert keyboard(answer) == ["📝 Report a problem", "📋 My tickets", "❓ Help"]
    # The new menu's buttons work.
    assert only(await client.send(resident, "📋 My tickets")).text.startswith("You have no tickets")


async def test_language_change_in_the_location_step_keeps_the_step_keyboard(
    world: World,
) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    await to_location_step(world, resident)
    picker = only(await client.send(resident, "/language"))
    sent = await client.click(resident, picker, "简体中文")
    assert only(sent, "EditMessageText").text == "已切换为简体中文。"
    assert "SendMessage" not in methods(sent)
    assert await states(world.db) == ["ReportFlow:location"]
    # The English "Skip" still answers the step; the report ends with the menu in Chinese.
    privacy = only(await client.send(resident, "Skip"))
    assert privacy.text.startswith("不发位置也没关系。")
    summary = asked(await client.click(resident, privacy, "继续 ›"))
    sent_report = only(await client.click(resident, summary, "✅ 提交"), "SendMessage")
    assert keyboard(sent_report) == ["📝 反映问题", "📋 我的工单", "❓ 帮助"]


# --------------------------------------------------------------------------- lists mid-report


async def test_my_tickets_and_help_in_the_middle_of_a_report_keep_the_draft(
    world: World,
) -> None:
    client = world.client
    resident = await world.join(client.user(1, "en"), "A1")
    await to_location_step(world, resident)
    listing = only(await client.send(resident, "/my"))
    assert listing.text.startswith("You have no tickets yet.")
    # The location step's buttons are under the text field: the words say so.
    assert listing.text.endswith(
        "Your report is still open: answer it with the buttons under the text field, "
        "or /cancel to drop it."
    )
    assert await states(world.db) == ["ReportFlow:location"]
    privacy = only(await client.send(resident, "Skip"))
    help_text = only(await client.send(resident, "/help")).text
    assert help_text.endswith(
        "press a button under its last question, further up in this chat, or /cancel to drop it."
    )
    staff_only = only(await client.send(resident, "/tickets")).text
    assert "for building heads" in staff_only and "still open" in staff_only
    summary = asked(await client.click(resident, privacy, "Continue ›"))
    await client.click(resident, summary, "✅ Send")
    [ticket] = await tickets(world.db)
    assert ticket.description == "The door of the bike shed is broken"
    # No report open: the lists say nothing about one.
    assert "still open" not in only(await client.send(resident, "/my")).text


async def test_the_menu_mid_report_answers_and_while_describing_says_to_just_send(
    world: World,
) -> None:
    client = world.client
    resident = await world.join(client.user(1, "zh-hans"), "A1")
    sent = await client.send(resident, "/report")
    # The menu's buttons mid-report are the menu's, not a wrong answer to the step.
    assert "上方那条问题下面的按钮" in only(await client.send(resident, "❓ 帮助")).text
    await choose(world, resident, sent, "🔧 维修")
    listing = only(await client.send(resident, "📋 我的工单"))
    assert "直接发送描述" in listing.text
    sent = await client.send(resident, "水管漏水")
    assert "问题在哪里" in texts(sent)[-1]


async def test_a_leftover_skip_is_not_passed_on_to_the_head(world: World) -> None:
    """/my in the location step keeps the draft and its keyboard; "Message the head" from a
    card starts another step while that keyboard is still up. Its "Skip" is not a message."""
    client = world.client
    await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    resident = await world.join(client.user(1, "en"), "A1")
    person = await world.person(resident)
    [a1] = await world.services.reporting.resident_buildings(person)
    await world.services.reporting.report(person, Draft(a1.building_id, "repairs", "Leak"))
    await to_location_step(world, resident)
    listing = only(await client.send(resident, "/my"))
    card = only(await client.click(resident, listing, listing.buttons[0]))
    await client.click(resident, card, "💬 Message the head")
    hint = only(await client.send(resident, "Skip"))
    assert "already finished" in hint.text
    assert keyboard(hint) == ["📝 Report a problem", "📋 My tickets", "❓ Help"]
    assert await states(world.db) == ["ResidentFlow:message"]  # the step still waits
    sent = only(await client.send(resident, "It drips on the stairs"))
    assert "Sent to the building head" in sent.text
    async with world.db.session() as session:
        notes = await session.scalars(select(TicketEvent.data).where(TicketEvent.kind == "message"))
        assert [n["text"] for n in notes] == ["It drips on the stairs"]


# --------------------------------------------------------------------------- double taps

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


async def tap_again(client: BotClient, user: Any, pressed: Sent, label: str) -> list[Sent]:
    """The same button a second time, as a double tap sends it (both presses were made on
    the message as it was): the edit that follows changes nothing, and Telegram says so for
    every kind of edit."""
    for method in ("EditMessageText", "EditMessageReplyMarkup"):
        client.session.fail(method, 400, NOT_MODIFIED)
    sent = await client.click(user, pressed, label)
    client.session.errors.clear()
    return sent


def assert_no_apology(sent: list[Sent]) -> None:
    assert not [text for text in texts(sent) if "something went wrong" in text], texts(sent)
    assert len([s for s in sent if type(s.method).__name__ == "AnswerCallbackQuery"]) == 1


async def test_a_double_tap_is_answered_not_apologised_for(world: World) -> None:
    """An elderly person often taps twice. Found: the second tap's edit changed nothing,
    Telegram answered "message is not modified", and the person read the generic apology:
    the language picker of someone who has not joined, the building and the Skip of the
    join picker, and Edit on a report's summary."""
    client = world.client
    newcomer = client.user(2, "zh-hans")
    choice = only(await client.send(newcomer, "/language"))
    await client.click(newcomer, choice, "English")
    assert_no_apology(await tap_again(client, newcomer, choice, "English"))

    await world.services.community.settings("塘中社区", {"join_policy": "open"})
    picker = only(await client.send(newcomer, "/join"))
    building = next(label for label in picker.buttons if label.startswith("塘中新村1栋"))
    flat = await client.click(newcomer, picker, building)
    assert_no_apology(await tap_again(client, newcomer, picker, building))
    skip = next(s for s in reversed(flat) if "Skip" in s.buttons)
    await client.click(newcomer, skip, "Skip")
    assert_no_apology(await tap_again(client, newcomer, skip, "Skip"))

    resident = await world.join(client.user(1, "en"), "A1")
    await to_location_step(world, resident)
    privacy = only(await client.send(resident, "Skip"))
    summary = asked(await client.click(resident, privacy, "Continue ›"))
    await client.click(resident, summary, "✏️ Edit")
    assert_no_apology(await tap_again(client, resident, summary, "✏️ Edit"))
