"""The ticket loop: report → route → take → talk → resolve → confirm, with every action
authorised against the database and every notification written to the outbox in the same
transaction as the change. This module: reporting, re-routing, reading (cards, history) and
"away"; the actions live in ticket_actions and reopening, the lists in ticket_lists, the shared
parts in ticket_core."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.assigning import TicketAssigning
from bot.services.cards import (
    NEIGHBOUR_EVENTS,
    CardView,
    Reader,
    description_is_cut,
    history_lines,
    reader_of,
    render_card,
    reporter_name,
)
from bot.services.categories import Category, categories_for, find_category
from bot.services.contacts import is_admin
from bot.services.errors import NotStaff, ReportRefused, ServiceError
from bot.services.neighbours import NeighbourActions
from bot.services.policy import Action, Relation, is_staff
from bot.services.reopening import TicketReopening
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_core import (
    MAX_DESCRIPTION,
    MAX_MEDIA,
    MAX_TEXT,
    METOO_DAYS,
    Content,
    Draft,
    NoAccess,
    Reported,
    StaleAction,
    TicketNotOpen,
    checked,
)
from bot.services.ticket_lists import Keyset, TicketLists, TicketPage
from storage.models import (
    OPEN_STATUSES,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from storage.repositories import CommunityRepository, PersonRepository, WorkOrderRepository
from storage.repositories.people import BuildingRole
from storage.repositories.tickets import TicketRepository

S = TicketStatus

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_MEDIA",
    "MAX_TEXT",
    "Content",
    "Draft",
    "Keyset",
    "NoAccess",
    "Reported",
    "Similar",
    "StaleAction",
    "TicketNotOpen",
    "TicketPage",
    "TicketService",
]


@dataclass(frozen=True, slots=True)
class Similar:
    """The me-too offer: enough to recognise the problem, nothing the neighbour wrote."""

    ticket: Ticket
    building: str
    category: Category


class TicketService(TicketActions, TicketAssigning, TicketReopening, NeighbourActions, TicketLists):
    async def resident_buildings(self, person: Person) -> list[BuildingRole]:
        async with self.db.session() as session:
            roles = await PersonRepository(session).building_roles(person.id)
        return [r for r in roles if r.role is Role.RESIDENT]

    async def categories(self, building_id: int) -> Sequence[Category]:
        async with self.db.session() as session:
            community = await self.community_of_building(session, building_id)
            return categories_for(community.settings)

    async def similar(self, person: Person, building_id: int, category: str) -> Similar | None:
        """An open ticket of the same building and category from the last week ("me too"), as
        a neighbour may see it: what, where, when and how it stands, not the author's words.
        Never one of a private category (neighbour disputes)."""
        since = self.clock() - timedelta(days=METOO_DAYS)
        async with self.db.session() as session:
            community = await self.community_of_building(session, building_id)
            found_category = find_category(community.settings, category)
            if found_category is None or found_category.private:
                return None
            tickets = TicketRepository(session)
            found = await tickets.similar_open(building_id, category, since, OPEN_STATUSES)
            if found is None or found.author_id == person.id:
                return None
            if await tickets.is_follower(found.id, person.id):
                return None
            building = await tickets.building_of(found)
            return Similar(found, building.name, found_category)

    async def report(self, person: Person, draft: Draft) -> Reported:
        now = self.clock()
        if not draft.description.strip() and not draft.media:
            raise ServiceError("report-empty")
        description = checked(draft.description, MAX_DESCRIPTION)
        async with self.db.session() as session:
            people = PersonRepository(session)
            if await people.membership(person.id, draft.building_id, Role.RESIDENT) is None:
                raise ReportRefused("not-allowed")
            tickets = TicketRepository(session)
            if draft.key and (filed := await tickets.by_draft(person.id, draft.key)):
                # Sent before (a crash took the answer, or a double tap): that ticket.
                recipients = await tickets.recipients(filed.id)
                building = await tickets.building_of(filed)
                return Reported(filed, building.name, [r.reason for r in recipients])
            today = await tickets.count_by_author_since(person.id, now - timedelta(days=1))
            if today >= self.config.max_tickets_per_day:
                raise ReportRefused("report-limit", limit=self.config.max_tickets_per_day)
            community = await self.community_of_building(session, draft.building_id)
            category = find_category(community.settings, draft.category)
            if category is None:
                raise ServiceError("report-bad-category")
            membership = await people.membership(person.id, draft.building_id, Role.RESIDENT)
            ticket = await tickets.add(
                Ticket(
                    community_id=community.id,
                    number=await tickets.next_number(community.id),
                    building_id=draft.building_id,
                    author_id=person.id,
                    category=category.code,
                    urgent=category.urgent,
                    status=S.NEW,
                    description=description,
                    media=draft.media[:MAX_MEDIA],
                    latitude=draft.latitude,
                    longitude=draft.longitude,
                    flat=membership.flat if membership else None,
                    show_name=draft.show_name,
                    show_phone=draft.show_phone,
                    share_description=draft.share_description and not category.private,
                    draft_key=draft.key,
                    created_at=now,
                    updated_at=now,
                )
            )
            await tickets.add_event(ticket.id, person.id, "created", now)
            reasons = await self.route_new(session, ticket, community, category, now)
            building = await tickets.building_of(ticket)
            await session.commit()
            return Reported(ticket, building.name, reasons)

    async def reroute(self, ticket_id: int, unreachable_person_id: int) -> list[int]:
        """A recipient of the ticket blocked the bot: the next people of its fallback chain get
        the card (and own it, if the unreachable one did). Returns who was added."""
        now = self.clock()
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            ticket = await tickets.get(ticket_id)
            if ticket is None or ticket.status not in (*OPEN_STATUSES, S.RESOLVED):
                return []
            recipients = {r.person_id for r in await tickets.recipients(ticket.id)}
            if unreachable_person_id not in recipients:
                return []  # a resident blocked the bot: nobody else should get their messages
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            category = find_category(community.settings, ticket.category)
            routing = await self.routing(session, ticket, community, category, now)
            added = []
            for person_id, _ in routing.recipients:
                if await tickets.add_recipient(ticket.id, person_id, "reroute", now):
                    added.append(person_id)
                    await self.send_card(session, ticket, person_id, with_media=True)
            if ticket.owner_id in (None, unreachable_person_id) and routing.owner_id:
                ticket.owner_id = routing.owner_id
            await tickets.add_event(
                ticket.id, None, "rerouted", now, unreachable=unreachable_person_id, to=added
            )
            await session.commit()
            return added

    async def card(self, person: Person, ticket_id: int, t: Translator) -> tuple[Ticket, CardView]:
        async with self.db.session() as session:
            ticket, relations = await self.authorise(session, person, ticket_id, Action.OPEN)
            return ticket, await self._render(session, ticket, relations, t)

    async def card_if_allowed(
        self, person: Person, ticket_id: int, t: Translator
    ) -> tuple[Ticket, CardView] | None:
        """``card()`` for re-drawing a card the person already has: None where it refuses
        (they lost access meanwhile), so that card is left as it is rather than refused twice."""
        try:
            return await self.card(person, ticket_id, t)
        except ServiceError:
            return None

    async def card_for_delivery(self, ticket_id: int, person_id: int) -> CardView | None:
        """The card as ``person_id`` should see it now (the delivery worker renders cards at
        send time, so several pending changes collapse into the latest)."""
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            person = await PersonRepository(session).get(person_id)
            if ticket is None or person is None:
                return None
            relations = await self.relations(session, person, ticket)
            t = self.translations.bind(person.language or self.translations.default)
            return await self._render(session, ticket, relations, t)

    async def _render(
        self, session: AsyncSession, ticket: Ticket, relations: frozenset[Relation], t: Translator
    ) -> CardView:
        people = PersonRepository(session)
        tickets = TicketRepository(session)
        community = await CommunityRepository(session).get(ticket.community_id)
        assert community is not None
        reopened = None
        if ticket.status in (S.TAKEN, S.REOPENED) and is_staff(relations):
            event = await tickets.last_event(ticket.id, "reopened")
            reopened = str(event.data.get("note") or "") if event is not None else None
        return render_card(
            t,
            ticket,
            community=community,
            building=await tickets.building_of(ticket),
            category=find_category(community.settings, ticket.category),
            author=await people.get(ticket.author_id) if ticket.author_id else None,
            holder=await people.get(ticket.holder_id) if ticket.holder_id else None,
            followers=len(await tickets.followers(ticket.id)),
            relations=relations,
            now=self.clock(),
            reopened=reopened,
            order=await WorkOrderRepository(session).latest(ticket.id),
        )

    async def history(
        self, person: Person, ticket_id: int, t: Translator
    ) -> tuple[Ticket, list[str]]:
        async with self.db.session() as session:
            ticket, relations = await self.authorise(session, person, ticket_id, Action.HISTORY)
            tickets = TicketRepository(session)
            events = await tickets.events(ticket.id)
            reader = reader_of(relations)
            staff = reader is Reader.STAFF
            names = await self._actor_names(session, ticket, events, t) if staff else {}
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            lines = history_lines(t, events, names, community, reader=reader)
            if description_is_cut(ticket.description) and (staff or Relation.AUTHOR in relations):
                # The card shows only its beginning and says "the full text is under History".
                lines.insert(0, t("history-description") + "\n" + ticket.description)
            return ticket, lines

    async def _actor_names(
        self, session: AsyncSession, ticket: Ticket, events: Sequence[TicketEvent], t: Translator
    ) -> dict[int, str]:
        """Who did what, as the staff may read it: the reporter by name only if the ticket's
        consent says so; neighbours who followed it never (they consented to nothing); the
        staff by name."""
        people = PersonRepository(session)
        followers = set(await TicketRepository(session).followers(ticket.id))
        neighbours = {e.actor_id for e in events if e.kind in NEIGHBOUR_EVENTS} | followers
        names: dict[int, str] = {}
        for event in events:
            actor_id = event.actor_id
            if not actor_id or actor_id in names:
                continue
            if actor_id == ticket.author_id:
                author = await people.get(actor_id)
                names[actor_id] = reporter_name(t, ticket, author)
            elif actor_id in neighbours:
                names[actor_id] = t("history-neighbour")
            else:
                actor = await people.get(actor_id)
                names[actor_id] = actor.display_name if actor else ""
        return names

    async def remember_card(self, ticket_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.session() as session:
            await TicketRepository(session).remember_message(ticket_id, chat_id, message_id, "card")
            await session.commit()

    async def card_message(self, ticket_id: int, chat_id: int) -> int | None:
        async with self.db.session() as session:
            return await TicketRepository(session).card_message(ticket_id, chat_id)

    async def remember_relay(self, ticket_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.session() as session:
            await TicketRepository(session).remember_message(
                ticket_id, chat_id, message_id, "relay"
            )
            await session.commit()

    async def is_staff(self, person: Person) -> bool:
        async with self.db.session() as session:
            people = PersonRepository(session)
            roles = await people.building_roles(person.id)
            areas = await people.coordinator_areas(person.id)
        return (
            any(r.role in (Role.HEAD, Role.DEPUTY) for r in roles)
            or bool(areas)
            or is_admin(self.config, person)
        )

    async def set_away(self, person: Person, until: datetime | None) -> datetime:
        now = self.clock()
        until = until or now + timedelta(days=365)
        if until <= now:
            raise ServiceError("away-past")
        if not await self.is_staff(person):
            raise NotStaff()
        async with self.db.session() as session:
            row = await PersonRepository(session).get(person.id)
            assert row is not None
            row.away_until = until
            await session.commit()
        return until

    async def back(self, person: Person) -> None:
        async with self.db.session() as session:
            row = await PersonRepository(session).get(person.id)
            assert row is not None
            row.away_until = None
            await session.commit()
