"""The web door's use cases for residents: a phone that opened a building's poster link gets a
device identity (a ``web`` contact of a new person, addressed by the hash of the secret in its
cookie: a copy of the database signs nobody in), joins the building (the token on the poster
proves presence on the stairs, as the chat's join link does), and then reports and follows its
tickets through the very services the chat uses (Reporting, NeighbourActions, TicketActions,
ConversationService), so the limits, the me-too offer, the day's cap and the routing are the
chat's.

A web person is notified by Web Push once their browser gave a subscription (``subscribe``,
after they asked for it on the page); without one the ticket page is where they read the
progress and the head's answers."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.config import Config
from bot.i18n import SUPPORTED_LANGUAGES
from bot.services.categories import Category, categories_for, find_category
from bot.services.clock import Clock
from bot.services.conversations import ConversationService
from bot.services.errors import ServiceError
from bot.services.forget import ForgetService
from bot.services.neighbours import NeighbourActions, Similar
from bot.services.onboarding import OnboardingService, clean_phone
from bot.services.policy import RESIDENT, Action, Relation, may
from bot.services.reopening import TicketReopening
from bot.services.reporting import Reporting
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_core import Content, Draft, NoAccess, Reported, StaleAction
from bot.services.ticket_lists import TicketLists
from bot.services.web_photos import clean_photo
from bot.text import blank, clip
from storage.db import Database
from storage.models import Address, Channel, Person, Ticket
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.conversations import retracted_ids
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository

NAME_LIMIT = 40  # characters of the name a web resident may give
SUBSCRIPTION_LIMIT = 2048  # characters of a browser's push subscription (about 500 in practice)
_KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def _inside(host: str) -> bool:
    """A host a browser's push service never has: an address literal or a local name (the
    server would post into its own network for whoever wrote the page's request). The
    resolver reads the short forms of IPv4 too ("127.1", "0x7f000001", "2130706433"), which
    ipaddress does not: they are address literals all the same."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            socket.inet_aton(host)
        except OSError:
            return host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    return True


def push_subscription(raw: str, *, allow_http: bool = False) -> dict[str, Any]:
    """A browser's PushSubscription (its JSON) reduced to what a push needs, checked: an
    https endpoint (http only when allowed) and the two keys in base64url. "door-push-bad"
    for anything else."""
    try:
        data = json.loads(raw) if len(raw) <= SUBSCRIPTION_LIMIT else None
    except ValueError:
        data = None
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not isinstance(keys, dict):
        raise ServiceError("door-push-bad")
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ServiceError("door-push-bad")
    if not allow_http and _inside(parts.hostname):
        raise ServiceError("door-push-bad")
    kept: dict[str, str] = {}
    for name in ("p256dh", "auth"):
        value = keys.get(name)
        if not isinstance(value, str) or not 8 <= len(value) <= 200:
            raise ServiceError("door-push-bad")
        if not set(value) <= _KEY_CHARACTERS:
            raise ServiceError("door-push-bad")
        kept[name] = value
    return {"endpoint": endpoint, "keys": kept}


