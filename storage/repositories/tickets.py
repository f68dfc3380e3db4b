from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    tuple_,
    union,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.by_id import by_id
from storage.models import (
    OPEN_STATUSES,
    Address,
    Building,
    CoordinatorScope,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketMessage,
    TicketRecipient,
    TicketStatus,
)
from storage.repositories import ticket_statements as built
from storage.repositories.ticket_statements import NEWEST_FIRST
from storage.rows import EventRow, ListedTicket, RecipientRow, SimilarTicket

log = logging.getLogger("bot.tickets")

OLDEST_FIRST = (Ticket.created_at.asc(), Ticket.id.asc())
# Buildings and communities walked in one statement (SQLite allows 500 SELECTs in a compound).
STREAMS_PER_QUERY = 100
# Walks (a building or community, one status) of a status page in its one statement; a scope
# with more is asked in one query without walks.
STATUS_WALKS = 100


# Not closed or withdrawn: a ticket someone may still have to act on.
UNFINISHED = (*OPEN_STATUSES, TicketStatus.RESOLVED)


@dataclass(frozen=True, slots=True)
class ReportGate:
    """What a report checks before it is filed, read together: whether its author lives in the
    building (and their flat there), the ticket a draft sent before filed, and how many the
    author reported since a time (the day's limit)."""

    resident: bool
    flat: str | None
    filed_id: int | None
    since_count: int


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose tickets a staff list shows: those of these buildings and communities, i.e. of the
    person's current roles. A ticket once routed to them under a role they no longer have is
    not theirs any more (access follows current roles only), so it is not listed."""

    person_id: int
    building_ids: Sequence[int] = ()
    community_ids: Sequence[int] = ()


@dataclass(frozen=True, slots=True)
class Involved:
    ticket_id: int
    community_id: int
    building_id: int
    status: TicketStatus
    holds: bool
    owns: bool


class TicketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, community_id: int) -> int:
        """The community's next ticket number, atomically (two reports at once never share one)."""
        number = await self.session.scalar(built.NEXT_NUMBER, {"community_id": community_id})
        assert number is not None
        return int(number)

    async def add(self, ticket: Ticket) -> Ticket:
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        return await by_id(self.session, Ticket, ticket_id)

    async def get_and_following(self, ticket_id: int, person_id: int) -> tuple[Ticket | None, bool]:
        """The ticket and whether ``person_id`` follows it, in one statement (every press on a
        card asks both)."""
        values = {"ticket_id": ticket_id, "person_id": person_id}
        row = (await self.session.execute(built.TICKET_AND_FOLLOWING, values)).first()
        if row is None:
            return None, False
        return row[0], bool(row[1])

    async def by_draft(self, author_id: int, draft_key: str) -> Ticket | None:
        values = {"author_id": author_id, "draft_key": draft_key}
        return await self.session.scalar(built.BY_DRAFT, values)

    async def by_number(self, community_id: int, number: int) -> Ticket | None:
        query = select(Ticket).where(Ticket.community_id == community_id, Ticket.number == number)
        return await self.session.scalar(query)

    async def transition(
        self,
        ticket_id: int,
        expected: Sequence[TicketStatus],
        now: datetime,
        **values: Any,
    ) -> bool:
        """Changes the ticket only if it is still in one of the ``expected`` states: of two heads
        pressing Take at once exactly one wins."""
        query = built.transition(tuple(dict.fromkeys(expected)), tuple(sorted(values)))
        bound = {f"set_{name}": value for name, value in values.items()}
        bound.update(ticket_id=ticket_id, set_updated_at=now)
        changed = await self.session.scalar(query, bound)
        return changed is not None

    async def set_rating(self, ticket_id: int, stars: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.rating.is_(None))
            .values(rating=stars, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def report_gate(
        self, author_id: int, building_id: int, draft_key: str | None, since: datetime
    ) -> ReportGate:
        """``PersonRepository.membership`` as a resident, ``by_draft`` and
        ``count_by_author_since`` in one statement (a report's Send asked three)."""
        values = {
            "author_id": author_id,
            "building_id": building_id,
            "draft_key": draft_key,
            "since": since,
        }
        row = (await self.session.execute(built.REPORT_GATE, values)).first()
        if row is None:
            return ReportGate(False, None, None, 0)
        return ReportGate(True, row[0], row[1], int(row[2] or 0))

    async def count_by_author_since(self, author_id: int, since: datetime) -> int:
        values = {"author_id": author_id, "since": since}
        return await self.session.scalar(built.BY_AUTHOR_SINCE, values) or 0

    async def linked_by(
        self, parent_id: int, author_id: int, statuses: Sequence[TicketStatus]
    ) -> Ticket | None:
        """The author's ticket linked to ``parent_id`` in one of ``statuses``, if any."""
        query = (
            select(Ticket)
            .where(
                Ticket.parent_id == parent_id,
                Ticket.author_id == author_id,
                Ticket.status.in_(list(statuses)),
            )
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def similar_open(
        self, building_id: int, category: str, since: datetime, statuses: Sequence[TicketStatus]
    ) -> SimilarTicket | None:
        """The newest of the building's tickets of this category since ``since`` in these
        states, to read."""
        values = {
            "building_id": building_id,
            "category": category,
            "since": since,
            "statuses": list(statuses),
        }
        row = (await self.session.execute(built.SIMILAR_OPEN, values)).first()
        return None if row is None else SimilarTicket._make(row)

    # Events

    async def add_event(
        self, ticket_id: int, actor_id: int | None, kind: str, now: datetime, **data: Any
    ) -> None:
        # No flush of its own: the events of a unit of work are written together (at its
        # commit, or before a query that needs them: autoflush).
        self.session.add(
            TicketEvent(
                ticket_id=ticket_id, actor_id=actor_id, kind=kind, data=data, created_at=now
            )
        )

    async def events(self, ticket_id: int) -> list[EventRow]:
        """The ticket's history, oldest first, to read (rows, not mapped events)."""
        found = await self.session.execute(built.EVENTS, {"ticket_id": ticket_id})
        return [EventRow._make(row) for row in found]

    async def last_event(self, ticket_id: int, kind: str) -> TicketEvent | None:
        query = (
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def follow(self, ticket_id: int, person_id: int, now: datetime) -> bool:
        exists = await self.session.scalar(
            select(TicketFollower.id).where(
                TicketFollower.ticket_id == ticket_id, TicketFollower.person_id == person_id
            )
        )
        if exists is not None:
            return False
        self.session.add(TicketFollower(ticket_id=ticket_id, person_id=person_id, since=now))
        await self.session.flush()
        return True

    async def followers(self, ticket_id: int) -> Sequence[int]:
        return (await self.session.scalars(built.FOLLOWERS, {"ticket_id": ticket_id})).all()

    async def following(self, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """The (ticket, person) pairs among ``pairs`` where the person follows the ticket:
        ``is_follower`` for many, in one statement."""
        wanted = set(pairs)
        if not wanted:
            return set()
        # Two IN lists, not a row value IN: SQLite searches its (ticket, person) index with
        # these, and would scan the table for pairs.
        query = select(TicketFollower.ticket_id, TicketFollower.person_id).where(
            TicketFollower.ticket_id.in_({t for t, _ in wanted}),
            TicketFollower.person_id.in_({p for _, p in wanted}),
        )
        return {(t, p) for t, p in (await self.session.execute(query)).all()} & wanted

    async def move_followers(self, from_ticket: int, to_ticket: int, now: datetime) -> None:
        for person_id in await self.followers(from_ticket):
            await self.follow(to_ticket, person_id, now)
        await self.session.execute(
            delete(TicketFollower).where(TicketFollower.ticket_id == from_ticket)
        )

    async def add_recipient(
        self, ticket_id: int, person_id: int, reason: str, now: datetime
    ) -> bool:
        exists = await self.session.scalar(
            select(TicketRecipient.id).where(
                TicketRecipient.ticket_id == ticket_id, TicketRecipient.person_id == person_id
            )
        )
        if exists is not None:
            return False
        self.session.add(
            TicketRecipient(ticket_id=ticket_id, person_id=person_id, reason=reason, since=now)
        )
        await self.session.flush()
        return True

    def add_new_recipient(self, ticket_id: int, person_id: int, reason: str, now: datetime) -> None:
        """A recipient of a ticket that has none yet (just routed): no check, no flush of its
        own (the commit writes a new ticket's recipients in one statement)."""
        self.session.add(
            TicketRecipient(ticket_id=ticket_id, person_id=person_id, reason=reason, since=now)
        )

    async def recipients(self, ticket_id: int) -> list[RecipientRow]:
        """Who receives the ticket and why, in the order they were added (rows, to read)."""
        found = await self.session.execute(built.RECIPIENTS, {"ticket_id": ticket_id})
        return [RecipientRow._make(row) for row in found]

    async def involving(self, person_id: int) -> Sequence[Involved]:
        """Every ticket the person received, holds or owns (a role being taken from them)."""
        received = exists().where(
            TicketRecipient.ticket_id == Ticket.id, TicketRecipient.person_id == person_id
        )
        query = (
            select(
                Ticket.id,
                Ticket.community_id,
                Ticket.building_id,
                Ticket.status,
                Ticket.holder_id == person_id,
                Ticket.owner_id == person_id,
            )
            .where(or_(received, Ticket.holder_id == person_id, Ticket.owner_id == person_id))
            .order_by(Ticket.id)
        )
        return [Involved(*row) for row in (await self.session.execute(query)).all()]

    async def drop_recipient(self, person_id: int, ticket_ids: Sequence[int]) -> None:
        """The person no longer receives these tickets' cards (their role for them is gone)."""
        for first in range(0, len(ticket_ids), 500):
            await self.session.execute(
                delete(TicketRecipient).where(
                    TicketRecipient.person_id == person_id,
                    TicketRecipient.ticket_id.in_(list(ticket_ids[first : first + 500])),
                )
            )

    async def is_recipient(self, ticket_id: int, person_id: int) -> bool:
        query = select(TicketRecipient.id).where(
            TicketRecipient.ticket_id == ticket_id, TicketRecipient.person_id == person_id
        )
        return await self.session.scalar(query) is not None

    async def is_follower(self, ticket_id: int, person_id: int) -> bool:
        query = select(TicketFollower.id).where(
            TicketFollower.ticket_id == ticket_id, TicketFollower.person_id == person_id
        )
        return await self.session.scalar(query) is not None

    # Messages in people's doors that belong to a ticket: where (a channel and an address in
    # it) and the door's own reference to the message

    async def remember_message(
        self, ticket_id: int, where: Address, message_ref: str, kind: str
    ) -> None:
        if await self.ticket_of_message(where, message_ref) is None:
            self.session.add(
                TicketMessage(
                    ticket_id=ticket_id,
                    channel=where.channel,
                    address=where.address,
                    message_ref=message_ref,
                    kind=kind,
                )
            )
            await self.session.flush()

    async def card_message(self, ticket_id: int, where: Address) -> str | None:
        query = (
            select(TicketMessage.message_ref)
            .where(
                TicketMessage.ticket_id == ticket_id,
                TicketMessage.channel == where.channel,
                TicketMessage.address == where.address,
                TicketMessage.kind == "card",
            )
            .order_by(TicketMessage.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def remember_messages(self, messages: Sequence[tuple[int, Address, str, str]]) -> None:
        """``remember_message`` for many (ticket, where, message_ref, kind), in one statement
        (a delivery pass's new cards and relayed messages); a message already known is left as
        it is."""
        if not messages:
            return
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for ticket_id, where, ref, kind in messages:  # the first of each
            rows.setdefault(
                (where.channel, where.address, ref),
                {
                    "ticket_id": ticket_id,
                    "channel": where.channel,
                    "address": where.address,
                    "message_ref": ref,
                    "kind": kind,
                },
            )
        dialect = self.session.get_bind().dialect.name
        await self.session.execute(built.REMEMBER_MESSAGES[dialect], list(rows.values()))

    async def ticket_of_message(self, where: Address, message_ref: str) -> int | None:
        query = select(TicketMessage.ticket_id).where(
            TicketMessage.channel == where.channel,
            TicketMessage.address == where.address,
            TicketMessage.message_ref == message_ref,
        )
        return await self.session.scalar(query)

    # Lists

    async def status_count(
        self, scope: Scope, statuses: Sequence[TicketStatus], escalated_only: bool
    ) -> int:
        query = built.status_count(
            bool(scope.building_ids), bool(scope.community_ids), escalated_only
        )
        values = {
            "statuses": list(statuses),
            "building_ids": list(scope.building_ids),
            "community_ids": list(scope.community_ids),
        }
        return await self.session.scalar(query, values) or 0

    async def status_page(
        self,
        scope: Scope,
        statuses: Sequence[TicketStatus],
        escalated_only: bool,
        offset: int,
        limit: int,
    ) -> list[ListedTicket]:
        """A page of the scope's tickets in these (not final) states, newest first, as a list
        shows them.

        Each building and community is walked state by state, newest first, down its
        (building or community, status, created_at) index, ``offset + limit`` rows long; the
        walks are merged (as all_page's). So the work is the tickets in those states, not the
        history: asked in one query with ``status IN (…)``, SQLite (no ANALYZE) walked the
        building's whole history newest first to spare itself a sort of the few it wanted
        (135 ms at 1M tickets for a building with 8 open ones, docs/benchmarks.md). A scope
        of more walks than one statement takes is asked in one query as before."""
        wanted = offset + limit
        buildings = list(dict.fromkeys(scope.building_ids))
        communities = list(dict.fromkeys(scope.community_ids))
        states = tuple(dict.fromkeys(statuses))
        walks = (len(buildings) + len(communities)) * len(states)
        if not walks:
            return []
        if walks > STATUS_WALKS:
            everywhere = (
                select(*built.LISTED)
                .where(*_by_status(scope, statuses, escalated_only))
                .order_by(*built.LISTED_NEWEST_FIRST)
                .offset(offset)
                .limit(limit)
            )
            return [ListedTicket._make(row) for row in await self.session.execute(everywhere)]
        query = built.status_walks(len(buildings), len(communities), states, escalated_only)
        values: dict[str, Any] = {"wanted": wanted}
        values.update((f"walk_b{i}", b) for i, b in enumerate(buildings))
        values.update((f"walk_c{i}", c) for i, c in enumerate(communities))
        rows = await self.session.execute(query, values)
        found = {t.id: t for t in map(ListedTicket._make, rows)}
        newest = sorted(found.values(), key=lambda t: (t.created_at, t.id), reverse=True)
        return newest[offset:wanted]

    async def count_all(self, scope: Scope, cap: int) -> int:
        """How many tickets the scope has ("all"), exactly up to ``cap``: each part (the
        buildings, the communities) stops at ``cap`` + 1, so a result above
        ``cap`` means "more than ``cap``", and a smaller one is the count of all of them."""
        parts = []
        if scope.building_ids:
            parts.append(
                select(Ticket.id).where(Ticket.building_id.in_(scope.building_ids)).limit(cap + 1)
            )
        if scope.community_ids:
            parts.append(
                select(Ticket.id).where(Ticket.community_id.in_(scope.community_ids)).limit(cap + 1)
            )
        if not parts:
            return 0
        # SQLite takes no LIMIT on a member of a compound SELECT: each is a subquery.
        members = [select(part.subquery().c.id) for part in parts]
        everything = union(*members).subquery()
        return await self.session.scalar(select(func.count()).select_from(everything)) or 0

    async def position(self, ticket_id: int) -> tuple[datetime, int] | None:
        """Where a ticket stands in the lists (created_at, id); None if there is no such one."""
        row = (
            await self.session.execute(
                select(Ticket.created_at, Ticket.id).where(Ticket.id == ticket_id)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def all_page(
        self,
        scope: Scope,
        start: tuple[datetime, int] | None,
        newer: bool,
        limit: int,
        skip: int = 0,
    ) -> list[ListedTicket]:
        """Up to ``limit`` of the scope's tickets next to ``start`` (created_at, id): the older
        ones (or with ``newer``, the newer ones), or from the newest when ``start`` is None;
        after ``skip`` of them; newest first either way.

        Keyset paging, so no page reads what comes before it: each building and community is
        one walk down its index from ``start``, ``limit`` rows long; the walks are merged."""
        order = OLDEST_FIRST if newer else NEWEST_FIRST
        beyond = _beyond(start, newer)
        limit += skip
        streams = [Ticket.building_id == b for b in dict.fromkeys(scope.building_ids)]
        streams += [Ticket.community_id == c for c in dict.fromkeys(scope.community_ids)]
        found: dict[int, datetime] = {}
        for first in range(0, len(streams), STREAMS_PER_QUERY):
            walks = [
                select(Ticket.id, Ticket.created_at)
                .where(stream, *beyond)
                .order_by(*order)
                .limit(limit)
                .subquery()
                for stream in streams[first : first + STREAMS_PER_QUERY]
            ]
            rows = await self.session.execute(
                union_all(*(select(walk.c.id, walk.c.created_at) for walk in walks))
            )
            found.update({row[0]: row[1] for row in rows})
        ids = [ticket_id for _, ticket_id in _nearest(found, newer, limit)[skip:]]
        if not ids:
            return []
        rows = await self.session.execute(built.LISTED_BY_IDS, {"ticket_ids": ids})
        return [ListedTicket._make(row) for row in rows]

    async def resident_page(
        self, person_id: int, offset: int, limit: int
    ) -> tuple[int, Sequence[Ticket]]:
        followed = select(TicketFollower.ticket_id).where(TicketFollower.person_id == person_id)
        where = or_(Ticket.author_id == person_id, Ticket.id.in_(followed))
        total = await self.session.scalar(select(func.count()).select_from(Ticket).where(where))
        query = (
            select(Ticket)
            .where(where)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return total or 0, (await self.session.scalars(query)).all()

    # Routing candidates

    async def heads_and_deputies(self, building_id: int) -> Sequence[tuple[Person, Role]]:
        found = await self.session.execute(built.HEADS_AND_DEPUTIES, {"building_id": building_id})
        # unique(): a person's row comes once per contact; (person, role) is unique here.
        return [(p, r) for p, r in found.unique().all()]

    async def coordinators(self, community_id: int, building_id: int | None) -> Sequence[Person]:
        """The building's own coordinators (``building_id`` given) or the community-wide ones."""
        condition = (
            CoordinatorScope.building_id.is_(None)
            if building_id is None
            else CoordinatorScope.building_id == building_id
        )
        query = (
            select(Person)
            .join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
            .where(CoordinatorScope.community_id == community_id, condition)
            .distinct()
            .order_by(Person.id)
        )
        return (await self.session.scalars(query)).all()

    async def building_of(self, ticket: Ticket) -> Building:
        building = await self.session.get(Building, ticket.building_id)
        assert building is not None
        return building


def _by_status(
    scope: Scope, statuses: Sequence[TicketStatus], escalated_only: bool
) -> list[ColumnElement[bool]]:
    mine: list[ColumnElement[bool]] = []
    if scope.building_ids:
        mine.append(Ticket.building_id.in_(scope.building_ids))
    if scope.community_ids:
        mine.append(Ticket.community_id.in_(scope.community_ids))
    where = [Ticket.status.in_(list(statuses)), or_(false(), *mine)]
    if escalated_only:
        where.append(Ticket.escalated.is_(True))
    return where


def _beyond(start: tuple[datetime, int] | None, newer: bool) -> list[ColumnElement[bool]]:
    if start is None:
        return []
    here = tuple_(Ticket.created_at, Ticket.id)
    there = tuple_(*start)
    return [here > there if newer else here < there]


def _nearest(found: Mapping[int, datetime], newer: bool, limit: int) -> list[tuple[datetime, int]]:
    """The ``limit`` tickets nearest the start: the oldest of the newer ones, or the newest of
    the older ones."""
    ranked = sorted(((at, ticket_id) for ticket_id, at in found.items()), reverse=not newer)
    return ranked[:limit]
