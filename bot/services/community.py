"""Setting up a community: importing buildings, join links and one-time invitations."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.services.clock import Clock
from bot.services.contacts import is_admin
from bot.services.errors import InputRefused, ServiceError
from bot.services.estates import ESTATE_MAX, clean_estate
from bot.services.links import PayloadKind, make_payload, new_token
from bot.services.settings_schema import apply_changes, check_keys, check_timezone
from bot.services.settings_view import SettingsView, describe
from storage.db import Database
from storage.models import Building, Community, Person, Role
from storage.repositories import CommunityRepository, InvitationRepository, PersonRepository
from storage.repositories.people import BuildingRole, CoordinatorArea

CSV_COLUMNS = ("community", "code", "name", "address")
ESTATE_COLUMN = "estate"  # optional, after the four
CODE_MAX = 32
INVITABLE = (Role.HEAD, Role.DEPUTY, Role.COORDINATOR)


@dataclass(frozen=True, slots=True)
class BuildingRow:
    community: str
    code: str
    name: str
    address: str
    line: int = 0  # in the CSV file; 0 when the row did not come from one
    # The estate (小区); None when the file has no estate column: the building keeps its own.
    estate: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedBuilding:
    community: str
    code: str
    name: str
    payload: str
    outcome: str  # "created", "updated" or "unchanged"


@dataclass(slots=True)
class ImportReport:
    buildings: list[ImportedBuilding] = field(default_factory=list)
    communities_created: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for b in self.buildings if b.outcome == outcome)


@dataclass(frozen=True, slots=True)
class InvitationIssued:
    payload: str
    role: Role
    community: str
    building: str | None
    expires_at: datetime


def parse_buildings_csv(text: str) -> list[BuildingRow]:
    """Reads ``community,code,name,address`` rows, with an optional ``estate`` column after
    them; raises ServiceError naming the bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if tuple(header[:4]) != CSV_COLUMNS:
        raise ServiceError("import-bad-header", expected=",".join(CSV_COLUMNS))
    reader.fieldnames = header
    has_estate = ESTATE_COLUMN in header[4:]
    rows: list[BuildingRow] = []
    for raw in reader:
        line = reader.line_num  # the file's line, whatever blank lines came before
        values = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
        if not values["community"] or not values["code"] or not values["name"]:
            raise ServiceError("import-bad-row", line=line)
        code = values["code"]
        if len(code) > CODE_MAX or not all(c.isalnum() or c in "-_" for c in code):
            raise ServiceError("import-bad-code", line=line, code=code)
        estate = None
        if has_estate:
            try:
                estate = clean_estate(raw.get(ESTATE_COLUMN) or "")
            except InputRefused:
                raise ServiceError("import-bad-estate", line=line, max=ESTATE_MAX) from None
        rows.append(
            BuildingRow(
                values["community"][:100],
                code,
                values["name"][:100],
                values["address"][:200],
                line,
                estate,
            )
        )
    check_unique_codes(rows)
    return rows


def check_unique_codes(rows: Sequence[BuildingRow]) -> None:
    """A code twice in one community of one file is a mistake (the second row would silently
    rename the building the first one created): refused, naming both lines, before anything
    is imported."""
    first: dict[tuple[str, str], int] = {}
    for position, row in enumerate(rows, start=1):
        line = row.line or position
        seen = first.setdefault((row.community, row.code), line)
        if seen != line:
            raise ServiceError(
                "import-duplicate-code",
                code=row.code,
                community=row.community,
                first=seen,
                line=line,
            )


