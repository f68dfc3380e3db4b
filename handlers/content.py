"""What a user sent, as the services understand it, and the checks every free-form input gets."""

from __future__ import annotations

from aiogram.types import Message

from bot.services.tickets import MAX_TEXT, Content


class TooLong(ValueError):
    pass


def content_of(message: Message) -> Content | None:
    """Text, a photo (with its caption) or a voice note; None for anything else. Raises TooLong
    for a text the head could not read on a phone."""
    text = message.text or message.caption
    if text is not None and len(text) > MAX_TEXT:
        raise TooLong
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
