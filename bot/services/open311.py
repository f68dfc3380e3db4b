"""Open311 GeoReport v2 as use cases: who a key belongs to, which community a request speaks of,
the services (the community's categories), filing a ticket and reading tickets back. A ticket
filed here is a ticket like one from chat: the same routing, the same card to the building's
head through the outbox, in one commit; its author is the client (a person with an ``open311``
contact, named "Open311 · <client>" on the card). The door (web/open311) speaks the spec's
formats; this module speaks tickets."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations
from bot.services.categories import Category, categories_for, find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.messages import write_text
from bot.services.open311_input import (
    DailyLimit,
    Filing,
    JurisdictionNeeded,
    NoBuilding,
    Open311Refusal,
    UnknownJurisdiction,
    UnknownService,
    description_of,
    submitter_of,
)
from bot.services.open311_keys import key_hash
from bot.services.ticket_audience import TicketAudience
from storage.db import Database
from storage.models import (
    Building,
    Community,
    Open311Request,
    Ticket,
    TicketStatus,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.open311 import Open311Repository, TicketFilter
from storage.repositories.people import address_of
from storage.repositories.tickets import TicketRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClientView:
    id: int
    name: str
    community_id: int | None
    person_id: int | None
    daily_limit: int


@dataclass(frozen=True, slots=True)
class Filed:
    number: int
    token: str
    routed_to: list[str]


@dataclass(frozen=True, slots=True)
class RequestView:
    """One ticket as the API may show it: ``description`` is already blank unless its author
    agreed to share it, the point unless the client reading it filed it."""

    ticket: Ticket
    building: Building
    community: Community
    category: Category | None
    description: str
    latitude: float | None
    longitude: float | None


class Open311Service:
    def __init__(
        self, db: Database, translations: Translations, clock: Clock, audience: TicketAudience
    ) -> None:
        self.db = db
        self.translations = translations
        self.clock = clock
        self.audience = audience

    # Reading the request's context

    async def client(self, key: str | None) -> ClientView | None:
        if not key:
            return None
        async with self.db.session() as session:
            found = await Open311Repository(session).client_by_key(key_hash(key))
            if found is None:
                return None
            return ClientView(
                found.id, found.name, found.community_id, found.person_id, found.daily_limit
            )

    async def jurisdiction(self, client: ClientView | None, given: str | None) -> Community:
        """The community a request speaks of: ``jurisdiction_id`` (its name or id), optional
        when there is one community or the client's key is for one."""
        async with self.db.session() as session:
            return await self._jurisdiction(session, client, given)

    async def _jurisdiction(
        self, session: AsyncSession, client: ClientView | None, given: str | None
    ) -> Community:
        communities = CommunityRepository(session)
        if given:
            found = await communities.by_name(given)
            if found is None and given.isascii() and given.isdigit() and len(given) < 10:
                found = await communities.get(int(given))
            # A key for one community knows no other (rather than "forbidden": it says less).
            if found is None or (client and client.community_id not in (None, found.id)):
                raise UnknownJurisdiction()
            return found
        if client is not None and client.community_id is not None:
            community = await communities.get(client.community_id)
        else:
            community = await communities.only()
        if community is None:
            raise JurisdictionNeeded()
        return community

    async def services(self, community: Community) -> Sequence[Category]:
        return categories_for(community.settings)

    # Filing

    async def file(self, client: ClientView, community: Community, filing: Filing) -> Filed:
        """Files a ticket for the client's caller, or raises before anything is written."""
        now = self.clock()
        description = description_of(filing)
        submitter = submitter_of(filing.submitter)
        async with self.db.session() as session:
            found_community = await CommunityRepository(session).get(community.id)
            if found_community is None:
                raise UnknownJurisdiction()
            community = found_community
            category = find_category(community.settings, filing.service_code)
            if category is None:
                raise UnknownService()
            building = await self._building(session, community, filing)
            tickets = TicketRepository(session)
            author_id = client.person_id
            author = None if author_id is None else await PersonRepository(session).get(author_id)
            if author is None:
                raise ServiceError("not-allowed")
            if await tickets.count_by_author_since(author.id, now - timedelta(days=1)) >= (
                client.daily_limit
            ):
                raise DailyLimit(client.daily_limit)
            ticket = await tickets.add(
                Ticket(
                    community_id=community.id,
                    number=await tickets.next_number(community.id),
                    building_id=building.id,
                    author_id=author.id,
                    category=category.code,
                    urgent=category.urgent,
                    status=TicketStatus.NEW,
                    description=description,
                    media=[],
                    latitude=filing.latitude,
                    longitude=filing.longitude,
                    # The card names the client ("Open311 · 12345热线"), not a resident.
                    show_name=True,
                    show_phone=False,
                    share_description=False,
                    created_at=now,
                    updated_at=now,
                )
            )
            await tickets.add_event(ticket.id, author.id, "created", now, via="open311")
            reasons = await self.audience.route_new(session, ticket, community, category, now)
            await self._tell_staff(session, ticket, client, submitter, now)
            token = secrets.token_hex(16)
            await Open311Repository(session).add_request(
                Open311Request(
                    ticket_id=ticket.id,
                    client_id=client.id,
                    token=token,
                    submitter=submitter,
                    created_at=now,
                )
            )
            number = ticket.number
            await session.commit()
        # Who filed what where, never what was said or by whom (the log keeps no personal data).
        log.info("open311: %s filed #%s in %s", client.name, number, community.name)
        return Filed(number, token, reasons)

    async def _building(
        self, session: AsyncSession, community: Community, filing: Filing
    ) -> Building:
        """The building the address names: ``address_id`` is a building's code;
        ``address_string`` a code or a building's exact name."""
        communities = CommunityRepository(session)
        if filing.address_id:
            found = await communities.building_by_code(community.id, filing.address_id.strip())
            if found is None:
                raise NoBuilding("open311-unknown-address-id")
            return found
        if filing.address_string:
            text = filing.address_string.strip()
            found = await communities.building_by_code(community.id, text)
            if found is None:
                named = await Open311Repository(session).buildings_named(community.id, text)
                found = named[0] if len(named) == 1 else None
            if found is None:
                raise NoBuilding("open311-unknown-address-string")
            return found
        if filing.latitude is not None or filing.longitude is not None:
            raise NoBuilding("open311-point-only")
        raise NoBuilding("open311-no-address")

    async def _tell_staff(
        self,
        session: AsyncSession,
        ticket: Ticket,
        client: ClientView,
        submitter: dict[str, str],
        now: datetime,
    ) -> None:
        """Each recipient of the card learns where it came from and whom to call back: the
        caller gave the hotline their contact for that."""
        people = PersonRepository(session)
        name = " ".join(v for v in (submitter.get("last_name"), submitter.get("first_name")) if v)
        for recipient in await TicketRepository(session).recipients(ticket.id):
            person = await people.get(recipient.person_id)
            to = None if person is None else address_of(person)
            if person is None or to is None:
                continue
            t = self.translations.bind(person.language or self.translations.default)
            lines = [t("open311-card-via", number=ticket.number, client=client.name)]
            if name:
                lines.append(t("open311-card-caller", name=name))
            if submitter.get("phone"):
                lines.append(t("open311-card-phone", phone=submitter["phone"]))
            if submitter.get("email"):
                lines.append(t("open311-card-email", email=submitter["email"]))
            lines.append(t("open311-card-reply", client=client.name))
            await write_text(
                session,
                to=to,
                person_id=person.id,
                text="\n".join(lines),
                now=now,
                ticket_id=ticket.id,
            )

    # Reading

    async def requests(
        self, client: ClientView, community: Community, wanted: TicketFilter
    ) -> list[RequestView]:
        """The tickets ``wanted`` asks for, but never one of a private category (a neighbour
        dispute: not even its category, building and time belong in a civic feed; a number
        asked for reads as unknown) unless the client filed it itself."""
        public = [c.code for c in categories_for(community.settings) if not c.private]
        wanted = replace(wanted, visible=public, author_id=client.person_id)
        async with self.db.session() as session:
            found = await Open311Repository(session).tickets(wanted)
            return [self._view(client, community, t, b) for t, b in found]

    async def by_token(self, client: ClientView, community: Community, token: str) -> int | None:
        """The number of the ticket the client's POST with this token filed."""
        async with self.db.session() as session:
            request = await Open311Repository(session).request_by_token(client.id, token)
            if request is None:
                return None
            ticket = await TicketRepository(session).get(request.ticket_id)
            if ticket is None or ticket.community_id != community.id:
                return None
            return ticket.number

    def _view(
        self, client: ClientView, community: Community, ticket: Ticket, building: Building
    ) -> RequestView:
        category = find_category(community.settings, ticket.category)
        own = client.person_id is not None and ticket.author_id == client.person_id
        # The author's consent, never for a private category (neighbour disputes); a client
        # reads back what it wrote itself.
        shared = own or (ticket.share_description and category is not None and not category.private)
        # The point is never published under that consent: it covers the words, and a
        # resident's shared location may be their home. The building's name and address (what
        # a passer-by sees) locate a ticket well enough; a client gets its own point back.
        return RequestView(
            ticket=ticket,
            building=building,
            community=community,
            category=category,
            description=ticket.description if shared else "",
            latitude=ticket.latitude if own else None,
            longitude=ticket.longitude if own else None,
        )


__all__ = [
    "ClientView",
    "DailyLimit",
    "Filed",
    "Filing",
    "JurisdictionNeeded",
    "Open311Refusal",
    "Open311Service",
    "RequestView",
    "UnknownJurisdiction",
    "UnknownService",
]
