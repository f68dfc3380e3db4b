"""Hostile content at the largest size the bot accepts (names of 100 astral emoji, 200 UTF-16
units; titles at their limit; "<b>" and "&" in names) through the messages and Bot API calls that
carry it: every call must be one Telegram accepts (tests/botclient.py's FakeSession refuses
what Telegram refuses and records it in ``session.refused``), and what the person is told must
reach them whole."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Chat, Message, User
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from handlers.telling import answer_press
from storage.db import Database
from storage.models import Building, RewardItem
from tests.botclient import FakeSession, Sent
from tests.test_notices import write
from tests.test_ticket_handling import HEAD, OFFICE, RESIDENT, Town, one, to
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture
from tests.test_volunteering import FORM, SIGN_UP, organise

client, town = client_fixture, town_fixture

# 100 characters (the most a building's name keeps), 200 UTF-16 units: what Telegram counts.
TOWERS = "🏢" * 100
# An activity's title at its limit (bot/services/activity_form.py MAX_TITLE: 200 units).
TITLE = "🌳" * 100


def refused(town: Town) -> list[tuple[str, str]]:
    session = town.client.session
    assert isinstance(session, FakeSession)
    return [(type(method).__name__, why) for method, why in session.refused]


def said(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


async def rename(db: Database, code: str, name: str) -> None:
    async with db.session() as session:
        await session.execute(update(Building).where(Building.code == code).values(name=name))
        await session.commit()


async def test_a_refusal_naming_a_title_at_its_limit_reaches_the_presser(town: Town) -> None:
    """The refusal "You are already signed up for “<title>”" is longer than a callback answer
    may be: the button is answered and the refusal comes whole in the chat, not a 400 and a
    spinning button."""
    await organise(town, FORM.replace("Tree planting", TITLE))
    ad = one(await town.deliver(), RESIDENT)
    one(await town.click(RESIDENT, ad, SIGN_UP), RESIDENT)
    again = await town.click(RESIDENT, ad, SIGN_UP)
    assert f"You are already signed up for “{TITLE}”." in said(again)
    assert refused(town) == []


async def test_muting_a_building_with_a_long_name_is_answered(town: Town) -> None:
    await rename(town.db, "A1", TOWERS)
    await write(town, HEAD)
    copy = one(await town.deliver(), RESIDENT)
    assert TOWERS in copy.text
    pressed = await town.click(RESIDENT, copy, "🔕 Mute notices from this building")
    assert f"Muted: no more non-urgent notices from {TOWERS}." in said(pressed)
    assert refused(town) == []


async def test_points_with_a_long_catalogue_comes_whole_in_several_messages(town: Town) -> None:
    """40 items whose names are at their limit (100 units) are a catalogue longer than one
    message: /points sends it in parts, every item listed, the redeem buttons under the last,
    not a 400 and an apology."""
    names = [f"{n:02d}" + "🎁" * 49 for n in range(40)]
    one(await town.send(OFFICE, f"/catalogue add 20 1 {names[0]}"), OFFICE)  # as the office does
    async with town.db.session() as session:  # the rest at once (the chat's flood limit)
        now = town.world.clock()
        session.add_all(
            RewardItem(community_id=1, name=name, price=20, stock=1, active=True, created_at=now)
            for name in names[1:]
        )
        await session.commit()
    shown = to(await town.send(RESIDENT, "/points"), RESIDENT)
    assert refused(town) == []
    assert len(shown) > 1 and all(name in said(shown) for name in names)
    assert [bool(s.buttons) for s in shown] == [False] * (len(shown) - 1) + [True]
    assert len(shown[-1].buttons) == 20  # MAX_OFFERED


async def test_a_refusal_echoing_a_typed_code_of_a_whole_message_is_answered(town: Town) -> None:
    """The refusal "There is no building with the code …" repeats what was typed; a code as
    long as a message (2,040 emoji, 4,080 units) made it longer than a message, Telegram
    refused it and the head heard nothing. The echo is shortened, visibly."""
    code = "🏢" * 2040
    refusal = one(await town.send(HEAD, f"/invite deputy {code}"), HEAD)
    assert refused(town) == []
    assert refusal.text.startswith("There is no building with the code 🏢🏢")
    assert refusal.text.endswith("…")


HOSTILE = st.sampled_from(
    ["🏢", "👨\u200d👩\u200d👧", "e\u0301", "<b>", "&", "<", "\u202e", "\u200f", "楼", "a", " "]
)


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.tuples(HOSTILE, st.integers(1, 60)), max_size=8))
def test_a_pressed_button_is_always_answered_and_the_text_reaches_the_presser(
    runs: list[tuple[str, int]],
) -> None:
    """Whatever the text (astral emoji, ZWJ sequences, combining marks, markup-looking
    characters, direction marks, up to ~600 units), answer_press makes calls Telegram
    accepts: the button is answered once, and the text is on it or whole in the chat."""
    asyncio.run(press_and_check("".join(piece * times for piece, times in runs) or "ok"))


async def press_and_check(text: str) -> None:
    session = FakeSession()
    bot = Bot("42:TEST", session=session)
    chat = Chat(id=7, type="private")
    message = Message(message_id=1, date=datetime.now(UTC), chat=chat, text="card").as_(bot)
    user = User(id=7, is_bot=False, first_name="A")
    query = CallbackQuery(id="q", from_user=user, chat_instance="c", message=message, data="x")
    await answer_press(query.as_(bot), text, show_alert=True)
    assert session.refused == []
    [answered] = [m for m in session.requests if isinstance(m, AnswerCallbackQuery)]
    said = [m.text for m in session.requests if isinstance(m, SendMessage)]
    assert answered.text == text or (not answered.text and said == [text])
    await bot.session.close()
