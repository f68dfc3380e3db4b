"""What every ticket use case shares: the draft and message types, how the caller stands to a
ticket (authorisation against the database), routing, and the outbox writes a change makes
(cards edited in place, notices, relayed messages), always in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.access import coverage
from bot.services.cards import description_is_cut
from bot.services.categories import Category, find_category
from bot.services.clock import Clock
from bot.services.contacts import admin_people, is_admin
from bot.services.errors import ServiceError
from bot.services.messages import write, write_media, write_text
from bot.services.policy import AUTHOR, RULES, Action, Relation, may
from bot.services.routing import Candidate, Routing, route
from bot.text import CAPTION_LIMIT, TEXT_LIMIT, cut, fits, utf16_len
from storage.db import Database
from storage.models import (
    Channel,
    Community,
    OutboxKind,
    Person,
    Role,
    Ticket,
    TicketStatus,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.people import address_of
from storage.repositories.tickets import TicketRepository

S = TicketStatus
METOO_DAYS = 7
# What one person may write at once, in UTF-16 units: all that Telegram lets them send (a note,
# a reply, a reason); it reaches the other side whole, split into several messages if need be.
MAX_TEXT = TEXT_LIMIT
MAX_MEDIA = 5
# A description is all one report collects, each part whole: the captions of its photos, a typed
# text, and a place typed at the location step (with the line breaks and the 📍 between them).
MAX_DESCRIPTION = 2 * TEXT_LIMIT + MAX_MEDIA * CAPTION_LIMIT + 16
HOLDER_NAME = 40  # UTF-16 units of a name in a callback answer


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
    # Neighbours with the same problem may read the description (ignored for private ones).
    share_description: bool = False
    # Identifies the draft: the same draft sent twice files one ticket.
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Content:
    """A message relayed between a resident and the staff."""

    text: str | None = None
    photo: str | None = None
    voice: str | None = None
    # Telegram's media_group_id: the photos of one album, relayed one by one, belong together.
    album: str | None = None

    def summary(self) -> str:
        return self.text or ("[photo]" if self.photo else "[voice]" if self.voice else "")

    @property
    def limit(self) -> int:
        """What Telegram lets a person send: a text of 4096 units, a caption of 1024."""
        return CAPTION_LIMIT if self.photo or self.voice else TEXT_LIMIT

    def event_data(self) -> dict[str, Any]:
        """What the ticket's history keeps of a relayed message."""
        data: dict[str, Any] = {"text": self.summary(), "photo": self.photo, "voice": self.voice}
        if self.album:
            data["album"] = self.album
        return data


@dataclass(frozen=True, slots=True)
class Reported:
    ticket: Ticket
    building: str
    routed_to: list[str]  # reasons: head, deputy, coordinator, …


class StaleAction(ServiceError):
    """The button was pressed on an older state of the ticket; nothing changed."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("ticket-stale", number=ticket.number, status=ticket.status.value)
        self.ticket = ticket


def door_data(door: str) -> dict[str, str]:
    """What a ticket event keeps of the door an action came through: nothing for the chat (the
    door most actions come through), ``door`` otherwise, so History marks "(web)"."""
    return {} if door == Channel.TELEGRAM else {"door": str(door)}


def checked(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` without surrounding white space; refused (never cut) when it is longer than
    ``limit`` UTF-16 units. The handlers check first; this keeps the rule for every caller."""
    text = text.strip()
    if not fits(text, limit):
        raise ServiceError("input-too-long", length=utf16_len(text), max=limit)
    return text


class TicketNotOpen(StaleAction):
    """A message to pass on to a ticket that is no longer open (resolved, closed, withdrawn):
    it was not passed on, and the ticket's state says why."""

    def __init__(self, ticket: Ticket) -> None:
        ServiceError.__init__(
            self, "relay-not-open", number=ticket.number, status=ticket.status.value
        )
        self.ticket = ticket


