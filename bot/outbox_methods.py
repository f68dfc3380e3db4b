"""What an outbox row becomes on Telegram: the Bot API method of a plain row (a message, a photo,
a voice note, a location), and the ticket card's keyboard. Cards themselves are rendered at
delivery time (bot/delivery.py)."""

from __future__ import annotations

import base64
from typing import Any

from aiogram.methods import SendLocation, SendMessage, SendPhoto, SendVoice, TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.services.cards import CardView
from handlers.keyboards import ticket_markup
from handlers.scheduling import outbox_markup
from storage.models import OutboxMessage


def method_for(row: OutboxMessage) -> TelegramMethod[Message]:
    """The request of a plain row; ValueError or KeyError for a row that can never be sent."""
    payload: dict[str, Any] = dict(row.payload)
    markup = None
    if payload.get("buttons"):
        markup = outbox_markup(row.ticket_id, payload["buttons"])
    chat = row.chat_id
    caption = payload.get("caption")
    if row.method == "sendMessage":
        return SendMessage(chat_id=chat, text=payload["text"], reply_markup=markup)
    if row.method == "sendPhoto":
        photo: Any = payload.get("photo")
        if "photo_png" in payload:  # a picture made here (the digest chart)
            photo = BufferedInputFile(base64.b64decode(payload["photo_png"]), "chart.png")
        return SendPhoto(chat_id=chat, photo=photo, caption=caption, reply_markup=markup)
    if row.method == "sendVoice":
        voice = payload["voice"]
        return SendVoice(chat_id=chat, voice=voice, caption=caption, reply_markup=markup)
    if row.method == "sendLocation":
        latitude, longitude = payload["latitude"], payload["longitude"]
        return SendLocation(chat_id=chat, latitude=latitude, longitude=longitude)
    raise ValueError(f"unknown outbox method {row.method}")


def card_keyboard(ticket_id: int, view: CardView) -> InlineKeyboardMarkup | None:
    rows = [[(label, action.value) for label, action in row] for row in view.buttons]
    return ticket_markup(ticket_id, rows)
