"""The updates in hand (telegram/hand.py): an update waiting for its own person, for their chat's
limit or for their previous update, waits out of the hand, so other people's updates are
handled meanwhile; the places are all given back, whatever happens to the waiting update.

Driven as Telegram would: long polling and webhook requests against the local fake Bot API, a
dispatcher with the bot's own hand, person turns and answer budget."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handlers.middlewares import WithinBudgetMiddleware
from telegram.budget import Limits, install_budget
from telegram.hand import Hand, HandDispatcher, PersonTurns, held, stepped_out
from telegram.webhook_requests import WebhookHandler
from tests.conftest import TOKEN
from tests.fakeapi import FakeBotAPI
from tests.waiting import eventually

A, B = 501, 502
SECRET = "s3cret"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A chat takes one message, then one every four seconds: a person's second answer waits long
# enough that "B was answered before it" cannot come from B's update merely being quick.
SLOW_CHATS = Limits(private_burst=1, private_per_second=0.25)


class Answering:
    """A dispatcher that answers every message with one message, in the bot's manner: the
    answer counts as a reply to its chat (its chat's limit only), one person at a time.
    ``gate``: messages saying "hold" wait for it first."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.gate = asyncio.Event()
        self.started: list[tuple[int, str]] = []
        self.dispatcher = dispatcher
        dispatcher.update.outer_middleware(WithinBudgetMiddleware())
        dispatcher.message.register(self.on_message)

    async def on_message(self, message: Message) -> None:
        self.started.append((message.chat.id, message.text or ""))
        if message.text == "hold":
            await self.gate.wait()
        await message.answer(f"re: {message.text}")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.2) as api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    install_budget(bot, SLOW_CHATS)
    yield bot
    await bot.session.close()


def answers(fake: FakeBotAPI) -> list[tuple[int, str]]:
    return [(int(c.params["chat_id"]), str(c.params["text"])) for c in fake.calls_of("sendMessage")]


def answered(fake: FakeBotAPI, chat: int, text: str) -> bool:
    return (chat, f"re: {text}") in answers(fake)


@contextlib.asynccontextmanager
async def polling(dispatcher: Dispatcher, bot: Bot, in_hand: int) -> AsyncIterator[None]:
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, polling_timeout=1, tasks_concurrency_limit=in_hand
        )
    )
    try:
        yield
    finally:
        await dispatcher.stop_polling()
        await task


async def test_polling_a_person_waiting_for_their_chat_does_not_hold_up_the_next(
    fake: FakeBotAPI, bot: Bot
) -> None:
    answering = Answering(HandDispatcher(events_isolation=PersonTurns()))
    # A writes twice (their second answer waits for their chat's limit), then B once; one
    # update in hand at a time.
    for chat, text in ((A, "one"), (A, "two"), (B, "hi")):
        fake.push_update(fake.message_update(chat, text))
    async with polling(answering.dispatcher, bot, in_hand=1):
        await eventually(lambda: answered(fake, B, "hi"), "B's answer")
        await eventually(lambda: answered(fake, A, "two"), "A's second answer")
    # B did not wait behind A's second answer: it went while that one waited for A's chat.
    assert answers(fake) == [(A, "re: one"), (B, "re: hi"), (A, "re: two")]


async def test_a_webhook_update_waiting_for_its_chat_gives_its_place_to_the_next(
    fake: FakeBotAPI, bot: Bot
) -> None:
    answering = Answering(HandDispatcher(events_isolation=PersonTurns()))
    handler = WebhookHandler(answering.dispatcher, bot, secret_token=SECRET, in_hand=1)
    app = web.Application()
    handler.register(app, path="/hook")
    async with TestClient(TestServer(app)) as client:
        handler.open()

        ids = iter(range(1, 100))

        async def post(chat: int, text: str) -> int:
            update = {**fake.message_update(chat, text), "update_id": next(ids)}
            response = await client.post("/hook", json=update, headers={HEADER: SECRET})
            return response.status

        assert await post(A, "one") == 200
        second = asyncio.create_task(post(A, "two"))
        await eventually(lambda: (A, "two") in answering.started, "A's second update in hand")
        assert await post(B, "hi") == 200  # while A's second waits for A's chat
        assert answers(fake) == [(A, "re: one"), (B, "re: hi")]
        assert await second == 200
        assert answers(fake)[-1] == (A, "re: two")
        # Every place given back: the hand takes an update again.
        assert await asyncio.wait_for(post(B, "again"), 60) == 200


