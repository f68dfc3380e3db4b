"""Who someone is (person, roles) and how they get there: join links, invitations, the building
picker, flat numbers and language."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import SUPPORTED_LANGUAGES, match_language
from bot.services.building_search import search
from bot.services.clock import Clock
from bot.services.contacts import admin_addresses, distinct_recipients, is_admin, telegram_label
from bot.services.errors import ServiceError
from bot.services.flats import clean_flat
from bot.services.join_rules import settle_on_join
from bot.services.joins import Joined
from bot.services.links import PayloadKind, parse_payload
from bot.services.notify import Notifier
from bot.text import clip
from storage.cache import cache_of
from storage.db import Database
from storage.models import Address, Building, Community, Person, Role
from storage.repositories import CommunityRepository, InvitationRepository, PersonRepository
from storage.repositories.people import BuildingRole, CoordinatorArea

T = TypeVar("T")
PAGE_SIZE = 8
# How often a contact's last use is written: the door a person uses is known to the minute.
CONTACT_USE_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Profile:
    person: Person
    building_roles: Sequence[BuildingRole]
    coordinator_areas: Sequence[CoordinatorArea]
    is_admin: bool

    @property
    def roles(self) -> frozenset[Role | str]:
        roles: set[Role | str] = {m.role for m in self.building_roles}
        if self.coordinator_areas:
            roles.add(Role.COORDINATOR)
        if self.is_admin:
            roles.add("admin")
        return frozenset(roles)

    @property
    def is_head(self) -> bool:
        return bool(self.roles & {Role.HEAD, Role.DEPUTY})

    @property
    def is_coordinator(self) -> bool:
        return Role.COORDINATOR in self.roles or self.is_admin


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Found:
    """A building the picker's search found."""

    building: Building
    community: str


@dataclass(frozen=True, slots=True)
class Appointed:
    role: Role
    community: Community
    building: Building | None
    already: bool


def _unchanged(person: Person, contact: Address, display_name: str, now: datetime) -> bool:
    """Whether ``touch`` would write nothing for this person as cached."""
    if person.display_name != display_name or person.unreachable_since is not None:
        return False
    used = next((c for c in person.contacts if c.as_address == contact), None)
    return used is not None and now - used.last_used_at < CONTACT_USE_GRANULARITY


async def _cache_epoch(session: AsyncSession) -> int | None:
    cache = await cache_of(session)
    return None if cache is None else cache.epoch


def clean_phone(phone: str) -> str:
    """A phone number as it is kept: its ASCII digits and "+"; "phone-invalid" for fewer than
    5. A Chinese keyboard's full-width "１３８" and "＋" are those digits (NFKC, which reads
    "②" as 2 too); digits of other scripts ("٣") were kept as they are and dial nothing."""
    phone = unicodedata.normalize("NFKC", phone)
    phone = "".join(c for c in phone if c in "0123456789+")[:32]
    if len(phone) < 5:
        raise ServiceError("phone-invalid")
    return phone


