"""The one outbox writer. It records what is meant (a text, a photo or voice note with its
caption, a location, a card: storage.models.OutboxKind) for one address, within the length rule
of the address's channel: on Telegram a text longer than a message becomes several rows, in
order (each recipient's rows are delivered oldest first, one at a time), with the buttons on
the last; a caption longer than a caption goes to a follow-up message; on WeChat the same, in
UTF-8 bytes. So whatever a service composes is delivered whole and never refused for its length.
A channel without a rule (the web door's page) takes a text whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.staff_rows import STAFF, staff_area
from bot.text import CAPTION_LIMIT, TEXT_LIMIT, WECHAT_TEXT_LIMIT, cut, fits, message_parts
from storage.models import Address, Channel, OutboxKind, Urgency
from storage.repositories import OutboxRepository
from storage.repositories.stats import Scope

Buttons = Sequence[Sequence[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class Limits:
    """A channel's longest text and caption (bot/text.py measures, in UTF-16 units, or with
    ``utf8`` in UTF-8 bytes)."""

    text: int
    caption: int
    utf8: bool = False


LIMITS: dict[str, Limits] = {
    Channel.TELEGRAM: Limits(TEXT_LIMIT, CAPTION_LIMIT),
    # WeChat's photo goes as an image message and its caption as a text after it.
    Channel.WECHAT: Limits(WECHAT_TEXT_LIMIT, WECHAT_TEXT_LIMIT, utf8=True),
}


def _rows(buttons: Buttons) -> list[list[list[Any]]]:
    return [[list(b) for b in row] for row in buttons if row]


async def write(
    session: AsyncSession,
    *,
    to: Address,
    person_id: int | None,
    kind: OutboxKind,
    payload: dict[str, Any],
    now: datetime,
    ticket_id: int | None = None,
    urgency: Urgency = Urgency.TELL,
) -> None:
    """One row whose length needs no rule (a card, a location, a join request's card)."""
    await OutboxRepository(session).add(
        to=to,
        person_id=person_id,
        kind=kind,
        payload=payload,
        now=now,
        ticket_id=ticket_id,
        urgency=urgency,
    )


async def write_text(
    session: AsyncSession,
    *,
    to: Address,
    person_id: int | None,
    text: str,
    now: datetime,
    buttons: Buttons | None = None,
    ticket_id: int | None = None,
    urgency: Urgency = Urgency.TELL,
    staff: Scope | None = None,
) -> int:
    """``text`` to one address, in as many messages as its channel needs; returns how many.
    ``staff``: the area it is written for to a member of staff (bot/services/staff_rows.py)."""
    limits = LIMITS.get(to.channel)
    parts = message_parts(text, limits.text, utf8=limits.utf8) if limits else [text]
    outbox = OutboxRepository(session)
    for index, part in enumerate(parts):
        payload: dict[str, Any] = {"text": part}
        if buttons and index == len(parts) - 1:
            payload["buttons"] = _rows(buttons)
        if staff is not None:
            payload[STAFF] = staff_area(staff)
        await outbox.add(
            to=to,
            person_id=person_id,
            payload=payload,
            now=now,
            ticket_id=ticket_id,
            urgency=urgency,
        )
    return len(parts)


async def write_media(
    session: AsyncSession,
    *,
    to: Address,
    person_id: int | None,
    media: dict[str, Any],
    header: str,
    text: str | None,
    now: datetime,
    kind: OutboxKind = OutboxKind.MEDIA,
    buttons: Buttons | None = None,
    ticket_id: int | None = None,
    urgency: Urgency = Urgency.TELL,
    staff: Scope | None = None,
) -> None:
    """A photo or voice note (``media``: {"photo" | "voice": file id}, or a chart's
    {"photo_png": …}) captioned ``header`` and ``text`` (each on its own line). When both do
    not fit a caption, the photo carries the header and ``text`` follows it as a message of its
    own (or several); the buttons go on whatever comes last."""
    caption = f"{header}\n{text}" if text else header
    follow_up = None
    limits = LIMITS.get(to.channel)
    if limits is not None and not fits(caption, limits.caption, utf8=limits.utf8):
        caption, follow_up = cut(header, limits.caption, utf8=limits.utf8), text
    payload: dict[str, Any] = {**media, "caption": caption}
    if buttons and follow_up is None:
        payload["buttons"] = _rows(buttons)
    if staff is not None:
        payload[STAFF] = staff_area(staff)
    await write(
        session,
        to=to,
        person_id=person_id,
        kind=kind,
        payload=payload,
        now=now,
        ticket_id=ticket_id,
        urgency=urgency,
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
            urgency=urgency,
            staff=staff,
        )
