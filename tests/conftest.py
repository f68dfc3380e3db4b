from __future__ import annotations

# First, as ``python -m bot`` does: the tests meet aiogram's models built on first use.
import telegram.lazy_models  # noqa: F401  (installs itself: telegram/lazy_models.py)

# isort: split
import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot

from bot.app import create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from telegram.budget import install_budget
from tests.botclient import BotClient, FakeSession
from tests.stall import (  # noqa: F401  (hooks: a hung test, set-up or tear-down fails)
    pytest_runtest_call,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)

TOKEN = "123456:TEST-token-for-the-fake-session-only"
ADMIN_ID = 9000


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class InstantTime:
    """A monotonic clock for the bot's rate limits in handler tests: a wait for a slot moves it
    on at once, so the limits keep their order and priorities without real waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        bot_token=Secret(TOKEN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        bot_username="louzhang_test_bot",
        admin_ids=frozenset({ADMIN_ID}),
    )


@pytest.fixture
def translations() -> Translations:
    return Translations(default="zh-hans")


@pytest.fixture
async def db(config: Config) -> AsyncIterator[Database]:
    database = Database(config.database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def services(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> Services:
    return Services.create(config, db, translations, clock)


@pytest.fixture
async def client(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> AsyncIterator[BotClient]:
    session = FakeSession()
    bot = Bot(TOKEN, session=session)
    instant = InstantTime()
    install_budget(bot, clock=instant, sleep=instant.sleep)  # as create_bot does, on fast time
    dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
    yield BotClient(dispatcher, bot, session)
    await dispatcher["update_log"].close()  # as the bot's shutdown does
    await dispatcher.storage.close()