class CommunityService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def import_buildings(self, rows: Iterable[BuildingRow]) -> ImportReport:
        """Creates missing communities, creates or updates buildings by code. Running it twice
        changes nothing the second time; join tokens never change (printed posters stay valid)."""
        rows = list(rows)
        check_unique_codes(rows)
        now = self.clock()
        report = ImportReport()
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            for row in rows:
                community = await communities.by_name(row.community)
                if community is None:
                    community = await communities.add(row.community, self.config.timezone, now)
                    report.communities_created.append(community.name)
                building = await communities.building_by_code(community.id, row.code)
                # A file without the estate column leaves each building's estate as it is.
                estate = row.estate
                if building is None:
                    building = await communities.add_building(
                        community.id, row.code, row.name, row.address, new_token(), now
                    )
                    building.estate = estate or ""
                    outcome = "created"
                elif (building.name, building.address, building.estate) != (
                    row.name,
                    row.address,
                    building.estate if estate is None else estate,
                ):
                    building.name, building.address = row.name, row.address
                    if estate is not None:
                        building.estate = estate
                    outcome = "updated"
                else:
                    outcome = "unchanged"
                report.buildings.append(
                    ImportedBuilding(
                        community=community.name,
                        code=building.code,
                        name=building.name,
                        payload=make_payload(PayloadKind.JOIN, building.join_token),
                        outcome=outcome,
                    )
                )
            await session.commit()
        return report

    async def settings(self, name: str, changes: dict[str, Any] | None = None) -> SettingsView:
        """A community's settings, every key with its effective value, after applying
        ``changes`` (None: back to the default). A bad value raises InvalidSetting (or
        UnknownSetting) and changes nothing."""
        changes = dict(changes or {})
        check_keys(changes)
        zone: str | None = None
        if "timezone" in changes:
            # "timezone=" returns to TIMEZONE, like any other key to its default.
            zone = check_timezone(changes.pop("timezone") or self.config.timezone)
        async with self.db.session() as session:
            community = await CommunityRepository(session).by_name(name)
            if community is None:
                raise ServiceError("community-not-found", name=name)
            settings = apply_changes(community.settings or {}, changes)
            if changes:
                community.settings = settings
            if zone is not None:
                community.timezone = zone
            await session.commit()
            return describe(community.name, settings, community.timezone, self.config.timezone)

    async def find_building(self, code: str, community: str | None = None) -> Building:
        async with self.db.session() as session:
            return await locate_building(CommunityRepository(session), code, community)

    async def join_payload(self, code: str, community: str | None = None) -> tuple[Building, str]:
        building = await self.find_building(code, community)
        return building, make_payload(PayloadKind.JOIN, building.join_token)

    async def invite(
        self,
        role: Role,
        target: str,
        *,
        community: str | None = None,
        created_by: int | None = None,
        building_only: bool = False,
        once: str | None = None,
    ) -> InvitationIssued:
        """A one-time link that makes its opener ``role`` of ``target``: a building code for a
        head or deputy; a community name (or a building code) for a coordinator. ``once`` (the
        console form's one-time key): that form posted again gets the link it already issued."""
        if role not in INVITABLE:
            raise ServiceError("invite-bad-role")
        once = once if created_by is not None else None
        now = self.clock()
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            invitations = InvitationRepository(session)
            building: Building | None = None
            found = None if building_only else await communities.by_name(target)
            if role is Role.COORDINATOR and found is not None:
                community_row: Community | None = found
            else:
                building = await locate_building(communities, target, community)
                community_row = await communities.get(building.community_id)
            assert community_row is not None
            building_id = building.id if building else None
            known = None
            if once is not None and created_by is not None:
                known = await invitations.by_once(created_by, building_id, role, once)
            if known is None:
                try:
                    known = await invitations.add(
                        token=new_token(),
                        role=role,
                        community_id=community_row.id,
                        building_id=building_id,
                        created_by=created_by,
                        now=now,
                        expires_at=now + timedelta(days=self.config.invite_ttl_days),
                        once=once,
                    )
                    await session.commit()
                except IntegrityError:  # the same form's other post wrote it meanwhile
                    await session.rollback()
                    if once is None or created_by is None:
                        raise
                    known = await invitations.by_once(created_by, building_id, role, once)
                    if known is None:
                        raise
            return InvitationIssued(
                payload=make_payload(PayloadKind.INVITE, known.token),
                role=role,
                community=community_row.name,
                building=building.name if building else None,
                expires_at=known.expires_at,
            )


