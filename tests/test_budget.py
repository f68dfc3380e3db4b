"""One budget for every Bot API call: a handler's answer that meets a 429 waits and is sent (or
gives up in one log line), a button press is answered exactly once, presses are limited like
messages, and a person's answer goes before the queued notifications. Driven like a user, on
the fake session (handler tests run the limits on fast time, see conftest.InstantTime)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    GetUpdates,
    SendChatAction,
    SendMediaGroup,
    SendMessage,
    SetMyCommands,
)
from aiogram.types import InputMediaPhoto

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import Draft
from handlers.keyboards import TicketCb
from storage.db import Database
from storage.models import telegram_address
from storage.repositories import OutboxRepository
from telegram import budget as budget_module
from telegram.budget import Kind, Limits, budget_of, install_budget, kind_of, weight_of
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient, FakeSession, Sent, only, texts
from tests.conftest import TOKEN, FakeClock, InstantTime
from tests.factories import make_world

RESIDENT = 4401
HELP_EN = "help-commands"


def methods(sent: list[Sent]) -> list[str]:
    return [type(s.method).__name__ for s in sent]


def warnings_about_429(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "(429)" in r.getMessage() and r.levelno >= logging.INFO]


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        (SendMessage(chat_id=1, text="x"), Kind.MESSAGE),
        (EditMessageText(chat_id=1, message_id=2, text="x"), Kind.EDIT),
        (EditMessageReplyMarkup(chat_id=1, message_id=2), Kind.EDIT),
        (AnswerCallbackQuery(callback_query_id="7"), Kind.CALLBACK),
        (SendChatAction(chat_id=1, action="typing"), Kind.FREE),
        (DeleteMessage(chat_id=1, message_id=2), Kind.FREE),
        (GetUpdates(), Kind.FREE),
        (GetMe(), Kind.FREE),
        (SetMyCommands(commands=[]), Kind.FREE),
    ],
)
def test_what_counts_against_the_limits(method: Any, kind: Kind) -> None:
    assert kind_of(method) is kind


def test_an_album_is_as_many_messages_as_it_has_items() -> None:
    album = SendMediaGroup(
        chat_id=1, media=[InputMediaPhoto(media="a"), InputMediaPhoto(media="b")]
    )
    assert weight_of(album) == 2
    assert weight_of(SendMessage(chat_id=1, text="x")) == 1


# --------------------------------------------------------------------------- 429 on answers


async def test_an_answer_that_meets_a_429_waits_and_is_sent(
    client: BotClient, translations: Translations, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client.session.fail("SendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    budget = budget_of(client.bot)
    before = budget.clock()
    sent = await client.send(client.user(RESIDENT, "en"), "/help")
    # The refused try, then the same answer after retry_after: no apology, no traceback.
    assert methods(sent) == ["SendMessage", "SendMessage"]
    assert sent[0].text == sent[1].text
    assert translations.get("en", HELP_EN) in sent[1].text
    assert budget.clock() - before >= 3
    assert not [r for r in caplog.records if r.exc_info]
    assert [r.levelno for r in warnings_about_429(caplog)] == [logging.INFO]  # "retrying"


async def test_an_answer_refused_again_and_again_gives_up_in_one_line(
    client: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(budget_module.MAX_ATTEMPTS):
        client.session.fail("SendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sent = await client.send(client.user(RESIDENT, "en"), "/help")  # does not raise
    # Three tries, and no apology after them (it would meet the same limit).
    assert methods(sent) == ["SendMessage"] * budget_module.MAX_ATTEMPTS
    gave_up = [r for r in warnings_about_429(caplog) if r.levelno == logging.WARNING]
    assert len(gave_up) == 1 and "given up after 3 attempt(s)" in gave_up[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    # The next answer goes through.
    assert texts(await client.send(client.user(RESIDENT, "en"), "/help"))


async def test_a_wait_longer_than_a_person_waits_is_not_waited_and_holds_the_chat(
    client: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.session.fail("SendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
    user = client.user(RESIDENT, "en")
    assert methods(await client.send(user, "/help")) == ["SendMessage"]  # refused, not retried
    # Telegram said 60 s for this chat: the next answer there is not even tried meanwhile...
    assert await client.send(user, "/help") == []
    assert len([r for r in warnings_about_429(caplog) if r.levelno == logging.WARNING]) == 2
    # ...while other people are answered as usual.
    assert texts(await client.send(client.user(RESIDENT + 1, "en"), "/help"))
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_button_answer_that_meets_a_429_waits_and_is_answered(
    client: BotClient, translations: Translations
) -> None:
    user = client.user(RESIDENT, "zh-hans")
    menu = only(await client.send(user, "/language"))
    client.session.fail("AnswerCallbackQuery", 429, "Too Many Requests: retry after 2", 2)
    sent = await client.click(user, menu, "English")
    answers = [s.method for s in sent if isinstance(s.method, AnswerCallbackQuery)]
    assert len(answers) == 2  # refused, then answered: one answer reached the person
    assert answers[1].text == translations.get("en", "language-set")


# --------------------------------------------------------------------------- answered once


async def test_a_press_answered_before_the_handler_failed_is_not_answered_again(
    client: BotClient,
    services: Services,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The report's category step answers the press first, then fails: the errors router says
    sorry in the chat instead of answering the press a second time ("query is too old")."""
    world = await make_world(client, services, db, clock)
    user = await world.join(client.user(RESIDENT, "en"), "A1")
    ask = next(s for s in await client.send(user, "/report") if s.buttons)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database fell over")

    handlers_services: Services = client.dp["services"]
    monkeypatch.setattr(handlers_services.reporting, "categories", broken)
    sent = await client.click(user, ask, ask.buttons[0])
    assert methods(sent) == ["AnswerCallbackQuery", "SendMessage"]
    assert only(sent).text == translations.get("en", "error-generic")


