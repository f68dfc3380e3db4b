"""One instance of the bot's budget in a process of its own, for tests/test_shared_limits.py:
once the test writes a line to its standard input (it says "ready" first, so that the
processes start together), sends ``count`` messages to each chat of ``chats`` (all at once, as a
burst of answers) through an aiogram Bot whose budget shares the limits through Redis, then
exits.

    python -m tests.shared_sender API_BASE REDIS_URL PREFIX NAME COUNT CHAT…
"""

from __future__ import annotations

import asyncio
import sys

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.shared_limits import SharedLimits
from telegram.budget import Limits, budget_of, install_budget

TOKEN = "123456:TEST-token-for-the-fake-session-only"  # tests/conftest.py's
# As tests/test_shared_limits.py: Telegram's limits ten times as fast.
LIMITS = Limits(per_second=300, private_per_second=10, private_burst=3)


async def main(
    base: str, redis_url: str, prefix: str, name: str, count: int, chats: list[int]
) -> None:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    shared = SharedLimits.from_url(
        redis_url,
        prefix,
        per_second=LIMITS.per_second,
        private_per_second=LIMITS.private_per_second,
        private_burst=LIMITS.private_burst,
        group_per_minute=LIMITS.group_per_minute,
    )
    install_budget(bot, LIMITS, shared=shared)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    try:
        await asyncio.gather(
            *(
                bot.send_message(chat, f"{name} {n} to {chat}")
                for n in range(count)
                for chat in chats
            )
        )
    finally:
        await budget_of(bot).close()
        await bot.session.close()


if __name__ == "__main__":
    base, url, prefix, name, count, *chats = sys.argv[1:]
    asyncio.run(main(base, url, prefix, name, int(count), [int(c) for c in chats]))
