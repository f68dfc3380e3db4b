"""Reading a ticket: its card as the reader may see it (rendered at delivery, so several
pending changes collapse into the latest), its history, and which chat message holds whose card
or relayed message (a reply to one of them continues that ticket's conversation)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

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
    reporter_named,
)
from bot.services.categories import find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.policy import Action, Relation, is_staff
from bot.services.ticket_access import TicketAccess
from storage.db import Database
from storage.models import (
    Address,
    Building,
    Community,
    Person,
    Ticket,
    TicketStatus,
    WorkOrder,
)
from storage.repositories import (
    CommunityRepository,
    OutboxRepository,
    PersonRepository,
)
from storage.repositories.card_pass import CardPassRepository
from storage.repositories.card_side import CardSideRepository
from storage.repositories.tickets import TicketRepository
from storage.rows import EventView

S = TicketStatus
# The states in which the staff's card shows the resident's reason of a reopening.
REOPENABLE = (S.TAKEN, S.REOPENED)
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CardDelivery:
    """What the delivery of one card needs, read with its pass's others
    (``TicketCards.prepare_delivery``)."""

    upto: int | None  # the newest pending card row for it (a rendering now includes those)
    message_ref: str | None  # the door's id of the card it already has there (edited in place)
    view: CardView | None  # None: the ticket or the person is gone (nothing to send)


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
        staff_reopenable = ticket.status in REOPENABLE and is_staff(relations)
        side = await CardSideRepository(session).of(ticket, reopened=staff_reopenable)
        reopened = None
        if side.reopened is not None:
            reopened = str(side.reopened.data.get("note") or "")
        return render_card(
            t,
            ticket,
            community=side.community,
            building=side.building,
            category=find_category(side.community.settings, ticket.category),
            author=await people.get(ticket.author_id) if ticket.author_id else None,
            holder=await people.get(ticket.holder_id) if ticket.holder_id else None,
            followers=side.followers,
            relations=relations,
            now=self.clock(),
            reopened=reopened,
            order=side.order,
        )

    async def prepare_delivery(
        self, wanted: Iterable[tuple[int, int, Address]]
    ) -> dict[tuple[int, int, Address], CardDelivery]:
        """``delivery_state`` and ``card_for_delivery`` for a delivery pass's cards, each
        (ticket, person, where), in one session and a few statements for all of them. A card
        is rendered once for every reader who would see the same one (the same ticket, the same
        relations, the same language). A card that cannot be rendered (a community's broken
        settings) is left out: its row is tried alone, and fails as alone."""
        keys = list(dict.fromkeys(wanted))
        if not keys:
            return {}
        async with self.db.session() as session:
            cards = CardPassRepository(session)
            stand = await cards.stand((ticket_id, where) for ticket_id, _, where in keys)
            shown = await cards.tickets(ticket_id for ticket_id, _, _ in keys)
            found = {ticket_id: side.ticket for ticket_id, side in shown.items()}
            people, admins = await self.access.readers(
                session,
                {person_id for _, person_id, _ in keys}
                | {
                    i
                    for ticket in found.values()
                    for i in (ticket.author_id, ticket.holder_id)
                    if i
                },
            )
            readers = [
                (people[person_id], found[ticket_id])
                for ticket_id, person_id, _ in keys
                if ticket_id in found and person_id in people
            ]
            relations = await self.access.relations_of(session, readers, admins)
            community_of, building_of = await CommunityRepository(session).to_read(
                (t.community_id for t in found.values()), (t.building_id for t in found.values())
            )
        now = self.clock()
        rendered: dict[tuple[int, frozenset[Relation], str], CardView | None] = {}
        prepared: dict[tuple[int, int, Address], CardDelivery] = {}
        for key in keys:
            ticket_id, person_id, where = key
            ticket, person = found.get(ticket_id), people.get(person_id)
            view: CardView | None = None
            if ticket is not None and person is not None:
                seen_as = relations[(person_id, ticket_id)]
                language = person.language or self.translations.default
                same = (ticket_id, seen_as, language)
                if same not in rendered:
                    side = shown[ticket_id]
                    # The staff's card shows a reopening's reason while the ticket is open again.
                    event = side.reopened if ticket.status in REOPENABLE else None
                    rendered[same] = self._compose(
                        self.translations.bind(language),
                        ticket,
                        seen_as,
                        community=community_of.get(ticket.community_id),
                        building=building_of.get(ticket.building_id),
                        author=people.get(ticket.author_id) if ticket.author_id else None,
                        holder=people.get(ticket.holder_id) if ticket.holder_id else None,
                        followers=side.followers,
                        now=now,
                        reopened=str(event.data.get("note") or "") if event else None,
                        order=side.order,
                    )
                view = rendered[same]
                if view is None:
                    continue  # not renderable: tried alone
            prepared[key] = CardDelivery(
                stand.upto.get((ticket_id, where)), stand.refs.get((ticket_id, where)), view
            )
        return prepared

    def _compose(
        self,
        t: Translator,
        ticket: Ticket,
        relations: frozenset[Relation],
        *,
        community: Community | None,
        building: Building | None,
        author: Person | None,
        holder: Person | None,
        followers: int,
        now: datetime,
        reopened: str | None,
        order: WorkOrder | None,
    ) -> CardView | None:
        """One card of ``prepare_delivery``, as ``_render`` renders it; None when it cannot be
        (logged; its row is then tried alone)."""
        if community is None or building is None:
            return None
        try:
            return render_card(
                t,
                ticket,
                community=community,
                building=building,
                category=find_category(community.settings, ticket.category),
                author=author,
                holder=holder,
                followers=followers,
                relations=relations,
                now=now,
                reopened=reopened if is_staff(relations) else None,
                order=order,
            )
        except Exception as error:  # noqa: BLE001 (alone, its row fails the same way, traced)
            log.info("ticket %s: its card is rendered alone: %r", ticket.id, error)
            return None

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
            # From the read cache (its name and time zone): no statement once it is there.
            communities, _ = await CommunityRepository(session).to_read([ticket.community_id], [])
            community = communities[ticket.community_id]
            lines = history_lines(t, events, names, community, reader=reader)
            if description_is_cut(ticket.description) and (staff or Relation.AUTHOR in relations):
                # The card shows only its beginning and says "the full text is under History".
                lines.insert(0, t("history-description") + "\n" + ticket.description)
            return ticket, lines

    async def _actor_names(
        self, session: AsyncSession, ticket: Ticket, events: Sequence[EventView], t: Translator
    ) -> dict[int, str]:
        """Who did what, as the staff may read it: the reporter by name only if the ticket's
        consent says so; neighbours who followed it never (they consented to nothing); the
        staff by name."""
        followers = set(await TicketRepository(session).followers(ticket.id))
        neighbours = {e.actor_id for e in events if e.kind in NEIGHBOUR_EVENTS} | followers
        actors = {e.actor_id for e in events if e.actor_id}
        named = {a for a in actors if a == ticket.author_id or a not in neighbours}
        # Their names in one statement, without loading each person and their contacts.
        display = await PersonRepository(session).display_names(named)
        names: dict[int, str] = {}
        for actor_id in actors:
            if actor_id == ticket.author_id:
                names[actor_id] = reporter_named(t, ticket, display.get(actor_id))
            elif actor_id in neighbours:
                names[actor_id] = t("history-neighbour")
            else:
                names[actor_id] = display.get(actor_id, "")
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
