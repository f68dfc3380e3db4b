"""The console's part of the web server: its context, its guard and every page's routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Config
from bot.files import FileSource
from bot.services import Clock, Services
from web.console import (
    activities,
    auth,
    buildings,
    exports,
    numbers,
    points,
    settings,
    ticket_actions,
    tickets,
    vote_rules,
    votes,
    work_order,
)
from web.console.guard import CONSOLE, ConsoleContext, console_guard
from web.console.media import MediaCache
from web.server import Setup

# Every console page's ``routes(app)``; a new page adds its module's here.
PAGES: tuple[Callable[[web.Application], None], ...] = (
    auth.routes,
    tickets.routes,
    ticket_actions.routes,
    work_order.routes,
    buildings.routes,
    numbers.routes,
    settings.routes,
    exports.routes,
    points.routes,
    votes.routes,
    vote_rules.routes,
    activities.routes,
)


def console_setup(
    config: Config,
    services: Services,
    clock: Clock,
    files: FileSource | None = None,
    ask_username: Callable[[], Awaitable[str]] | None = None,
) -> Setup:
    """The Setup (web/server.py) that adds the console to the bot's web application.
    ``files``: where photos and voice notes come from (the Telegram door's; None: the
    console says they cannot be shown); ``ask_username`` gives the bot's username for
    invitation links when BOT_USERNAME is unset."""
    media = None if files is None else MediaCache(config.media_cache, files)

    def setup(app: web.Application) -> None:
        app[CONSOLE] = ConsoleContext(config, services, clock, media, ask_username)
        app.middlewares.append(console_guard)
        for routes in PAGES:
            routes(app)

    return setup
