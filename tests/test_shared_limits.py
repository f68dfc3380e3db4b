"""Telegram's limits shared by several instances through Redis (bot/shared_limits.py): two or
three budgets, each in front of its own aiogram Bot and HTTP session as separate instances
would be, sending to the same chats at once against the local fake Bot API enforcing Telegram's
limits, keep together to the overall limit and to each chat's rule; a 429 one of them meets
holds back the others (for that chat, or for every chat when it is the bot's limit). Without
Redis reachable, an instance keeps to its share.

Needs TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) except for the last test. Each test uses
keys of its own and deletes them. Limits are scaled ten times as in test_delivery_chats.py."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.services import system_clock
from bot.shared_limits import SharedLimits
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus
from telegram.budget import Budget, Limits, install_budget, replying_to
from telegram.delivery import TelegramDelivery
from tests.botclient import FakeSession
from tests.conftest import TOKEN
from tests.fakeapi import ApiCall, FakeBotAPI
from tests.fakelimits import FloodRules
from tests.test_delivery_chats import enqueue, pending
from tests.waiting import PATIENCE, eventually

URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not URL, reason="TEST_REDIS_URL is not set (a Redis server for these tests)"
)

SCALE = 10
LIMITS = Limits(per_second=30 * SCALE, private_per_second=1 * SCALE, private_burst=3)
CHATS = [30_000 + n for n in range(30)]


def shared(url: str, prefix: str, limits: Limits = LIMITS) -> SharedLimits:
    return SharedLimits.from_url(
        url,
        prefix,
        per_second=limits.per_second,
        private_per_second=limits.private_per_second,
        private_burst=limits.private_burst,
        group_per_minute=limits.group_per_minute,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.limits = FloodRules(
            per_second=30 * SCALE, chat_per_second=1 * SCALE, chat_burst=3, slack=0.5 / SCALE
        )
        yield server


Instances = Callable[..., list[Bot]]


@pytest.fixture
async def instances(fake: FakeBotAPI) -> AsyncIterator[Instances]:
    """``instances(n)``: n bots, each with its own session and budget, sharing keys of this
    test's own in Redis (deleted at the end)."""
    assert URL is not None
    prefix = f"test:limits:{os.getpid()}:{secrets.token_hex(4)}"
    bots: list[Bot] = []

    def make(count: int, limits: Limits = LIMITS) -> list[Bot]:
        for _ in range(count):
            session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
            bot = Bot(TOKEN, session=session)
            install_budget(bot, limits, shared=shared(URL, prefix, limits))
            bots.append(bot)
        return bots[-count:]

    yield make
    for bot in bots:
        await budget(bot).close()
        await bot.session.close()
    cleaner = shared(URL, prefix)
    await cleaner.forget_all()
    await cleaner.redis.aclose()


def budget(bot: Bot) -> Budget:
    from telegram.budget import budget_of

    return budget_of(bot)


def accepted(fake: FakeBotAPI) -> list[ApiCall]:
    return [c for c in fake.calls if c.ok and c.method == "sendMessage"]


def refused(fake: FakeBotAPI) -> list[ApiCall]:
    return [c for c in fake.calls if c.status == 429]


def most_in(times: list[float], seconds: float) -> int:
    times, best, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


@needs_redis
async def test_three_instances_sending_to_the_same_chats_keep_together_to_the_limits(
    fake: FakeBotAPI, instances: Instances
) -> None:
    """Each instance alone would allow the whole limit (three times too much together): with
    the limits in Redis, every message arrives once, with no 429 beyond a stray one."""
    bots = instances(3)
    per_instance = 8  # messages to each chat from each instance: 720 in all

    async def send(bot: Bot, chat: int, n: int) -> None:
        await bot(SendMessage(chat_id=chat, text=f"{n} to {chat}"))

    await asyncio.gather(
        *(
            send(bot, chat, i * 100 + n)
            for n in range(per_instance)
            for chat in CHATS
            for i, bot in enumerate(bots)
        )
    )
    got = accepted(fake)
    assert len(got) == len(CHATS) * per_instance * len(bots)
    assert len({(c.params["chat_id"], c.params["text"]) for c in got}) == len(got)
    # Telegram refused nothing, or next to nothing (a loaded machine may delay one request
    # past the fake's half-token tolerance); never the storm three unshared budgets draw (78
    # here). The fake judges the overall and each chat's rule as Telegram does, with its
    # tolerance: counted on arrival without it, requests granted apart but delayed by a busy
    # machine arrive bunched (four within a tenth of a second, once on CI), which Telegram
    # accepts as the fake did.
    assert len(refused(fake)) <= 2


