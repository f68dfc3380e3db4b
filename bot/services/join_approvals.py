"""The approvers' side of join requests: Approve / Decline (the first decision wins, every
copy shows it, the resident hears it), the list of waiting requests reached from /tickets, and
the cards the delivery worker renders."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.clock import Clock
from bot.services.errors import NotStaff, ServiceError
from bot.services.join_rules import JoinStale, covers, join_area, refresh_copies
from bot.services.join_view import JoinCard, list_line, render_join_card, render_no_access
from bot.services.notify import Notifier
from storage.db import Database
from storage.models import Building, JoinRequest, JoinStatus, Person, Role
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.joins import JoinRepository

LIST_PAGE = 5


@dataclass(frozen=True, slots=True)
class JoinPage:
    lines: list[str]
    requests: Sequence[JoinRequest]
    first: int  # the number of the page's first line (from 1)
    page: int
    pages: int
    total: int


class JoinNoAccess(ServiceError):
    """The presser no longer decides for the request's building (their role went): their copy
    is shown again without the requester and without buttons."""

    def __init__(self, request: JoinRequest) -> None:
        super().__init__("not-allowed")
        self.request = request


class JoinApprovals:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.notifier = Notifier(translations)
        self.clock = clock

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
                raise JoinNoAccess(request)
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
            requester,
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
                raise NotStaff()
            joins = JoinRepository(session)
            total = await joins.pending_count(area)
            pages = max(1, math.ceil(total / LIST_PAGE))
            page = min(max(page, 0), pages - 1)
            rows = await joins.pending_page(area, page * LIST_PAGE, LIST_PAGE)
        first = page * LIST_PAGE + 1
        lines = [list_line(t, first + i, r, b, now) for i, (r, b) in enumerate(rows)]
        return JoinPage(lines, [r for r, _ in rows], first, page, pages, total)

    async def view_if_allowed(
        self, person: Person, request_id: int, list_page: int, t: Translator
    ) -> JoinPage | JoinCard | None:
        """What an approver's pressed message shows now: page ``list_page`` (from 1) of the
        list, or (0) the request's card; None where they may no longer see it, so the message
        is left as it was rather than refused a second time."""
        try:
            if list_page > 0:
                return await self.pending_page(person, list_page - 1, t)
            return await self.card(person, request_id, t)
        except ServiceError:
            return None

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
            if not covers(await join_area(session, approver, self.config), building):
                # Access follows current roles: an old copy loses the name and the buttons
                # (and nobody gets a new one).
                if copy.message_id is None:
                    return None
                community = await CommunityRepository(session).get(building.community_id)
                assert community is not None
                return render_no_access(t, building, community)
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