class NoAccess(ServiceError):
    """The caller has nothing (any more) to do with this ticket: no current role for it, not
    its author or a follower. A card of theirs that still carries buttons loses them."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("not-allowed")
        self.ticket = ticket


class AlreadyTaken(StaleAction):
    """Take pressed on a ticket someone has (a simultaneous Take lost, or an old card): who has
    it, named as staff see each other. Only staff may press Take, so only staff read it."""

    def __init__(self, ticket: Ticket, holder: str | None) -> None:
        super().__init__(ticket)
        if holder is None:  # the presser took it already (a double tap)
            self.key, self.args_ = "tk-taken-by-you", {"number": ticket.number}
        else:
            self.key, self.args_ = "tk-taken-by", {"number": ticket.number, "name": holder}


class TicketCore:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    async def relations(
        self, session: AsyncSession, person: Person, ticket: Ticket
    ) -> frozenset[Relation]:
        relations: set[Relation] = set()
        if is_admin(self.config, person):
            relations.add(Relation.ADMIN)
        if ticket.author_id == person.id:
            relations.add(Relation.AUTHOR)
        if await TicketRepository(session).is_follower(ticket.id, person.id):
            relations.add(Relation.FOLLOWER)
        # Having received the card is no relation: only current roles count (a removed head
        # or an admin taken out of ADMIN_IDS has nothing more to do with the ticket).
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

    async def authorise(
        self, session: AsyncSession, person: Person, ticket_id: int, action: Action
    ) -> tuple[Ticket, frozenset[Relation]]:
        ticket = await TicketRepository(session).get(ticket_id)
        if ticket is None:
            raise ServiceError("not-allowed")
        relations = await self.relations(session, person, ticket)
        if may(action, relations, ticket.status):
            return ticket, relations
        who, _ = RULES[action]
        if relations & who:
            # The right person, the wrong moment: the button is stale, not forged.
            raise StaleAction(ticket)
        if relations == {Relation.FOLLOWER} and who == AUTHOR:
            # "Me too" follows the ticket; its author alone speaks for it.
            raise ServiceError("follower-not-author", number=ticket.number)
        if not relations:
            raise NoAccess(ticket)
        raise ServiceError("not-allowed")

    async def check(self, person: Person, ticket_id: int, action: Action) -> Ticket:
        """Raises unless ``person`` may do ``action`` now (before asking them for a note)."""
        async with self.db.session() as session:
            ticket, _ = await self.authorise(session, person, ticket_id, action)
            return ticket

    async def taken_by(self, session: AsyncSession, person: Person, ticket: Ticket) -> StaleAction:
        """Why a Take on ``ticket`` (as it is now) changed nothing."""
        if ticket.status is not S.TAKEN or ticket.holder_id is None:
            return StaleAction(ticket)
        if ticket.holder_id == person.id:
            return AlreadyTaken(ticket, None)
        holder = await PersonRepository(session).get(ticket.holder_id)
        if holder is None:
            return StaleAction(ticket)
        # A callback answer holds 200 UTF-16 units; a display name may be 130 characters.
        return AlreadyTaken(ticket, cut(holder.display_name, HOLDER_NAME))

    async def fresh(self, session: AsyncSession, ticket_id: int) -> Ticket:
        """The ticket as it is now, after the caller rolled back its own attempt (a rollback
        expires the session's copies, so this reads the row again)."""
        ticket = await TicketRepository(session).get(ticket_id)
        assert ticket is not None
        return ticket

    async def residents(self, session: AsyncSession, ticket: Ticket) -> list[Person]:
        """The author (first, when there is one) and the followers."""
        author = await self.author(session, ticket)
        return [*([author] if author else []), *await self.followers(session, ticket)]

    async def author(self, session: AsyncSession, ticket: Ticket) -> Person | None:
        if ticket.author_id is None:
            return None
        return await PersonRepository(session).get(ticket.author_id)

    async def followers(self, session: AsyncSession, ticket: Ticket) -> list[Person]:
        people = PersonRepository(session)
        ids = [
            i for i in await TicketRepository(session).followers(ticket.id) if i != ticket.author_id
        ]
        found = [await people.get(i) for i in dict.fromkeys(ids)]
        return [p for p in found if p is not None]

    async def staff_audience(
        self, session: AsyncSession, ticket: Ticket, *, everyone: bool = False
    ) -> list[Person]:
        """Who hears the resident: the holder, else everyone the ticket was routed to; only
        those whose current roles cover the ticket (an admin taken out of ADMIN_IDS may still
        hold it). Nobody left: whoever routing names now, so a word is never lost."""
        people = PersonRepository(session)
        # Waiting for a taker (new, or reopened when its holder could not take it back): all.
        if ticket.holder_id and not everyone and ticket.status not in (S.NEW, S.REOPENED):
            holder = await people.get(ticket.holder_id)
            if holder is not None and await self.covers(session, holder, ticket):
                return [holder]
        recipients = await TicketRepository(session).recipients(ticket.id)
        found = [await people.get(r.person_id) for r in recipients]
        audience = [p for p in found if p is not None and await self.covers(session, p, ticket)]
        if audience:
            return audience
        community = await self.community_of_building(session, ticket.building_id)
        category = find_category(community.settings, ticket.category)
        routing = await self.routing(session, ticket, community, category, self.clock())
        now_routed = [await people.get(person_id) for person_id, _ in routing.recipients]
        return [p for p in now_routed if p is not None]

    async def covers(self, session: AsyncSession, person: Person, ticket: Ticket) -> bool:
        """Whether ``person``'s current roles make them staff of ``ticket``."""
        return (await coverage(session, self.config, person)).covers_ticket(ticket)

    async def send_card(
        self, session: AsyncSession, ticket: Ticket, person_id: int, *, with_media: bool = False
    ) -> None:
        """The card (rendered at delivery); ``with_media`` for a newcomer to the ticket: then
        also the full description when the card shows only its beginning, the photos and voice
        notes, and the location."""
        person = await PersonRepository(session).get(person_id)
        to = None if person is None else address_of(person)
        if person is None or to is None:
            return
        now = self.clock()
        await write(
            session,
            to=to,
            person_id=person.id,
            kind=OutboxKind.CARD,
            payload={},
            now=now,
            ticket_id=ticket.id,
        )
        if not with_media:
            return
        if description_is_cut(ticket.description):
            t = self.translations.bind(person.language or self.translations.default)
            await write_text(
                session,
                to=to,
                person_id=person.id,
                text=t("card-full-description", number=ticket.number) + "\n" + ticket.description,
                now=now,
                ticket_id=ticket.id,
            )
        caption = f"#{ticket.number}"
        for item in ticket.media:
            if "web_file" in item:
                # A photo sent from the web door: its bytes are in web_files, not at Telegram;
                # the door's delivery uploads them (Telegram: a new upload per recipient).
                payload = {"web_photo": item["web_file"], "caption": caption}
            else:
                key = "photo" if item.get("type") == "photo" else "voice"
                payload = {key: item["file_id"], "caption": caption}
            await write(
                session,
                to=to,
                person_id=person.id,
                kind=OutboxKind.MEDIA,
                payload=payload,
                now=now,
                ticket_id=ticket.id,
            )
        if ticket.latitude is not None and ticket.longitude is not None:
            await write(
                session,
                to=to,
                person_id=person.id,
                kind=OutboxKind.LOCATION,
                payload={"latitude": ticket.latitude, "longitude": ticket.longitude},
                now=now,
                ticket_id=ticket.id,
            )

    async def refresh_cards(self, session: AsyncSession, ticket: Ticket) -> None:
        """Every recipient's copy of the card shows the change (edited in place on delivery)."""
        for recipient in await TicketRepository(session).recipients(ticket.id):
            await self.send_card(session, ticket, recipient.person_id)

    async def tell(
        self,
        session: AsyncSession,
        person: Person,
        key: str,
        ticket: Ticket,
        buttons: list[list[tuple[str, Action]]] | None = None,
        *,
        note: str | None = None,
        footer: str | None = None,
        **args: Any,
    ) -> None:
        """A notice about ``ticket`` in ``person``'s language. Someone's ``note`` (any length)
        goes on the lines after the notice, never through Fluent (which would print "{???}"
        for a long one); ``footer`` is a key for a line after the note (the question the
        buttons answer). Several messages if it is longer than one; buttons on the last."""
        t = self.translations.bind(person.language or self.translations.default)
        text = t(key, **args)
        if note is not None:
            text += "\n" + note
        if footer is not None:
            text += "\n\n" + t(footer)
        rows = [[[t(label), action.value] for label, action in row] for row in buttons or []]
        to = address_of(person)
        if to is None:
            return
        await write_text(
            session,
            to=to,
            person_id=person.id,
            text=text,
            now=self.clock(),
            buttons=rows or None,
            ticket_id=ticket.id,
        )

    async def tell_author(
        self,
        session: AsyncSession,
        ticket: Ticket,
        key: str,
        *,
        buttons: list[list[tuple[str, Action]]] | None = None,
        note: str | None = None,
        footer: str | None = None,
        **args: Any,
    ) -> None:
        author = await self.author(session, ticket)
        if author is not None:
            await self.tell(
                session, author, key, ticket, buttons=buttons, note=note, footer=footer, **args
            )

    async def tell_followers(
        self,
        session: AsyncSession,
        ticket: Ticket,
        key: str,
        *,
        buttons: list[list[tuple[str, Action]]] | None = None,
        **args: Any,
    ) -> None:
        """A status change, in the followers' own words: never the staff's notes or replies,
        which are the author's conversation ("me too" is not a seat at it)."""
        for follower in await self.followers(session, ticket):
            await self.tell(session, follower, key, ticket, buttons=buttons, **args)

    async def relay(
        self, session: AsyncSession, to: Person, ticket: Ticket, content: Content, key: str
    ) -> None:
        """A message passed on whole: the header on a line of its own, then the text, in as
        many messages as it takes; a caption that no longer fits under the photo with the
        header follows the photo as a message."""
        address = address_of(to)
        if address is None:
            return
        t = self.translations.bind(to.language or self.translations.default)
        # A phone's push has no "reply to this message": its own header (the number is in
        # the notification's title; the answer is given on the ticket page).
        header = t(f"{key}-web" if address.channel == Channel.WEB else key, number=ticket.number)
        now = self.clock()
        if content.photo or content.voice:
            field_name = "photo" if content.photo else "voice"
            await write_media(
                session,
                to=address,
                person_id=to.id,
                media={field_name: content.photo or content.voice},
                header=header,
                text=content.text,
                now=now,
                ticket_id=ticket.id,
            )
        else:
            await write_text(
                session,
                to=address,
                person_id=to.id,
                text=header + "\n" + (content.text or ""),
                now=now,
                ticket_id=ticket.id,
            )

    async def community_of_building(self, session: AsyncSession, building_id: int) -> Community:
        communities = CommunityRepository(session)
        building = await communities.building(building_id)
        if building is None:
            raise ServiceError("building-gone")
        community = await communities.get(building.community_id)
        assert community is not None
        return community

    async def routing(
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
        admins = [
            candidate(admin, "admin")
            for admin in await admin_people(PersonRepository(session), self.config)
        ]
        return route(
            heads,
            building_coordinators,
            community_coordinators,
            admins,
            now,
            notify_coordinators=bool(category and category.notify_coordinators),
        )

    async def route_new(
        self,
        session: AsyncSession,
        ticket: Ticket,
        community: Community,
        category: Category,
        now: datetime,
    ) -> list[str]:
        routing = await self.routing(session, ticket, community, category, now)
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
                await self.send_card(session, ticket, person_id, with_media=True)
        return [reason for _, reason in routing.recipients]
