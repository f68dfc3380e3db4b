"""Delivery to chats that get many messages (the typhoon day: a hundred and fifty heads with
twenty cards each), over HTTP against the local fake Bot API enforcing Telegram's limits: every
message arrives once and in order with (nearly) no 429, a 429 for one chat holds back that chat
only, and a flood of 429s for several chats holds back every send.

Telegram's limits are scaled ten times (300 a second overall, 10 a second per chat after a
burst of 3, in the bot's budget and in the fake alike) to keep the tests short; what is checked
is order and timing in the fake's log of arrivals and the bot's log of requests."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy import func, select

from bot.app import create_bot
from bot.config import Config, Secret
from bot.services import system_clock
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, telegram_address
from storage.repositories import OutboxRepository
from telegram.budget import Limits, install_budget
from telegram.delivery import TelegramDelivery
from telegram.session import JsonSession
from tests.conftest import TOKEN
from tests.fakeapi import ApiCall, FakeBotAPI
from tests.fakelimits import FloodRules
from tests.waiting import PATIENCE, eventually

SCALE = 10  # Telegram's limits, ten times as fast
LIMITS = Limits(per_second=30 * SCALE, private_per_second=1 * SCALE, private_burst=3)
HEADS = [20_000 + n for n in range(150)]


def telegram_rules() -> FloodRules:
    # The tolerance in seconds shrinks with the time scale: the same half token.
    return FloodRules(
        per_second=30 * SCALE, chat_per_second=1 * SCALE, chat_burst=3, slack=0.5 / SCALE
    )


class TimedSession(JsonSession):
    """The bot's HTTP session (telegram/session.py), recording when each request left and when
    its answer came."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests: list[tuple[str, Any, float, float, str]] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        issued, error = time.monotonic(), ""
        try:
            return await super().make_request(bot, method, timeout)
        except Exception as exc:
            error = type(exc).__name__
            raise
        finally:
            chat = getattr(method, "chat_id", None)
            self.requests.append((type(method).__name__, chat, issued, time.monotonic(), error))


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.limits = telegram_rules()
        yield server


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'chats.db'}")
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[Bot]:
    config = Config(
        bot_token=Secret(TOKEN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'chats.db'}",
        telegram_api_url=fake.base_url,
        bot_username="louzhang_test_bot",
    )
    bot = create_bot(config)
    assert isinstance(bot.session, JsonSession)
    bot.session = TimedSession(api=bot.session.api)
    install_budget(bot, LIMITS)
    yield bot
    await bot.session.close()


async def enqueue(db: Database, rows: list[tuple[int, str]]) -> None:
    """``(chat_id, text)`` rows into the outbox in one transaction, as a burst of ticket
    activity leaves them."""
    async with db.session() as session:
        outbox = OutboxRepository(session)
        for chat_id, text in rows:
            await outbox.add(
                to=telegram_address(chat_id),
                person_id=None,
                payload={"text": text},
                now=system_clock(),
            )
        await session.commit()


async def pending(db: Database) -> int:
    async with db.session() as session:
        query = select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
        return int(await session.scalar(query) or 0)


async def deliver(db: Database, bot: Bot) -> None:
    worker = TelegramDelivery(bot, db, system_clock, poll_seconds=0.05)
    worker.start()
    try:
        await eventually(lambda: _drained(db), "the outbox drained", PATIENCE * 2)
    finally:
        await worker.stop()


async def _drained(db: Database) -> bool:
    return await pending(db) == 0


def accepted(fake: FakeBotAPI) -> list[ApiCall]:
    return [c for c in fake.calls if c.ok and c.method == "sendMessage"]


def refused(fake: FakeBotAPI) -> list[ApiCall]:
    return [c for c in fake.calls if c.status == 429]


def assert_once_in_order(fake: FakeBotAPI, rows: list[tuple[int, str]]) -> None:
    got: dict[int, list[str]] = defaultdict(list)
    for call in accepted(fake):
        got[int(call.params["chat_id"])].append(str(call.params["text"]))
    wanted: dict[int, list[str]] = defaultdict(list)
    for chat, text in rows:
        wanted[chat].append(text)
    assert got == wanted


async def test_150_heads_with_20_cards_each_get_them_all_in_order_with_no_429(
    fake: FakeBotAPI, database: Database, bot: Bot
) -> None:
    # The cards of a burst of tickets: each head's twenty among everybody else's.
    rows = [(head, f"card {n} for {head}") for n in range(20) for head in HEADS]
    await enqueue(database, rows)
    await deliver(database, bot)
    assert_once_in_order(fake, rows)
    # Telegram refused nothing, or next to nothing (a loaded machine may delay one request
    # past the fake's half-token tolerance); never the storm of one 429 per chat.
    assert len(refused(fake)) <= 2
    # No chat ever got more than its burst at once, as Telegram counts (on arrival).
    times: dict[int, list[float]] = defaultdict(list)
    for call in accepted(fake):
        times[int(call.params["chat_id"])].append(call.time)
    for chat_times in times.values():
        assert sum(1 for t in chat_times if t - chat_times[0] < 1 / SCALE) <= 3


