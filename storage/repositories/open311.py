"""Open311 clients (by their key's hash) and the tickets they filed; the tickets the API lists,
newest first, with what the answer needs beside each (its building)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Open311Client, Open311Request, Ticket, TicketStatus

FINISHED = (TicketStatus.CLOSED, TicketStatus.WITHDRAWN)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What GET requests asks for in one community: ticket numbers (the other fields are then
    ignored, as the spec says), or categories, a time range and statuses."""

    community_id: int
    numbers: Sequence[int] = ()
    categories: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    statuses: Sequence[TicketStatus] = ()
    limit: int = 1000
    # Whatever else is asked: only tickets of these categories, or by this author (a client's
    # own filings). ``None``: every category.
    visible: Sequence[str] | None = None
    author_id: int | None = None


class Open311Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def client_by_name(self, name: str) -> Open311Client | None:
        return await self.session.scalar(select(Open311Client).where(Open311Client.name == name))

    async def client_by_key(self, key_hash: str) -> Open311Client | None:
        """The client holding this key, unless it was revoked."""
        query = select(Open311Client).where(
            Open311Client.key_hash == key_hash, Open311Client.revoked_at.is_(None)
        )
        return await self.session.scalar(query)

    async def add_client(self, client: Open311Client) -> Open311Client:
        self.session.add(client)
        await self.session.flush()
        return client

    async def add_request(self, request: Open311Request) -> None:
        self.session.add(request)
        await self.session.flush()

    async def request_by_token(self, client_id: int, token: str) -> Open311Request | None:
        query = select(Open311Request).where(
            Open311Request.client_id == client_id, Open311Request.token == token
        )
        return await self.session.scalar(query)

    async def tickets(self, wanted: TicketFilter) -> Sequence[tuple[Ticket, Building]]:
        query = (
            select(Ticket, Building)
            .join(Building, Building.id == Ticket.building_id)
            .where(Ticket.community_id == wanted.community_id)
        )
        if wanted.visible is not None:
            seen = Ticket.category.in_(wanted.visible)
            if wanted.author_id is not None:
                query = query.where(or_(seen, Ticket.author_id == wanted.author_id))
            else:
                query = query.where(seen)
        if wanted.numbers:
            query = query.where(Ticket.number.in_(wanted.numbers))
        else:
            if wanted.categories:
                query = query.where(Ticket.category.in_(wanted.categories))
            if wanted.since is not None:
                query = query.where(Ticket.created_at >= wanted.since)
            if wanted.until is not None:
                query = query.where(Ticket.created_at <= wanted.until)
            if wanted.statuses:
                query = query.where(Ticket.status.in_(wanted.statuses))
        query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(wanted.limit)
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def buildings_named(self, community_id: int, name: str) -> Sequence[Building]:
        query = select(Building).where(Building.community_id == community_id, Building.name == name)
        return (await self.session.scalars(query.limit(2))).all()

    async def forget_callers(self, before: datetime, limit: int) -> int:
        """Clears the caller's contact of up to ``limit`` tickets finished (closed or withdrawn)
        before ``before``: it was given to be called back about that ticket. Returns how many."""
        r = Open311Request
        finished = (
            select(r.id)
            .join(Ticket, Ticket.id == r.ticket_id)
            .where(
                Ticket.status.in_(FINISHED),
                Ticket.updated_at < before,
                cast(r.submitter, String) != "{}",
            )
            .order_by(r.id)
            .limit(limit)
        )
        ids = list((await self.session.scalars(finished)).all())
        if ids:
            await self.session.execute(update(r).where(r.id.in_(ids)).values(submitter={}))
        return len(ids)