@needs_redis
async def test_answers_from_three_instances_keep_to_the_chats_rule_not_to_the_window(
    fake: FakeBotAPI, instances: Instances
) -> None:
    """Three instances answering the same 30 people who wrote take turns in each chat's bucket
    in Redis and take none of the overall window (Telegram's limit on notifying many people):
    the notifications sent meanwhile keep to the window by themselves."""
    # Telegram's own rule for each chat (unscaled: its tolerance, half a token, is what keeps
    # two instances' sends, spaced where they leave, from arriving too close), 10 a second
    # overall.
    limits = Limits(per_second=10)
    fake.limits = FloodRules(per_second=10)
    for chat in CHATS:  # they wrote: what the bot sends them now are answers (to Telegram too)
        fake.limits.wrote(chat, time.monotonic())
    bots = instances(3, limits)
    others = [40_000 + n for n in range(20)]

    async def answer(chat: int) -> None:
        # One person's updates are handled one after another (whichever instance has the
        # next one), so are their answers.
        for n in range(5):
            with replying_to(chat):
                await bots[n % 3](SendMessage(chat_id=chat, text=f"answer {n} to {chat}"))

    async def notify(bot: Bot, chat: int) -> None:
        await bot(SendMessage(chat_id=chat, text=f"notice to {chat}"))

    await asyncio.gather(
        *(answer(chat) for chat in CHATS),
        *(notify(bots[n % 3], chat) for n, chat in enumerate(others)),
    )
    got = accepted(fake)
    assert len(got) == 5 * len(CHATS) + len(others)
    assert len(refused(fake)) <= 2  # each chat's rule kept across the three
    notices = [c.time for c in got if c.params["chat_id"] in others]
    answers = [c.time for c in got if c.params["chat_id"] in CHATS]
    assert most_in(notices, 1.0) <= 10
    # Counted in the window, the 170 messages would have taken 17 s, never more than 10 in
    # any second; the answers went at their chats' pace alongside (3 at once, then 1 a second).
    assert most_in(answers, 1.0) > 20


@needs_redis
async def test_two_delivery_workers_share_the_limits(
    fake: FakeBotAPI, instances: Instances, tmp_path: Path
) -> None:
    """Two instances' delivery workers (their own bots and budgets, one outbox) deliver forty
    heads' cards at an overall limit that each worker alone would reach (10 a second; each
    chat's as Telegram's, ten times as fast): every card once, no 429 storm (unshared, the
    two draw ten on this test's machine)."""
    limits = Limits(per_second=10, private_per_second=1 * SCALE, private_burst=3)
    fake.limits = FloodRules(per_second=10, chat_per_second=1 * SCALE, slack=0.5 / SCALE)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}")
    await db.migrate()
    heads = [31_000 + n for n in range(40)]
    rows = [(chat, f"card {n} for {chat}") for n in range(2) for chat in heads]
    await enqueue(db, rows)
    workers = [
        TelegramDelivery(bot, db, system_clock, poll_seconds=0.05, batch=150)
        for bot in instances(2, limits)
    ]
    try:
        for worker in workers:
            worker.start()
        await eventually(lambda: _drained(db), "the outbox drained", PATIENCE * 2)
    finally:
        for worker in workers:
            await worker.stop()
        await db.close()
    got = sorted((int(c.params["chat_id"]), str(c.params["text"])) for c in accepted(fake))
    assert got == sorted(rows)
    assert len(refused(fake)) <= 2  # the fake judges the rules as Telegram does (above)


