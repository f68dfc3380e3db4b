"""The office of this machine, for running without Telegram: the example community a newcomer
sees the loop with, the first poster's web page, and a console sign-in that needs no chat.

The console's sign-in links are normally sent by /web in chat to a person holding a staff
role. Without Telegram the operator at the machine asks the command line instead
(``console-link``): it signs in the *local office*, a real person in the database (no
messenger contact, so nothing is ever delivered to them) holding the coordinator role of a
community, through the console's own one-time link and session. The role is given only by
that command or with the example community; removing it is removing that coordinator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.community import BuildingRow, CommunityService
from bot.services.console import ConsoleAccess
from bot.services.errors import ServiceError
from bot.services.links import PayloadKind, make_payload, web_twin
from storage.db import Database
from storage.models import Address, Channel, Community, Person
from storage.repositories import CommunityRepository, PersonRepository

# The local office's one contact: a channel no door delivers to, one address per database.
LOCAL_OFFICE = Address(Channel.OFFICE, "local")
# Its display name, in the community's default language (DEFAULT_LANGUAGE), as made.
LOCAL_OFFICE_NAME = "local-office-name"


@dataclass(frozen=True, slots=True)
class Poster:
    """A building's poster page (the web twin of its join link)."""

    community: str
    code: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class SignIn:
    community: str
    url: str


class LocalOffice:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        community: CommunityService,
        console: ConsoleAccess,
    ) -> None:
        self.config = config
        self.translations = translations
        self.db = db
        self.clock = clock
        self.community = community
        self.console = console

    async def seed_example(self, rows: Sequence[BuildingRow]) -> str | None:
        """A database without any community gets the example one (through the import, so
        running it twice changes nothing) with the local office as its coordinator; returns
        its name, or None when the database already had a community."""
        async with self.db.session() as session:
            if await CommunityRepository(session).count():
                return None
        report = await self.community.import_buildings(rows)
        name = report.buildings[0].community if report.buildings else None
        if name is not None:
            await self.appoint(name)
        return name

    async def first_poster(self, base: str) -> Poster | None:
        """The web twin of the first building (by code) of the first community (by name)."""
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            first = await communities.page(0, 1)
            buildings = await communities.buildings_page(first[0].id, 0, 1) if first else []
        if not buildings:
            return None
        building = buildings[0]
        url = web_twin(base, make_payload(PayloadKind.JOIN, building.join_token))
        return Poster(first[0].name, building.code, building.name, url)

    async def link(self, base: str) -> str | None:
        """A one-time console sign-in link for the local office with the roles it holds; None
        when this database has no local office (nobody made one: no role is made here)."""
        async with self.db.session() as session:
            people = PersonRepository(session)
            person = await people.by_contact(*LOCAL_OFFICE)
            if person is None or not await people.coordinator_areas(person.id):
                return None
        return await self.console.issue_link(person, base)

    async def appoint(self, community_name: str | None) -> Community:
        """The local office becomes coordinator of the whole community (None: the first by
        name, the one the start-up's poster line names); nothing changes when it already is."""
        now = self.clock()
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            if community_name is not None:
                community = await communities.by_name(community_name)
                if community is None:
                    raise ServiceError("community-not-found", name=community_name)
            else:
                first = await communities.page(0, 1)
                if not first:
                    raise ServiceError("local-office-no-community")
                community = first[0]
            people = PersonRepository(session)
            person = await people.by_contact(*LOCAL_OFFICE)
            if person is None:
                name = self.translations.get(self.config.default_language, LOCAL_OFFICE_NAME)
                person = await people.add(LOCAL_OFFICE, name, now)
            await people.add_coordinator_scope(person.id, community.id, None, now)
            await session.commit()
        return community

    async def sign_in(self, community_name: str | None) -> SignIn:
        """A one-time console sign-in link (the console's own, 10 minutes) for the local
        office as coordinator of the community."""
        community = await self.appoint(community_name)
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(*LOCAL_OFFICE)
        assert isinstance(person, Person)  # appointed just now
        return SignIn(community.name, await self.console.issue_link(person))
