"""Webhook mode (WEBHOOK_URL): the real bot process registers its webhook with the fake Bot API
(the secret token made once and kept, exactly the update kinds its handlers use, nothing
dropped), takes updates over HTTP only with that secret, answers through the fake, handles a
redelivered update once, answers its health check, and goes back to polling when WEBHOOK_URL
is unset (removing the webhook, which would refuse every getUpdates)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from storage.db import Database
from telegram.webhook_requests import WebhookHandler
from tests.fakeapi import FakeBotAPI
from tests.test_cli import cli_env, run_cli
from tests.test_e2e import (
    RESIDENT,
    STARTUP_TIMEOUT,
    TOKEN,
    BotProcess,
    Seeded,
    query,
    seeded,
)
from tests.waiting import eventually
from web.server import HEALTH_CHECKS, Probe, create_web_app

__all__ = ["seeded"]  # fixture
pytestmark = pytest.mark.e2e

URL = "https://bot.example.org/telegram/hook"
PATH = "/telegram/hook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
SERVED = re.compile(r"webhook mode: Telegram posts updates to (\S+), served on (http://\S+)")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.5) as api:
        yield api


async def start(fake: FakeBotAPI, seeded: Seeded, **settings: str | None) -> BotProcess:
    env = cli_env(
        seeded.db,
        BOT_USERNAME=None,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.base_url,
        OUTBOX_POLL_SECONDS="0.2",
        SHUTDOWN_FLUSH_SECONDS="1",
        **settings,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=seeded.cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return BotProcess(process, fake)


async def start_webhook(fake: FakeBotAPI, seeded: Seeded) -> tuple[BotProcess, str]:
    """The bot in webhook mode on a port the system chose; returns it and its address."""
    bot = await start(fake, seeded, WEBHOOK_URL=URL, WEB_LISTEN="127.0.0.1:0")
    await bot.until(lambda: bool(SERVED.search(bot.logs())), "the webhook", STARTUP_TIMEOUT)
    match = SERVED.search(bot.logs())
    assert match is not None and match[1] == URL
    return bot, match[2]


def used_update_kinds() -> set[str]:
    dispatcher = create_dispatcher(Config(), Database("sqlite+aiosqlite:///:memory:"))
    return set(dispatcher.resolve_used_update_types())


async def test_the_bot_takes_updates_over_its_webhook(fake: FakeBotAPI, seeded: Seeded) -> None:
    bot, address = await start_webhook(fake, seeded)
    http = aiohttp.ClientSession()
    try:
        # Registered once, after the server listens: the secret, exactly the handlers' kinds
        # of update, nothing dropped. The bot never polls.
        [registered] = fake.calls_of("setWebhook")
        assert registered.params["url"] == URL
        secret = str(registered.params["secret_token"])
        assert len(secret) >= 32
        assert set(registered.params["allowed_updates"]) == used_update_kinds()
        assert not registered.params.get("drop_pending_updates")
        assert not fake.calls_of("getUpdates") and not fake.calls_of("deleteWebhook")
        [(kept,)] = query(
            seeded.db,
            "SELECT value FROM deployment_secrets WHERE name = 'webhook_secret_token'",
        )
        assert kept == secret
        assert "polling" not in bot.logs().lower()

        update = {
            **fake.message_update(RESIDENT, f"/start {seeded.join}", language_code="en"),
            "update_id": 5001,
        }
        # No secret, a wrong one: 401, one line in the log, and nothing handled.
        for headers in ({}, {HEADER: "guess"}, {HEADER: secret[:-1]}):
            async with http.post(address + PATH, json=update, headers=headers) as response:
                assert response.status == 401
        await bot.until(
            lambda: bot.logs().count("webhook: 401 for 127.0.0.1") == 3, "the 401s logged", 10
        )
        assert "guess" not in bot.logs() and secret not in bot.logs()

        # With the secret: the resident is answered through the Bot API.
        mark = len(fake.calls)
        async with http.post(address + PATH, json=update, headers={HEADER: secret}) as response:
            assert response.status == 200
        [answer] = await bot.expect(mark, "sendMessage", RESIDENT)
        assert answer.params["text"]

        # Telegram delivers it again (it did not see our 200 in time): handled once.
        async with http.post(address + PATH, json=update, headers={HEADER: secret}) as response:
            assert response.status == 200
        await bot.until(lambda: "update 5001: seen before, skipped" in bot.logs(), "a skip", 30)
        assert len(bot.calls_since(mark, "sendMessage", RESIDENT)) == 1

        async with http.get(address + "/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"ok": True, "database": True}

        assert await bot.stop() == 0
        assert "outbox flushed" in bot.logs()
    finally:
        await http.close()
        await bot.close()

    # Without WEBHOOK_URL the bot polls: the webhook goes (its queued updates stay queued),
    # else Telegram would refuse every getUpdates.
    fake.push_update(fake.message_update(RESIDENT, "/help", language_code="en"))
    mark = len(fake.calls)
    polling = await start(fake, seeded)
    try:
        [removed] = await polling.expect(mark, "deleteWebhook")
        assert not removed.params.get("drop_pending_updates")
        await polling.expect(mark, "sendMessage", RESIDENT)
        assert "polling mode" in polling.logs()
        assert await polling.stop() == 0
    finally:
        await polling.close()

    # The secret is the deployment's: a restart in webhook mode gives Telegram the same one.
    again, _ = await start_webhook(fake, seeded)
    try:
        assert fake.calls_of("setWebhook")[-1].params["secret_token"] == secret
    finally:
        await again.close()


async def test_a_port_in_use_or_a_refused_url_stops_the_start_with_one_line(
    fake: FakeBotAPI, seeded: Seeded
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        bot = await start(fake, seeded, WEBHOOK_URL=URL, WEB_LISTEN=f"127.0.0.1:{port}")
        try:
            assert await asyncio.wait_for(bot.process.wait(), STARTUP_TIMEOUT) == 2
        finally:
            await bot.close()
    finally:
        taken.close()
    assert bot.stderr.decode().splitlines()[-1] == (
        f"error: WEB_LISTEN: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in bot.logs()

    fake.fail("setWebhook", status=400, description="Bad Request: bad webhook: Failed to "
              "resolve host: Name or service not known")  # fmt: skip
    bot = await start(fake, seeded, WEBHOOK_URL=URL, WEB_LISTEN="127.0.0.1:0")
    try:
        assert await asyncio.wait_for(bot.process.wait(), STARTUP_TIMEOUT) == 2
    finally:
        await bot.close()
    assert bot.stderr.decode().splitlines()[-1] == (
        "error: WEBHOOK_URL: Telegram refused it: Bad Request: bad webhook: Failed to resolve "
        "host: Name or service not known"
    )
    # Nothing had started: no menus set, no scan begun and cut short.
    assert "Traceback" not in bot.logs() and not fake.calls_of("setMyCommands")


def test_a_webhook_url_telegram_would_refuse_stops_the_start(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = cli_env(tmp_path / "louzhang.db", BOT_TOKEN=TOKEN, WEBHOOK_URL="http://bot.example.org/")
    result = run_cli(cwd=cwd, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: WEBHOOK_URL is malformed: expected the public https://")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("sqlite+aiosqlite:///{tmp}/louzhang.db", 200),
        # Nothing listens on port 1: the database does not answer.
        ("postgresql+asyncpg://bot@127.0.0.1:1/louzhang", 503),
    ],
)
async def test_health_says_whether_the_database_answers(
    tmp_path: Path, url: str, status: int
) -> None:
    db = Database(url.format(tmp=tmp_path))

    def checks(app: web.Application) -> None:
        probes: dict[str, Probe] = {"database": db.ping}
        app[HEALTH_CHECKS] = probes

    try:
        async with TestClient(TestServer(create_web_app(Translations(), [checks]))) as client:
            response = await client.get("/healthz")
            body: Any = await response.json()
        assert response.status == status
        assert body == {"ok": status == 200, "database": status == 200}
    finally:
        await db.close()


# ----------------------------------------------------------------------------- the handler
# In process, with a dispatcher whose one handler waits until the test lets it finish.


class Held:
    """A dispatcher whose message handler holds each update until ``release``."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []
        self.gate = asyncio.Event()
        self.dispatcher = Dispatcher()
        self.dispatcher.message.register(self.on_message)

    async def on_message(self, message: Message) -> None:
        self.started.append(message.message_id)
        await self.gate.wait()
        self.finished.append(message.message_id)


