"""What the start built is out of the garbage collector's sight before the bot serves anything
(bot/startup.py: freeze_startup_objects), so a full collection in a burst does not walk it. The
real process (``python -m bot``) runs under a probe that, at the first update it handles or the
first web request it serves, prints how many objects are frozen; polling (the webhook shares its
start-up hooks) and the run without a token, which has its own start."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakeapi import FakeBotAPI
from tests.test_cli import cli_env
from tests.test_e2e import RESIDENT, STARTUP_TIMEOUT, TOKEN, BotProcess

pytestmark = pytest.mark.e2e

# ``python -m bot`` with two public hooks: aiogram's Dispatcher.feed_update, which every update
# goes through, and a middleware on the bot's web application. At a polled update it also says
# whether the delivery worker and the scheduler, the last things the start-up builds, are frozen
# (gc.get_objects lists only what the collector still watches).
PROBE = """
import gc, sys
import bot.__main__
from aiogram import Dispatcher
from aiohttp import web
import web.server as web_server

def report(what, extra=""):
    print(f"PROBE {what}: {gc.get_freeze_count()} frozen{extra}", file=sys.stderr, flush=True)

feed_update = Dispatcher.feed_update

async def probed_feed_update(self, bot, update, **kwargs):
    watched = {id(o) for o in gc.get_objects()}
    built = [self["delivery"], self["scheduler"]]
    report("update", f", last built frozen: {all(id(o) not in watched for o in built)}")
    return await feed_update(self, bot, update, **kwargs)

Dispatcher.feed_update = probed_feed_update
create_web_app = web_server.create_web_app

@web.middleware
async def probe(request, handler):
    report("request")
    return await handler(request)

def probed_create_web_app(*args, **kwargs):
    app = create_web_app(*args, **kwargs)
    app.middlewares.append(probe)
    return app

web_server.create_web_app = probed_create_web_app
sys.exit(bot.__main__.main())
"""
SEEN = re.compile(r"PROBE (update|request): (\d+) frozen(?:, last built frozen: (\w+))?")
LISTENING = re.compile(r"office console: (http://[\d.:]+)")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.5) as api:
        yield api


async def start(fake: FakeBotAPI, tmp_path: Path, **settings: str | None) -> BotProcess:
    env = cli_env(
        tmp_path / "louzhang.db",
        BOT_USERNAME=None,
        TELEGRAM_API_URL=fake.base_url,
        SHUTDOWN_FLUSH_SECONDS="1",
        **settings,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return BotProcess(process, fake)


async def test_a_polling_bot_has_frozen_its_start_when_the_first_update_comes(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = await start(fake, tmp_path, BOT_TOKEN=TOKEN, WEB_LISTEN="off")
    try:
        fake.push_update(fake.message_update(RESIDENT, "/start", language_code="en"))
        await bot.until(lambda: bool(SEEN.search(bot.logs())), "the first update", STARTUP_TIMEOUT)
        seen = SEEN.search(bot.logs())
        assert seen is not None and seen[1] == "update"
        assert int(seen[2]) > 10_000, bot.logs()  # the modules and models of the start, not a few
        assert seen[3] == "True", bot.logs()
        assert await bot.stop() == 0, bot.logs()
    finally:
        await bot.close()


async def test_a_run_without_a_token_has_frozen_its_start_when_the_first_request_comes(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = await start(fake, tmp_path, BOT_TOKEN=None)
    try:
        # The sign-in link is the start's last line; then the web server's first request.
        await bot.until(lambda: "sign-in" in bot.logs(), "the start", STARTUP_TIMEOUT)
        listening = LISTENING.search(bot.logs())
        assert listening is not None, bot.logs()
        async with (
            aiohttp.ClientSession() as http,
            http.get(listening[1] + "/healthz") as response,
        ):
            assert response.status == 200
        await bot.until(lambda: bool(SEEN.search(bot.logs())), "the first request", 10)
        seen = SEEN.search(bot.logs())
        assert seen is not None and seen[1] == "request"
        assert int(seen[2]) > 10_000, bot.logs()
        assert await bot.stop() == 0, bot.logs()
    finally:
        await bot.close()
