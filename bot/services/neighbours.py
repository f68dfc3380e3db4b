""" "Me too": a resident about to report what a neighbour reported this week is offered that
ticket (what, where, when, how it stands; never the neighbour's words) and may follow it.

What a follower does when the ticket they follow ends but their problem does not: only the
author confirms or reopens a ticket; a follower says "still a problem for me", which opens a
ticket of their own, linked to the one they followed and routed like a new report, so it
reaches the head and has a responsible person of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.cards import age, category_label, shared_preview
from bot.services.categories import Category, find_category, is_private
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import (
    MAX_DESCRIPTION,
    METOO_DAYS,
    StaleAction,
    checked,
    community_of_building,
    settings_of_building,
)
from storage.db import Database
from storage.models import OPEN_STATUSES, Person, Role, Ticket, TicketStatus
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.tickets import UNFINISHED, TicketRepository
from storage.rows import SimilarTicket

# UTF-16 code units of a neighbour's shared description in the "same problem?" question.
METOO_PREVIEW = 600


@dataclass(frozen=True, slots=True)
class Similar:
    """The me-too offer: enough to recognise the problem, nothing the neighbour wrote."""

    ticket: SimilarTicket
    building: str
    category: Category


def describe_similar(t: Translator, similar: Similar, now: datetime) -> str:
    """The "same problem?" question, in every door: what, where, when and how it stands; the
    neighbour's own words only if they agreed, and then after the Fluent part (user text in a
    placeable may become {???})."""
    found = similar.ticket
    text = t(
        "report-metoo",
        number=found.number,
        category=category_label(t, similar.category, found.category),
        building=similar.building,
        status=t("status-" + found.status.value),
        age=age(t, found.created_at, now),
    )
    shared = shared_preview(found, METOO_PREVIEW)
    if shared:
        text += "\n\n" + t("report-metoo-shared") + "\n" + shared
    return text


class NeighbourActions:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        access: TicketAccess,
        audience: TicketAudience,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.access = access
        self.audience = audience

    async def similar(self, person: Person, building_id: int, category: str) -> Similar | None:
        """An open ticket of the same building and category from the last week ("me too"), as
        a neighbour may see it: what, where, when and how it stands, not the author's words.
        Never one of a private category (neighbour disputes)."""
        async with self.db.session() as session:
            offer = await self._offer(session, person, building_id, category)
            if offer is None:
                return None
            found, found_category = offer
            if await TicketRepository(session).is_follower(found.id, person.id):
                return None
            building = await CommunityRepository(session).building(building_id)
            assert building is not None  # its ticket was just read
            return Similar(found, building.name, found_category)

    async def _offer(
        self, session: AsyncSession, person: Person, building_id: int, category: str
    ) -> tuple[SimilarTicket, Category] | None:
        """The ticket "me too" names for a report of ``category`` in the building, whether or
        not the person follows it already; never their own, never one of a private kind."""
        since = self.clock() - timedelta(days=METOO_DAYS)
        settings = await settings_of_building(session, building_id)
        found_category = find_category(settings, category)
        if found_category is None or found_category.private:
            return None
        tickets = TicketRepository(session)
        found = await tickets.similar_open(building_id, category, since, OPEN_STATUSES)
        if found is None or found.author_id == person.id:
            return None
        return found, found_category

    async def follow_offered(
        self, person: Person, building_id: int, category: str, ticket_id: int
    ) -> Ticket:
        """Me too from a door that keeps no state between the offer and the answer (the web
        door's form names the ticket): only the ticket the offer for this building and kind
        names now is followed (again, for a double tap). Any other number is forged or from
        an offer that changed meanwhile; the chat and WeChat keep the offered id themselves."""
        async with self.db.session() as session:
            offer = await self._offer(session, person, building_id, category)
        if offer is None or offer[0].id != ticket_id:
            raise ServiceError("door-metoo-not-offered")
        return await self.follow(person, ticket_id)

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
            community = await community_of_building(session, ticket.building_id)
            if is_private(community.settings, ticket.category):
                raise ServiceError("not-allowed")  # never offered: a forged or stale button
            if ticket.status not in OPEN_STATUSES:
                raise StaleAction(ticket)
            if ticket.author_id != person.id and await tickets.follow(ticket.id, person.id, now):
                await tickets.add_event(ticket.id, person.id, "cosigned", now)
                await self.audience.refresh_cards(session, ticket)
            await session.commit()
            return ticket

    async def still_problem(self, person: Person, ticket_id: int, note: str) -> Ticket:
        """The follower's own ticket, linked to ``ticket_id`` (the same one again if they said
        so before and it is not finished: a double tap files one). Their name and phone stay
        hidden: they gave no consent, and the head can answer them through the bot."""
        now = self.clock()
        note = checked(note)
        async with self.db.session() as session:
            old, _ = await self.access.authorise(session, person, ticket_id, Action.STILL)
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
            community = await community_of_building(session, old.building_id)
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
            await self.audience.route_new(session, ticket, community, category, now)
            await session.commit()
            return ticket
