"""Flats and their owners, for building votes: the office imports each building's flats with
their floor areas; a resident claims their flat and the building's head (deputy, or else the
community's coordinators) confirms or declines, the first decision counting.

A flat has at most one confirmed owner. Co-owners agree among themselves who holds the flat's
ballot; a later confirmed claim replaces the owner (who is told). The flat's ballots in votes
still open, cast before that confirmation, are void: the new owner votes afresh and sees no
choice of anybody else's (closed votes keep their recorded result)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.errors import InputRefused, NotStaff, ServiceError, Spent
from bot.services.flat_menus import write_claim_choices
from bot.services.flats import clean_flat
from bot.services.join_rules import covers, join_area
from bot.services.notify import Notifier
from storage.db import Database
from storage.models import Building, ClaimStatus, Flat, FlatClaim, Person, Role
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.joins import JoinArea
from storage.repositories.stats import Scope
from storage.repositories.votes import VoteRepository

# A claim waiting for a decision, with its flat, building and the claimant's name.
WaitingClaim = tuple[FlatClaim, Flat, Building, str]


@dataclass(frozen=True, slots=True)
class FlatRow:
    building: str  # code
    flat: str
    area: str  # m², as written (e.g. 89.5)


def parse_area(text: str) -> int:
    """m² as written → centi-m² (exact), or InputRefused."""
    try:
        area = Decimal(text.strip())
    except InvalidOperation:
        raise InputRefused("flat-area-invalid", area=text) from None
    centi = area * 100
    if not area.is_finite() or area <= 0 or area > 100000 or centi != int(centi):
        raise InputRefused("flat-area-invalid", area=text)
    return int(centi)


class FlatService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.notifier = Notifier(translations)
        self.clock = clock

    # --------------------------------------------------------------------- flats (CLI)

    async def import_flats(self, rows: Sequence[FlatRow]) -> int:
        """Creates or updates flats by building code and flat; returns how many changed. All
        rows are checked before anything is written."""
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            checked: list[tuple[int, str, int]] = []
            for row in rows:
                buildings = await communities.buildings_by_code(row.building)
                if len(buildings) != 1:
                    raise ServiceError("flat-building-unknown", code=row.building)
                checked.append((buildings[0].id, clean_flat(row.flat), parse_area(row.area)))
            repo = VoteRepository(session)
            changed = 0
            for building_id, flat, area in checked:
                changed += await repo.put_flat(building_id, flat, area)
                await session.flush()
            await session.commit()
            return changed

    # ------------------------------------------------------------------- ownership claims

    async def claim(self, person: Person, typed: str, *, replace: bool = True) -> Flat:
        """The resident says they own flat ``typed`` of a building they live in; the
        building's head, deputy (or else its coordinators) hear it and decide in /flats.
        ``replace=False`` (the WeChat door) refuses a flat confirmed as somebody else's."""
        code = clean_flat(typed)
        async with self.db.session() as session:
            flats = await VoteRepository(session).resident_flats(person.id, code)
            if not flats:
                raise InputRefused("flat-unknown", flat=code)
            if len(flats) > 1:
                raise InputRefused("flat-ambiguous", flat=code)
            return await self._claim(session, person, flats[0], replace)

    async def claim_flat(self, person: Person, flat_id: int) -> Flat:
        """A flat chosen from the list of the person's buildings' flats (the WeChat door's
        menu): the same as typing its number, refused when it is not in a building they live
        in or is confirmed as somebody else's."""
        async with self.db.session() as session:
            flat = await VoteRepository(session).flat(flat_id)
            roles = await PersonRepository(session).building_roles(person.id)
            homes = {r.building_id for r in roles if r.role is Role.RESIDENT}
            if flat is None or flat.building_id not in homes:
                raise InputRefused("flat-unknown", flat="?")
            return await self._claim(session, person, flat, False)

    async def choosable(self, person: Person, most: int) -> list[Flat] | None:
        """The flats of the buildings the person lives in that nobody owns yet, to choose
        from; None when there are more than ``most`` (then the number is typed)."""
        async with self.db.session() as session:
            roles = await PersonRepository(session).building_roles(person.id)
            repo = VoteRepository(session)
            found: list[Flat] = []
            for role in roles:
                if role.role is not Role.RESIDENT:
                    continue
                found += [f for f in await repo.flats(role.building_id) if f.owner_id is None]
                if len(found) > most:
                    return None
            return found

    async def _claim(
        self, session: AsyncSession, person: Person, flat: Flat, replace: bool
    ) -> Flat:
        now = self.clock()
        repo = VoteRepository(session)
        code = flat.code
        if flat.owner_id == person.id:
            raise ServiceError("flat-yours", flat=code)
        if not replace and flat.owner_id is not None:
            raise ServiceError("flat-owned", flat=code)
        if await repo.pending_claim(flat.id, person.id) is not None:
            raise ServiceError("flat-claim-waiting", flat=code)
        claim = await repo.add_claim(flat.id, person.id, now)
        building = await CommunityRepository(session).building(flat.building_id)
        assert building is not None
        for approver in await self._approvers(session, building):
            args: dict[str, Any] = {
                "name": person.display_name or "-",
                "flat": code,
                "building": building.name,
            }
            staff = Scope(building.community_id, (building.id,))
            if not await write_claim_choices(
                session, self.notifier.translations, approver, claim.id, now, args, staff
            ):
                await self.notifier.tell(
                    session, approver, "flat-claim-new", now, staff=staff, **args
                )
        await session.commit()
        return flat

    async def _approvers(self, session: AsyncSession, building: Building) -> Sequence[Person]:
        staff = await PersonRepository(session).members(building.id, (Role.HEAD, Role.DEPUTY))
        if staff:
            return staff
        return await CommunityRepository(session).coordinators_of(building.community_id)

    async def _area(self, session: AsyncSession, person: Person) -> JoinArea:
        area = await join_area(session, person, self.config)
        if not area:
            raise NotStaff()
        return area

    async def pending_claims(
        self, person: Person, after: int = 0, limit: int | None = None
    ) -> list[WaitingClaim]:
        """The claims waiting in the person's buildings, with the claimant's name, in the order
        they came; a page of them: those after claim ``after``, at most ``limit``."""
        async with self.db.session() as session:
            area = await self._area(session, person)
            scope = None if area.everywhere else area.building_ids
            rows = await VoteRepository(session).pending_claims(
                scope, area.community_ids, after, limit
            )
            people = PersonRepository(session)
            out: list[WaitingClaim] = []
            for claim, flat, building in rows:
                claimant = await people.get(claim.person_id)
                out.append((claim, flat, building, claimant.display_name if claimant else "-"))
            return out

    async def decide_claim(self, person: Person, claim_id: int, approve: bool) -> FlatClaim:
        now = self.clock()
        async with self.db.session() as session:
            repo = VoteRepository(session)
            claim = await repo.claim(claim_id)
            flat = await repo.flat(claim.flat_id) if claim is not None else None
            building = (
                await CommunityRepository(session).building(flat.building_id) if flat else None
            )
            if claim is None or flat is None or building is None:
                raise ServiceError("not-allowed")
            if not covers(await self._area(session, person), building):
                raise ServiceError("not-allowed")
            status = ClaimStatus.APPROVED if approve else ClaimStatus.DECLINED
            if not await repo.settle_claim(claim.id, status, person.id, now):
                raise Spent("flat-claim-settled")
            people = PersonRepository(session)
            claimant = await people.get(claim.person_id)
            if approve:
                before = await people.get(flat.owner_id) if flat.owner_id else None
                changed = flat.owner_id != claim.person_id
                flat.owner_id = claim.person_id
                # A ballot speaks for the flat's confirmed owner: the one cast before this
                # confirmation (a seller's, a mistaken owner's, a forgotten one's) no longer
                # does. It is void in the votes still open, so the new owner starts with a
                # blank ballot and never sees what somebody else chose.
                voided = await repo.void_open_ballots(flat.id) if changed else 0
                if before is not None and before.id != claim.person_id:
                    key = "flat-owner-replaced-voided" if voided else "flat-owner-replaced"
                    await self.notifier.tell(
                        session, before, key, now, flat=flat.code, count=voided
                    )
            if claimant is not None:
                key = "flat-claim-approved" if approve else "flat-claim-declined"
                await self.notifier.tell(
                    session, claimant, key, now, flat=flat.code, building=building.name
                )
            await session.commit()
            return claim
