"""What a user sent, as the services understand it, and the checks every free-form input gets."""

from __future__ import annotations

from aiogram.types import Message

from bot.services.ticket_core import Content
from bot.text import CAPTION_LIMIT, TEXT_LIMIT, fits, utf16_len


class TooLong(ValueError):
    """More than Telegram lets a person send (only a forged update can be): refused, not cut."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.length = length
        self.limit = limit


def check_length(message: Message) -> None:
    """Raises TooLong for a text over 4096 UTF-16 units or a caption over 1024. Everything
    Telegram accepts from a person is taken whole: it is split for the other side if need be."""
    for text, limit in ((message.text, TEXT_LIMIT), (message.caption, CAPTION_LIMIT)):
        if text is not None and not fits(text, limit):
            raise TooLong(utf16_len(text), limit)


def content_of(message: Message) -> Content | None:
    """Text, a photo (with its caption) or a voice note; None for anything else."""
    check_length(message)
    if message.photo:
        # Telegram sends several sizes; the last is the largest.
        return Content(
            text=message.caption, photo=message.photo[-1].file_id, album=message.media_group_id
        )
    if message.voice:
        return Content(text=message.caption, voice=message.voice.file_id)
    if message.text:
        return Content(text=message.text)
    return None