async def test_a_429_for_one_chat_holds_that_chat_and_the_others_go_on(
    fake: FakeBotAPI, database: Database, bot: Bot
) -> None:
    busy, others = HEADS[0], HEADS[1:31]
    rows = [(chat, f"card {n} for {chat}") for n in range(3) for chat in [busy, *others]]
    await enqueue(database, rows)
    retry_after = 4
    fake.fail(
        "sendMessage",
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        chat_id=busy,
    )
    await deliver(database, bot)
    assert_once_in_order(fake, rows)
    [refusal] = refused(fake)
    busy_arrivals = [c.time for c in accepted(fake) if c.params["chat_id"] == busy]
    others_arrivals = [c.time for c in accepted(fake) if c.params["chat_id"] != busy]
    # The busy chat waited as long as Telegram asked …
    assert busy_arrivals[0] >= refusal.time + retry_after - 0.1
    # … and nobody else waited for it: every other chat had all its cards before the busy
    # chat's first one went again.
    assert max(others_arrivals) < busy_arrivals[0]


async def test_429s_for_several_chats_at_once_hold_back_every_send(
    fake: FakeBotAPI, database: Database, bot: Bot
) -> None:
    """A flood: Telegram refuses three different chats within a second, which is the bot's
    overall limit, not theirs; nothing goes to anyone until retry_after has passed."""
    chats = HEADS[:40]
    rows = [(chat, f"card {n} for {chat}") for n in range(2) for chat in chats]
    await enqueue(database, rows)
    retry_after = 2
    fake.fail(
        "sendMessage",
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        times=3,
    )
    await deliver(database, bot)
    assert_once_in_order(fake, rows)
    assert isinstance(bot.session, TimedSession)
    answers = [r for r in bot.session.requests if r[0] == "SendMessage"]
    told = sorted(r[3] for r in answers if r[4] == "TelegramRetryAfter")
    assert len(told) == 3 and len({r[1] for r in answers if r[4]}) == 3
    flood = told[2]  # the third chat refused: the whole bot holds back from here
    during = [r for r in answers if flood + 0.05 < r[2] < flood + retry_after - 0.1]
    assert during == []
    assert max(r[2] for r in answers) >= flood + retry_after - 0.1


async def test_a_chats_own_429_while_a_person_is_answered_does_not_stop_the_notifications(
    fake: FakeBotAPI, database: Database, bot: Bot
) -> None:
    """The handlers' answers share the budget: one that meets a 429 waits it out (and is
    sent), while the queued notifications to other chats go on meanwhile."""
    person, others = HEADS[0], HEADS[1:21]
    rows = [(chat, f"card {n} for {chat}") for n in range(2) for chat in others]
    retry_after = 3
    fake.fail(
        "sendMessage",
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        chat_id=person,
    )
    answer = asyncio.create_task(bot.send_message(person, "your answer"))
    await eventually(lambda: bool(refused(fake)), "the answer refused once")
    await enqueue(database, rows)
    await deliver(database, bot)
    sent = await asyncio.wait_for(answer, PATIENCE)  # waited out, then sent
    assert sent.text == "your answer"
    [refusal] = refused(fake)
    answered = [c.time for c in accepted(fake) if c.params["chat_id"] == person]
    notified = [c.time for c in accepted(fake) if c.params["chat_id"] != person]
    assert answered and answered[0] >= refusal.time + retry_after - 0.1
    assert len(notified) == len(rows) and min(notified) < answered[0]


async def test_a_pass_takes_a_chats_burst_in_order_and_stops_where_one_does_not_go(
    fake: FakeBotAPI, database: Database, bot: Bot
) -> None:
    """A head with five new cards gets the first three (the chat's burst) in one pass, one
    after the other; when one of them does not go, the ones after it wait for the next pass
    and are not tried."""
    head, other = HEADS[0], HEADS[1]
    rows = [(head, f"card {n} for {head}") for n in range(5)] + [(other, f"card 0 for {other}")]
    await enqueue(database, rows)
    worker = TelegramDelivery(bot, database, system_clock)

    assert await worker.run_once() == 4
    texts = [c.params["text"] for c in accepted(fake) if int(c.params["chat_id"]) == head]
    assert texts == [text for _, text in rows[:3]]

    fake.fail(
        "sendMessage",
        status=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=head,
    )
    before = len(fake.calls)
    await worker.run_once()
    tried = [c.params["text"] for c in fake.calls[before:] if int(c.params["chat_id"]) == head]
    assert tried == [rows[3][1]]  # refused; the fifth card was not tried after it
    async with database.session() as session:
        left = await OutboxRepository(session).pending_for(telegram_address(head))
    assert [(r.payload["text"], r.attempts) for r in left] == [(rows[3][1], 1), (rows[4][1], 0)]

    await deliver(database, bot)
    assert_once_in_order(fake, rows)
