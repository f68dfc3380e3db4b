from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from storage.db import QUEUED
from storage.models import (
    Address,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketFollower,
    Urgency,
    table_of,
)


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    failed: int
    sent: int
    oldest_pending: OutboxMessage | None


def _to(to: Address) -> ColumnElement[bool]:
    return and_(OutboxMessage.channel == to.channel, OutboxMessage.address == to.address)


def _due(rows: bool = True) -> Select[Any]:
    """Each chat's oldest pending row, when its time has come and nobody holds it: the row
    (``rows``), or its id, chat and the chat's urgency (``_runs``)."""
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
    first = OutboxMessage
    what: tuple[Any, ...] = (
        (first,) if rows else (first.id, first.channel, first.address, waiting.c.urgency)
    )
    return (
        select(*what)
        .join(waiting, waiting.c.first_id == first.id)
        .where(
            first.not_before <= now,
            or_(first.claimed_until.is_(None), first.claimed_until < now),
        )
        .order_by(waiting.c.urgency, first.id)
        .limit(bindparam("due_limit", type_=Integer))
    )


def _in_channels(query: Select[Any]) -> Select[Any]:
    return query.where(OutboxMessage.channel.in_(bindparam("due_channels", expanding=True)))


def _runs(channels: bool) -> Select[OutboxMessage]:
    """``_due``'s chats (of the bound channels, with ``channels``), each with its pending rows
    from its oldest up to the ``due_places``-th: the chats in ``_due``'s order, a chat's rows
    oldest first. One statement (it was ``_due`` and then the chats' following rows), by
    ix_outbox_recipient for the chats' rows."""
    firsts = (_in_channels(_due(rows=False)) if channels else _due(rows=False)).subquery()
    row = aliased(OutboxMessage)
    ranked = (
        select(
            row.id,
            firsts.c.urgency,
            firsts.c.id.label("first_id"),
            func.row_number().over(partition_by=firsts.c.id, order_by=row.id).label("place"),
        )
        .select_from(firsts)
        .join(row, and_(row.channel == firsts.c.channel, row.address == firsts.c.address))
        .where(row.status == OutboxStatus.PENDING)
        .subquery()
    )
    return (
        select(OutboxMessage)
        .join(ranked, ranked.c.id == OutboxMessage.id)
        .where(ranked.c.place <= bindparam("due_places", type_=Integer))
        .order_by(ranked.c.urgency, ranked.c.first_id, OutboxMessage.id)
    )


# Built once (the delivery worker asks after every commit that queued a message; building it
# anew cost more than running it); the time, the limit and the channels are bound at execution.
_DUE = _due()
_DUE_IN = _in_channels(_DUE)
_RUNS = {False: _runs(channels=False), True: _runs(channels=True)}
_OUTBOX = table_of(OutboxMessage)


def _claim() -> Select[OutboxMessage]:
    """The claim of the due rows whose ids are bound (``claim_ids``) that are still pending and
    free at ``claim_now``: each is taken for ``claim_by`` until ``claim_until`` and read back
    in the same statement (RETURNING: only the rows this UPDATE changed, so a row another
    worker took meanwhile is not among them; it was an UPDATE and a SELECT of the rows that
    carried this claim's token and lease). On the table, read as the rows, refreshing the
    session's copies: an ORM UPDATE is annotated, so keyed, anew at every execution."""
    now: BindParameter[datetime] = bindparam("claim_now", type_=_OUTBOX.c.claimed_until.type)
    claimed = (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.id.in_(bindparam("claim_ids", expanding=True)),
            _OUTBOX.c.status == OutboxStatus.PENDING,
            or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
        )
        .values(
            claimed_until=bindparam("claim_until", type_=_OUTBOX.c.claimed_until.type),
            claim_token=bindparam("claim_by", type_=_OUTBOX.c.claim_token.type),
        )
        .returning(*_OUTBOX.c)
    )
    query = select(OutboxMessage).from_statement(claimed)
    return query.execution_options(populate_existing=True)  # type: ignore[return-value]


