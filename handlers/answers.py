"""Answers longer than one Telegram message (a digest with long names, a ticket's History):
sent as several messages in order, the keyboard under the last. The parts are cut by the one
length rule of bot/text.py (UTF-16 units, good break points)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup, Message

from bot.text import message_parts


async def answer_long(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    await answer_parts(message, message_parts(text), reply_markup)


async def answer_parts(
    message: Message, parts: Sequence[str], reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.answer(part, reply_markup=reply_markup if last else None)
