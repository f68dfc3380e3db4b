"""handlers/message_routes.py: a message is offered only to the handlers that could take it by its
state and command, and the handler that takes it is the one plain aiogram would have chosen, for
every state of every flow, every command and the messages around them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Router
from aiogram.fsm.state import StatesGroup
from aiogram.types import (
    Chat,
    Contact,
    Location,
    Message,
    PhotoSize,
    TelegramObject,
    User,
)

import handlers
from bot.i18n import SUPPORTED_LANGUAGES, Translations
from handlers import common, console, forget, links, relay, report, votes, worklist
from handlers.menu import STEP_KEYS
from handlers.message_routes import OTHER_STATE, MessageRoutedRouter, _names_in
from handlers.presses import PressRoutedRouter
from handlers.report.flow import ReportFlow
from handlers.ticketing import MENU_KEYS
from tests.botclient import BotClient
from tests.conftest import FakeClock

RESIDENT = 500

FORGED = "NoSuchFlow:step"  # a state of an older version, still stored


def flow_states(root: Router) -> list[str | None]:
    groups: set[type[StatesGroup]] = set()
    for router in root.chain_tail:
        for handler in router.message.handlers:
            for f in handler.filters or ():
                for state in getattr(f.callback, "states", ()):
                    group = getattr(state, "group", None) or state
                    if isinstance(group, type) and issubclass(group, StatesGroup):
                        groups.add(group)
    names = sorted({name for group in groups for name in group.__all_states_names__})
    return [None, *names, FORGED]


def messages(client: BotClient, translations: Translations) -> list[dict[str, Any]]:
    """Each message a resident could send: every command (also addressed to this bot and to
    another one, in capitals, with arguments), every menu and step word, text, media."""
    commands = sorted(_names_in(client.dp.sub_routers[0]).commands)
    texts = [f"/{c}" for c in commands]
    texts += ["/tickets@louzhang_test_bot", "/tickets@other_bot", "/HELP", "/start v1", " /help"]
    texts += ["/nosuch", "hello", "", "   ", "@louzhang_test_bot hi"]
    texts += [
        translations.get(language, key)
        for language in SUPPORTED_LANGUAGES
        for key in (*MENU_KEYS, *STEP_KEYS)
    ]
    photo = [PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]
    found: list[dict[str, Any]] = [{"text": text or None} for text in texts]
    found += [
        {"photo": photo},
        {"photo": photo, "caption": "/report"},
        {"photo": photo, "media_group_id": "g"},
        {"location": Location(latitude=22.3, longitude=114.2)},
        {"contact": Contact(phone_number="+85200000000", first_name="A", user_id=1)},
    ]
    return found


class Chosen:
    """An inner middleware that notes which handler (and router) a message reached, and stops it
    there: what the handler would do is not the routing's business."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, str | None]] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.taken.append((data["handler"].callback.__qualname__, data["event_router"].name))
        return "noted"


async def choices(
    client: BotClient,
    translations: Translations,
    clock: FakeClock,
    states: list[str | None],
    chat_type: str = "private",
) -> list[tuple[str | None, str, tuple[str, str | None] | None]]:
    chosen = Chosen()
    client.dp.message.middleware(chosen)
    found = []
    user = User(id=RESIDENT, is_bot=False, first_name="R", language_code="en")
    context = client.dp.fsm.get_context(client.bot, chat_id=RESIDENT, user_id=RESIDENT)
    for state in states:
        for extra in messages(client, translations):
            clock.advance(minutes=1)  # within the flood limit
            await context.set_state(state)
            before = len(chosen.taken)
            message = client.message(user, **extra)
            message = message.model_copy(update={"chat": Chat(id=RESIDENT, type=chat_type)})
            await client.feed(message=message)
            taken = chosen.taken[before:]
            found.append((state, repr(extra)[:60], taken[0] if taken else None))
    client.dp.message.middleware.unregister(chosen)
    return found


async def test_every_message_reaches_the_handler_plain_aiogram_chose(
    client: BotClient,
    translations: Translations,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = client.dp.sub_routers[0]
    assert isinstance(root, MessageRoutedRouter)
    states = flow_states(root)
    routed = await choices(client, translations, clock, states)
    with monkeypatch.context() as plain:
        plain.setattr(MessageRoutedRouter, "_propagate_event", PressRoutedRouter._propagate_event)
        expected = await choices(client, translations, clock, states)
    assert routed == expected
    taken = {each for *_, each in routed}
    assert len(taken) > 40  # most handlers were reached: the table tests something
    assert None not in taken  # the fallback takes what nothing else did


async def test_a_group_message_reaches_no_handler(
    client: BotClient, translations: Translations, clock: FakeClock
) -> None:
    # The bot stays silent in groups: the root's filter is checked before any routing.
    states = [None, ReportFlow.description.state]
    found = await choices(client, translations, clock, states, chat_type="group")
    assert {each for *_, each in found} == {None}


def message(text: str | None) -> Message:
    user = User(id=1, is_bot=False, first_name="A")
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=1, type="private"),
        from_user=user,
        text=text,
    )


def routers_on_way(root: MessageRoutedRouter, text: str | None, state: str | None) -> list[Router]:
    return [step.router for step in root.way_of(message(text), state)]


def test_a_message_skips_the_handlers_that_cannot_take_it() -> None:
    root = handlers.build_router()
    assert isinstance(root, MessageRoutedRouter)
    description = routers_on_way(root, "The stair light is broken", ReportFlow.description.state)
    for skipped in (forget.router, links.router, console.router, relay.router, votes.router):
        assert skipped not in description
    steps = next(
        s
        for s in root.way_of(message("x"), ReportFlow.description.state)
        if s.router.name == "report-steps"
    )
    assert steps.handlers is not None
    assert [h.callback.__name__ for h in steps.handlers] == [
        "on_description_text",
        "on_description_photo",
        "on_description_voice",
    ]
    tickets = routers_on_way(root, "/tickets", None)
    assert worklist.router in tickets and votes.router not in tickets
    assert tickets.index(common.router) < tickets.index(worklist.router)
    # The report's routers are entered one by one: the one that groups them is not on the way.
    assert report.router not in description
    assert routers_on_way(root, "/tickets@louzhang_test_bot", None) == tickets
    assert routers_on_way(root, "/tickets", FORGED) == routers_on_way(root, "/tickets", OTHER_STATE)
    for forged in range(1000):  # forged states and words keep no entry of their own
        root.way_of(message(f"/x{forged}"), f"Forged:{forged}")
        root.way_of(message(f"word{forged}"), None)
    assert len(root._ways) <= 10
