from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from storage.db import QUEUED
from storage.models import Address, OutboxKind, OutboxMessage, OutboxStatus, Urgency


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    failed: int
    sent: int
    oldest_pending: OutboxMessage | None


def _to(to: Address) -> ColumnElement[bool]:
    return and_(OutboxMessage.channel == to.channel, OutboxMessage.address == to.address)


def _due() -> Select[OutboxMessage]:
    # Each chat's oldest pending row (its messages go in the order they were written), chats
    # by their most urgent pending row, then by age: a head with a new report's card waiting
    # behind a notice's copy in their own chat still goes before the rest of that notice.
    waiting = (
        select(
            func.min(OutboxMessage.id).label("first_id"),
            func.min(OutboxMessage.urgency).label("urgency"),
        )
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
        .order_by(waiting.c.urgency, OutboxMessage.id)
        .limit(bindparam("due_limit", type_=Integer))
    )


# Built once (the delivery worker asks after every commit that queued a message; building it
# anew cost more than running it); the time, the limit and the channels are bound at execution.
_DUE = _due()
_DUE_IN = _DUE.where(OutboxMessage.channel.in_(bindparam("due_channels", expanding=True)))


def _following() -> Select[OutboxMessage]:
    """Some chats' pending rows after their first, up to the ``places``-th, oldest first."""
    chat = (OutboxMessage.channel, OutboxMessage.address)
    ranked = (
        select(
            OutboxMessage.id,
            func.row_number().over(partition_by=chat, order_by=OutboxMessage.id).label("place"),
        )
        .where(
            tuple_(*chat).in_(bindparam("chats", expanding=True)),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .subquery()
    )
    return (
        select(OutboxMessage)
        .join(ranked, ranked.c.id == OutboxMessage.id)
        .where(ranked.c.place.between(2, bindparam("places", type_=Integer)))
        .order_by(OutboxMessage.id)
    )


_FOLLOWING = _following()


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
        urgency: Urgency = Urgency.TELL,
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
            urgency=urgency,
        )
        # No flush of its own: a unit of work's rows (a card to each recipient, notices) are
        # written in one statement at its commit (its id is there after it, or after any query).
        self.session.add(message)
        self.session.info[QUEUED] = True
        return message

    async def due(
        self,
        now: datetime,
        limit: int,
        channels: Sequence[str] | None = None,
        *,
        per_chat: int = 1,
        room: Callable[[Address], int] | None = None,
    ) -> list[OutboxMessage]:
        """Pending rows whose time has come, the most urgent chats first (storage.models.Urgency),
        then the oldest: up to ``limit`` rows, each chat's oldest ``per_chat`` at most, or
        ``room(address)`` when that is fewer (fewer also when one of them is not due yet or
        another worker holds it), in the order they were written. A recipient (channel and
        address) with an earlier row still waiting is skipped, so each gets messages in that
        order."""
        if channels is None:
            query, values = _DUE, {"due_now": now, "due_limit": limit}
        else:  # the channels whose door delivers here
            values = {"due_now": now, "due_limit": limit, "due_channels": list(channels)}
            query = _DUE_IN
        firsts = (await self.session.scalars(query, values)).all()
        if per_chat <= 1 or not firsts:
            return list(firsts)
        # Each chat's next rows (one statement for the pass, by ix_outbox_recipient).
        following = await self.session.scalars(
            _FOLLOWING, {"chats": [(r.channel, r.address) for r in firsts], "places": per_chat}
        )
        rows = {(r.channel, r.address): [r] for r in firsts}
        for row in following:
            rows[(row.channel, row.address)].append(row)
        due: list[OutboxMessage] = []
        for chat in rows.values():
            if room is not None:
                del chat[max(1, room(chat[0].to)) :]
            cards: set[int | None] = set()
            # A chat's rows go in a row: one not due yet (backing off) or held elsewhere ends
            # them, so nothing after it goes first. So does a later update of a card already
            # in the run: the earlier one, rendered as the ticket is now, includes it.
            for row in chat:
                if (
                    len(due) == limit
                    or row.not_before > now
                    or (row.claimed_until is not None and row.claimed_until >= now)
                    or (row.kind == OutboxKind.CARD and row.ticket_id in cards)
                ):
                    break
                if row.kind == OutboxKind.CARD:
                    cards.add(row.ticket_id)
                due.append(row)
        return due

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        token: str,
        lease_until: datetime,
        *,
        channels: Sequence[str] | None = None,
        per_chat: int = 1,
        room: Callable[[Address], int] | None = None,
    ) -> list[OutboxMessage]:
        """Claims the due rows (``due``: each chat's oldest pending rows, if their time has
        come and no other worker holds them) for ``token`` until ``lease_until``; returned in
        ``due``'s order, the most urgent first. A chat's rows are claimed as a run from its
        oldest: a row whose predecessor went to another worker at the same moment is let go."""
        free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
        wanted = await self.due(now, limit, channels, per_chat=per_chat, room=room)
        ids = [row.id for row in wanted]
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
            .execution_options(populate_existing=True)
        )
        claimed = {row.id: row for row in await self.session.scalars(query)}
        kept: list[OutboxMessage] = []
        broken: set[tuple[str, str]] = set()  # chats whose run another worker cut
        for row in wanted:
            chat = (row.channel, row.address)
            if row.id in claimed and chat not in broken:
                kept.append(claimed.pop(row.id))
            else:
                broken.add(chat)
        if claimed:  # after a gap: theirs to send after what the other worker holds
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(list(claimed)), OutboxMessage.claim_token == token)
                .values(claimed_until=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
        return kept

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
