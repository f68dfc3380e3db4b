"""The real bot process serves the office console in polling mode too, and says where in its
start-up log (a newcomer finds it there); WEB_LISTEN=off leaves the web server out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakeapi import FakeBotAPI
from tests.test_e2e import STARTUP_TIMEOUT, Seeded, seeded
from tests.test_webhook import start

__all__ = ["seeded"]  # fixture
pytestmark = pytest.mark.e2e

CONSOLE = re.compile(r"office console: (http://\S+)/console")
POLLING = "polling mode: the bot asks Telegram for updates"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.5) as api:
        yield api


async def test_polling_mode_serves_the_console_and_prints_its_address(
    fake: FakeBotAPI, seeded: Seeded
) -> None:
    bot = await start(fake, seeded, WEB_LISTEN="127.0.0.1:0")
    try:
        await bot.until(lambda: POLLING in bot.logs(), "polling", STARTUP_TIMEOUT)
        found = CONSOLE.search(bot.logs())
        assert found is not None, bot.logs()
        address = found[1]
        async with aiohttp.ClientSession() as http:
            async with http.get(address + "/healthz") as health:
                assert health.status == 200
            headers = {"Accept-Language": "en"}
            async with http.get(address + "/console", headers=headers) as page:
                assert page.status == 401 and "send /web to the bot" in await page.text()
    finally:
        await bot.close()


async def test_web_listen_off_runs_no_web_server(fake: FakeBotAPI, seeded: Seeded) -> None:
    bot = await start(fake, seeded, WEB_LISTEN="off")
    try:
        await bot.until(lambda: POLLING in bot.logs(), "polling", STARTUP_TIMEOUT)
        assert "web server off (WEB_LISTEN=off)" in bot.logs()
        assert CONSOLE.search(bot.logs()) is None
    finally:
        await bot.close()