@needs_redis
async def test_a_card_whose_chat_another_instance_just_filled_leaves_its_place_to_others(
    fake: FakeBotAPI, instances: Instances, tmp_path: Path
) -> None:
    """The first instance has just sent the head its burst (and more wait their turn): the
    second instance's delivery worker, learning it from Redis, holds that head's card for its
    turn rather than wait for it in one of its concurrent places, and sends the others' now."""
    limits = Limits(per_second=30, private_per_second=1, private_burst=3)
    fake.limits = FloodRules()
    first, second = instances(2, limits)
    busy, others = CHATS[0], CHATS[1:6]
    for n in range(3):
        await first.send_message(busy, f"burst {n}")
    # Two more of the first's, waiting for the chat's next tokens (a second each).
    more = [asyncio.create_task(first.send_message(busy, f"more {n}")) for n in range(2)]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}")
    await db.migrate()
    await enqueue(db, [(chat, f"card for {chat}") for chat in [busy, *others]])
    worker = TelegramDelivery(second, db, system_clock, poll_seconds=0.05)
    try:
        assert await worker.run_once() == len(others)  # the busy head's card: held, not tried
        assert sorted(
            int(c.params["chat_id"]) for c in accepted(fake) if "card" in str(c.params["text"])
        ) == sorted(others)
        async with db.session() as session:
            [held] = (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
                )
            ).all()
        assert (int(held.address), held.attempts) == (busy, 0)
        worker.start()
        await eventually(lambda: _drained(db), "the outbox drained", PATIENCE * 2)
    finally:
        await worker.stop()
        await db.close()
    await asyncio.wait_for(asyncio.gather(*more), PATIENCE)
    assert len(accepted(fake)) == 5 + 1 + len(others)
    assert refused(fake) == []


async def _drained(db: Database) -> bool:
    return await pending(db) == 0


@needs_redis
async def test_a_429_one_instance_meets_holds_that_chat_back_in_the_others(
    fake: FakeBotAPI, instances: Instances
) -> None:
    first, second = instances(2)
    busy, other = CHATS[0], CHATS[1]
    retry_after = 2
    fake.fail(
        "sendMessage",
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        chat_id=busy,
    )
    answer = asyncio.create_task(first.send_message(busy, "from the first"))
    await eventually(lambda: bool(refused(fake)), "the first instance refused")
    [refusal] = refused(fake)
    shared_limits = budget(first).shared
    assert shared_limits is not None
    await shared_limits.settled()  # the 429 is in Redis
    # The second instance has never sent to that chat, yet holds it back as long as Telegram
    # asked the first one to; its other chats go meanwhile.
    held = asyncio.create_task(second.send_message(busy, "from the second"))
    sent = await second.send_message(other, "to another chat")
    assert sent.text == "to another chat"
    await asyncio.wait_for(asyncio.gather(answer, held), PATIENCE)
    arrivals = [c.time for c in accepted(fake) if c.params["chat_id"] == busy]
    assert len(arrivals) == 2 and min(arrivals) >= refusal.time + retry_after - 0.1
    [to_other] = [c.time for c in accepted(fake) if c.params["chat_id"] == other]
    assert to_other < min(arrivals)
    assert len(refused(fake)) == 1  # the second instance never met the 429 itself


@needs_redis
async def test_a_429_one_instance_meets_holds_that_chats_notifications_in_the_others(
    fake: FakeBotAPI, instances: Instances, tmp_path: Path
) -> None:
    """The other instance's delivery worker holds that chat's card for as long as Telegram
    asked (its row is due again then) and delivers the other chats' cards meanwhile."""
    first, second = instances(2)
    busy, others = CHATS[0], CHATS[1:6]
    retry_after = 4
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'held.db'}")
    await db.migrate()
    await enqueue(db, [(chat, f"card for {chat}") for chat in [busy, *others]])
    fake.fail(
        "sendMessage",
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        chat_id=busy,
    )
    answer = asyncio.create_task(first.send_message(busy, "from the first"))
    await eventually(lambda: bool(refused(fake)), "the first instance refused")
    [refusal] = refused(fake)
    shared_limits = budget(first).shared
    assert shared_limits is not None
    await shared_limits.settled()
    worker = TelegramDelivery(second, db, system_clock, poll_seconds=0.05)
    try:
        worker.start()
        await eventually(lambda: _drained(db), "the outbox drained", PATIENCE * 2)
    finally:
        await worker.stop()
        await db.close()
    await asyncio.wait_for(answer, PATIENCE)
    card = [c.time for c in accepted(fake) if c.params["text"] == f"card for {busy}"]
    assert len(card) == 1 and card[0] >= refusal.time + retry_after - 0.1
    others_cards = [c.time for c in accepted(fake) if c.params["chat_id"] in others]
    assert len(others_cards) == len(others) and max(others_cards) < card[0]
    assert len(refused(fake)) == 1


