"""The baseline of bench.throughput: a bare aiogram bot (same aiogram, same session class, same
polling loop with ``handle_as_tasks``) that answers every message with its text and every button
press with an empty answer. No database, no middlewares of ours.

    TELEGRAM_API_URL=http://127.0.0.1:PORT BOT_TOKEN=... python -m bench.echo_bot
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @dp.callback_query()
    async def press(callback: CallbackQuery) -> None:
        await callback.answer()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: loop.create_task(dp.stop_polling()))
    try:
        await dp.start_polling(
            bot, allowed_updates=dp.resolve_used_update_types(), handle_signals=False
        )
    finally:
        await bot.session.close()


if __name__ == "__main__":
    asyncio.run(main())
