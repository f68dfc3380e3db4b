"""Before the Telegram door starts: getMe is tried once, so a bad token or Bot API server stops
the start with one line that names the setting (bot/startup.py does the database and Redis)."""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import User

from bot.config import Config
from bot.startup import PROBE_SECONDS, TELEGRAM, StartupError, first_line


async def ask_telegram(config: Config, bot: Bot) -> User:
    """getMe: the token is valid and the Bot API server answers (the answer is cached in the
    bot, so the start-up's own getMe costs nothing)."""
    server = config.telegram_api_url or f"{TELEGRAM} (TELEGRAM_API_URL is not set)"
    try:
        return await asyncio.wait_for(bot.me(), PROBE_SECONDS)
    except TimeoutError:
        raise StartupError(
            "TELEGRAM_API_URL", f"{server} did not answer within {PROBE_SECONDS} s"
        ) from None
    except TelegramUnauthorizedError:
        raise StartupError(
            "BOT_TOKEN", "Telegram refused the token (401 Unauthorized); get one from @BotFather"
        ) from None
    except TelegramNetworkError as error:
        cause = _scrub(f"cannot reach {server}: {error.message}", config)
        raise StartupError("TELEGRAM_API_URL", cause) from None
    except TelegramAPIError as error:
        cause = _scrub(f"{server} answered getMe with: {error.message}", config)
        raise StartupError(
            "TELEGRAM_API_URL" if config.telegram_api_url else "BOT_TOKEN", cause
        ) from None
    except AiogramError as error:  # not a Bot API server (an answer that is not its JSON)
        cause = _scrub(f"{server} is not a Bot API server: {first_line(error)}", config)
        raise StartupError("TELEGRAM_API_URL", cause) from None


def _scrub(text: str, config: Config) -> str:
    """An HTTP client's message may quote the request's URL, which holds the token."""
    text = text.splitlines()[0] if text.strip() else text
    if config.bot_token is not None:
        token = config.bot_token.get()
        text = text.replace(token, "***").replace(token.split(":", 1)[-1], "***")
    return text
