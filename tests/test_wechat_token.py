"""WeChat's access token is shared by the processes of a deployment (kept in the database):
each fetch ends the token before it, so two instances on one database fetch once between them,
when it is first needed and when WeChat refuses it, and the instance that did not fetch uses the
other's. A lease left by a process that died lapses. On PostgreSQL too (tests marked BOTH)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.config import Config
from storage.db import Database
from storage.repositories.secrets import SecretRepository
from tests.conftest import FakeClock
from tests.fakewechat import APP_ID, APP_SECRET, FakeWeChat, serve
from tests.test_open311 import BOTH, config
from tests.waiting import PATIENCE, eventually
from wechat.api import LEASE, LEASE_NAME, WeChatApi, WeChatError

__all__ = ["config"]  # a fixture: SQLite, and PostgreSQL for the tests marked BOTH

WAITING = "another process is fetching the access token"


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeChat:
    return FakeWeChat(clock)


@pytest.fixture
async def two(
    config: Config, db: Database, clock: FakeClock, fake: FakeWeChat
) -> AsyncIterator[tuple[WeChatApi, WeChatApi]]:
    """Two instances of the door: each its own engine and HTTP session, one database."""
    other = Database(config.database_url)
    async for url in serve(fake):
        first = WeChatApi(url, APP_ID, APP_SECRET, db, clock, lease_wait=PATIENCE)
        second = WeChatApi(url, APP_ID, APP_SECRET, other, clock, lease_wait=PATIENCE)
        try:
            yield first, second
        finally:
            await first.close()
            await second.close()
    await other.close()


def waits(caplog: pytest.LogCaptureFixture) -> int:
    return sum(WAITING in record.getMessage() for record in caplog.records)


@BOTH
async def test_two_instances_fetch_the_token_once_and_renew_it_once(
    two: tuple[WeChatApi, WeChatApi], fake: FakeWeChat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="wechat.api")
    first, second = two
    fake.token_gate = asyncio.Event()
    one = asyncio.create_task(first.token())
    await eventually(lambda: fake.token_requests == 1, "the first instance fetching")
    other = asyncio.create_task(second.token())
    await eventually(lambda: waits(caplog) == 1, "the second instance waiting for it")
    fake.token_gate.set()
    assert await one == await other == "ACCESS-1"
    assert fake.token_requests == 1

    # WeChat refuses ACCESS-1 to both (say, someone fetched one with the secret elsewhere):
    # one renews, the other takes the new token.
    fake.token_gate = asyncio.Event()
    one = asyncio.create_task(first.token(renew=True, refused="ACCESS-1"))
    await eventually(lambda: fake.token_requests == 2, "the first instance renewing")
    other = asyncio.create_task(second.token(renew=True, refused="ACCESS-1"))
    await eventually(lambda: waits(caplog) == 2, "the second instance waiting for it")
    fake.token_gate.set()
    assert await one == await other == "ACCESS-2"
    assert fake.token_requests == 2
    # Neither the token nor the secret in the log.
    assert "ACCESS-" not in caplog.text and APP_SECRET not in caplog.text


async def test_a_lease_left_by_a_dead_instance_lapses(
    two: tuple[WeChatApi, WeChatApi], fake: FakeWeChat, db: Database, clock: FakeClock
) -> None:
    first, _ = two
    async with db.session() as session:
        until = (clock() + LEASE).isoformat()
        await SecretRepository(session).add(LEASE_NAME, json.dumps({"until": until}), clock())
        await session.commit()
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await first.token() == "ACCESS-1"
    assert fake.token_requests == 1
    # A fetch that failed frees the lease at once: the next asks WeChat again, no waiting.
    clock.advance(hours=3)
    first.app_id = "wx-wrong"
    with pytest.raises(WeChatError, match="40013"):
        await first.token()
    async with db.session() as session:
        lease = await SecretRepository(session).get(LEASE_NAME)
    assert lease is not None
    assert datetime.fromisoformat(json.loads(lease)["until"]) <= clock()
    first.app_id = APP_ID
    assert await first.token() == "ACCESS-2"
