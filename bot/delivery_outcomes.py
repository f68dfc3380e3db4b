"""What became of each row of a delivery pass (bot/delivery.py), written back in one
transaction; the tickets of a chat found unreachable go to the next person of their chain."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.availability import StaffAvailability
from bot.services.clock import Clock
from storage.db import Database
from storage.models import Address, Channel, OutboxKind, OutboxMessage
from storage.repositories import OutboxRepository, PersonRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.tickets import TicketRepository

log = logging.getLogger("bot.delivery")


@dataclass(slots=True)
class Outcome:
    kind: str  # sent, postpone, failed, unreachable, pause (a 429), held (never tried)
    seconds: float = 0.0
    error: str = ""
    collapse_upto: int | None = None
    message_id: int | None = None  # of a relayed message, remembered for replies
    card_ref: str | None = None  # the door's id of a ticket card sent anew (edited in place)


def _label(row: OutboxMessage) -> str:
    """How a log line names the recipient: ids only (a Telegram chat id, as before; another
    channel's address with the channel)."""
    return row.address if row.channel == Channel.TELEGRAM else f"{row.channel}:{row.address}"


async def record(
    db: Database,
    clock: Clock,
    availability: StaffAvailability | None,
    rows: Sequence[OutboxMessage],
    outcomes: list[Outcome],
) -> None:
    now = clock()
    unreachable: list[tuple[OutboxMessage, str]] = []
    async with db.session() as session:
        outbox = OutboxRepository(session)
        ticket_rows = TicketRepository(session)
        # Every row sent is marked in one statement; the rest, one by one.
        await outbox.mark_all_sent(
            [row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome.kind == "sent"],
            now,
        )
        # The new cards and relayed messages of the pass, remembered together.
        await ticket_rows.remember_messages(
            [
                message
                for row, outcome in zip(rows, outcomes, strict=True)
                if outcome.kind == "sent"
                for message in _messages_of(row, outcome)
            ]
        )
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome.kind == "sent":
                if (
                    outcome.collapse_upto is not None
                    and outcome.collapse_upto > row.id
                    and row.ticket_id is not None
                ):
                    # Older updates of the same card, now included (the row itself is sent).
                    await outbox.collapse_cards(row.ticket_id, row.to, outcome.collapse_upto, now)
                if outcome.message_id is not None and row.notice_id is not None:
                    await remember_notice_copy(session, row, outcome.message_id, now)
            elif outcome.kind in ("postpone", "pause", "held"):
                log.info(
                    "outbox %s to %s postponed %.1fs: %s",
                    row.id,
                    _label(row),
                    outcome.seconds,
                    outcome.error,
                )
                await outbox.postpone(
                    row.id,
                    now + timedelta(seconds=outcome.seconds),
                    outcome.error,
                    attempted=outcome.kind != "held",
                )
            elif outcome.kind == "failed":
                log.warning("outbox %s to %s failed: %s", row.id, _label(row), outcome.error)
                await outbox.mark_failed(row.id, outcome.error)
            else:
                log.warning("chat %s unreachable: %s", _label(row), outcome.error)
                await outbox.mark_failed(row.id, outcome.error)
                await PersonRepository(session).mark_unreachable(row.to, now)
                unreachable.append((row, outcome.error))
        await session.commit()
    for row, error in unreachable:
        try:
            await reroute(db, availability, row, error)
        except Exception:  # one ticket's rerouting must not stop the others'
            log.exception("chat %s unreachable: rerouting its tickets failed", _label(row))


def _messages_of(row: OutboxMessage, outcome: Outcome) -> list[tuple[int, Address, str, str]]:
    """The ticket's messages a sent row left in its chat: a new card (edited in place from
    now on), a relayed message (a Telegram reply to it is a reply on the ticket)."""
    if row.ticket_id is None:
        return []
    messages = []
    if outcome.card_ref is not None:
        messages.append((row.ticket_id, row.to, outcome.card_ref, "card"))
    if outcome.message_id is not None and row.channel == Channel.TELEGRAM:
        messages.append((row.ticket_id, row.to, str(outcome.message_id), "relay"))
    return messages


async def remember_notice_copy(
    session: AsyncSession, row: OutboxMessage, message_id: int, now: datetime
) -> None:
    """A notice's copy arrived: kept, so a correction can edit it and a withdrawal delete it."""
    if row.kind not in (OutboxKind.NOTICE, OutboxKind.NOTICE_PHOTO) or row.notice_id is None:
        return
    part = 0 if row.kind == OutboxKind.NOTICE else int(row.payload.get("index", 0)) + 1
    await NoticeRepository(session).remember_copy(
        row.notice_id, row.person_id, row.to, message_id, part, now
    )


async def reroute(
    db: Database, availability: StaffAvailability | None, row: OutboxMessage, error: str
) -> None:
    """The recipient blocked the bot: their pending messages will never arrive. Ticket
    notifications go to the next person of each ticket's chain; the rest fail."""
    async with db.session() as session:
        outbox = OutboxRepository(session)
        pending = await outbox.pending_for(row.to)
        await outbox.fail_pending_for(row.to, error)
        await session.commit()
    if availability is None or row.person_id is None:
        return
    ticket_ids = {r.ticket_id for r in [row, *pending] if r.ticket_id is not None}
    for ticket_id in sorted(ticket_ids):
        await availability.reroute(ticket_id, row.person_id)
