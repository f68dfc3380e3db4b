"""Who may join a building, per the community's ``join_policy``:

- ``open``: anyone who picks the building from the list joins at once (as before);
- ``approve`` (the default): a join by the picker waits until the building's head (fallback:
  its coordinators, the community's, the admins) approves it in chat; the first decision wins;
- ``link_only``: the picker only says to scan the poster in the stairwell.

The building's join link always joins at once: it proves presence on the stairs. Staff of the
building (its heads, deputies, coordinators, admins) join it at once whatever the policy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.flats import clean_flat
from bot.services.join_view import JoinCard, list_line, render_join_card
from bot.services.notify import Notifier
from bot.services.routing import Candidate, route
from storage.db import Database
from storage.models import Building, Community, JoinRequest, JoinStatus, Person, Role
from storage.repositories import CommunityRepository, OutboxRepository, PersonRepository
from storage.repositories.joins import JoinArea, JoinRepository
from storage.repositories.tickets import TicketRepository

# A declined neighbour may ask the same building again after a day; nobody may send more than
# this many requests a day (each one reaches several people).
DECLINED_WAIT = timedelta(days=1)
REQUESTS_PER_DAY = 5
LIST_PAGE = 5
CARD_METHOD = "join_card"  # an outbox row rendered at delivery, like a ticket card


class JoinPolicy(StrEnum):
    OPEN = "open"
    APPROVE = "approve"
    LINK_ONLY = "link_only"


DEFAULT_POLICY = JoinPolicy.APPROVE


def join_policy(settings: Mapping[str, Any] | None) -> JoinPolicy:
    """The community's policy; a value that is not one (written by hand into the database) is
    read as the careful default rather than as "open"."""
    value = (settings or {}).get("join_policy")
    try:
        return JoinPolicy(value) if value is not None else DEFAULT_POLICY
    except ValueError:
        return DEFAULT_POLICY


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


@dataclass(frozen=True, slots=True)
class JoinPage:
    lines: list[str]
    requests: Sequence[JoinRequest]
    first: int  # the number of the page's first line (from 1)
    page: int
    pages: int
    total: int


class JoinStale(ServiceError):
    """The request was decided (or withdrawn) before this press; nothing changed."""

    def __init__(self, request: JoinRequest) -> None:
        super().__init__("jr-stale", status=request.status.value)
        self.request = request


async def join_area(session: AsyncSession, person: Person, config: Config) -> JoinArea:
    if person.telegram_id in config.admin_ids:
        return JoinArea(everywhere=True)
    people = PersonRepository(session)
    roles = await people.building_roles(person.id)
    areas = await people.coordinator_areas(person.id)
    buildings = [r.building_id for r in roles if r.role in (Role.HEAD, Role.DEPUTY)]
    buildings += [a.building_id for a in areas if a.building_id is not None]
    communities = [a.community_id for a in areas if a.building_id is None]
    return JoinArea(tuple(buildings), tuple(communities))


def covers(area: JoinArea, building: Building) -> bool:
    return (
        area.everywhere
        or building.id in area.building_ids
        or building.community_id in area.community_ids
    )


async def refresh_copies(session: AsyncSession, request: JoinRequest, now: datetime) -> None:
    """Every approver's copy shows the request as it is now (edited in place on delivery)."""
    people = PersonRepository(session)
    for copy in await JoinRepository(session).copies(request.id):
        approver = await people.get(copy.person_id)
        if approver is not None:
            await _card_row(session, request, approver, now)


async def _card_row(
    session: AsyncSession, request: JoinRequest, approver: Person, now: datetime
) -> None:
    await OutboxRepository(session).add(
        chat_id=approver.telegram_id,
        person_id=approver.id,
        method=CARD_METHOD,
        payload={"request_id": request.id},
        now=now,
    )


async def settle_on_join(
    session: AsyncSession, person_id: int, building_id: int, now: datetime
) -> None:
    """The person joined the building another way (its link, or as its staff): a request of
    theirs still pending there is closed, and its approvers' copies say so."""
    joins = JoinRepository(session)
    request = await joins.pending(person_id, building_id)
    if request is not None and await joins.settle(request.id, JoinStatus.JOINED, now):
        await refresh_copies(session, request, now)


