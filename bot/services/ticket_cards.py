"""Reading a ticket: its card as the reader may see it (rendered at delivery, so several
pending changes collapse into the latest), its history, and which chat message holds whose card
or relayed message (a reply to one of them continues that ticket's conversation)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations, Translator
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
from bot.services.categories import find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.policy import Action, Relation, is_staff
from bot.services.ticket_access import TicketAccess
from storage.db import Database
from storage.models import Address, Person, Ticket, TicketEvent, TicketStatus
from storage.repositories import (
    CommunityRepository,
    OutboxRepository,
    PersonRepository,
    WorkOrderRepository,
)
from storage.repositories.tickets import TicketRepository

S = TicketStatus


class TicketCards:
    def __init__(
        self, db: Database, translations: Translations, clock: Clock, access: TicketAccess
    ) -> None:
        self.db = db
        self.translations = translations
        self.clock = clock
        self.access = access

    async def card(self, person: Person, ticket_id: int, t: Translator) -> tuple[Ticket, CardView]:
        async with self.db.session() as session:
            ticket, relations = await self.access.authorise(session, person, ticket_id, Action.OPEN)
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
            relations = await self.access.relations(session, person, ticket)
            t = self.translations.bind(person.language or self.translations.default)
            return await self._render(session, ticket, relations, t)

    async def render_in(
        self, session: AsyncSession, ticket: Ticket, relations: frozenset[Relation], t: Translator
    ) -> CardView:
        """The card in the caller's unit of work, after its use case changed the ticket: the
        ticket, its author and the staff it loaded are not read again (Take's presser)."""
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
            ticket, relations = await self.access.authorise(
                session, person, ticket_id, Action.HISTORY
            )
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

    async def remember_card(self, ticket_id: int, where: Address, message_ref: str) -> None:
        """``message_ref`` (the door's id of a message at ``where``) is the ticket's card there
        from now on, edited in place."""
        async with self.db.session() as session:
            await TicketRepository(session).remember_message(ticket_id, where, message_ref, "card")
            await session.commit()

    async def delivery_state(self, ticket_id: int, where: Address) -> tuple[int | None, str | None]:
        """For the delivery of the ticket's card at ``where``, in one session: the newest
        pending card row for it (a rendering now includes those: they need no send of their
        own), and the door's id of the card it already has there (edited in place)."""
        async with self.db.session() as session:
            upto = await OutboxRepository(session).last_pending_card(ticket_id, where)
            return upto, await TicketRepository(session).card_message(ticket_id, where)

    async def card_message(self, ticket_id: int, where: Address) -> str | None:
        """The door's id of the ticket's latest card at ``where``."""
        async with self.db.session() as session:
            return await TicketRepository(session).card_message(ticket_id, where)

    async def remember_relay(self, ticket_id: int, where: Address, message_ref: str) -> None:
        async with self.db.session() as session:
            await TicketRepository(session).remember_message(ticket_id, where, message_ref, "relay")
            await session.commit()