# Built once, like the others: every pass that found rows runs them.
_CLAIM = _claim()
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("sent_ids", expanding=True)))
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("sent_now", type_=_OUTBOX.c.sent_at.type),
        attempts=_OUTBOX.c.attempts + 1,
    )
)


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
        values: dict[str, Any] = {"due_now": now, "due_limit": limit}
        if channels is not None:  # the channels whose door delivers here
            values["due_channels"] = list(channels)
        if per_chat <= 1:
            return list(await self.session.scalars(_DUE if channels is None else _DUE_IN, values))
        values["due_places"] = per_chat
        rows: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in await self.session.scalars(_RUNS[channels is not None], values):
            rows.setdefault((row.channel, row.address), []).append(row)
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
        wanted = await self.due(now, limit, channels, per_chat=per_chat, room=room)
        ids = [row.id for row in wanted]
        if not ids:
            return []
        values = {"claim_ids": ids, "claim_now": now, "claim_until": lease_until, "claim_by": token}
        claimed = {row.id: row for row in await self.session.scalars(_CLAIM, values)}
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
        await self.session.execute(_SENT, {"sent_ids": list(message_ids), "sent_now": now})

    async def last_pending_card(self, ticket_id: int, to: Address) -> int | None:
        return await self.session.scalar(
            select(func.max(OutboxMessage.id)).where(
                OutboxMessage.ticket_id == ticket_id,
                _to(to),
                OutboxMessage.kind == OutboxKind.CARD,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )

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

    async def withdraw_waiting(
        self, ticket_id: int, written_at: Sequence[datetime], now: datetime
    ) -> tuple[set[int], set[int]]:
        """The rows of the ticket written at these moments (a message's relays are written in
        the unit of work of its event, at its time) that still wait and that no pass holds
        are deleted, cards excepted. Returns whose rows were withdrawn, and whose were not
        (sent, or in a pass's hands)."""
        rows = (
            await self.session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.person_id,
                    OutboxMessage.status,
                    OutboxMessage.claimed_until,
                ).where(
                    OutboxMessage.ticket_id == ticket_id,
                    OutboxMessage.created_at.in_(list(written_at)),
                    OutboxMessage.kind != OutboxKind.CARD,
                )
            )
        ).all()
        waiting = [
            row
            for row in rows
            if row.status == OutboxStatus.PENDING
            and (row.claimed_until is None or row.claimed_until < now)
        ]
        if waiting:
            await self.session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in waiting]))
                .execution_options(synchronize_session=False)
            )
        gone = {row.id for row in waiting}
        withdrawn = {row.person_id for row in waiting if row.person_id is not None}
        delivered = {r.person_id for r in rows if r.id not in gone and r.person_id is not None}
        return withdrawn, delivered

    async def pending_without_ticket(self, person_id: int) -> Sequence[OutboxMessage]:
        """The person's rows not sent yet that are about no ticket and no notice."""
        query = select(OutboxMessage).where(
            OutboxMessage.person_id == person_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.ticket_id.is_(None),
            OutboxMessage.notice_id.is_(None),
        )
        return (await self.session.scalars(query.order_by(OutboxMessage.id))).all()

    async def fail_pending(self, message_ids: Sequence[int], error: str) -> int:
        """These rows, those still pending, are not sent."""
        failed = 0
        for first in range(0, len(message_ids), 500):
            result = await self.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(list(message_ids[first : first + 500])),
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
                .values(status=OutboxStatus.FAILED, last_error=error[:1000])
                .execution_options(synchronize_session=False)
            )
            failed += int(getattr(result, "rowcount", 0))
        return failed

    async def fail_pending_as_staff(
        self, person_id: int, ticket_ids: Sequence[int], error: str
    ) -> int:
        """The person's pending rows about these tickets, as their staff, are not sent: not
        their cards (rendered at delivery for who the person is then), nor what they get as
        the author or a follower of one of them."""
        failed = 0
        for first in range(0, len(ticket_ids), 500):
            result = await self.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.person_id == person_id,
                    OutboxMessage.ticket_id.in_(list(ticket_ids[first : first + 500])),
                    OutboxMessage.kind != OutboxKind.CARD,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    ~exists().where(
                        Ticket.id == OutboxMessage.ticket_id, Ticket.author_id == person_id
                    ),
                    ~exists().where(
                        TicketFollower.ticket_id == OutboxMessage.ticket_id,
                        TicketFollower.person_id == person_id,
                    ),
                )
                .values(status=OutboxStatus.FAILED, last_error=error[:1000])
                .execution_options(synchronize_session=False)
            )
            failed += int(getattr(result, "rowcount", 0))
        return failed

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
