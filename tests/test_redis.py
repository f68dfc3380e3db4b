"""Conversations in Redis (REDIS_URL) survive a restart like those in the database. Needs
TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15."""

from __future__ import annotations

import dataclasses
import os
import random

import pytest
from aiogram import Bot
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.app import create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from storage.db import Database
from tests.botclient import BotClient, FakeSession, asked, only
from tests.conftest import TOKEN, FakeClock
from tests.factories import make_world

URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="TEST_REDIS_URL is not set (a Redis server for these tests)"
)


async def test_a_draft_in_redis_survives_a_restart(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    assert URL is not None
    # A bot of this run's own: the update ids it handled stay in Redis for days
    # (louzhang:<bot id>:update:<id>), and every run starts its ids at 1.
    bot_id = 9 * 10**9 + random.randrange(10**9)
    token = f"{bot_id}:{TOKEN.split(':', 1)[1]}"
    config = dataclasses.replace(config, redis_url=Secret(URL), bot_token=Secret(token))
    session = FakeSession()
    bot = Bot(token, session=session)
    dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
    assert isinstance(dispatcher.storage, RedisStorage)
    client = BotClient(dispatcher, bot, session)
    world = await make_world(client, dispatcher["services"], db, clock)
    # A user id of this run's own (concurrent runs on one machine have different pids, and the
    # random part keeps machines sharing a Redis apart), so runs sharing the Redis database
    # never meet; its keys are deleted at the end.
    user_id = 10**9 + os.getpid() * 1000 + random.randrange(1000)
    resident = await world.join(client.user(user_id, "en"), "A1")
    sent = await client.send(resident, "/report")
    await client.click(resident, only(sent), "🔧 Repairs")
    await client.send(resident, "Broken window in the stairwell")
    await dispatcher.storage.close()

    client.dp = create_dispatcher(config, db, translations=translations, clock=clock)
    storage = client.dp.storage
    assert isinstance(storage, RedisStorage)
    try:
        sent = await client.send(resident, "Skip")
        summary = await client.click(resident, sent[-1], "Continue ›")
        assert "Broken window in the stairwell" in asked(summary).text
    finally:
        keys = [key async for key in storage.redis.scan_iter(f"*:{user_id}:*")]
        keys += [key async for key in storage.redis.scan_iter(f"louzhang:{bot_id}:*")]
        if keys:
            await storage.redis.delete(*keys)
        await storage.close()


async def test_two_bots_on_one_redis_keep_a_persons_conversations_apart(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    """Two bots (two tokens) on one Redis: the same person's conversation with one is not
    their conversation with the other (the bot id is in the key)."""
    assert URL is not None
    first = 9 * 10**9 + random.randrange(10**9)
    token = f"{first}:{TOKEN.split(':', 1)[1]}"
    config = dataclasses.replace(config, redis_url=Secret(URL), bot_token=Secret(token))
    storage = create_dispatcher(config, db, translations=translations, clock=clock).storage
    assert isinstance(storage, RedisStorage)
    user_id = 10**9 + os.getpid() * 1000 + random.randrange(1000)
    theirs, other = (
        StorageKey(bot_id=b, chat_id=user_id, user_id=user_id) for b in (first, first + 1)
    )
    try:
        await storage.set_state(theirs, "ReportFlow:description")
        await storage.set_data(theirs, {"building_id": 5})
        assert await storage.get_state(other) is None
        assert await storage.get_data(other) == {}
        await storage.set_state(other, None)
        await storage.set_data(other, {})
        assert await storage.get_state(theirs) == "ReportFlow:description"
        assert await storage.get_data(theirs) == {"building_id": 5}
    finally:
        keys = [key async for key in storage.redis.scan_iter(f"*:{user_id}:*")]
        if keys:
            await storage.redis.delete(*keys)
        await storage.close()