async def locate_building(
    communities: CommunityRepository, code: str, community: str | None
) -> Building:
    if community is not None:
        found = await communities.by_name(community)
        if found is None:
            raise ServiceError("community-not-found", name=community)
        building = await communities.building_by_code(found.id, code)
        if building is None:
            raise ServiceError("building-not-found", code=code)
        return building
    matches = await communities.buildings_by_code(code)
    if not matches:
        raise ServiceError("building-not-found", code=code)
    if len(matches) > 1:
        raise ServiceError("building-ambiguous", code=code)
    return matches[0]


def _may_manage(
    roles: Sequence[BuildingRole],
    areas: Sequence[CoordinatorArea],
    building: Building,
    *,
    heads_too: bool,
) -> bool:
    if heads_too and any(
        r.building_id == building.id and r.role in (Role.HEAD, Role.DEPUTY) for r in roles
    ):
        return True
    return any(
        a.community_id == building.community_id and a.building_id in (None, building.id)
        for a in areas
    )


class StaffService:
    """What heads and coordinators do from the chat: join links for their buildings and
    invitations within their area. Every call is authorised against the database."""

    def __init__(self, config: Config, db: Database, community: CommunityService) -> None:
        self.config = config
        self.db = db
        self.community = community

    async def _area(
        self, person_id: int
    ) -> tuple[Sequence[BuildingRole], Sequence[CoordinatorArea]]:
        async with self.db.session() as session:
            people = PersonRepository(session)
            return await people.building_roles(person_id), await people.coordinator_areas(person_id)

    async def my_buildings(self, person_id: int) -> list[Building]:
        """Buildings the person heads or coordinates building by building."""
        roles, areas = await self._area(person_id)
        ids = [r.building_id for r in roles if r.role in (Role.HEAD, Role.DEPUTY)]
        ids += [a.building_id for a in areas if a.building_id is not None]
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            buildings = [await communities.building(i) for i in dict.fromkeys(ids)]
        return [b for b in buildings if b is not None]

    async def join_link(self, person: Person, code: str) -> tuple[Building, str]:
        roles, areas = await self._area(person.id)
        building, payload = await self.community.join_payload(
            code, self._community_hint(roles, areas)
        )
        admin = is_admin(self.config, person)
        if not admin and not _may_manage(roles, areas, building, heads_too=True):
            raise ServiceError("not-allowed")
        return building, payload

    async def invite(self, person: Person, role: Role, target: str) -> InvitationIssued:
        roles, areas = await self._area(person.id)
        admin = is_admin(self.config, person)
        if role not in INVITABLE:
            raise ServiceError("invite-bad-role")
        if not admin:
            # A coordinator appoints heads, deputies and building coordinators in their area (a
            # whole community's coordinator is appointed by an admin); a head invites a deputy.
            hint = self._community_hint(roles, areas)
            building = await self.community.find_building(target, hint)
            if not _may_manage(roles, areas, building, heads_too=role is Role.DEPUTY):
                raise ServiceError("not-allowed")
            return await self.community.invite(
                role, target, community=hint, created_by=person.id, building_only=True
            )
        return await self.community.invite(role, target, created_by=person.id)

    @staticmethod
    def _community_hint(
        roles: Sequence[BuildingRole], areas: Sequence[CoordinatorArea]
    ) -> str | None:
        """The caller's community, when they work in exactly one: building codes are unique only
        within a community."""
        names = {a.community_name for a in areas} | {
            r.community_name for r in roles if r.role in (Role.HEAD, Role.DEPUTY)
        }
        return names.pop() if len(names) == 1 else None
