"""What a follower ("me too") does when the ticket they follow ends but their problem does not.
Only the author confirms or reopens a ticket; a follower says "still a problem for me", which
opens a ticket of their own, linked to the one they followed and routed like a new report, so
it reaches the head and has a responsible person of its own."""

from __future__ import annotations

from datetime import timedelta

from bot.services.categories import Category, find_category
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_core import MAX_DESCRIPTION, TicketCore, checked
from storage.models import Person, Role, Ticket, TicketStatus
from storage.repositories import PersonRepository
from storage.repositories.tickets import UNFINISHED, TicketRepository


class NeighbourActions(TicketCore):
    async def still_problem(self, person: Person, ticket_id: int, note: str) -> Ticket:
        """The follower's own ticket, linked to ``ticket_id`` (the same one again if they said
        so before and it is not finished: a double tap files one). Their name and phone stay
        hidden: they gave no consent, and the head can answer them through the bot."""
        now = self.clock()
        note = checked(note)
        async with self.db.session() as session:
            old, _ = await self.authorise(session, person, ticket_id, Action.STILL)
            tickets = TicketRepository(session)
            people = PersonRepository(session)
            membership = await people.membership(person.id, old.building_id, Role.RESIDENT)
            if membership is None:
                raise ServiceError("not-allowed")  # no longer lives there
            filed = await tickets.linked_by(old.id, person.id, UNFINISHED)
            if filed is not None:
                return filed
            today = await tickets.count_by_author_since(person.id, now - timedelta(days=1))
            if today >= self.config.max_tickets_per_day:
                raise ServiceError("report-limit", limit=self.config.max_tickets_per_day)
            community = await self.community_of_building(session, old.building_id)
            category = find_category(community.settings, old.category) or Category(
                old.category, "📝"
            )
            t = self.translations.bind(person.language or self.translations.default)
            description = t("still-description", number=old.number)
            if note:
                description += "\n" + note
            ticket = await tickets.add(
                Ticket(
                    community_id=community.id,
                    number=await tickets.next_number(community.id),
                    building_id=old.building_id,
                    author_id=person.id,
                    category=category.code,
                    urgent=category.urgent,
                    status=TicketStatus.NEW,
                    description=checked(description, MAX_DESCRIPTION),
                    media=[],
                    flat=membership.flat,
                    show_name=False,
                    show_phone=False,
                    created_at=now,
                    updated_at=now,
                    parent_id=old.id,
                )
            )
            await tickets.add_event(ticket.id, person.id, "created", now)
            await tickets.add_event(ticket.id, None, "linked", now, note=f"#{old.number}")
            # On the followed ticket: a fact, never the neighbour's words (its author reads it).
            await tickets.add_event(
                old.id, person.id, "still-problem", now, note=f"#{ticket.number}"
            )
            await self.route_new(session, ticket, community, category, now)
            await session.commit()
            return ticket