class OnboardingService:
    def __init__(self, config: Config, db: Database, notifier: Notifier, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.notifier = notifier
        self.clock = clock

    async def touch(self, contact: Address, display_name: str, app_language: str | None) -> Person:
        """The person behind an update from ``contact``, created on first contact in their
        app's language. Writing again makes an unreachable person reachable and makes this
        contact the one notifications go to (written at most once a minute: most updates
        change nothing and cost one read)."""
        display_name = clip(display_name, 130)
        now = self.clock()
        cache = self.db.cache
        key = (contact.channel, contact.address)
        if not cache.due():  # else the session below asks whether another process wrote
            cached: Person | None = cache.get("person", key)
            if cached is not None and _unchanged(cached, contact, display_name, now):
                return cached
        async with self.db.session() as session:
            epoch = await _cache_epoch(session)
            people = PersonRepository(session)
            person = await people.by_contact(*contact)
            if person is None:
                person = await people.add(contact, display_name, now)
                person.language = match_language(app_language, self.config.default_language)
                await session.commit()
                return person
            used = next(c for c in person.contacts if c.as_address == contact)
            stale = now - used.last_used_at >= CONTACT_USE_GRANULARITY
            if person.display_name == display_name and person.unreachable_since is None:
                if not stale:
                    if epoch is not None:
                        cache.put("person", key, person, epoch, person.id)
                    return person
            else:
                person.display_name = display_name
                person.unreachable_since = None
            if stale:
                await people.used(used, now)
            await session.commit()
            committed = cache.epoch  # after this commit's own drop
        # Kept after the commit (which dropped this person's entries): the next update of
        # theirs within a minute costs no statement.
        if epoch is not None:
            cache.put("person", key, person, committed, person.id)
        return person

    async def set_language(self, person_id: int, language: str) -> Person:
        if language not in SUPPORTED_LANGUAGES:
            raise ServiceError("language-unknown")
        async with self.db.session() as session:
            person = await PersonRepository(session).get(person_id)
            if person is None:
                raise ServiceError("not-allowed")
            person.language = language
            await session.commit()
            return person

    async def set_phone(self, person_id: int, phone: str) -> None:
        """The person's own phone number, from a contact they shared themselves."""
        phone = clean_phone(phone)
        async with self.db.session() as session:
            person = await PersonRepository(session).get(person_id)
            if person is None:
                raise ServiceError("not-allowed")
            person.phone = phone
            person.phone_consent = True
            await session.commit()

    async def mark_unreachable(self, contact: Address) -> None:
        async with self.db.session() as session:
            await PersonRepository(session).mark_unreachable(contact, self.clock())
            await session.commit()

    async def profile(self, person: Person) -> Profile:
        async with self.db.session() as session:
            people = PersonRepository(session)
            return Profile(
                person=person,
                building_roles=await people.building_roles(person.id),
                coordinator_areas=await people.coordinator_areas(person.id),
                is_admin=is_admin(self.config, person),
            )

    # Start payloads

    async def open_payload(self, person: Person, raw: str) -> Joined | Appointed:
        payload = parse_payload(raw)
        if payload is None:
            raise ServiceError("start-link-malformed")
        if payload.kind is PayloadKind.JOIN:
            async with self.db.session() as session:
                building = await CommunityRepository(session).building_by_token(payload.token)
            if building is None:
                raise ServiceError("start-link-unknown")
            return await self.join_building(person, building.id)
        if (
            payload.kind is PayloadKind.CHECKIN
        ):  # the Telegram door checks in (handlers/volunteering.py)
            raise ServiceError("start-link-unknown")
        return await self._accept_invitation(person, payload.token)

    async def join_building(self, person: Person, building_id: int) -> Joined:
        """Joins at once, whatever the community's join_policy: the building's join link
        proves presence on the stairs (the picker goes through JoinService instead)."""
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            building = await communities.building(building_id)
            if building is None:
                raise ServiceError("building-gone")
            community = await communities.get(building.community_id)
            assert community is not None
            people = PersonRepository(session)
            if await people.membership(person.id, building.id, Role.RESIDENT) is not None:
                return Joined(building, community, already=True)
            now = self.clock()
            await people.add_membership(person.id, building.id, Role.RESIDENT, now)
            await settle_on_join(session, person.id, building.id, now)
            await session.commit()
            return Joined(building, community, already=False)

    async def set_flat(self, person: Person, building_id: int, flat: str) -> str:
        flat = clean_flat(flat)
        async with self.db.session() as session:
            membership = await PersonRepository(session).membership(
                person.id, building_id, Role.RESIDENT
            )
            if membership is None:
                raise ServiceError("not-allowed")
            membership.flat = flat
            await session.commit()
        return flat

    async def _accept_invitation(self, person: Person, token: str) -> Appointed:
        now = self.clock()
        async with self.db.session() as session:
            invitations = InvitationRepository(session)
            invitation = await invitations.by_token(token)
            if invitation is None:
                raise ServiceError("start-link-unknown")
            if invitation.used_at is not None:
                raise ServiceError("invite-used")
            if invitation.expires_at <= now:
                raise ServiceError("invite-expired")
            communities = CommunityRepository(session)
            community = await communities.get(invitation.community_id)
            building = (
                await communities.building(invitation.building_id)
                if invitation.building_id is not None
                else None
            )
            if community is None or (invitation.building_id is not None and building is None):
                raise ServiceError("start-link-unknown")
            if not await invitations.claim(invitation.id, person.id, now):
                raise ServiceError("invite-used")

            people = PersonRepository(session)
            role = invitation.role
            if role is Role.COORDINATOR:
                building_id = building.id if building else None
                already = (
                    await people.add_coordinator_scope(person.id, community.id, building_id, now)
                    is None
                )
            else:
                assert building is not None
                already = await people.membership(person.id, building.id, role) is not None
                if not already:
                    await people.add_membership(person.id, building.id, role, now)
            await self._announce_appointment(session, person, role, community, building)
            await session.commit()
            return Appointed(role, community, building, already)

    async def _announce_appointment(
        self,
        session: AsyncSession,
        person: Person,
        role: Role,
        community: Community,
        building: Building | None,
    ) -> None:
        """Tells the people who work with the newcomer: the building's heads and deputies and
        the community's coordinators (admins too for a new coordinator)."""
        communities = CommunityRepository(session)
        recipients: list[Person | Address] = []
        if building is not None:
            recipients += [head for head, _ in await communities.heads_of(building.id)]
        recipients += await communities.coordinators_of(community.id)
        if role is Role.COORDINATOR:
            recipients += admin_addresses(self.config)
        now = self.clock()
        people = PersonRepository(session)
        for recipient in await distinct_recipients(people, recipients, skip=[person]):
            await self.notifier.tell(
                session,
                recipient,
                "appointed-notice" if building else "appointed-notice-community",
                now,
                name=person.display_name or telegram_label(person),
                role=role.value,
                place=building.name if building else community.name,
                community=community.name,
            )

    # The building picker

    async def communities_page(self, page: int) -> Page[Community]:
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            total = await communities.count()
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            items = await communities.page(page * PAGE_SIZE, PAGE_SIZE)
            return Page(items, page, pages)

    async def buildings_page(
        self, community_id: int, page: int
    ) -> tuple[Community, Page[Building]]:
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            community = await communities.get(community_id)
            if community is None:
                raise ServiceError("community-gone")
            total = await communities.count_buildings(community_id)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            items = await communities.buildings_page(community_id, page * PAGE_SIZE, PAGE_SIZE)
            return community, Page(items, page, pages)

    async def find_buildings(
        self, community_id: int | None, query: str, page: int
    ) -> tuple[Page[Found], int]:
        """A page of the buildings a typed text finds (in one community, or in all while none
        is chosen), and how many there are."""
        async with self.db.session() as session:
            rows = await CommunityRepository(session).buildings_with_community(community_id)
        found = search(query, rows, key=lambda row: (row[0].code, row[0].name))
        pages = max(1, math.ceil(len(found) / PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        items = [Found(b, c) for b, c in found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
        return Page(items, page, pages), len(found)

    async def single_community(self) -> Community | None:
        async with self.db.session() as session:
            return await CommunityRepository(session).only()
