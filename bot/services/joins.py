"""Who may join a building, per the community's ``join_policy``:

- ``open``: anyone who picks the building from the list joins at once (as before);
- ``approve`` (the default): a join by the picker waits until the building's head (fallback:
  its coordinators, the community's, the admins) approves it in chat (join_approvals.py);
- ``link_only``: the picker only says to scan the poster in the stairwell.

The building's join link always joins at once: it proves presence on the stairs. Staff of the
building (its heads, deputies, coordinators, admins) join it at once whatever the policy.
This module is the resident's side: picking, the request, withdrawing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.clock import Clock
from bot.services.contacts import admin_people
from bot.services.errors import ServiceError
from bot.services.flats import clean_flat
from bot.services.join_rules import (
    JoinPolicy,
    JoinStale,
    card_row,
    covers,
    join_area,
    join_policy,
    refresh_copies,
    settle_on_join,
)
from bot.services.routing import Candidate, route
from storage.db import Database
from storage.models import Building, Community, JoinRequest, JoinStatus, Person, Role
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.joins import JoinRepository
from storage.repositories.tickets import TicketRepository

__all__ = ["ApprovalNeeded", "JoinService", "Joined", "LinkOnly", "Pending", "Picked"]

# A declined neighbour may ask the same building again after a day; nobody may send more than
# this many requests a day (each one reaches several people).
DECLINED_WAIT = timedelta(days=1)
REQUESTS_PER_DAY = 5


@dataclass(frozen=True, slots=True)
class Joined:
    building: Building
    community: Community
    already: bool


@dataclass(frozen=True, slots=True)
class ApprovalNeeded:
    """Nothing is written yet: the resident is asked for their flat first."""

    building: Building
    community: Community


@dataclass(frozen=True, slots=True)
class Pending:
    request: JoinRequest
    building: Building
    community: Community
    approver: str = ""  # who decides, by role: head, coordinator or admin (when just sent)


@dataclass(frozen=True, slots=True)
class LinkOnly:
    building: Building
    community: Community


Picked = Joined | ApprovalNeeded | Pending | LinkOnly


class JoinService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def pick(self, person: Person, building_id: int) -> Picked:
        """A building picked from the list: joined at once, or what the policy asks first."""
        async with self.db.session() as session:
            return await self._pick(session, person, building_id, write=True)

    async def request(self, person: Person, building_id: int, flat: str | None) -> Picked:
        """Sends the request (with the flat the resident chose to give) to the approvers."""
        flat = clean_flat(flat) if flat is not None else None
        now = self.clock()
        async with self.db.session() as session:
            picked = await self._pick(session, person, building_id, write=True)
            if not isinstance(picked, ApprovalNeeded):
                return picked
            building, community = picked.building, picked.community
            approvers = await self._approvers(session, building, now)
            if not approvers:
                raise ServiceError("jr-no-approver")
            joins = JoinRepository(session)
            try:
                request = await joins.add(person.id, building.id, person.display_name, flat, now)
            except IntegrityError:  # the same request, sent at the same moment
                await session.rollback()
                return await self._pick(session, person, building_id, write=False)
            await self._send_copies(session, request, approvers, now)
            await session.commit()
            return Pending(request, building, community, _role(approvers[0][1]))

    async def _send_copies(
        self,
        session: AsyncSession,
        request: JoinRequest,
        approvers: Sequence[tuple[int, str]],
        now: datetime,
    ) -> None:
        joins, people = JoinRepository(session), PersonRepository(session)
        for approver_id, reason in approvers:
            approver = await people.get(approver_id)
            if approver is not None and await joins.copy(request.id, approver.id) is None:
                await joins.add_copy(request.id, approver.id, reason)
                await card_row(session, request, approver, now)

    async def hand_over(self, session: AsyncSession, request_id: int, now: datetime) -> None:
        """A pending request none of whose approvers may decide it any more (they used
        /forgetme, or lost the role) goes to whoever would get it now; the copies of those who
        lost the role are shown again without the requester and without buttons. In the
        caller's transaction."""
        joins, people = JoinRepository(session), PersonRepository(session)
        request = await joins.get(request_id)
        if request is None or request.status is not JoinStatus.PENDING:
            return
        building = await CommunityRepository(session).building(request.building_id)
        if building is None:
            return
        still = False
        for copy in await joins.copies(request.id):
            approver = await people.get(copy.person_id)
            if approver is None:
                continue
            if covers(await join_area(session, approver, self.config), building):
                still = True
            else:
                await card_row(session, request, approver, now)  # rendered as "no access"
        if not still:
            approvers = await self._approvers(session, building, now)
            await self._send_copies(session, request, approvers, now)

    async def hand_over_copies_of(
        self, session: AsyncSession, person_id: int, now: datetime
    ) -> None:
        """The pending requests ``person_id`` was asked to decide, after their role changed."""
        for request_id in await JoinRepository(session).pending_copies_of(person_id):
            await self.hand_over(session, request_id, now)

    async def cancel(self, person: Person, request_id: int) -> JoinRequest:
        now = self.clock()
        async with self.db.session() as session:
            joins = JoinRepository(session)
            if not await joins.settle(request_id, JoinStatus.WITHDRAWN, now, person_id=person.id):
                request = await joins.get(request_id)
                if request is None or request.person_id != person.id:
                    raise ServiceError("not-allowed")
                raise JoinStale(request)
            request = await joins.get(request_id)
            assert request is not None
            await refresh_copies(session, request, now)
            await session.commit()
            return request

    async def _pick(
        self, session: AsyncSession, person: Person, building_id: int, *, write: bool
    ) -> Picked:
        now = self.clock()
        communities = CommunityRepository(session)
        building = await communities.building(building_id)
        if building is None:
            raise ServiceError("building-gone")
        community = await communities.get(building.community_id)
        assert community is not None
        people = PersonRepository(session)
        if await people.membership(person.id, building.id, Role.RESIDENT) is not None:
            return Joined(building, community, already=True)
        policy = join_policy(community.settings)
        staff = covers(await join_area(session, person, self.config), building)
        if policy is JoinPolicy.OPEN or staff:
            if write:
                await people.add_membership(person.id, building.id, Role.RESIDENT, now)
                await settle_on_join(session, person.id, building.id, now)
                await session.commit()
            return Joined(building, community, already=False)
        if policy is JoinPolicy.LINK_ONLY:
            return LinkOnly(building, community)
        joins = JoinRepository(session)
        pending = await joins.pending(person.id, building.id)
        if pending is not None:
            return Pending(pending, building, community)
        if await joins.declined_since(person.id, building.id, now - DECLINED_WAIT):
            raise ServiceError("jr-declined-wait", building=building.name)
        if await joins.count_since(person.id, now - timedelta(days=1)) >= REQUESTS_PER_DAY:
            raise ServiceError("jr-too-many", count=REQUESTS_PER_DAY)
        return ApprovalNeeded(building, community)

    async def _approvers(
        self, session: AsyncSession, building: Building, now: datetime
    ) -> list[tuple[int, str]]:
        """The building's heads and deputies; when none can be reached, its coordinators, the
        community's, the admins (the chain of a new ticket, bot/services/routing.py)."""
        tickets = TicketRepository(session)

        def candidate(p: Person, reason: str) -> Candidate:
            return Candidate(p.id, reason, p.away_until, p.unreachable_since is not None)

        heads = [candidate(p, r.value) for p, r in await tickets.heads_and_deputies(building.id)]
        own = await tickets.coordinators(building.community_id, building.id)
        whole = await tickets.coordinators(building.community_id, None)
        admins = [
            candidate(admin, "admin")
            for admin in await admin_people(PersonRepository(session), self.config)
        ]
        routing = route(
            heads,
            [candidate(p, "coordinator") for p in own],
            [candidate(p, "coordinator") for p in whole],
            admins,
            now,
        )
        return routing.recipients


def _role(reason: str) -> str:
    """How the resident is told who decides: by role, never by name."""
    return {"head": "head", "deputy": "head", "admin": "admin"}.get(reason, "coordinator")
