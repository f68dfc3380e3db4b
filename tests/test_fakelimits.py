"""The fake Bot API server's flood control refuses what Telegram would, with its 429, and the
hanging chats of tests/test_restart.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError

from tests.fakeapi import FakeBotAPI
from tests.fakelimits import FloodRules

TOKEN = "424242:TEST-token"


def refused(rules: FloodRules, method: str, chat: object, times: list[float]) -> list[int | None]:
    return [rules.refuse(method, chat, at) for at in times]


def test_a_private_chat_gets_a_burst_then_one_a_second() -> None:
    rules = FloodRules()
    assert refused(rules, "sendMessage", 7, [0, 0.01, 0.02]) == [None] * 3
    assert rules.refuse("editMessageText", 7, 0.03) == 1  # edits count too
    assert rules.refuse("sendMessage", 8, 0.03) is None  # another chat is not affected
    assert refused(rules, "sendMessage", 7, [1.0, 2.0, 2.6]) == [None, None, None]  # slack
    assert rules.refuse("sendMessage", 7, 2.7) == 2  # 1.32 s until a whole token, rounded up


def test_answers_to_people_who_wrote_are_limited_by_their_chat_only() -> None:
    rules = FloodRules()
    for chat in range(100, 140):
        rules.wrote(chat, 0.0)
    # 40 people who just wrote, answered at once: not Telegram's limit on notifications ...
    assert [rules.refuse("sendMessage", chat, 0.5) for chat in range(100, 140)] == [None] * 40
    # ... which stays whole for the others
    assert [rules.refuse("sendMessage", chat, 0.6) for chat in range(200, 230)] == [None] * 30
    assert rules.refuse("sendMessage", 230, 0.7) == 1
    # each answered chat keeps its own rule, and after the window the answers are notifications
    assert refused(rules, "sendMessage", 100, [0.51, 0.52, 0.53]) == [None, None, 1]
    assert [rules.refuse("sendMessage", chat, 61.0) for chat in range(300, 330)] == [None] * 30
    assert rules.refuse("sendMessage", 101, 61.1) == 1  # counted in the window again


def test_a_group_gets_20_a_minute_and_the_bot_30_a_second() -> None:
    rules = FloodRules()
    assert refused(rules, "sendMessage", -100, [n * 0.1 for n in range(20)]) == [None] * 20
    assert rules.refuse("sendMessage", -100, 10.0) == 50  # the first one leaves at 60 s
    rules = FloodRules()
    assert refused(rules, "sendMessage", None, [0.5] * 30) == [None] * 30
    assert rules.refuse("copyMessage", 9, 0.9) == 1
    assert rules.refuse("answerCallbackQuery", None, 0.9) is None  # not a message
    assert rules.refuse("sendChatAction", 9, 0.9) is None
    assert rules.refuse("sendMessage", 9, 1.5) is None  # a second later


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.5) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    yield bot
    await bot.session.close()


async def test_the_server_answers_429_past_the_limits(fake: FakeBotAPI, bot: Bot) -> None:
    fake.limits = FloodRules()
    for n in range(3):
        await bot.send_message(5, f"m{n}")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(5, "one too many")
    assert raised.value.retry_after == 1
    assert [c.status for c in fake.calls] == [200, 200, 200, 429]


async def test_a_stalled_chat_hangs_until_released_then_fails(fake: FakeBotAPI, bot: Bot) -> None:
    fake.stalled_chats.add(5)
    sending = asyncio.create_task(bot.send_message(5, "in flight"))
    for _ in range(500):
        if fake.stalled:
            break
        await asyncio.sleep(0.01)
    assert await bot.send_message(6, "others go") is not None
    assert not sending.done()
    fake.unstall(5)
    with pytest.raises(TelegramServerError):
        await sending
    assert [(c.params["chat_id"], c.status) for c in fake.calls] == [(6, 200), (5, 502)]
