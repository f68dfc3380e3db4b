"""Who hears about a ticket and what the outbox gets for them, always in the caller's
transaction: its author and followers, the staff it is routed to (routing.py decides, given who
is away or unreachable), its card (rendered at delivery, edited in place), notices and relayed
messages. A collaborator of every ticket use case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.cards import description_is_cut
from bot.services.categories import Category, find_category
from bot.services.clock import Clock
from bot.services.contacts import admin_addresses
from bot.services.messages import write, write_media, write_text
from bot.services.policy import Action
from bot.services.routing import Candidate, Routing, route
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_core import Content, community_of_building
from storage.models import (
    Channel,
    OutboxKind,
    Person,
    Ticket,
    TicketStatus,
    Urgency,
)
from storage.repositories import PersonRepository
from storage.repositories.candidates import CandidateRepository
from storage.repositories.people import address_of, reach_of
from storage.repositories.tickets import TicketRepository
from storage.rows import CommunityView, Reach, StaffRow

S = TicketStatus


@dataclass(frozen=True, slots=True)
class Routed(Routing):
    """A routing, and where each of its candidates' cards goes (read with them)."""

    reach: dict[int, Reach] = field(default_factory=dict)


class TicketAudience:
    def __init__(
        self, config: Config, translations: Translations, clock: Clock, access: TicketAccess
    ) -> None:
        self.config = config
        self.translations = translations
        self.clock = clock
        self.access = access

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
        await people.preload(ids)
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
            if holder is not None and await self.access.covers(session, holder, ticket):
                return [holder]
        recipients = await TicketRepository(session).recipients(ticket.id)
        await people.preload(r.person_id for r in recipients)
        found = [await people.get(r.person_id) for r in recipients]
        audience = [
            p for p in found if p is not None and await self.access.covers(session, p, ticket)
        ]
        if audience:
            return audience
        community = await community_of_building(session, ticket.building_id)
        category = find_category(community.settings, ticket.category)
        routing = await self.routing(session, ticket, community, category, self.clock())
        await people.preload(person_id for person_id, _ in routing.recipients)
        now_routed = [await people.get(person_id) for person_id, _ in routing.recipients]
        return [p for p in now_routed if p is not None]

    async def send_card(
        self,
        session: AsyncSession,
        ticket: Ticket,
        person_id: int,
        *,
        with_media: bool = False,
        reach: Reach | None = None,
    ) -> None:
        """The card (rendered at delivery); ``with_media`` for a newcomer to the ticket: then
        also the full description when the card shows only its beginning, the photos and voice
        notes, and the location. A newcomer is someone who must act on it: their rows go
        before other news when delivery is behind (storage.models.Urgency). ``reach``: the
        person's, when read already (``routing``'s candidates); else they are read."""
        if reach is None:
            person = await PersonRepository(session).get(person_id)
            if person is None:
                return
            reach = reach_of(person)
        to = reach.address
        if to is None:
            return
        now = self.clock()
        urgency = Urgency.ACT if with_media else Urgency.TELL
        await write(
            session,
            to=to,
            person_id=person_id,
            kind=OutboxKind.CARD,
            payload={},
            now=now,
            ticket_id=ticket.id,
            urgency=urgency,
        )
        if not with_media:
            return
        if description_is_cut(ticket.description):
            t = self.translations.bind(reach.language or self.translations.default)
            await write_text(
                session,
                to=to,
                person_id=person_id,
                text=t("card-full-description", number=ticket.number) + "\n" + ticket.description,
                now=now,
                ticket_id=ticket.id,
                urgency=urgency,
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
                person_id=person_id,
                kind=OutboxKind.MEDIA,
                payload=payload,
                now=now,
                ticket_id=ticket.id,
                urgency=urgency,
            )
        if ticket.latitude is not None and ticket.longitude is not None:
            await write(
                session,
                to=to,
                person_id=person_id,
                kind=OutboxKind.LOCATION,
                payload={"latitude": ticket.latitude, "longitude": ticket.longitude},
                now=now,
                ticket_id=ticket.id,
                urgency=urgency,
            )

    async def refresh_cards(self, session: AsyncSession, ticket: Ticket) -> None:
        """Every recipient's copy of the card shows the change (edited in place on delivery)."""
        recipients = await TicketRepository(session).recipients(ticket.id)
        # The author with them: the change is nearly always told to the author next, and a
        # query for them alone would also flush the cards' outbox rows in an INSERT of their
        # own (Take: 3 statements less).
        author = [ticket.author_id] if ticket.author_id is not None else []
        await PersonRepository(session).preload([*(r.person_id for r in recipients), *author])
        for recipient in recipients:
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
        if content.has_photo or content.voice:
            if content.web_photo:
                # Kept in web_files: each door's delivery uploads it (as a new report's are).
                media = {"web_photo": content.web_photo}
            else:
                field_name = "photo" if content.photo else "voice"
                media = {field_name: str(content.photo or content.voice)}
            await write_media(
                session,
                to=address,
                person_id=to.id,
                media=media,
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

    async def routing(
        self,
        session: AsyncSession,
        ticket: Ticket,
        community: CommunityView,
        category: Category | None,
        now: datetime,
    ) -> Routed:
        """Who should have the ticket now, given who is away or unreachable; with where each
        candidate's card goes (read with them, as rows: routing only reads them)."""
        chats = [address.address for address in admin_addresses(self.config)]
        found = await CandidateRepository(session).of(community.id, ticket.building_id, chats)

        def candidate(p: StaffRow, reason: str) -> Candidate:
            return Candidate(p.id, reason, p.away_until, p.unreachable_since is not None)

        routing = route(
            [candidate(p, r.value) for p, r in found.heads],
            [candidate(p, "coordinator") for p in found.own],
            [candidate(p, "coordinator") for p in found.whole],
            [candidate(p, "admin") for p in found.admins],
            now,
            notify_coordinators=bool(category and category.notify_coordinators),
        )
        reach = {p.id: p.reach for p in found.everyone()}
        return Routed(routing.recipients, routing.owner_id, routing.skipped, reach)

    async def route_new(
        self,
        session: AsyncSession,
        ticket: Ticket,
        community: CommunityView,
        category: Category,
        now: datetime,
        *,
        routing: Routed | None = None,
    ) -> list[str]:
        """A new ticket (it has no recipients yet) to whoever ``routing`` names (worked out
        now when not given), with their cards."""
        if routing is None:
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
        routed: set[int] = set()
        for person_id, reason in routing.recipients:
            if person_id in routed:
                continue
            routed.add(person_id)
            # Written with the commit's flush, in one statement with the others.
            tickets.add_new_recipient(ticket.id, person_id, reason, now)
            reach = routing.reach.get(person_id)
            await self.send_card(session, ticket, person_id, with_media=True, reach=reach)
        return [reason for _, reason in routing.recipients]