async def test_a_persons_next_update_waits_for_their_last_out_of_the_hand(
    fake: FakeBotAPI, bot: Bot
) -> None:
    """Two places: A's first update holds one (it waits for something of its own), A's second
    waits for A's first; B's update is handled meanwhile. (aiogram's own isolation kept A's
    second in the other place, so B waited for A's first to end.)"""
    answering = Answering(HandDispatcher(events_isolation=PersonTurns()))
    for chat, text in ((A, "hold"), (A, "two"), (B, "hi")):
        fake.push_update(fake.message_update(chat, text))
    async with polling(answering.dispatcher, bot, in_hand=2):
        await eventually(lambda: answered(fake, B, "hi"), "B's answer")
        assert answering.started == [(A, "hold"), (B, "hi")]
        answering.gate.set()
        await eventually(lambda: answered(fake, A, "two"), "A's second answer")
    assert answering.started == [(A, "hold"), (B, "hi"), (A, "two")]


async def test_every_place_is_given_back_once_whatever_ends_the_wait() -> None:
    slots, away = asyncio.Semaphore(2), asyncio.Semaphore(4)
    out = asyncio.Event()

    async def update(ending: str) -> None:
        await slots.acquire()
        with held(Hand(slots, away)):
            async with stepped_out():
                async with stepped_out():  # nested: out once, back once
                    await asyncio.sleep(0)
                if ending == "error":
                    raise LookupError
                if ending == "cancelled":
                    out.set()
                    await asyncio.Event().wait()

    await update("normal")
    with pytest.raises(LookupError):
        await update("error")
    waiting = asyncio.create_task(update("cancelled"))
    await out.wait()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    taken: list[Any] = []
    for _ in range(2):
        taken.append(await asyncio.wait_for(slots.acquire(), 5))
    assert slots.locked()  # two places, no more: none was given back twice
    for _ in range(4):
        await asyncio.wait_for(away.acquire(), 5)
    assert away.locked()  # and every place out of the hand is back too


async def test_person_turns_forget_a_person_nobody_waits_for() -> None:
    turns = PersonTurns()
    key = StorageKey(bot_id=1, chat_id=A, user_id=A)
    async with turns.lock(key):
        second = asyncio.create_task(_enter(turns, key))
        await asyncio.sleep(0)
        assert len(turns._locks) == 1
    await second
    assert turns._locks == {}


async def _enter(turns: PersonTurns, key: Any) -> None:
    async with turns.lock(key):
        pass


async def test_past_the_places_out_of_the_hand_an_update_waits_in_its_place() -> None:
    slots, away = asyncio.Semaphore(3), asyncio.Semaphore(1)
    first_out, second_in, done = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def update(waiting: asyncio.Event) -> None:
        await slots.acquire()
        with held(Hand(slots, away)):
            async with stepped_out():
                waiting.set()
                await done.wait()

    first = asyncio.create_task(update(first_out))
    await first_out.wait()
    second = asyncio.create_task(update(second_in))
    await second_in.wait()
    # Three places: the first update's is free again, the second kept its own (the one place
    # out of the hand is the first's).
    assert [await asyncio.wait_for(slots.acquire(), 5) for _ in range(2)] == [True, True]
    assert slots.locked()
    for _ in range(2):
        slots.release()
    done.set()
    await asyncio.gather(first, second)
    assert [await asyncio.wait_for(slots.acquire(), 5) for _ in range(3)] == [True] * 3


async def test_person_turns_closed_while_updates_are_in_hand_let_them_finish() -> None:
    """aiogram closes the isolation when polling stops, before the updates in hand end."""
    turns = PersonTurns()
    key = StorageKey(bot_id=1, chat_id=A, user_id=A)
    async with turns.lock(key):
        waiting = asyncio.create_task(_enter(turns, key))
        await asyncio.sleep(0)
        await turns.close()
    await asyncio.wait_for(waiting, 5)
    assert turns._locks == {}
