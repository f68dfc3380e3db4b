"""How updates come in: long polling (no WEBHOOK_URL), or a webhook served by the bot's web server
on WEB_LISTEN behind a reverse proxy that holds the HTTPS certificate (README, "Webhook mode")."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.startup import StartupError
from storage.db import Database
from storage.repositories.secrets import SecretRepository
from telegram.webhook_requests import WebhookHandler
from web.server import HEALTH_CHECKS, Setup, WebServer, create_web_app, start_listening

log = logging.getLogger(__name__)
SECRET_NAME = "webhook_secret_token"


async def webhook_secret(db: Database) -> str:
    """The deployment's secret token: made at random on its first start in webhook mode, kept
    in the database, so every process of the deployment and every restart gives Telegram the
    same one (two processes starting at once agree on the first one written)."""
    async with db.session() as session:
        stored = SecretRepository(session)
        if (known := await stored.get(SECRET_NAME)) is not None:
            return known
        # Telegram accepts 1-256 of A-Z, a-z, 0-9, _ and -: 43 of them here, 256 random bits.
        made = secrets.token_urlsafe(32)
        try:
            await stored.add(SECRET_NAME, made, datetime.now(UTC))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            theirs = await stored.get(SECRET_NAME)
            assert theirs is not None  # the row that made the insert fail
            return theirs
        return made


async def leave_webhook(bot: Bot) -> None:
    """Polling: a webhook left by an earlier webhook deployment would refuse every getUpdates
    (409 Conflict). Its pending updates are kept: polling takes them."""
    try:
        info = await bot.get_webhook_info()
        if info.url:
            await bot.delete_webhook(drop_pending_updates=False)
            log.info("webhook %s removed: WEBHOOK_URL is unset, the bot polls", info.url)
    except TelegramAPIError as error:
        # Telegram answered getMe a moment ago: polling retries, and says so, if this persists.
        log.warning("could not check for a webhook to remove: %s", error.message)


async def serve_webhook(
    config: Config, db: Database, bot: Bot, dispatcher: Dispatcher, stop: asyncio.Event, *,
    in_hand: int, setups: Sequence[Setup] = (),
) -> None:  # fmt: skip
    """Runs the bot in webhook mode until ``stop`` is set; then takes no new update, finishes
    the ones in hand and shuts the dispatcher down as polling does (the outbox is flushed)."""
    assert config.webhook_url is not None
    # The path Telegram posts to (a proxy passes it on unchanged).
    path = urlsplit(config.webhook_url).path or "/"
    handler = WebhookHandler(
        dispatcher, bot, secret_token=await webhook_secret(db), in_hand=in_hand
    )

    def routes(app: web.Application) -> None:
        handler.register(app, path=path)
        app.setdefault(HEALTH_CHECKS, {})["database"] = db.ping

    web_app = create_web_app(dispatcher["translations"], [routes, *setups])
    server = WebServer(web_app, config.web_host, config.web_port)
    # What start_polling hands the start-up and shut-down hooks.
    workflow = {"dispatcher": dispatcher, "bots": (bot,), **dispatcher.workflow_data}
    # Listening and the webhook first, so that a port in use or a URL Telegram refuses stops
    # the start with one line before anything runs; an update arriving meanwhile waits until
    # the start-up is done.
    address = await start_listening(server)
    started = False
    try:
        try:
            await bot.set_webhook(
                config.webhook_url,
                secret_token=handler.secret_token,
                # Exactly the kinds of update the handlers use; nothing queued is ever dropped.
                allowed_updates=dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        except TelegramAPIError as error:
            raise StartupError("WEBHOOK_URL", f"Telegram refused it: {error.message}") from None
        await dispatcher.emit_startup(bot=bot, **workflow)
        started = True
        handler.open()
        log.info(
            "webhook mode: Telegram posts updates to %s, served on %s", config.webhook_url, address
        )
        log.info("office console: %s/console", config.web_base_url or address)
        await stop.wait()
    finally:
        # New updates are refused (503) while the ones in hand finish; then the server goes.
        handler.shut()
        left = await handler.drain(config.shutdown_flush_seconds)
        if left:
            log.warning("%d update(s) left unanswered for Telegram to deliver again", left)
        await server.stop()
        if started:
            await dispatcher.emit_shutdown(bot=bot, **workflow)