def update_json(n: int) -> dict[str, Any]:
    chat = {"id": 1, "type": "private", "first_name": "A"}
    message = {"message_id": n, "date": 0, "chat": chat, "text": "hi"}
    return {"update_id": n, "message": message}


@pytest.fixture
async def held() -> AsyncIterator[
    tuple[Held, WebhookHandler, TestClient[web.Request, web.Application]]
]:
    held = Held()
    bot = Bot(TOKEN)
    handler = WebhookHandler(held.dispatcher, bot, secret_token="s3cret", in_hand=2)
    app = web.Application()
    handler.register(app, path="/hook")
    async with TestClient(TestServer(app)) as client:
        yield held, handler, client
    await bot.session.close()


async def test_telegram_gets_its_answer_once_the_update_is_handled(
    held: tuple[Held, WebhookHandler, TestClient[web.Request, web.Application]],
) -> None:
    """An update in hand when the process dies is unanswered, so Telegram delivers it again;
    and no more than ``in_hand`` are handled at a time."""
    h, handler, client = held
    handler.open()
    posts = [
        asyncio.create_task(client.post("/hook", json=update_json(n), headers={HEADER: "s3cret"}))
        for n in (1, 2, 3)
    ]
    # Two in hand, the third held back until one is done; nothing answered before it is.
    await eventually(lambda: len(h.started) == 2 and handler.waiting == 1, "a full hand")
    assert not any(post.done() for post in posts)
    h.gate.set()
    responses = await asyncio.gather(*posts)
    assert [r.status for r in responses] == [200, 200, 200]
    assert sorted(h.finished) == [1, 2, 3]