async def test_a_second_answer_to_a_press_is_dropped(session: FakeSession) -> None:
    bot = Bot(TOKEN, session=session)
    budget = budget_of(bot)
    assert not budget.answered("42")
    assert await bot(AnswerCallbackQuery(callback_query_id="42", text="first")) is True
    assert budget.answered("42")
    assert await bot(AnswerCallbackQuery(callback_query_id="42", text="second")) is True
    assert [m.text for m in session.requests] == ["first"]  # type: ignore[attr-defined]


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


# --------------------------------------------------------------------------- presses limited


async def test_a_flood_of_presses_is_answered_but_not_served(
    config: Config,
    db: Database,
    services: Services,
    translations: Translations,
    clock: FakeClock,
    client: BotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """600 History presses (a flood seen in a trial): the first 30 in the minute are served, one is
    asked to slow down, every press is answered exactly once, and one line is logged."""
    world = await make_world(client, services, db, clock)
    user = await world.join(client.user(RESIDENT, "en"), "A1")
    person = await world.person(user)
    [building] = await services.reporting.resident_buildings(person)
    ticket = (
        await services.reporting.report(person, Draft(building.building_id, "repairs", "Lift"))
    ).ticket
    card = Sent(SendMessage(chat_id=RESIDENT, text="#1"))
    history = TicketCb(action=Action.HISTORY, ticket_id=ticket.id).pack()
    caplog.set_level(logging.INFO)
    presses = [await client.press(user, card, history) for _ in range(600)]

    assert [len([s for s in p if isinstance(s.method, AnswerCallbackQuery)]) for p in presses] == [
        1
    ] * 600
    served = [p for p in presses if any(isinstance(s.method, SendMessage) for s in p)]
    assert len(served) == config.flood_messages_per_minute
    refused = presses[config.flood_messages_per_minute :]
    toasts = [s.method.text for p in refused for s in p]  # type: ignore[attr-defined]
    assert toasts[0] == translations.get("en", "flood-slow-down-press")
    assert set(toasts[1:]) == {None}  # answered silently, nothing else
    floods = [r for r in caplog.records if "flood limit reached" in r.getMessage()]
    assert len(floods) == 1
    assert not [r for r in caplog.records if r.exc_info]
    # A minute later the person is served again.
    clock.advance(seconds=61)
    assert any(isinstance(s.method, SendMessage) for s in await client.press(user, card, history))


# --------------------------------------------------------------------------- priorities


class TimedSession(FakeSession):
    """The fake session, noting when each request was made."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        self.times.append(time.monotonic())
        return await super().make_request(bot, method, timeout)


@pytest.fixture
async def busy(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> AsyncIterator[tuple[BotClient, TimedSession, TelegramDelivery]]:
    """Real time, 20 messages a second, and 80 notifications to 80 chats queued (4 s of work)."""
    session = TimedSession()
    bot = Bot(TOKEN, session=session)
    install_budget(bot, Limits(per_second=20))
    client = BotClient(create_dispatcher(config, db, translations=translations), bot, session)
    async with db.session() as s:
        for chat in range(10_000, 10_080):
            await OutboxRepository(s).add(
                to=telegram_address(chat),
                person_id=None,
                payload={"text": f"to {chat}"},
                now=clock(),
            )
        await s.commit()
    worker = TelegramDelivery(bot, db, clock, poll_seconds=0.05)
    yield client, session, worker
    await worker.stop()
    await client.dp["update_log"].close()
    await client.dp.storage.close()


def most_in_a_second(times: list[float]) -> int:
    times, best, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


async def test_a_persons_answer_does_not_queue_behind_the_notifications_nor_take_their_slots(
    busy: tuple[BotClient, TimedSession, TelegramDelivery],
) -> None:
    client, session, worker = busy
    worker.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(session.requests) < 20:
        assert loop.time() < deadline, "the worker never got going"
        await asyncio.sleep(0.01)
    assert texts(await client.send(client.user(RESIDENT, "en"), "/help"))
    while len(session.requests) < 81:
        assert loop.time() < deadline + 10, "the notifications stopped"
        await asyncio.sleep(0.05)
    chats = [getattr(m, "chat_id", None) for m in session.requests]
    sends = [
        (getattr(m, "chat_id", None), t)
        for m, t in zip(session.requests, session.times, strict=True)
        if "Send" in type(m).__name__
    ]
    # The notifications keep to 20 a second by themselves; the answer went at once (the
    # overall limit is Telegram's limit on notifying many people, not on answering the one
    # who wrote), with most of the notifications still queued behind their window.
    assert most_in_a_second([t for chat, t in sends if chat != RESIDENT]) <= 20
    assert most_in_a_second([t for _, t in sends]) == 21
    assert len([c for c in chats[chats.index(RESIDENT) :] if c != RESIDENT]) >= 40


async def test_a_message_to_another_chat_while_answering_counts_as_a_notification() -> None:
    time_ = InstantTime()
    bot = Bot(TOKEN, session=TimedSession())
    install_budget(bot, Limits(per_second=2, private_burst=10), clock=time_, sleep=time_.sleep)
    with budget_module.replying_to(RESIDENT):
        started = time_.now
        for _ in range(5):
            await bot.send_message(RESIDENT, "answer")  # answers: not held by the 2 a second
        assert time_.now == started
        for _ in range(3):
            await bot.send_message(RESIDENT + 1, "someone else")
    # the third message to someone else waited for the overall window (2 a second): the
    # answers took none of it, and the window holds whoever is being answered
    assert time_.now - started >= 1.0
    await bot.session.close()


async def test_an_answer_waits_out_a_pause_of_the_whole_bot() -> None:
    time_ = InstantTime()
    session = TimedSession()
    bot = Bot(TOKEN, session=session)
    budget = install_budget(bot, clock=time_, sleep=time_.sleep)
    budget.overall.pause(7)
    before = time_.now
    with budget_module.replying_to(RESIDENT):
        await bot.send_message(RESIDENT, "answer")
    assert time_.now - before >= 7
    assert len(session.requests) == 1
    await bot.session.close()
