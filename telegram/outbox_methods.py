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
from storage.models import OutboxKind, OutboxMessage


def method_for(row: OutboxMessage) -> TelegramMethod[Message]:
    """The request of a plain row; ValueError or KeyError for a row that can never be sent."""
    payload: dict[str, Any] = dict(row.payload)
    markup = None
    if payload.get("buttons"):
        markup = outbox_markup(row.ticket_id, payload["buttons"])
    chat = int(row.address)
    caption = payload.get("caption")
    if row.kind == OutboxKind.TEXT:
        return SendMessage(chat_id=chat, text=payload["text"], reply_markup=markup)
    if row.kind == OutboxKind.CHART:  # a picture made here (the digest chart)
        chart = BufferedInputFile(base64.b64decode(payload["photo_png"]), "chart.png")
        return SendPhoto(chat_id=chat, photo=chart, caption=caption, reply_markup=markup)
    if row.kind == OutboxKind.MEDIA and "voice" in payload:
        voice = payload["voice"]
        return SendVoice(chat_id=chat, voice=voice, caption=caption, reply_markup=markup)
    if row.kind == OutboxKind.MEDIA:
        photo = payload["photo"]
        return SendPhoto(chat_id=chat, photo=photo, caption=caption, reply_markup=markup)
    if row.kind == OutboxKind.LOCATION:
        latitude, longitude = payload["latitude"], payload["longitude"]
        return SendLocation(chat_id=chat, latitude=latitude, longitude=longitude)
    raise ValueError(f"unknown outbox kind {row.kind}")


def web_photo_method(row: OutboxMessage, content: bytes) -> SendPhoto:
    """A photo from the web door, uploaded (it has no Telegram file id)."""
    payload: dict[str, Any] = dict(row.payload)
    markup = outbox_markup(row.ticket_id, payload["buttons"]) if payload.get("buttons") else None
    photo = BufferedInputFile(content, "photo.jpg")
    caption = payload.get("caption")
    return SendPhoto(chat_id=int(row.address), photo=photo, caption=caption, reply_markup=markup)


def card_keyboard(ticket_id: int, view: CardView) -> InlineKeyboardMarkup | None:
    rows = [[(label, action.value) for label, action in row] for row in view.buttons]
    return ticket_markup(ticket_id, rows)
