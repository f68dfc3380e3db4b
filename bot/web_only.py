"""``python -m bot`` without BOT_TOKEN: the Telegram door is off, the rest runs on the same
database. The web server serves the residents' door, the office console, Open311 (and the WeChat
door when it is configured); the delivery worker delivers the web's pushes and WeChat's
messages; the scheduler keeps its rhythm. What is meant for Telegram waits in the outbox, neither
sent nor failed: the worker claims only the channels it has a sender for, so those rows go out
when the bot next starts with a token.

A database with no community yet gets the example community (examples/tangzhong.csv), so a
newcomer sees the whole loop on a fresh machine: the start-up names the first poster's page and
a one-time console sign-in link. Only without a token: with one, the operator is setting up a
real deployment and imports their own buildings, and residents joining an example community
would be a mess to undo."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.delivery import DeliveryWorker
from bot.i18n import Translations
from bot.instances import InstanceRegistry
from bot.scheduler import Scheduler
from bot.services import Services, system_clock
from bot.services.community import parse_buildings_csv
from bot.services.console import LINK_TTL
from bot.services.local_office import LocalOffice
from bot.services.staff_rows import StaffRows
from bot.startup import freeze_startup_objects
from storage.db import Database

log = logging.getLogger("bot")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tangzhong.csv"
# Adds the WeChat door's callback to the setups and returns its API client (bot/__main__.py).
WeChatDoor = Callable[[Config, Database, Any, list[Any]], Any]


async def run_web_only(config: Config, db: Database, wechat_door: WeChatDoor) -> None:
    from aiohttp import web

    from web.console import console_setup
    from web.door import door_setup
    from web.open311 import open311_setup
    from web.push.keys import KeyHolder
    from web.push.sender import WebPushSender
    from web.server import HEALTH_CHECKS, WebServer, create_web_app, start_listening

    log.info(
        "Telegram door off (BOT_TOKEN unset): residents report on the web door, the office "
        "works in the console; set BOT_TOKEN in .env to add Telegram to this database"
    )
    clock = system_clock
    translations = Translations(default=config.default_language)
    services = Services.create(config, db, translations, clock)
    office = LocalOffice(config, db, translations, clock, services.community, services.console)
    await _seed_example(office)

    stopping = asyncio.Event()
    _on_signals(stopping)
    # The WeChat door's sender joins the worker's through this, as in the Telegram door's
    # dispatcher (bot/__main__.py: _wechat_door).
    parts: dict[str, Any] = {"services": services, "clock": clock, "translations": translations}
    setups = [
        # No Telegram to fetch chat photos from: the console says they cannot be shown.
        console_setup(config, services, clock),
        open311_setup(services.open311),
        door_setup(config, services, clock),
    ]
    wechat_api = wechat_door(config, db, parts, setups)

    def probes(app: web.Application) -> None:
        app.setdefault(HEALTH_CHECKS, {})["database"] = db.ping

    server = WebServer(
        create_web_app(translations, [probes, *setups]), config.web_host, config.web_port
    )
    instances = InstanceRegistry(db, clock, config.instance_id)
    worker: DeliveryWorker | None = None
    scheduler: Scheduler | None = None
    try:
        address = await start_listening(server)
        base = config.web_base_url or address
        push_keys = KeyHolder(db, clock)
        await push_keys.ensure()  # made on the first start, kept in the database
        worker = DeliveryWorker(
            [
                WebPushSender(db, translations, push_keys, config, services.notice_board),
                *parts.get("door_senders", ()),
            ],
            db,
            clock,
            availability=services.availability,
            staff=StaffRows(config, db),
            poll_seconds=config.outbox_poll_seconds,
            token=await instances.register(),
        )
        instances.on_token = worker.claim_as
        instances.start()
        worker.start()
        db.on_queued(worker.wake)
        scheduler = Scheduler(services, config.timezone, on_written=worker.wake)
        scheduler.start()
        await _say_where(office, base)
        freeze_startup_objects()  # the start is done: what it built lives as long as the process
        await stopping.wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        await server.stop()  # no new requests; then what they queued is delivered
        if worker is not None:
            left = await worker.shutdown(config.shutdown_flush_seconds)
            log.info("outbox flushed; %d notification(s) left for the next start", left)
        await instances.stop()
        if wechat_api is not None:
            await wechat_api.close()


async def _seed_example(office: LocalOffice) -> str | None:
    if not EXAMPLE.is_file():
        return None  # installed without the examples: the operator imports their own
    rows = parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    name = await office.seed_example(rows)
    if name is not None:
        log.info(
            "example community %s created from examples/%s (%d buildings)",
            name,
            EXAMPLE.name,
            len(rows),
        )
    return name


async def _say_where(office: LocalOffice, base: str) -> None:
    """The first poster's page and the console: with a sign-in link when this database has a
    local office (the example's, or one console-link made). A real deployment started without
    its token gets no role made and no link written to its log: its operator asks for one."""
    poster = await office.first_poster(base)
    if poster is not None:
        log.info("poster of %s (%s): %s", poster.name, poster.code, poster.url)
    else:
        log.info("residents' door: %s/b/<a building's join token> (no buildings yet)", base)
    link = await office.link(base)
    if link is not None:
        minutes = int(LINK_TTL.total_seconds() // 60)
        log.info(
            "office console: %s (one-time sign-in, %d minutes; another: ./scripts/bot "
            "console-link)",
            link,
            minutes,
        )
    else:
        log.info("office console: %s/console (sign in: ./scripts/bot console-link)", base)


def _on_signals(stopping: asyncio.Event) -> None:
    """First SIGTERM/SIGINT: stop gracefully (the outbox is flushed). A second: exit at once."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        if stopping.is_set():
            log.warning("second %s: exiting now", signum.name)
            os._exit(128 + signum)
        stopping.set()
        log.info("%s: stopping (send it again to exit at once)", signum.name)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