class JoinService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.notifier = Notifier(translations)
        self.clock = clock

    # ------------------------------------------------------------------ the resident's side

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
                await _card_row(session, request, approver, now)

    async def hand_over(self, session: AsyncSession, request_id: int, now: datetime) -> None:
        """A pending request whose approvers are all gone (/forgetme) goes to whoever would
        get it now, in the caller's transaction."""
        joins = JoinRepository(session)
        request = await joins.get(request_id)
        if request is None or request.status is not JoinStatus.PENDING:
            return
        if await joins.copies(request.id):
            return
        building = await CommunityRepository(session).building(request.building_id)
        if building is not None:
            approvers = await self._approvers(session, building, now)
            await self._send_copies(session, request, approvers, now)

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
        admins = []
        people = PersonRepository(session)
        for telegram_id in sorted(self.config.admin_ids):
            admin = await people.by_telegram_id(telegram_id)
            if admin is not None:
                admins.append(candidate(admin, "admin"))
        routing = route(
            heads,
            [candidate(p, "coordinator") for p in own],
            [candidate(p, "coordinator") for p in whole],
            admins,
            now,
        )
        return routing.recipients

    # ------------------------------------------------------------------ the approvers' side

    async def decide(self, person: Person, request_id: int, approve: bool) -> JoinRequest:
        now = self.clock()
        async with self.db.session() as session:
            joins = JoinRepository(session)
            request = await joins.get(request_id)
            building = (
                await CommunityRepository(session).building(request.building_id)
                if request is not None
                else None
            )
            if request is None or building is None:
                raise ServiceError("not-allowed")
            if not covers(await join_area(session, person, self.config), building):
                raise ServiceError("not-allowed")
            status = JoinStatus.APPROVED if approve else JoinStatus.DECLINED
            if not await joins.settle(request.id, status, now, decided_by=person.id):
                await session.rollback()
                fresh = await joins.get(request_id)
                assert fresh is not None
                raise JoinStale(fresh)
            await self._conclude(session, request, building, approve, now)
            await refresh_copies(session, request, now)
            await session.commit()
            return request

    async def _conclude(
        self,
        session: AsyncSession,
        request: JoinRequest,
        building: Building,
        approve: bool,
        now: datetime,
    ) -> None:
        """The resident becomes a resident (with the flat they gave) and hears the outcome."""
        people = PersonRepository(session)
        requester = await people.get(request.person_id) if request.person_id else None
        if requester is None:
            return
        community = await CommunityRepository(session).get(building.community_id)
        assert community is not None
        if approve and await people.membership(requester.id, building.id, Role.RESIDENT) is None:
            await people.add_membership(
                requester.id, building.id, Role.RESIDENT, now, flat=request.flat
            )
        await self.notifier.tell(
            session,
            requester.telegram_id,
            "jr-approved" if approve else "jr-declined",
            now,
            building=building.name,
            community=community.name,
        )

    async def pending_count(self, person: Person) -> int:
        async with self.db.session() as session:
            area = await join_area(session, person, self.config)
            return await JoinRepository(session).pending_count(area) if area else 0

    async def pending_page(self, person: Person, page: int, t: Translator) -> JoinPage:
        """A page of the requests waiting in the person's buildings and area, oldest first."""
        now = self.clock()
        async with self.db.session() as session:
            area = await join_area(session, person, self.config)
            if not area:
                raise ServiceError("not-allowed")
            joins = JoinRepository(session)
            total = await joins.pending_count(area)
            pages = max(1, math.ceil(total / LIST_PAGE))
            page = min(max(page, 0), pages - 1)
            rows = await joins.pending_page(area, page * LIST_PAGE, LIST_PAGE)
        first = page * LIST_PAGE + 1
        lines = [list_line(t, first + i, r, b, now) for i, (r, b) in enumerate(rows)]
        return JoinPage(lines, [r for r, _ in rows], first, page, pages, total)

    async def card(self, person: Person, request_id: int, t: Translator) -> JoinCard:
        """The card as an approver sees it now (after their press, or a stale press)."""
        async with self.db.session() as session:
            request = await JoinRepository(session).get(request_id)
            building = (
                await CommunityRepository(session).building(request.building_id)
                if request is not None
                else None
            )
            if request is None or building is None:
                raise ServiceError("not-allowed")
            if not covers(await join_area(session, person, self.config), building):
                raise ServiceError("not-allowed")
            return await self._render(session, request, building, t)

    async def card_for_delivery(self, request_id: int, person_id: int) -> JoinCard | None:
        """The delivery worker's rendering, in the approver's language; None when there is
        nothing to send (the request is gone, or was settled before its first copy went out)."""
        async with self.db.session() as session:
            joins = JoinRepository(session)
            request = await joins.get(request_id)
            approver = await PersonRepository(session).get(person_id)
            copy = await joins.copy(request_id, person_id)
            if request is None or approver is None or copy is None:
                return None
            if request.status is not JoinStatus.PENDING and copy.message_id is None:
                return None
            building = await CommunityRepository(session).building(request.building_id)
            assert building is not None
            t = self.translations.bind(approver.language or self.translations.default)
            return await self._render(session, request, building, t)

    async def _render(
        self, session: AsyncSession, request: JoinRequest, building: Building, t: Translator
    ) -> JoinCard:
        community = await CommunityRepository(session).get(building.community_id)
        assert community is not None
        decider = await PersonRepository(session).get(request.decided_by or 0)
        name = decider.display_name if decider is not None else None
        return render_join_card(t, request, building, community, name, self.clock())

    async def card_message(self, request_id: int, person_id: int) -> int | None:
        async with self.db.session() as session:
            copy = await JoinRepository(session).copy(request_id, person_id)
            return copy.message_id if copy is not None else None

    async def remember_card(self, request_id: int, person_id: int, message_id: int) -> None:
        async with self.db.session() as session:
            copy = await JoinRepository(session).copy(request_id, person_id)
            if copy is not None:
                copy.message_id = message_id
                await session.commit()


def _role(reason: str) -> str:
    """How the resident is told who decides: by role, never by name."""
    return {"head": "head", "deputy": "head", "admin": "admin"}.get(reason, "coordinator")
