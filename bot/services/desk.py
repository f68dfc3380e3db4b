"""The console's Buildings and Settings pages: what the office sees of its buildings and its
community settings, and the few changes it makes there, through the services the chat and the
command line use (CommunityService.invite, RevokeService.remove, CommunityService.settings).

Who may change what (PRODUCT.md: a coordinator "appoints heads"; heads do not appoint or
remove each other): inviting and removing a head or deputy is for a coordinator of the building
(or of its whole community) and for admins; a head sees the page and their own staff but not
the buttons, and a forged form is refused here, not only hidden. A building's estate (小区) is
set by the same people. The community settings are
changed only by an admin or a coordinator of the whole community; everyone covering one of its
buildings may read them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Config
from bot.documents.posters import PosterPage
from bot.services.access import Coverage
from bot.services.community import CommunityService, InvitationIssued
from bot.services.contacts import is_admin
from bot.services.errors import ServiceError
from bot.services.estates import clean_estate
from bot.services.poster_sheets import poster_page
from bot.services.revoke import REMOVABLE_IN_CHAT, Revoked, RevokeService
from bot.services.settings_view import SettingsView
from storage.db import Database
from storage.models import Building, Community, Person, Role
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.desk import DeskRepository, StaffRow, area_condition

INVITABLE_HERE = (Role.HEAD, Role.DEPUTY)
# Posters in one PDF: a community's 238 buildings take about half a minute to draw.
MAX_POSTERS = 400


@dataclass(frozen=True, slots=True)
class BuildingLine:
    building: Building
    community: Community
    heads: list[StaffRow]
    deputies: list[StaffRow]
    residents: int
    open_tickets: int
    last_activity: datetime | None
    manageable: bool  # the viewer may invite and remove its head and deputies

    @property
    def without_head(self) -> bool:
        return not self.heads


@dataclass(frozen=True, slots=True)
class CommunitySettingsPage:
    community: Community
    view: SettingsView
    editable: bool


class DeskService:
    def __init__(
        self,
        config: Config,
        db: Database,
        community: CommunityService,
        revoke: RevokeService,
    ) -> None:
        self.config = config
        self.db = db
        self.community = community
        self.revoke_service = revoke

    # ------------------------------------------------------------------------- buildings

    async def buildings(self, person_id: int, seen: Coverage) -> list[BuildingLine]:
        """Every building the viewer covers; those without a head first (coverage is what the
        office acts on), then by community and code."""
        condition = area_condition(seen.admin, list(seen.community_ids), list(seen.building_ids))
        async with self.db.session() as session:
            desk = DeskRepository(session)
            rows = await desk.buildings(condition)
            staff = await desk.staff([r.building.id for r in rows])
            managed = await self._managed_ids(session, person_id, seen, [r.building for r in rows])
        lines = [
            BuildingLine(
                r.building,
                r.community,
                [s for s in staff if s.building_id == r.building.id and s.role is Role.HEAD],
                [s for s in staff if s.building_id == r.building.id and s.role is Role.DEPUTY],
                r.residents,
                r.open_tickets,
                r.last_activity,
                r.building.id in managed,
            )
            for r in rows
        ]
        return sorted(lines, key=lambda line: not line.without_head)

    async def posters(
        self,
        person_id: int,
        seen: Coverage,
        building_ids: Sequence[int],
        link: Callable[[str], str],
    ) -> list[PosterPage]:
        """The stairwell posters of the chosen buildings (every one the viewer covers when none
        is chosen), in the page's order: anyone who covers a building may print its poster, as
        a head gets it in chat with /joinlink. A building outside the viewer's coverage refuses
        the whole print (a forged id learns nothing)."""
        if len(building_ids) > MAX_POSTERS:
            raise ServiceError("posters-too-many", limit=MAX_POSTERS)
        lines = await self.buildings(person_id, seen)
        by_id = {line.building.id: line for line in lines}
        if any(i not in by_id for i in building_ids):
            raise ServiceError("not-allowed")
        chosen = [by_id[i] for i in dict.fromkeys(building_ids)] if building_ids else lines
        if len(chosen) > MAX_POSTERS:
            raise ServiceError("posters-too-many", limit=MAX_POSTERS)
        return [poster_page(line.community, line.building, link) for line in chosen]

    async def _managed_ids(
        self, session: Any, person_id: int, seen: Coverage, buildings: list[Building]
    ) -> set[int]:
        if seen.admin:
            return {b.id for b in buildings}
        areas = await PersonRepository(session).coordinator_areas(person_id)
        return {
            b.id
            for b in buildings
            if any(
                a.community_id == b.community_id and a.building_id in (None, b.id) for a in areas
            )
        }

    async def _manager(self, person_id: int, building_id: int) -> tuple[Person, Building]:
        async with self.db.session() as session:
            person = await PersonRepository(session).get(person_id)
            building = await CommunityRepository(session).building(building_id)
            if person is None or building is None:
                raise ServiceError("not-allowed")
            seen = Coverage(admin=is_admin(self.config, person))
            if not await self._managed_ids(session, person_id, seen, [building]):
                raise ServiceError("not-allowed")  # a head, or another area's coordinator
        return person, building

    async def invite(
        self, person_id: int, building_id: int, role: Role, once: str | None = None
    ) -> InvitationIssued:
        """A one-time invitation link for a head or deputy of the building: the very service
        of ``python -m bot invite`` and of /invite in chat (``once``: the form's one-time key,
        that form posted again gets the same link)."""
        if role not in INVITABLE_HERE:
            raise ServiceError("invite-bad-role")
        person, building = await self._manager(person_id, building_id)
        async with self.db.session() as session:
            community = await CommunityRepository(session).get(building.community_id)
        assert community is not None
        return await self.community.invite(
            role,
            building.code,
            community=community.name,
            created_by=person.id,
            building_only=True,
            once=once,
        )

    async def staff_member(
        self, person_id: int, building_id: int, member_id: int, role: Role
    ) -> tuple[Building, str]:
        """The building and the name of whom a removal would concern (the confirmation step)."""
        person, building = await self._manager(person_id, building_id)
        _, staff = await self.revoke_service.building_staff_by_id(person, building_id)
        found = next((s for s in staff if s.person_id == member_id and s.role is role), None)
        if found is None:
            raise ServiceError("staff-gone")
        return building, found.name

    async def remove(self, person_id: int, building_id: int, member_id: int, role: Role) -> Revoked:
        """Removes a head or deputy: RevokeService.remove, as the chat's /staff does (the tickets
        handed over, the person and the remaining staff told, in one transaction)."""
        if role not in REMOVABLE_IN_CHAT:
            raise ServiceError("not-allowed")
        person, _ = await self._manager(person_id, building_id)
        return await self.revoke_service.remove(person, member_id, building_id, role)

    async def set_estate(self, person_id: int, building_id: int, raw: str) -> Building:
        """The building's estate (小区), "" for none: for those who invite its head (a
        coordinator of it or of its community, an admin); a head is refused. The next weekly
        count (bot/services/serving.py) groups it under its new estate."""
        await self._manager(person_id, building_id)  # first: a head learns nothing more
        estate = clean_estate(raw)
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(building_id)
            if building is None:
                raise ServiceError("not-allowed")
            building.estate = estate
            await session.commit()
            return building

    # ------------------------------------------------------------------------- settings

    async def communities(self, seen: Coverage) -> list[Community]:
        condition = area_condition(seen.admin, list(seen.community_ids), list(seen.building_ids))
        async with self.db.session() as session:
            rows = await DeskRepository(session).buildings(condition)
        return list({r.community.id: r.community for r in rows}.values())

    async def settings(self, seen: Coverage, community_id: int | None) -> CommunitySettingsPage:
        community = await self._community(seen, community_id)
        view = await self.community.settings(community.name)
        return CommunitySettingsPage(community, view, self._may_change(seen, community))

    async def change_setting(
        self, seen: Coverage, community_id: int, key: str, value: Any
    ) -> CommunitySettingsPage:
        """One setting changed through the CLI's own service: a value the schema refuses raises
        InvalidSetting (or UnknownSetting) and nothing changes."""
        community = await self._community(seen, community_id)
        if not self._may_change(seen, community):
            raise ServiceError("not-allowed")
        view = await self.community.settings(community.name, {key: value})
        return CommunitySettingsPage(community, view, True)

    async def _community(self, seen: Coverage, community_id: int | None) -> Community:
        covered = await self.communities(seen)
        found = next((c for c in covered if c.id == community_id), None)
        if found is None and community_id is None and covered:
            found = covered[0]
        if found is None:
            raise ServiceError("not-allowed")
        return found

    @staticmethod
    def _may_change(seen: Coverage, community: Community) -> bool:
        return seen.admin or community.id in seen.community_ids
