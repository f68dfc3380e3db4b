"""The ticket loop: report → route → take → talk → resolve → confirm, with every action
authorised against the database and every notification written to the outbox in the same
transaction as the change."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.cards import CardView, history_lines, render_card
from bot.services.categories import Category, categories_for, find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.policy import RULES, Action, Relation, is_staff, may
from bot.services.routing import Candidate, Routing, route
from storage.db import Database
from storage.models import (
    OPEN_STATUSES,
    Community,
    Person,
    Role,
    Ticket,
    TicketStatus,
)
from storage.repositories import CommunityRepository, OutboxRepository, PersonRepository
from storage.repositories.people import BuildingRole
from storage.repositories.tickets import TicketRepository

S = TicketStatus
METOO_DAYS = 7
PAGE_SIZE = 10
MAX_TEXT = 3500
MAX_MEDIA = 5


@dataclass(frozen=True, slots=True)
class Draft:
    building_id: int
    category: str
    description: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    show_name: bool = True
    show_phone: bool = False


@dataclass(frozen=True, slots=True)
class Content:
    """A message relayed between a resident and the staff."""

    text: str | None = None
    photo: str | None = None
    voice: str | None = None

    def summary(self) -> str:
        return self.text or ("[photo]" if self.photo else "[voice]" if self.voice else "")


@dataclass(frozen=True, slots=True)
class Reported:
    ticket: Ticket
    building: str
    routed_to: list[str]  # reasons: head, deputy, coordinator, …


@dataclass(frozen=True, slots=True)
class TicketPage:
    tickets: Sequence[Ticket]
    page: int
    pages: int
    total: int


class StaleAction(ServiceError):
    """The button was pressed on an older state of the ticket; nothing changed."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("ticket-stale", number=ticket.number, status=ticket.status.value)
        self.ticket = ticket


