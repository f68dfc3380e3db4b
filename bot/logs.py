"""Logging: one format at LOG_LEVEL, with the libraries that would write personal data (or
narrate every start) held above it. Our own lines carry ids, never names, phones or texts."""

from __future__ import annotations

import logging

from bot.config import Config

# The lowest level each of these may log at, whatever LOG_LEVEL says.
FLOORS = {
    # aiosqlite logs every call at DEBUG, a statement's parameters included (names, phones,
    # residents' words).
    "aiosqlite": logging.INFO,
    # SQLAlchemy logs statements when its logger allows INFO; SQL_ECHO=1 is the switch for that.
    "sqlalchemy.engine": logging.WARNING,
    # aiogram logs every update; ours (handlers.middlewares.LogMiddleware) adds the user id.
    "aiogram.event": logging.WARNING,
    # Alembic narrates every start at INFO; only its warnings matter to an operator.
    "alembic": logging.WARNING,
    # APScheduler narrates adding and running every job (a line every 30 seconds); the bot's
    # scheduler says once which jobs run (bot/scheduler.py).
    "apscheduler": logging.WARNING,
}


def configure_logging(config: Config) -> None:
    level = logging.getLevelName(config.log_level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name, floor in FLOORS.items():
        if name == "sqlalchemy.engine" and config.sql_echo:
            continue  # the engine's echo sets its level itself
        logging.getLogger(name).setLevel(max(floor, level))
