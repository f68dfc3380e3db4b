"""A step that waits for a button press, answered with typed words or a sticker (an elderly
resident, a busy head): found, the catch-all's "I'm here to connect you with your building
head" at the vote's rule, days and confirm steps, the notice's and the activity's building
picker, urgency and confirm; the report's own "Please use the buttons above" did not say which.
Now the answer names the question whose buttons are awaited, and the step goes on waiting."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.fsm.state import StatesGroup
from aiogram.types import Chat, Message
from sqlalchemy import select

from handlers import build_router
from handlers.message_routes import MessageRoutedRouter
from handlers.step_hints import BUTTON_STEPS
from storage.models import Ticket, Vote
from tests.test_ticket_handling import HEAD, RESIDENT, STICKER, Town, one, to
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture


async def test_typing_at_the_vote_s_rule_step_names_the_question_and_it_waits(town: Town) -> None:
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    one(await town.click(HEAD, organiser, "➕ Open a new vote"), HEAD)
    options = one(await town.send(HEAD, "Paint the stairwell?"), HEAD)
    rule = one(await town.click(HEAD, options, "Yes / No"), HEAD)
    typed = one(await town.send(HEAD, "the major one please"), HEAD)
    assert "press one of the buttons under the question “Which rule decides?”" in typed.text
    assert "/cancel" in typed.text
    assert "connect you with your building head" not in typed.text
    sticker = one(await town.send(HEAD, None, sticker=STICKER), HEAD)
    assert "“Which rule decides?”" in sticker.text
    # Still waiting: the button goes on to the next step, whose own question is named.
    days = one(await town.click(HEAD, rule, "Ordinary matter: more than half"), HEAD)
    assert "How long is the vote open?" in days.text
    assert "“How long is the vote open?”" in one(await town.send(HEAD, "7"), HEAD).text
    summary = one(await town.click(HEAD, days, "7 days"), HEAD)
    assert "“Open this vote?”" in one(await town.send(HEAD, "yes"), HEAD).text
    assert summary.buttons == ["✅ Open the vote"]
    async with town.db.session() as session:
        assert list(await session.scalars(select(Vote))) == []


async def test_typing_at_the_report_s_category_step_names_the_question(town: Town) -> None:
    asked = one(await town.send(RESIDENT, "/report"), RESIDENT)
    assert "What kind of problem is it?" in asked.text
    typed = one(await town.send(RESIDENT, "water is leaking"), RESIDENT)
    assert "buttons under the question “What kind of problem is it?”" in typed.text
    described = one(await town.click(RESIDENT, asked, "🔧 Repairs"), RESIDENT, "EditMessageText")
    assert "Please describe the problem" in described.text
    async with town.db.session() as session:
        assert list(await session.scalars(select(Ticket))) == []


READ_BY_NONE = {
    "cmd_help",
    "cmd_report",
    "cmd_my",
    "on_step_word",
    "on_unknown_command",
    "on_anything",
}


def test_every_step_a_typed_word_falls_through_names_its_question() -> None:
    """A new button step, left to the catch-all, is named here too (or the test says which)."""
    root = build_router()
    assert isinstance(root, MessageRoutedRouter)
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=1, type="private"), text="hello"
    )
    groups: list[type[StatesGroup]] = []
    pending = list(StatesGroup.__subclasses__())
    while pending:
        group = pending.pop()
        if group.__module__.startswith("handlers."):  # not the groups other tests define
            groups.append(group)
        pending.extend(group.__subclasses__())
    unnamed = []
    for group in groups:
        for state in group.__all_states__:
            way = root.way_of(message, state.state)
            takers = [h for step in way if step.handlers for h in step.handlers]
            names = [h.callback.__name__ for h in takers]
            # Only the menu, the stale step word and the catch-all: nothing reads the words.
            if set(names) <= READ_BY_NONE and state.state not in BUTTON_STEPS:
                unnamed.append(state.state)
    assert unnamed == []