class TicketService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    # ----------------------------------------------------------------- reporting

    async def resident_buildings(self, person: Person) -> list[BuildingRole]:
        async with self.db.session() as session:
            roles = await PersonRepository(session).building_roles(person.id)
        return [r for r in roles if r.role is Role.RESIDENT]

    async def categories(self, building_id: int) -> Sequence[Category]:
        async with self.db.session() as session:
            community = await self._community_of_building(session, building_id)
            return categories_for(community.settings)

    async def similar(self, person: Person, building_id: int, category: str) -> Ticket | None:
        """An open ticket of the same building and category from the last week ("me too")."""
        since = self.clock() - timedelta(days=METOO_DAYS)
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            found = await tickets.similar_open(building_id, category, since, OPEN_STATUSES)
            if found is None or found.author_id == person.id:
                return None
            if await tickets.is_follower(found.id, person.id):
                return None
            return found

    async def report(self, person: Person, draft: Draft) -> Reported:
        now = self.clock()
        if not draft.description.strip() and not draft.media:
            raise ServiceError("report-empty")
        async with self.db.session() as session:
            people = PersonRepository(session)
            if await people.membership(person.id, draft.building_id, Role.RESIDENT) is None:
                raise ServiceError("not-allowed")
            tickets = TicketRepository(session)
            today = await tickets.count_by_author_since(person.id, now - timedelta(days=1))
            if today >= self.config.max_tickets_per_day:
                raise ServiceError("report-limit", limit=self.config.max_tickets_per_day)
            community = await self._community_of_building(session, draft.building_id)
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
                    description=draft.description[:MAX_TEXT],
                    media=draft.media[:MAX_MEDIA],
                    latitude=draft.latitude,
                    longitude=draft.longitude,
                    flat=membership.flat if membership else None,
                    show_name=draft.show_name,
                    show_phone=draft.show_phone,
                    created_at=now,
                    updated_at=now,
                )
            )
            await tickets.add_event(ticket.id, person.id, "created", now)
            reasons = await self._route(session, ticket, community, category, now)
            building = await tickets.building_of(ticket)
            await session.commit()
            return Reported(ticket, building.name, reasons)

    async def _route(
        self,
        session: AsyncSession,
        ticket: Ticket,
        community: Community,
        category: Category,
        now: datetime,
    ) -> list[str]:
        routing = await self._routing(session, ticket, community, category, now)
        tickets = TicketRepository(session)
        ticket.owner_id = routing.owner_id
        await tickets.add_event(
            ticket.id,
            None,
            "routed",
            now,
            recipients=[[p, r] for p, r in routing.recipients],
            skipped=[[p, w] for p, w in routing.skipped],
        )
        for person_id, reason in routing.recipients:
            if await tickets.add_recipient(ticket.id, person_id, reason, now):
                await self._send_card(session, ticket, person_id, with_media=True)
        return [reason for _, reason in routing.recipients]

    async def _routing(
        self,
        session: AsyncSession,
        ticket: Ticket,
        community: Community,
        category: Category | None,
        now: datetime,
    ) -> Routing:
        """Who should have the ticket now, given who is away or unreachable."""
        tickets = TicketRepository(session)

        def candidate(p: Person, reason: str) -> Candidate:
            return Candidate(p.id, reason, p.away_until, p.unreachable_since is not None)

        heads = [
            candidate(p, r.value) for p, r in await tickets.heads_and_deputies(ticket.building_id)
        ]
        building_coordinators = [
            candidate(p, "coordinator")
            for p in await tickets.coordinators(community.id, ticket.building_id)
        ]
        community_coordinators = [
            candidate(p, "coordinator") for p in await tickets.coordinators(community.id, None)
        ]
        admins = []
        people = PersonRepository(session)
        for telegram_id in sorted(self.config.admin_ids):
            admin = await people.by_telegram_id(telegram_id)
            if admin is not None:
                admins.append(candidate(admin, "admin"))
        return route(
            heads,
            building_coordinators,
            community_coordinators,
            admins,
            now,
            notify_coordinators=bool(category and category.notify_coordinators),
        )

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
            routing = await self._routing(session, ticket, community, category, now)
            added = []
            for person_id, _ in routing.recipients:
                if await tickets.add_recipient(ticket.id, person_id, "reroute", now):
                    added.append(person_id)
                    await self._send_card(session, ticket, person_id, with_media=True)
            if ticket.owner_id in (None, unreachable_person_id) and routing.owner_id:
                ticket.owner_id = routing.owner_id
            await tickets.add_event(
                ticket.id, None, "rerouted", now, unreachable=unreachable_person_id, to=added
            )
            await session.commit()
            return added

    async def follow(self, person: Person, ticket_id: int) -> Ticket:
        """Me too: the resident co-signs an open ticket of their building."""
        now = self.clock()
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            ticket = await tickets.get(ticket_id)
            if (
                ticket is None
                or await PersonRepository(session).membership(
                    person.id, ticket.building_id, Role.RESIDENT
                )
                is None
            ):
                raise ServiceError("not-allowed")
            if ticket.status not in OPEN_STATUSES:
                raise StaleAction(ticket)
            if ticket.author_id != person.id and await tickets.follow(ticket.id, person.id, now):
                await tickets.add_event(ticket.id, person.id, "cosigned", now)
                await self._refresh_cards(session, ticket)
            await session.commit()
            return ticket

    # ----------------------------------------------------------------- authorisation

    async def _relations(
        self, session: AsyncSession, person: Person, ticket: Ticket
    ) -> frozenset[Relation]:
        relations: set[Relation] = set()
        if person.telegram_id in self.config.admin_ids:
            relations.add(Relation.ADMIN)
        if ticket.author_id == person.id:
            relations.add(Relation.AUTHOR)
        tickets = TicketRepository(session)
        if await tickets.is_follower(ticket.id, person.id):
            relations.add(Relation.FOLLOWER)
        if await tickets.is_recipient(ticket.id, person.id):
            relations.add(Relation.RECIPIENT)
        people = PersonRepository(session)
        for role in (Role.HEAD, Role.DEPUTY):
            if await people.membership(person.id, ticket.building_id, role) is not None:
                relations.add(Relation.HEAD)
        for area in await people.coordinator_areas(person.id):
            if area.community_id == ticket.community_id and area.building_id in (
                None,
                ticket.building_id,
            ):
                relations.add(Relation.COORDINATOR)
        return frozenset(relations)

    async def _authorise(
        self, session: AsyncSession, person: Person, ticket_id: int, action: Action
    ) -> tuple[Ticket, frozenset[Relation]]:
        ticket = await TicketRepository(session).get(ticket_id)
        if ticket is None:
            raise ServiceError("not-allowed")
        relations = await self._relations(session, person, ticket)
        if may(action, relations, ticket.status):
            return ticket, relations
        who, _ = RULES[action]
        if relations & who:
            # The right person, the wrong moment: the button is stale, not forged.
            raise StaleAction(ticket)
        raise ServiceError("not-allowed")

    async def check(self, person: Person, ticket_id: int, action: Action) -> Ticket:
        """Raises unless ``person`` may do ``action`` now (before asking them for a note)."""
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, action)
            return ticket

    # ----------------------------------------------------------------- staff actions

    async def take(self, person: Person, ticket_id: int) -> Ticket:
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.TAKE)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id,
                [S.NEW, S.REOPENED],
                now,
                status=S.TAKEN,
                holder_id=person.id,
                taken_at=now,
            ):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            await tickets.add_event(ticket.id, person.id, "taken", now)
            await self._refresh_cards(session, ticket)
            await self._tell_residents(session, ticket, "notice-taken", number=ticket.number)
            await session.commit()
            return ticket

    async def resolve(self, person: Person, ticket_id: int, note: str) -> Ticket:
        now = self.clock()
        note = note.strip()[:MAX_TEXT]
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.RESOLVE)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, [S.TAKEN], now, status=S.RESOLVED, resolved_at=now
            ):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            await tickets.add_event(ticket.id, person.id, "resolved", now, note=note)
            await self._refresh_cards(session, ticket)
            key = "notice-resolved-note" if note else "notice-resolved"
            await self._tell_residents(
                session,
                ticket,
                key,
                number=ticket.number,
                note=note,
                buttons=[[("btn-confirm", Action.CONFIRM), ("btn-reopen", Action.REOPEN)]],
            )
            await session.commit()
            return ticket

    async def escalate(self, person: Person, ticket_id: int, reason: str) -> Ticket:
        now = self.clock()
        reason = reason.strip()[:MAX_TEXT]
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.ESCALATE)
            tickets = TicketRepository(session)
            coordinators = [
                *await tickets.coordinators(ticket.community_id, ticket.building_id),
                *await tickets.coordinators(ticket.community_id, None),
            ]
            people = PersonRepository(session)
            if not coordinators:
                for telegram_id in sorted(self.config.admin_ids):
                    admin = await people.by_telegram_id(telegram_id)
                    if admin is not None:
                        coordinators.append(admin)
            owner = next((c for c in coordinators if c.id != person.id), None)
            ticket.escalated = True
            if owner is not None:
                ticket.owner_id = owner.id
            ticket.updated_at = now
            await tickets.add_event(
                ticket.id,
                person.id,
                "escalated",
                now,
                note=reason,
                to=[c.id for c in coordinators],
            )
            for coordinator in coordinators:
                await tickets.add_recipient(ticket.id, coordinator.id, "escalation", now)
            await self._refresh_cards(session, ticket)
            for coordinator in coordinators:
                if coordinator.id != person.id:
                    await self._tell(
                        session,
                        coordinator,
                        "notice-escalated-staff",
                        ticket,
                        number=ticket.number,
                        note=reason or "-",
                    )
            await self._tell_residents(session, ticket, "notice-escalated", number=ticket.number)
            await session.commit()
            return ticket

    async def merge(self, person: Person, ticket_id: int, into_number: int) -> Ticket:
        """Merges a duplicate into another open ticket of the same community; followers (and
        the duplicate's author) follow the target from now on."""
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.MERGE)
            tickets = TicketRepository(session)
            target = await tickets.by_number(ticket.community_id, into_number)
            if target is None or target.id == ticket.id:
                raise ServiceError("merge-no-target", number=into_number)
            target_relations = await self._relations(session, person, target)
            if not may(Action.MERGE, target_relations, target.status):
                raise ServiceError("merge-no-target", number=into_number)
            if not await tickets.transition(
                ticket.id,
                list(OPEN_STATUSES),
                now,
                status=S.CLOSED,
                closed_at=now,
                merged_into_id=target.id,
            ):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            # Everyone who followed the duplicate hears where it went, before they move.
            residents = await self._residents(session, ticket)
            await tickets.move_followers(ticket.id, target.id, now)
            if ticket.author_id is not None and ticket.author_id != target.author_id:
                await tickets.follow(target.id, ticket.author_id, now)
            await tickets.add_event(ticket.id, person.id, "merged", now, into=target.number)
            await tickets.add_event(target.id, person.id, "merged-in", now, source=ticket.number)
            await self._refresh_cards(session, ticket)
            await self._refresh_cards(session, target)
            for resident in residents:
                await self._tell(
                    session,
                    resident,
                    "notice-merged",
                    ticket,
                    number=ticket.number,
                    into=target.number,
                )
            await session.commit()
            return target

    async def reply(self, person: Person, ticket_id: int, content: Content) -> Ticket:
        """Staff → resident (and followers)."""
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.REPLY)
            tickets = TicketRepository(session)
            await tickets.add_event(
                ticket.id,
                person.id,
                "message",
                now,
                direction="to-resident",
                text=content.summary(),
                photo=content.photo,
                voice=content.voice,
            )
            for resident in await self._residents(session, ticket):
                await self._relay(session, resident, ticket, content, "relay-from-head")
            await session.commit()
            return ticket

    async def message(self, person: Person, ticket_id: int, content: Content) -> Ticket:
        """Resident → the staff: the holder when taken, else every recipient."""
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.MESSAGE)
            tickets = TicketRepository(session)
            await tickets.add_event(
                ticket.id,
                person.id,
                "message",
                now,
                direction="to-staff",
                text=content.summary(),
                photo=content.photo,
                voice=content.voice,
            )
            for staff in await self._staff_audience(session, ticket):
                await self._relay(session, staff, ticket, content, "relay-from-resident")
            await session.commit()
            return ticket

    async def reply_target(self, person: Person, chat_id: int, message_id: int) -> int | None:
        """The ticket a Telegram reply belongs to, when the replied message was one of ours."""
        async with self.db.session() as session:
            return await TicketRepository(session).ticket_of_message(chat_id, message_id)

    async def talk(self, person: Person, ticket_id: int, content: Content) -> Ticket:
        """A reply to a relayed message or card: staff reply, residents message."""
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            if ticket is None:
                raise ServiceError("not-allowed")
            relations = await self._relations(session, person, ticket)
        if is_staff(relations):
            return await self.reply(person, ticket_id, content)
        return await self.message(person, ticket_id, content)

    # ----------------------------------------------------------------- resident actions

    async def confirm(self, person: Person, ticket_id: int) -> Ticket:
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.CONFIRM)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, [S.RESOLVED], now, status=S.CLOSED, closed_at=now
            ):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            await tickets.add_event(ticket.id, person.id, "confirmed", now)
            await self._refresh_cards(session, ticket)
            await session.commit()
            return ticket

    async def reopen(self, person: Person, ticket_id: int, reason: str) -> Ticket:
        now = self.clock()
        reason = reason.strip()[:MAX_TEXT]
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.REOPEN)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, [S.RESOLVED], now, status=S.REOPENED, resolved_at=None
            ):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            await tickets.add_event(ticket.id, person.id, "reopened", now, note=reason)
            await self._refresh_cards(session, ticket)
            for staff in await self._staff_audience(session, ticket):
                await self._tell(
                    session,
                    staff,
                    "notice-reopened",
                    ticket,
                    number=ticket.number,
                    note=reason or "-",
                )
            await session.commit()
            return ticket

    async def rate(self, person: Person, ticket_id: int, stars: int) -> Ticket:
        now = self.clock()
        if not 1 <= stars <= 5:
            raise ServiceError("not-allowed")
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.RATE)
            tickets = TicketRepository(session)
            # Conditional, so a double tap (or two followers at once) rates once.
            if ticket.rating is not None or not await tickets.set_rating(ticket.id, stars, now):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            await tickets.add_event(ticket.id, person.id, "rated", now, stars=stars)
            await self._refresh_cards(session, ticket)
            await session.commit()
            return ticket

    async def comment(self, person: Person, ticket_id: int, text: str) -> Ticket:
        """The optional comment after a rating; it reaches the head like a message."""
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.RATE)
            text = text.strip()[:MAX_TEXT]
            await TicketRepository(session).add_event(
                ticket.id, person.id, "commented", now, note=text
            )
            for staff in await self._staff_audience(session, ticket):
                await self._tell(
                    session, staff, "notice-commented", ticket, number=ticket.number, note=text
                )
            await session.commit()
            return ticket

    async def withdraw(self, person: Person, ticket_id: int) -> Ticket:
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self._authorise(session, person, ticket_id, Action.WITHDRAW)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, list(OPEN_STATUSES), now, status=S.WITHDRAWN, closed_at=now
            ):
                await session.rollback()
                raise StaleAction(await self._fresh(ticket_id))
            await tickets.add_event(ticket.id, person.id, "withdrawn", now)
            await self._refresh_cards(session, ticket)
            for staff in await self._staff_audience(session, ticket, everyone=True):
                await self._tell(session, staff, "notice-withdrawn", ticket, number=ticket.number)
            await session.commit()
            return ticket

    # ----------------------------------------------------------------- reading

    async def card(self, person: Person, ticket_id: int, t: Translator) -> tuple[Ticket, CardView]:
        async with self.db.session() as session:
            ticket, relations = await self._authorise(session, person, ticket_id, Action.OPEN)
            return ticket, await self._render(session, ticket, relations, t)

    async def card_for_delivery(self, ticket_id: int, person_id: int) -> CardView | None:
        """The card as ``person_id`` should see it now (the delivery worker renders cards at
        send time, so several pending changes collapse into the latest)."""
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            person = await PersonRepository(session).get(person_id)
            if ticket is None or person is None:
                return None
            relations = await self._relations(session, person, ticket)
            t = self.translations.bind(person.language or self.translations.default)
            return await self._render(session, ticket, relations, t)

    async def _render(
        self, session: AsyncSession, ticket: Ticket, relations: frozenset[Relation], t: Translator
    ) -> CardView:
        people = PersonRepository(session)
        tickets = TicketRepository(session)
        community = await CommunityRepository(session).get(ticket.community_id)
        assert community is not None
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
        )

    async def history(
        self, person: Person, ticket_id: int, t: Translator
    ) -> tuple[Ticket, list[str]]:
        async with self.db.session() as session:
            ticket, relations = await self._authorise(session, person, ticket_id, Action.HISTORY)
            tickets = TicketRepository(session)
            events = await tickets.events(ticket.id)
            people = PersonRepository(session)
            names: dict[int, str] = {}
            for event in events:
                if event.actor_id and event.actor_id not in names:
                    actor = await people.get(event.actor_id)
                    names[event.actor_id] = actor.display_name if actor else ""
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            return ticket, history_lines(t, events, names, community, staff=is_staff(relations))

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

    async def staff_tickets(self, person: Person, flt: str, page: int) -> TicketPage:
        statuses: dict[str, Sequence[TicketStatus] | None] = {
            "open": OPEN_STATUSES,
            "new": [S.NEW, S.REOPENED],
            "taken": [S.TAKEN],
            "resolved": [S.RESOLVED],
            "escalated": OPEN_STATUSES,
            "all": None,
        }
        if flt not in statuses:
            flt = "open"
        async with self.db.session() as session:
            people = PersonRepository(session)
            roles = await people.building_roles(person.id)
            areas = await people.coordinator_areas(person.id)
            building_ids = [r.building_id for r in roles if r.role in (Role.HEAD, Role.DEPUTY)]
            building_ids += [a.building_id for a in areas if a.building_id is not None]
            community_ids = [a.community_id for a in areas if a.building_id is None]
            if person.telegram_id in self.config.admin_ids:
                community_ids += [c.id for c in await CommunityRepository(session).page(0, 1000)]
            if not building_ids and not community_ids:
                raise ServiceError("not-allowed")  # a resident only: /tickets is for staff
            total, tickets = await TicketRepository(session).staff_page(
                building_ids,
                community_ids,
                person.id,
                statuses[flt],
                flt == "escalated",
                page * PAGE_SIZE,
                PAGE_SIZE,
            )
        return _page(tickets, page, total)

    async def my_tickets(self, person: Person, page: int) -> TicketPage:
        async with self.db.session() as session:
            total, tickets = await TicketRepository(session).resident_page(
                person.id, page * PAGE_SIZE, PAGE_SIZE
            )
        return _page(tickets, page, total)

    async def is_staff(self, person: Person) -> bool:
        async with self.db.session() as session:
            people = PersonRepository(session)
            roles = await people.building_roles(person.id)
            areas = await people.coordinator_areas(person.id)
        return (
            any(r.role in (Role.HEAD, Role.DEPUTY) for r in roles)
            or bool(areas)
            or person.telegram_id in self.config.admin_ids
        )

    # ----------------------------------------------------------------- away

    async def set_away(self, person: Person, until: datetime | None) -> datetime:
        now = self.clock()
        until = until or now + timedelta(days=365)
        if until <= now:
            raise ServiceError("away-past")
        if not await self.is_staff(person):
            raise ServiceError("not-allowed")
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

    # ----------------------------------------------------------------- notifications

    async def _fresh(self, ticket_id: int) -> Ticket:
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            assert ticket is not None
            return ticket

    async def _residents(self, session: AsyncSession, ticket: Ticket) -> list[Person]:
        people = PersonRepository(session)
        ids = [ticket.author_id] if ticket.author_id else []
        ids += list(await TicketRepository(session).followers(ticket.id))
        found = [await people.get(i) for i in dict.fromkeys(ids)]
        return [p for p in found if p is not None]

    async def _staff_audience(
        self, session: AsyncSession, ticket: Ticket, *, everyone: bool = False
    ) -> list[Person]:
        people = PersonRepository(session)
        if ticket.holder_id and not everyone and ticket.status is not S.NEW:
            holder = await people.get(ticket.holder_id)
            if holder is not None:
                return [holder]
        recipients = await TicketRepository(session).recipients(ticket.id)
        found = [await people.get(r.person_id) for r in recipients]
        return [p for p in found if p is not None]

    async def _send_card(
        self, session: AsyncSession, ticket: Ticket, person_id: int, *, with_media: bool = False
    ) -> None:
        person = await PersonRepository(session).get(person_id)
        if person is None:
            return
        outbox = OutboxRepository(session)
        now = self.clock()
        await outbox.add(
            chat_id=person.telegram_id,
            person_id=person.id,
            method="card",
            payload={},
            now=now,
            ticket_id=ticket.id,
        )
        if not with_media:
            return
        caption = f"#{ticket.number}"
        for item in ticket.media:
            method = "sendPhoto" if item.get("type") == "photo" else "sendVoice"
            key = "photo" if method == "sendPhoto" else "voice"
            await outbox.add(
                chat_id=person.telegram_id,
                person_id=person.id,
                method=method,
                payload={key: item["file_id"], "caption": caption},
                now=now,
                ticket_id=ticket.id,
            )
        if ticket.latitude is not None and ticket.longitude is not None:
            await outbox.add(
                chat_id=person.telegram_id,
                person_id=person.id,
                method="sendLocation",
                payload={"latitude": ticket.latitude, "longitude": ticket.longitude},
                now=now,
                ticket_id=ticket.id,
            )

    async def _refresh_cards(self, session: AsyncSession, ticket: Ticket) -> None:
        """Every recipient's copy of the card shows the change (edited in place on delivery)."""
        for recipient in await TicketRepository(session).recipients(ticket.id):
            await self._send_card(session, ticket, recipient.person_id)

    async def _tell(
        self,
        session: AsyncSession,
        person: Person,
        key: str,
        ticket: Ticket,
        buttons: list[list[tuple[str, Action]]] | None = None,
        **args: Any,
    ) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        payload: dict[str, Any] = {"text": t(key, **args)}
        if buttons:
            payload["buttons"] = [
                [[t(label), action.value] for label, action in row] for row in buttons
            ]
        await OutboxRepository(session).add(
            chat_id=person.telegram_id,
            person_id=person.id,
            payload=payload,
            now=self.clock(),
            ticket_id=ticket.id,
        )

    async def _tell_residents(
        self,
        session: AsyncSession,
        ticket: Ticket,
        key: str,
        *,
        buttons: list[list[tuple[str, Action]]] | None = None,
        **args: Any,
    ) -> None:
        residents = await self._residents(session, ticket)
        for resident in residents:
            await self._tell(session, resident, key, ticket, buttons=buttons, **args)

    async def _relay(
        self, session: AsyncSession, to: Person, ticket: Ticket, content: Content, key: str
    ) -> None:
        t = self.translations.bind(to.language or self.translations.default)
        header = t(key, number=ticket.number)
        outbox = OutboxRepository(session)
        now = self.clock()
        if content.photo or content.voice:
            method = "sendPhoto" if content.photo else "sendVoice"
            field_name = "photo" if content.photo else "voice"
            caption = header + ("\n" + content.text if content.text else "")
            await outbox.add(
                chat_id=to.telegram_id,
                person_id=to.id,
                method=method,
                payload={field_name: content.photo or content.voice, "caption": caption[:1024]},
                now=now,
                ticket_id=ticket.id,
            )
        else:
            await outbox.add(
                chat_id=to.telegram_id,
                person_id=to.id,
                payload={"text": header + "\n" + (content.text or "")},
                now=now,
                ticket_id=ticket.id,
            )

    async def _community_of_building(self, session: AsyncSession, building_id: int) -> Community:
        communities = CommunityRepository(session)
        building = await communities.building(building_id)
        if building is None:
            raise ServiceError("building-gone")
        community = await communities.get(building.community_id)
        assert community is not None
        return community


def _page(tickets: Sequence[Ticket], page: int, total: int) -> TicketPage:
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return TicketPage(tickets, min(page, pages - 1), pages, total)
