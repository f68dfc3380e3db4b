"""The outbox writers' one length rule: a text longer than a Telegram message becomes several
rows, in order (the delivery worker sends a chat's rows oldest first, one at a time), with the
buttons on the last; a caption longer than a caption goes to a follow-up message. So whatever a
service composes is delivered whole and never refused by Telegram for its length."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import CAPTION_LIMIT, TEXT_LIMIT, cut, fits, message_parts
from storage.models import Address
from storage.repositories import OutboxRepository

Buttons = Sequence[Sequence[Sequence[Any]]]


async def write_text(
    session: AsyncSession,
    *,
    to: Address,
    person_id: int | None,
    text: str,
    now: datetime,
    buttons: Buttons | None = None,
    ticket_id: int | None = None,
) -> int:
    """``text`` to one address, in as many messages as it needs; returns how many."""
    parts = message_parts(text, TEXT_LIMIT)
    outbox = OutboxRepository(session)
    for index, part in enumerate(parts):
        payload: dict[str, Any] = {"text": part}
        if buttons and index == len(parts) - 1:
            payload["buttons"] = [[list(b) for b in row] for row in buttons if row]
        await outbox.add(to=to, person_id=person_id, payload=payload, now=now, ticket_id=ticket_id)
    return len(parts)


async def write_media(
    session: AsyncSession,
    *,
    to: Address,
    person_id: int | None,
    method: str,
    media: dict[str, Any],
    header: str,
    text: str | None,
    now: datetime,
    buttons: Buttons | None = None,
    ticket_id: int | None = None,
) -> None:
    """A photo or voice note captioned ``header`` and ``text`` (each on its own line). When
    both do not fit a caption, the photo carries the header and ``text`` follows it as a
    message of its own (or several); the buttons go on whatever comes last."""
    caption = f"{header}\n{text}" if text else header
    follow_up = None
    if not fits(caption, CAPTION_LIMIT):
        caption, follow_up = cut(header, CAPTION_LIMIT), text
    payload: dict[str, Any] = {**media, "caption": caption}
    if buttons and follow_up is None:
        payload["buttons"] = [[list(b) for b in row] for row in buttons if row]
    await OutboxRepository(session).add(
        to=to,
        person_id=person_id,
        method=method,
        payload=payload,
        now=now,
        ticket_id=ticket_id,
    )
    if follow_up is not None:
        await write_text(
            session,
            to=to,
            person_id=person_id,
            text=follow_up,
            now=now,
            buttons=buttons,
            ticket_id=ticket_id,
        )