@needs_redis
async def test_a_flood_one_instance_meets_holds_every_chat_back_in_the_others(
    fake: FakeBotAPI, instances: Instances
) -> None:
    """Three chats refused within a second is the bot's limit: the other instance sends to
    nobody until retry_after has passed, and its delivery worker is told."""
    first, second = instances(2)
    retry_after = 2
    fake.fail(
        "sendMessage",
        status=429,
        description=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
        times=3,
    )
    told: list[float] = []
    budget(second).on_retry_after(told.append)
    tries = [asyncio.create_task(first.send_message(chat, "x")) for chat in CHATS[:3]]
    await eventually(lambda: len(refused(fake)) == 3, "three chats refused")
    flood = max(c.time for c in refused(fake))
    shared_limits = budget(first).shared
    assert shared_limits is not None
    await shared_limits.settled()
    sent = await second.send_message(CHATS[10], "from the second")
    assert sent.text == "from the second"
    [arrival] = [c.time for c in accepted(fake) if c.params["chat_id"] == CHATS[10]]
    assert arrival >= flood + retry_after - 0.1
    assert told and told[0] > retry_after - 1
    for task in tries:  # the first instance's own calls wait it out too
        await asyncio.wait_for(task, PATIENCE)
    assert len(refused(fake)) == 3


@needs_redis
async def test_two_processes_keep_together_to_the_limits(fake: FakeBotAPI) -> None:
    """The same as three instances above, with two real processes (tests/shared_sender.py)."""
    assert URL is not None
    prefix = f"test:limits:{os.getpid()}:{secrets.token_hex(4)}"
    count = 6
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.shared_sender", fake.base_url, URL, prefix, name,
            str(count), *map(str, CHATS),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for name in ("first", "second")
    ]  # fmt: skip
    try:
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), PATIENCE)
            assert line.strip() == b"ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), PATIENCE)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        cleaner = shared(URL, prefix)
        await cleaner.forget_all()
        await cleaner.redis.aclose()
    assert codes == [0, 0]
    got = accepted(fake)
    assert len(got) == 2 * count * len(CHATS)
    # Each chat's rule as the fake judges it (Telegram's tolerance: half a token). A chat's
    # token in Redis counts from when it was taken, not from the end of its request as in a
    # process: two processes' requests delayed differently on a loaded machine (load 14) once
    # arrived four within 1/10 s, inside that tolerance.
    assert len(refused(fake)) <= 2


# --------------------------------------------------------------------------- Redis away


class Ticks:
    """A clock that moves only when a waiter sleeps (by what it asked for)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class TimedFakeSession(FakeSession):
    def __init__(self, clock: Ticks) -> None:
        super().__init__()
        self.clock = clock
        self.times: list[float] = []

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        self.times.append(self.clock())
        return await super().make_request(bot, method, timeout)


async def test_without_redis_an_instance_keeps_to_its_share_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis unreachable (nothing listens on port 1): the messages still go, at most half the
    limit a second (an instance that never saw how many others there are assumes one more),
    and one warning says so."""
    caplog.set_level(logging.WARNING)
    ticks = Ticks()
    session = TimedFakeSession(ticks)
    bot = Bot(TOKEN, session=session)
    limits = Limits(per_second=30)
    away = shared("redis://127.0.0.1:1/0", "test:limits:away", limits)
    install_budget(bot, limits, clock=ticks, sleep=ticks.sleep, shared=away)
    try:
        for chat in range(40_000, 40_060):
            await bot.send_message(chat, "hello")
    finally:
        await budget(bot).close()
    assert len(session.times) == 60
    assert most_in(session.times, 1.0) <= 15
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert "15.0 messages a second" in warnings[0].getMessage()


async def test_a_429_is_waited_out_without_redis_too() -> None:
    ticks = Ticks()
    session = TimedFakeSession(ticks)
    bot = Bot(TOKEN, session=session)
    away = shared("redis://127.0.0.1:1/0", "test:limits:away")
    install_budget(bot, LIMITS, clock=ticks, sleep=ticks.sleep, shared=away)
    session.fail("SendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    try:
        sent = await bot.send_message(50_000, "hello")
    finally:
        await budget(bot).close()
    assert sent.text == "hello"
    assert len(session.times) == 2 and session.times[1] - session.times[0] >= 3
