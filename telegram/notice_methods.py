"""A notice's outbox rows on Telegram (storage.models.OutboxKind.NOTICE…): the copy framed now in
its reader's language with the mute button, a photo, an edit of a sent copy, a deletion. None:
nothing to send any more (the notice was cancelled or withdrawn since)."""

from __future__ import annotations

from typing import Any

from aiogram.methods import DeleteMessage, EditMessageText, SendMessage, SendPhoto, TelegramMethod

from bot.services.notice_copies import BY, OFFICE, NoticeCopies
from handlers.notice_keyboards import mute_markup
from storage.models import OutboxKind, OutboxMessage

NOTICE_KINDS = frozenset(
    {OutboxKind.NOTICE, OutboxKind.NOTICE_PHOTO, OutboxKind.NOTICE_EDIT, OutboxKind.NOTICE_DELETE}
)


async def notice_method(row: OutboxMessage, copies: NoticeCopies) -> TelegramMethod[Any] | None:
    chat = int(row.address)
    payload = row.payload
    notice_id = row.notice_id or 0
    if row.kind == OutboxKind.NOTICE_DELETE:
        return DeleteMessage(chat_id=chat, message_id=int(payload["message_id"]))
    if row.kind == OutboxKind.NOTICE_PHOTO:
        photo = await copies.photo(notice_id, int(payload["index"]))
        return None if photo is None else SendPhoto(chat_id=chat, photo=photo)
    building_id = payload.get("building_id")
    by_office = payload.get(BY) == OFFICE
    view = await copies.view(notice_id, row.person_id, building_id, by_office=by_office)
    if view is None:
        return None
    markup = mute_markup(view.mute_label, view.building_id, view.muted) if view.mute_label else None
    if row.kind == OutboxKind.NOTICE_EDIT:
        message_id = int(payload["message_id"])
        return EditMessageText(
            chat_id=chat, message_id=message_id, text=view.text, reply_markup=markup
        )
    return SendMessage(chat_id=chat, text=view.text, reply_markup=markup)
