"""Several instances, in process: an update delivered to two instances at once is handled once
(claimed in Redis, else in PostgreSQL), one person's updates wait for each other across
instances while other people's do not, a lock left by a dead instance expires, and Redis not
answering gives the update back to Telegram (503) instead of handling it blind. The real
processes: tests/test_three_instances.py. Needs TEST_REDIS_URL (and TEST_POSTGRES_URL for the
PostgreSQL claims)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Chat, Message, Update, User
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services.updates import DatabaseUpdateClaims, RedisUpdateClaims, SharedStateUnavailable
from storage.db import Database
from telegram.isolation import RedisUserLocks
from telegram.webhook_requests import WebhookHandler
from tests.botclient import FakeSession
from tests.conftest import FakeClock

REDIS_URL = os.environ.get("TEST_REDIS_URL")
PG_URL = os.environ.get("TEST_POSTGRES_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="TEST_REDIS_URL is not set (a Redis server for these tests)"
)
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: Redis does not answer


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    assert REDIS_URL is not None
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
def namespace() -> str:
    return f"test:{uuid.uuid4().hex}"


@pytest.fixture
async def cleanup(redis: Redis, namespace: str) -> AsyncIterator[None]:
    yield
    keys = [key async for key in redis.scan_iter(f"{namespace}:*")]
    if keys:
        await redis.delete(*keys)


def key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


@needs_redis
async def test_one_persons_updates_wait_for_each_other_and_nobody_else_waits(
    redis: Redis, namespace: str, cleanup: None
) -> None:
    # Two instances: two lock holders on the same Redis.
    first, second = RedisUserLocks(redis, namespace), RedisUserLocks(redis, namespace)
    inside, leave, order = asyncio.Event(), asyncio.Event(), []

    async def hold(locks: RedisUserLocks, user: int, name: str) -> None:
        async with locks.lock(key(user)):
            order.append(name)
            if name == "a1":
                inside.set()
                await leave.wait()

    a1 = asyncio.create_task(hold(first, 1, "a1"))
    await inside.wait()
    a2 = asyncio.create_task(hold(second, 1, "a2"))  # the same person, another instance
    await hold(second, 2, "b")  # someone else: not held up
    assert order == ["a1", "b"] and not a2.done()
    leave.set()
    await asyncio.gather(a1, a2)
    assert order == ["a1", "b", "a2"]
    assert not await redis.exists(first.key(1))  # given back


@needs_redis
async def test_a_lock_left_by_a_dead_instance_expires_and_is_never_taken_from_its_holder(
    redis: Redis, namespace: str, cleanup: None
) -> None:
    locks = RedisUserLocks(redis, namespace, lease_ms=300)
    # Killed while holding it: its lease runs out.
    await redis.set(locks.key(7), "dead", px=300)
    async with locks.lock(key(7)):
        token = await redis.get(locks.key(7))
        assert token not in (None, b"dead")
        # Kept alive past its lease while the update is in hand.
        await asyncio.sleep(0.5)
        assert await redis.get(locks.key(7)) == token
        # Lost meanwhile (a freeze) and taken by another: given back, it stays theirs.
        await redis.set(locks.key(7), "other", px=10_000)
    assert await redis.get(locks.key(7)) == b"other"


async def test_redis_not_answering_refuses_the_lock_and_the_claim() -> None:
    client = Redis.from_url(NOWHERE)
    try:
        with pytest.raises(SharedStateUnavailable):
            async with RedisUserLocks(client, "x").lock(key(1)):
                pass
        with pytest.raises(SharedStateUnavailable):
            await RedisUpdateClaims(client, "x").begin(1)
    finally:
        await client.aclose()


def update(update_id: int, user_id: int, words: str = "/help") -> Update:
    user = User(id=user_id, is_bot=False, first_name="A", language_code="en")
    message = Message(
        message_id=update_id,
        date=datetime(2026, 1, 1, tzinfo=UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=user,
        text=words,
    )
    return Update(update_id=update_id, message=message)


@needs_redis
async def test_an_update_delivered_to_two_instances_at_once_is_handled_once(
    config: Config, db: Database, translations: Translations, clock: FakeClock, redis: Redis
) -> None:
    assert REDIS_URL is not None
    # A bot of this run's own: its update ids and locks are keyed by its id.
    bot_id = 8 * 10**9 + random.randrange(10**9)
    token = f"{bot_id}:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"
    config = dataclasses.replace(config, redis_url=Secret(REDIS_URL), bot_token=Secret(token))
    instances: list[tuple[Dispatcher, Bot, FakeSession]] = []
    for _ in range(2):
        session = FakeSession()
        dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
        instances.append((dispatcher, Bot(token, session=session), session))
    user = 10**10 + os.getpid() * 100 + random.randrange(100)
    try:
        again = update(900_001, user)
        await asyncio.gather(*(dp.feed_update(bot, again) for dp, bot, _ in instances))
        answers = [
            r for _, _, s in instances for r in s.requests if r.__api_method__ == "sendMessage"
        ]
        assert len(answers) == 1
        assert await redis.exists(f"louzhang:{bot_id}:update:900001")
        # Later, to either: skipped.
        for dp, bot, session in instances:
            before = len(session.requests)
            await dp.feed_update(bot, again)
            assert len(session.requests) == before
        # A new update is handled.
        dp, bot, session = instances[1]
        await dp.feed_update(bot, update(900_002, user))
        assert any(r.__api_method__ == "sendMessage" for r in session.requests)
    finally:
        for dp, _, _ in instances:
            await dp.storage.close()
        keys = [k async for k in redis.scan_iter(f"louzhang:{bot_id}:*")]
        keys += [k async for k in redis.scan_iter(f"fsm:{bot_id}:*")]
        if keys:
            await redis.delete(*keys)


async def test_the_webhook_answers_503_while_redis_does_not_answer(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    """Nothing handled, nothing claimed, nobody told: Telegram delivers the update again."""
    config = dataclasses.replace(config, redis_url=Secret(NOWHERE))
    dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
    session = FakeSession()
    bot = Bot(config.require_token().get(), session=session)
    handler = WebhookHandler(dispatcher, bot, secret_token="s3cret", in_hand=4)
    app = web.Application()
    handler.register(app, path="/hook")
    handler.open()
    try:
        async with TestClient(TestServer(app)) as client:
            body = update(5, 77).model_dump(mode="json", exclude_none=True)
            response = await client.post(
                "/hook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            )
            assert response.status == 503
        assert session.requests == []
    finally:
        await dispatcher.storage.close()
        await bot.session.close()


async def test_without_redis_update_ids_are_claimed_in_the_database(
    db: Database, clock: FakeClock
) -> None:
    claims = DatabaseUpdateClaims(db, clock)
    assert await claims.begin(41)
    assert not await claims.begin(41)
    assert not await DatabaseUpdateClaims(db, clock).begin(41)  # another instance
    assert await claims.begin(42)


@pytest.mark.skipif(not PG_URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server)")
async def test_on_postgres_two_instances_claiming_one_update_at_once_one_wins(
    clock: FakeClock,
) -> None:
    assert PG_URL is not None
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    dbs = [Database(url), Database(url)]  # two processes: two pools
    try:
        await dbs[0].migrate()
        for update_id in range(1, 21):
            won = await asyncio.gather(
                *(DatabaseUpdateClaims(db, clock).begin(update_id) for db in dbs)
            )
            assert sorted(won) == [False, True]
    finally:
        for db in dbs:
            await db.close()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
