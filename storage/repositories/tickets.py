from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Building,
    Community,
    CoordinatorScope,
    Membership,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketMessage,
    TicketRecipient,
    TicketStatus,
)

log = logging.getLogger("bot.tickets")


class TicketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, community_id: int) -> int:
        """The community's next ticket number, atomically (two reports at once never share one)."""
        number = await self.session.scalar(
            update(Community)
            .where(Community.id == community_id)
            .values(ticket_seq=Community.ticket_seq + 1)
            .returning(Community.ticket_seq)
        )
        assert number is not None
        return int(number)

    async def add(self, ticket: Ticket) -> Ticket:
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self.session.get(Ticket, ticket_id)

    async def by_draft(self, author_id: int, draft_key: str) -> Ticket | None:
        query = select(Ticket).where(Ticket.author_id == author_id, Ticket.draft_key == draft_key)
        return await self.session.scalar(query)

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
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_(list(expected)))
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        changed = getattr(result, "rowcount", 0) == 1
        if changed:
            ticket = await self.session.get(Ticket, ticket_id)
            if ticket is not None:
                await self.session.refresh(ticket)
        return changed

    async def set_rating(self, ticket_id: int, stars: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.rating.is_(None))
            .values(rating=stars, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def count_by_author_since(self, author_id: int, since: datetime) -> int:
        query = select(func.count()).where(
            Ticket.author_id == author_id, Ticket.created_at >= since
        )
        return await self.session.scalar(query) or 0

    async def similar_open(
        self, building_id: int, category: str, since: datetime, statuses: Sequence[TicketStatus]
    ) -> Ticket | None:
        query = (
            select(Ticket)
            .where(
                Ticket.building_id == building_id,
                Ticket.category == category,
                Ticket.created_at >= since,
                Ticket.status.in_(list(statuses)),
            )
            .order_by(Ticket.created_at.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    # Events

    async def add_event(
        self, ticket_id: int, actor_id: int | None, kind: str, now: datetime, **data: Any
    ) -> None:
        self.session.add(
            TicketEvent(
                ticket_id=ticket_id, actor_id=actor_id, kind=kind, data=data, created_at=now
            )
        )
        await self.session.flush()

    async def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        query = (
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return (await self.session.scalars(query)).all()

    # Followers and recipients

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
        query = (
            select(TicketFollower.person_id)
            .where(TicketFollower.ticket_id == ticket_id)
            .order_by(TicketFollower.id)
        )
        return (await self.session.scalars(query)).all()

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

    async def recipients(self, ticket_id: int) -> Sequence[TicketRecipient]:
        query = (
            select(TicketRecipient)
            .where(TicketRecipient.ticket_id == ticket_id)
            .order_by(TicketRecipient.id)
        )
        return (await self.session.scalars(query)).all()

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

    # Messages in chats that belong to a ticket

    async def remember_message(
        self, ticket_id: int, chat_id: int, message_id: int, kind: str
    ) -> None:
        exists = await self.session.scalar(
            select(TicketMessage.id).where(
                TicketMessage.chat_id == chat_id, TicketMessage.message_id == message_id
            )
        )
        if exists is None:
            self.session.add(
                TicketMessage(
                    ticket_id=ticket_id, chat_id=chat_id, message_id=message_id, kind=kind
                )
            )
            await self.session.flush()

    async def card_message(self, ticket_id: int, chat_id: int) -> int | None:
        query = (
            select(TicketMessage.message_id)
            .where(
                TicketMessage.ticket_id == ticket_id,
                TicketMessage.chat_id == chat_id,
                TicketMessage.kind == "card",
            )
            .order_by(TicketMessage.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        query = select(TicketMessage.ticket_id).where(
            TicketMessage.chat_id == chat_id, TicketMessage.message_id == message_id
        )
        return await self.session.scalar(query)

    # Lists

    async def staff_page(
        self,
        building_ids: Sequence[int],
        community_ids: Sequence[int],
        extra_ticket_ids_of: int,
        statuses: Sequence[TicketStatus] | None,
        escalated_only: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, Sequence[Ticket]]:
        """Tickets of these buildings or communities, plus those routed to the person."""
        routed = select(TicketRecipient.ticket_id).where(
            TicketRecipient.person_id == extra_ticket_ids_of
        )
        conditions = [Ticket.id.in_(routed)]
        if building_ids:
            conditions.append(Ticket.building_id.in_(list(building_ids)))
        if community_ids:
            conditions.append(Ticket.community_id.in_(list(community_ids)))
        where = [or_(*conditions)]
        if statuses is not None:
            where.append(Ticket.status.in_(list(statuses)))
        if escalated_only:
            where.append(Ticket.escalated.is_(True))
        total = await self.session.scalar(select(func.count()).select_from(Ticket).where(*where))
        query = (
            select(Ticket)
            .where(*where)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return total or 0, (await self.session.scalars(query)).all()

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
        query = (
            select(Person, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.building_id == building_id,
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
            # Heads before deputies, then by seniority.
            .order_by(case((Membership.role == Role.HEAD, 0), else_=1), Membership.since, Person.id)
        )
        return [(p, r) for p, r in (await self.session.execute(query)).all()]

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
