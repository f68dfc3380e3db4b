"""The console's file source in the Telegram door: a file id → getFile → the file's bytes from
the Bot API's file endpoint (through the bot's session, so a self-hosted API server works, and
through the installed budget like every other call)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiohttp import ClientError

from bot.files import MAX_FILE, FileUnavailable

log = logging.getLogger(__name__)


class TelegramFiles:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, file_id: str) -> bytes:
        try:
            found = await self.bot.get_file(file_id)
            if found.file_path is None or (found.file_size or 0) > MAX_FILE:
                raise FileUnavailable("no path")
            data = await self.bot.download_file(found.file_path, timeout=60)
        except (TelegramAPIError, ClientError, TimeoutError) as error:
            log.warning("console: a file could not be fetched (%s)", type(error).__name__)
            raise FileUnavailable(type(error).__name__) from error
        if data is None:
            raise FileUnavailable("empty")
        return data.read()