async def test_an_update_waits_for_the_start_up(
    held: tuple[Held, WebhookHandler, TestClient[web.Request, web.Application]],
) -> None:
    """The webhook is set before the start-up (so a URL Telegram refuses stops the start before
    anything runs): an update Telegram posts meanwhile waits for it, it is not refused."""
    h, handler, client = held
    h.gate.set()
    post = asyncio.create_task(
        client.post("/hook", json=update_json(1), headers={HEADER: "s3cret"})
    )
    await eventually(lambda: handler.waiting == 1, "the update to wait")
    assert not h.started and not post.done()
    handler.open()
    assert (await post).status == 200
    assert h.finished == [1]


async def test_a_stopping_bot_finishes_what_it_holds_and_takes_nothing_new(
    held: tuple[Held, WebhookHandler, TestClient[web.Request, web.Application]],
) -> None:
    h, handler, client = held
    handler.open()
    first = asyncio.create_task(
        client.post("/hook", json=update_json(1), headers={HEADER: "s3cret"})
    )
    await eventually(lambda: h.started == [1], "the update in hand")
    handler.shut()
    refused = await client.post("/hook", json=update_json(2), headers={HEADER: "s3cret"})
    assert refused.status == 503  # Telegram delivers it again, to the next process
    # Past the deadline, what is still in hand is given up: unanswered, delivered again.
    assert await handler.drain(0.1) == 1
    with contextlib.suppress(aiohttp.ClientError):
        response = await first
        assert response.status != 200
    assert h.finished == []
