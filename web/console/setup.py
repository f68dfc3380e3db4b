"""The console's part of the web server: its context, its guard and every page's routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Config
from bot.services import Clock, Services
from web.console import auth, buildings, exports, numbers, settings, tickets
from web.console.guard import CONSOLE, ConsoleContext, console_guard
from web.server import Setup

# Every console page's ``routes(app)``; a new page adds its module's here.
PAGES: tuple[Callable[[web.Application], None], ...] = (
    auth.routes,
    tickets.routes,
    buildings.routes,
    numbers.routes,
    settings.routes,
    exports.routes,
)


def console_setup(
    config: Config,
    services: Services,
    clock: Clock,
    ask_username: Callable[[], Awaitable[str]] | None = None,
) -> Setup:
    """The Setup (web/server.py) that adds the console to the bot's web application;
    ``ask_username`` gives the bot's username for invitation links when BOT_USERNAME is unset."""

    def setup(app: web.Application) -> None:
        app[CONSOLE] = ConsoleContext(config, services, clock, ask_username)
        app.middlewares.append(console_guard)
        for routes in PAGES:
            routes(app)

    return setup
