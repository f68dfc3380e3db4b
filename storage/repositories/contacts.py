"""One-time link codes, and folding a second person into the first when a door is linked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ContactCode,
    CoordinatorScope,
    Invitation,
    JoinRequest,
    JoinRequestCopy,
    JoinStatus,
    Membership,
    OutboxMessage,
    Person,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketRecipient,
    WorkOrder,
)


class ContactCodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, person_id: int, code_hash: str, now: datetime, until: datetime) -> bool:
        """Stores a code for the person (their earlier ones and everyone's expired ones go);
        False when another person's live code has the same hash (draw another)."""
        await self.session.execute(
            delete(ContactCode).where(
                (ContactCode.person_id == person_id) | (ContactCode.expires_at <= now)
            )
        )
        if await self.session.scalar(
            select(ContactCode.id).where(ContactCode.code_hash == code_hash)
        ):
            return False
        self.session.add(
            ContactCode(person_id=person_id, code_hash=code_hash, created_at=now, expires_at=until)
        )
        await self.session.flush()
        return True

    async def take(self, code_hash: str, now: datetime) -> int | None:
        """The person whose live code this is; the code is used up (single use, even when two
        doors enter it at once: the DELETE decides)."""
        found = await self.session.scalar(
            delete(ContactCode)
            .where(ContactCode.code_hash == code_hash, ContactCode.expires_at > now)
            .returning(ContactCode.person_id)
        )
        return found


# Tables whose rows belong to one person, with the columns that make a row unique per person
# (a row of the second person that the first already has is dropped, not duplicated).
_OWNED: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (Membership, "person_id", ("building_id", "role")),
    (CoordinatorScope, "person_id", ("community_id", "building_id")),
    (TicketFollower, "person_id", ("ticket_id",)),
    (TicketRecipient, "person_id", ("ticket_id",)),
    (JoinRequestCopy, "person_id", ("request_id",)),
)
# References that simply follow the person.
_REFERENCES: tuple[tuple[type, str], ...] = (
    (Ticket, "author_id"),
    (Ticket, "owner_id"),
    (Ticket, "holder_id"),
    (TicketEvent, "actor_id"),
    (JoinRequest, "decided_by"),
    (Invitation, "created_by"),
    (Invitation, "used_by"),
    (OutboxMessage, "person_id"),
    (WorkOrder, "forwarded_by"),
    (WorkOrder, "answered_by"),
)


async def merge_people(session: AsyncSession, into_id: int, from_id: int) -> None:
    """Everything of person ``from_id`` becomes ``into_id``'s (roles, tickets, follows, join
    requests), then ``from_id`` is deleted with whatever was left (their contacts must have
    been moved first)."""
    for model, column, keys in _OWNED:
        table: Table = model.__table__  # type: ignore[attr-defined]
        other = table.alias("other")
        clash: list[ColumnElement[bool]] = [other.c[column] == into_id]
        clash += [other.c[k].is_not_distinct_from(table.c[k]) for k in keys]
        await session.execute(
            delete(table).where(table.c[column] == from_id, exists().where(*clash))
        )
        await session.execute(
            update(table).where(table.c[column] == from_id).values({column: into_id})
        )
    # One pending request per person and building: the second person's clashing one goes.
    requests: Table = JoinRequest.__table__  # type: ignore[assignment]
    other = requests.alias("other")
    await session.execute(
        update(requests)
        .where(
            requests.c.person_id == from_id,
            requests.c.status == JoinStatus.PENDING.value,
            exists().where(
                other.c.person_id == into_id,
                other.c.building_id == requests.c.building_id,
                other.c.status == JoinStatus.PENDING.value,
            ),
        )
        .values(status=JoinStatus.WITHDRAWN.value)
    )
    await session.execute(
        update(requests).where(requests.c.person_id == from_id).values(person_id=into_id)
    )
    for model, column in _REFERENCES:
        table = model.__table__  # type: ignore[attr-defined]
        await session.execute(
            update(table).where(table.c[column] == from_id).values({column: into_id})
        )
    await session.execute(delete(Person).where(Person.id == from_id))
