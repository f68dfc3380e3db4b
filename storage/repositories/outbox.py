from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from storage.db import QUEUED
from storage.models import Address, OutboxKind, OutboxMessage, OutboxStatus


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    failed: int
    sent: int
    oldest_pending: OutboxMessage | None


def _to(to: Address) -> ColumnElement[bool]:
    return and_(OutboxMessage.channel == to.channel, OutboxMessage.address == to.address)


def _due() -> Select[OutboxMessage]:
    waiting = (
        select(func.min(OutboxMessage.id).label("first_id"))
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .group_by(OutboxMessage.channel, OutboxMessage.address)
        .subquery()
    )
    now: BindParameter[datetime] = bindparam("due_now")
    return (
        select(OutboxMessage)
        .join(waiting, waiting.c.first_id == OutboxMessage.id)
        .where(
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(bindparam("due_limit", type_=Integer))
    )


# Built once (the delivery worker asks after every commit that queued a message; building it
# anew cost more than running it); the time, the limit and the channels are bound at execution.
_DUE = _due()
_DUE_IN = _DUE.where(OutboxMessage.channel.in_(bindparam("due_channels", expanding=True)))


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        to: Address,
        person_id: int | None,
        payload: dict[str, Any],
        now: datetime,
        kind: OutboxKind = OutboxKind.TEXT,
        ticket_id: int | None = None,
    ) -> OutboxMessage:
        message = OutboxMessage(
            channel=to.channel,
            address=to.address,
            person_id=person_id,
            kind=kind,
            payload=payload,
            ticket_id=ticket_id,
            status=OutboxStatus.PENDING,
            attempts=0,
            not_before=now,
            created_at=now,
        )
        # No flush of its own: a unit of work's rows (a card to each recipient, notices) are
        # written in one statement at its commit (its id is there after it, or after any query).
        self.session.add(message)
        self.session.info[QUEUED] = True
        return message

    async def due(
        self, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> Sequence[OutboxMessage]:
        """Pending rows whose time has come, oldest first. A recipient (channel and address)
        with an earlier row still waiting is skipped, so each gets messages in the order they
        were written."""
        if channels is None:
            query, values = _DUE, {"due_now": now, "due_limit": limit}
        else:  # the channels whose door delivers here
            values = {"due_now": now, "due_limit": limit, "due_channels": list(channels)}
            query = _DUE_IN
        return (await self.session.scalars(query, values)).all()

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        token: str,
        lease_until: datetime,
        *,
        channels: Sequence[str] | None = None,
    ) -> Sequence[OutboxMessage]:
        """Claims the due rows (each chat's oldest pending row, if its time has come and no
        other worker holds it) for ``token`` until ``lease_until``."""
        free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
        ids = [row.id for row in await self.due(now, limit, channels)]
        if not ids:
            return []
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == OutboxStatus.PENDING,
                free,
            )
            .values(claimed_until=lease_until, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == OutboxStatus.PENDING,
                # This claim's lease, not a token left in the row by an earlier one.
                OutboxMessage.claim_token == token,
                OutboxMessage.claimed_until == lease_until,
            )
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(query)).all()

    async def release_claims(self, *tokens: str) -> int:
        """The pending rows claimed with these tokens are free again, due at once (a worker
        that stops, or a dead one's successor)."""
        if not tokens:
            return 0
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.claim_token.in_(tokens),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.claimed_until.is_not(None),
            )
            .values(claimed_until=None, claim_token=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    async def pending_for(self, to: Address) -> Sequence[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(_to(to), OutboxMessage.status == OutboxStatus.PENDING)
            .order_by(OutboxMessage.id)
        )
        return (await self.session.scalars(query)).all()

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=OutboxStatus.SENT, sent_at=now, attempts=OutboxMessage.attempts + 1)
        )

    async def mark_all_sent(self, message_ids: Sequence[int], now: datetime) -> None:
        """``mark_sent`` for many rows, in one statement (a delivery pass's)."""
        if not message_ids:
            return
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(status=OutboxStatus.SENT, sent_at=now, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )

    async def last_pending_card(self, ticket_id: int, to: Address) -> int | None:
        return await self.session.scalar(
            select(func.max(OutboxMessage.id)).where(
                OutboxMessage.ticket_id == ticket_id,
                _to(to),
                OutboxMessage.kind == OutboxKind.CARD,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )

    async def last_pending_cards(
        self, wanted: Iterable[tuple[int, Address]]
    ) -> dict[tuple[int, Address], int]:
        """``last_pending_card`` for many (ticket, address) pairs, in one statement (a
        delivery pass's cards)."""
        pairs = set(wanted)
        if not pairs:
            return {}
        query = (
            select(
                OutboxMessage.ticket_id,
                OutboxMessage.channel,
                OutboxMessage.address,
                func.max(OutboxMessage.id),
            )
            .where(
                OutboxMessage.ticket_id.in_({ticket_id for ticket_id, _ in pairs}),
                # Per channel, its addresses: SQLite searches ix_outbox_recipient with these
                # (with a row value IN it would walk every pending row).
                or_(
                    *(
                        and_(
                            OutboxMessage.channel == channel,
                            OutboxMessage.address.in_(
                                {to.address for _, to in pairs if to.channel == channel}
                            ),
                        )
                        for channel in {to.channel for _, to in pairs}
                    )
                ),
                OutboxMessage.kind == OutboxKind.CARD,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .group_by(OutboxMessage.ticket_id, OutboxMessage.channel, OutboxMessage.address)
        )
        found = {
            (ticket_id, Address(channel, address)): int(upto)
            for ticket_id, channel, address, upto in (await self.session.execute(query)).all()
        }
        return {pair: upto for pair, upto in found.items() if pair in pairs}

    async def collapse_cards(self, ticket_id: int, to: Address, upto: int, now: datetime) -> int:
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.ticket_id == ticket_id,
                _to(to),
                OutboxMessage.kind == OutboxKind.CARD,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.id <= upto,
            )
            .values(status=OutboxStatus.SENT, sent_at=now, last_error="collapsed")
        )
        return int(getattr(result, "rowcount", 0))

    async def postpone(
        self, message_id: int, until: datetime, error: str, *, attempted: bool = True
    ) -> None:
        """Not yet: due again at ``until``. ``attempted`` is False for a row that was never
        sent (held back by another row's 429), so its back-off does not grow."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                not_before=until,
                last_error=error[:1000],
                attempts=OutboxMessage.attempts + (1 if attempted else 0),
                claimed_until=None,
                claim_token=None,
            )
        )

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status=OutboxStatus.FAILED,
                last_error=error[:1000],
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def fail_pending_for(self, to: Address, error: str) -> int:
        result = await self.session.execute(
            update(OutboxMessage)
            .where(_to(to), OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, last_error=error[:1000])
        )
        return int(getattr(result, "rowcount", 0))

    async def stats(self) -> OutboxStats:
        counts = dict(
            (
                await self.session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                )
            ).all()
        )
        oldest = await self.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        return OutboxStats(
            pending=counts.get(OutboxStatus.PENDING, 0),
            failed=counts.get(OutboxStatus.FAILED, 0),
            sent=counts.get(OutboxStatus.SENT, 0),
            oldest_pending=oldest,
        )

    async def all_for(self, to: Address) -> Sequence[OutboxMessage]:
        query = select(OutboxMessage).where(_to(to)).order_by(OutboxMessage.id)
        return (await self.session.scalars(query)).all()