def device_address(secret: str) -> Address:
    """The contact of the device whose cookie holds ``secret`` (only its hash is stored)."""
    return Address(Channel.WEB, hashlib.sha256(secret.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class DoorBuilding:
    id: int
    token: str
    name: str
    address: str
    community: str
    categories: Sequence[Category]


@dataclass(frozen=True, slots=True)
class Entered:
    person: Person
    secret: str  # the cookie's value (new when the device had none, or a forgotten one)
    building: DoorBuilding


@dataclass(frozen=True, slots=True)
class Line:
    """One message of the conversation, as the resident reads it."""

    mine: bool
    text: str
    photo: bool  # a photo came with it (a Telegram photo is not shown on the web yet)
    at: datetime
    # A photo kept in the database (from WeChat or the web door): shown on the page.
    kept: str | None = None


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: Ticket
    building: str
    category: Category | None
    author: bool  # the viewer wrote it (a follower reads the status only)
    lines: list[Line]
    photos: list[str]  # the keys of the web photos of the report
    can: frozenset[Action]  # what the viewer may do now: MESSAGE, CONFIRM, REOPEN, RATE


class WebDoorService:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        reporting: Reporting,
        neighbours: NeighbourActions,
        lists: TicketLists,
        actions: TicketActions,
        reopening: TicketReopening,
        access: TicketAccess,
        onboarding: OnboardingService,
        conversations: ConversationService,
        forget: ForgetService,
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.reporting = reporting
        self.neighbours = neighbours
        self.lists = lists
        self.actions = actions
        self.reopening = reopening
        self.access = access
        self.onboarding = onboarding
        self.conversations = conversations
        self.forgetting = forget

    async def building(self, token: str) -> DoorBuilding:
        """The building of a poster's token; "door-link-unknown" for any other string."""
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            found = await communities.building_by_token(token) if len(token) <= 64 else None
            if found is None:
                raise ServiceError("door-link-unknown")
            community = await communities.get(found.community_id)
            assert community is not None
            return DoorBuilding(
                found.id,
                token,
                found.name,
                found.address,
                community.name,
                categories_for(community.settings),
            )

    async def device(self, secret: str | None) -> Person | None:
        """The person of the device whose cookie holds ``secret`` (None: unknown, forgotten)."""
        if not secret or len(secret) > 128:
            return None
        async with self.db.session() as session:
            return await PersonRepository(session).by_contact(*device_address(secret))

    async def enter(self, secret: str | None, token: str, language: str) -> Entered:
        """The device's person (made now for a new device) as a resident of the poster's
        building: the token from the stairwell is the proof of presence."""
        building = await self.building(token)
        person = await self.device(secret)
        if person is None or secret is None:
            secret = secrets.token_urlsafe(32)
            now = self.clock()
            async with self.db.session() as session:
                person = await PersonRepository(session).add(device_address(secret), "", now)
                person.language = language
                await session.commit()
        else:
            person = await self.speak(person, language)
        await self.onboarding.join_building(person, building.id)
        return Entered(person, secret, building)

    async def speak(self, person: Person, language: str) -> Person:
        """The device's person now reads the door in ``language`` (the page's switch, or the
        phone's own): what is pushed to them (the head's answers) comes in it too, not in the
        language of their first visit."""
        if person.language == language or language not in SUPPORTED_LANGUAGES:
            return person
        return await self.onboarding.set_language(person.id, language)

    async def check_photos(self, uploads: Sequence[bytes]) -> list[bytes]:
        """The uploads checked and re-encoded (off the event loop), before anything is
        written: a file that is no photo refuses the whole report."""
        return [await asyncio.to_thread(clean_photo, data) for data in uploads if data]

    async def save_photo(self, person: Person, cleaned: bytes) -> str:
        """Stores a photo that ``check_photos`` returned; returns its key."""
        key = secrets.token_urlsafe(16)
        async with self.db.session() as session:
            files = WebFileRepository(session)
            await files.add(key, person.id, "image/jpeg", cleaned, self.clock())
            await session.commit()
        return key

    async def photo(self, person: Person, key: str) -> bytes | None:
        """A photo for the person who sent it."""
        async with self.db.session() as session:
            found = await WebFileRepository(session).get(key)
        if found is None or found.person_id != person.id:
            return None
        return found.content

    async def ticket_photo(self, person: Person, ticket_id: int, key: str) -> bytes | None:
        """A photo of the ticket's conversation (or report) for its author, whoever sent it
        (a head's photo from WeChat is the author's to see)."""
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            if ticket is None:
                return None
            relations = await self.access.relations(session, person, ticket)
            if Relation.AUTHOR not in relations:
                return None
            found = await WebFileRepository(session).in_ticket(ticket.id, key)
        return None if found is None else found.content

    async def similar(self, person: Person, building_id: int, category: str) -> Similar | None:
        return await self.neighbours.similar(person, building_id, category)

    async def report(
        self,
        person: Person,
        draft: Draft,
        photos: Sequence[str],
        *,
        name: str = "",
        phone: str = "",
    ) -> Reported:
        """Files ``draft`` with the person's own photos, and the name and phone they gave kept
        in the ticket's commit (a refused report keeps neither; the card, rendered at
        delivery, shows them as the draft's consent says)."""
        name = "" if blank(name) else clip(" ".join(name.split()), NAME_LIMIT)
        phone = clean_phone(phone) if draft.show_phone and phone.strip() else ""
        return await self.reporting.report(
            person,
            Draft(
                building_id=draft.building_id,
                category=draft.category,
                description=draft.description,
                latitude=draft.latitude,
                longitude=draft.longitude,
                show_name=draft.show_name and bool(name or person.display_name),
                show_phone=draft.show_phone and bool(phone or person.phone),
                share_description=draft.share_description,
                key=draft.key,
            ),
            name=name,
            phone=phone,
            # Claimed in the ticket's commit (Reporting.report): a photo already on a ticket
            # is left out, and of two reports sent at once only one gets it.
            photos=photos,
        )

    async def follow(
        self, person: Person, building_id: int, category: str, ticket_id: int
    ) -> Ticket:
        """ "Me too": the neighbour's open ticket instead of a new one; only the one the
        summary offered for this building and kind (the form's number is the phone's to
        change)."""
        return await self.neighbours.follow_offered(person, building_id, category, ticket_id)

    async def mine(self, person: Person) -> Sequence[Ticket]:
        """The person's own and followed tickets, newest first (the first page)."""
        return (await self.lists.my_tickets(person, 0)).tickets

    async def view(self, person: Person, ticket_id: int) -> TicketView:
        """The ticket page: only for its author and its followers (staff use the chat or the
        console); the conversation only for the author."""
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            ticket = await tickets.get(ticket_id)
            if ticket is None:
                raise ServiceError("not-allowed")
            relations = await self.access.relations(session, person, ticket)
            if not relations & RESIDENT:
                raise NoAccess(ticket)
            author = Relation.AUTHOR in relations
            lines: list[Line] = []
            if author:
                events = await tickets.events(ticket.id)
                taken_back = retracted_ids(events)
                for event in events:
                    if event.kind != "message" or event.id in taken_back:
                        continue
                    kept = event.data.get("web_photo")
                    photo = bool(event.data.get("photo") or kept)
                    text = str(event.data.get("text") or "")
                    if photo and text == "[photo]":
                        text = ""
                    mine = event.data.get("direction") == "to-staff"
                    lines.append(
                        Line(mine, text, photo, event.created_at, str(kept) if kept else None)
                    )
            building = await tickets.building_of(ticket)
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
        can = frozenset(
            action
            for action in (Action.MESSAGE, Action.CONFIRM, Action.REOPEN, Action.RATE)
            if may(action, relations, ticket.status)
            and not (action is Action.RATE and ticket.rating is not None)
        )
        photos = [str(m["web_file"]) for m in ticket.media if "web_file" in m] if author else []
        return TicketView(
            ticket,
            building.name,
            find_category(community.settings, ticket.category),
            author,
            lines,
            photos,
            can,
        )

    async def message(
        self, person: Person, ticket_id: int, text: str, once: str | None = None
    ) -> None:
        """The resident's answer: relayed to the staff as an answer in chat is. ``once``: the
        form's one-time key; the same form posted again passes nothing on a second time."""
        if blank(text):
            raise ServiceError("door-message-empty")
        # TicketActions.talk, not ConversationService.send: the page needs no history event
        # back, and a form posted again has no new event to name.
        await self.actions.talk(person, ticket_id, Content(text=text.strip(), once=once))

    async def confirm(self, person: Person, ticket_id: int) -> Ticket:
        try:
            return await self.actions.confirm(person, ticket_id)
        except StaleAction as stale:
            # "Fixed" tapped twice (or its form resent): the first closed it; the second is
            # answered as the first was, not with "this button is out of date".
            if await self._did(person, ticket_id, "confirmed"):
                return stale.ticket
            raise

    async def reopen(self, person: Person, ticket_id: int, reason: str) -> Ticket:
        if blank(reason):
            raise ServiceError("door-reason-empty")
        try:
            return await self.reopening.reopen(person, ticket_id, reason)
        except StaleAction as stale:
            # "Not fixed" sent twice: the first reopened it with these words, which are
            # still the last word on its resolution; answered as the first was.
            async with self.db.session() as session:
                events = await TicketRepository(session).events(ticket_id)
            last = next((e for e in reversed(events) if e.kind in ("resolved", "reopened")), None)
            if (
                last is not None
                and last.kind == "reopened"
                and last.actor_id == person.id
                and str(last.data.get("note") or "").strip() == reason.strip()
            ):
                return stale.ticket
            raise

    async def rate(self, person: Person, ticket_id: int, stars: int) -> Ticket:
        try:
            return await self.actions.rate(person, ticket_id, stars)
        except StaleAction as stale:
            # A rating sent twice: the first counted (the page says which), once.
            if await self._did(person, ticket_id, "rated"):
                return stale.ticket
            raise

    async def _did(self, person: Person, ticket_id: int, kind: str) -> bool:
        """Whether the ticket's history has ``kind`` done by the person."""
        async with self.db.session() as session:
            events = await TicketRepository(session).events(ticket_id)
        return any(e.kind == kind and e.actor_id == person.id for e in events)

    async def subscribe(self, secret: str | None, raw: str, language: str | None = None) -> None:
        """The device asked to be told when the head answers: its browser's subscription is
        kept on its contact, and the device becomes where the person's notifications go (a
        notification goes to the door used last), in the language of the page it asked on."""
        person = await self.device(secret)
        if person is None or secret is None:
            raise ServiceError("door-no-device")
        subscription = push_subscription(raw, allow_http=self.config.web_push_allow_http)
        if language is not None:
            person = await self.speak(person, language)
        async with self.db.session() as session:
            people = PersonRepository(session)
            await people.set_push(device_address(secret), subscription)
            await people.ensure_contact(person.id, device_address(secret), self.clock())
            await session.commit()

    async def unsubscribe(self, secret: str | None) -> bool:
        """No more notifications to this device (the page's switch, or its browser's)."""
        if not secret:
            return False
        async with self.db.session() as session:
            dropped = await PersonRepository(session).set_push(device_address(secret), None)
            await session.commit()
        return dropped

    async def forget_device(self, secret: str) -> bool:
        """ "Forget this device": the contact goes; a person who has no other door left is
        forgotten as /forgetme forgets (tickets kept, anonymised). False: nothing to forget."""
        person = await self.device(secret)
        if person is None:
            return False
        async with self.db.session() as session:
            await WebFileRepository(session).drop_unfiled(person.id)
            await session.commit()
        if len(person.contacts) > 1:
            async with self.db.session() as session:
                await PersonRepository(session).drop_contact(device_address(secret))
                await session.commit()
            return True
        await self.forgetting.forget(person)
        return True
