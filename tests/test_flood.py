"""Per-person flood limit on messages."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from aiogram import Bot
from aiogram.types import Message

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from handlers.middlewares import MAX_SENDERS, FloodMiddleware
from storage.db import Database
from tests.botclient import BotClient, FakeSession, texts
from tests.conftest import TOKEN, FakeClock


async def test_a_flood_is_slowed_down_once_then_ignored_for_the_minute(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    config = dataclasses.replace(config, flood_messages_per_minute=3)
    session = FakeSession()
    client = BotClient(
        create_dispatcher(config, db, translations=translations, clock=clock),
        Bot(TOKEN, session=session),
        session,
    )
    spammer, neighbour = client.user(1, "en"), client.user(2, "en")
    answered = [texts(await client.send(spammer, "/help")) for _ in range(3)]
    assert all(answered)
    assert texts(await client.send(spammer, "/help")) == [
        "You are sending messages very fast. Please wait a minute; messages sent meanwhile are "
        "ignored."
    ]
    assert texts(await client.send(spammer, "/help")) == []  # warned once, then silence
    assert texts(await client.send(neighbour, "/help"))  # others are not affected
    clock.advance(seconds=61)
    assert texts(await client.send(spammer, "/help"))


async def test_the_limiter_remembers_only_the_last_minutes_senders_and_at_most_a_cap(
    clock: FakeClock,
) -> None:
    """100,000 people writing once each (once 83 MB never freed): the limiter holds at
    most MAX_SENDERS of them, forgets everyone a minute after they last wrote, and still
    slows down a flooder among them."""
    limiter = FloodMiddleware(3, clock)
    # An unvalidated stand-in (the limiter reads neither its chat nor its date).
    message = Message.model_construct(message_id=1, chat=None, date=0)  # type: ignore[arg-type]
    handled: list[int] = []

    async def handler(event: object, data: dict[str, Any]) -> None:
        handled.append(data["event_from_user"].id)

    async def write(user_id: int) -> None:
        # The limiter reads only the id (a pydantic User would cost most of the test's time).
        await limiter(handler, message, {"event_from_user": SimpleNamespace(id=user_id)})

    for _ in range(3):
        await write(1)
    for user_id in range(2, 100_002):  # 100,000 others within 10 seconds
        await write(user_id)
        clock.advance(seconds=0.0001)
        if user_id == 5_000:
            await write(1)  # the flooder, amid the crowd, is still held back
            assert handled.count(1) == 3
        assert len(limiter) <= MAX_SENDERS
    assert len(limiter) == MAX_SENDERS
    assert len(handled) == 3 + 100_000

    clock.advance(seconds=61)
    await write(7)
    assert len(limiter) == 1  # everyone idle for a minute is forgotten

    # Senders spread over time: only those of the last minute are held.
    for user_id in range(200_000, 200_600):
        await write(user_id)
        clock.advance(seconds=1)
    assert len(limiter) == 60
