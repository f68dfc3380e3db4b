"""The points bank (积分银行): an append-only ledger of points earned and spent.

Every entry names an account (a person's name in the book), points (+ or -), a reason, a
reference (what it is for: ``ticket:12``, ``redemption:3``), who approved it and when. A balance
is the SUM of an account's entries; nothing is edited in place: a correction is a new entry.

``award`` is the one way in for the rest of the code base: it writes in the caller's unit of
work (no commit of its own), so the points and the state change that earns them commit
together. The earning rules are community settings (``points_per_fix``,
``points_per_service_hour``, ``points_per_vote``).

/forgetme and the book: the person's row goes, and with it the account's link to them (set to
NULL); the entries stay as written under an account that names nobody, so the community's
totals and the year's ranking stay true and nothing in the book is rewritten. Their unspent
points are gone with them: no one can claim them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.settings_schema import read_settings
from storage.db import Database
from storage.models import Person, PointsEntry, PointsReason, RewardItem
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.points import PointsRepository
from storage.repositories.tickets import TicketRepository

LAST_ENTRIES = 10
MAX_AWARD = 100_000  # one entry, either way: a typo of the office's, not a bank's real entry


class EarningRule(StrEnum):
    """The community settings that say how many points an act earns."""

    PER_FIX = "points_per_fix"
    PER_SERVICE_HOUR = "points_per_service_hour"
    PER_VOTE = "points_per_vote"


@dataclass(frozen=True, slots=True)
class Statement:
    """What /points shows a person."""

    balance: int
    entries: Sequence[PointsEntry]
    catalogue: Sequence[RewardItem]


async def award(
    session: AsyncSession,
    *,
    now: datetime,
    community_id: int,
    person_id: int,
    points: int | EarningRule,
    reason: PointsReason,
    reference: str,
    approved_by: int | None = None,
    quantity: float | None = None,
    once: str | None = None,
) -> PointsEntry | None:
    """One entry in the caller's unit of work. ``points`` is a number or an earning rule (the
    community's setting, times ``quantity`` when given: hours of service). ``once`` makes it
    idempotent: a second award with the same key writes nothing and returns None (the unique
    key guards a race as well). A rule set to 0 writes nothing either. ``approved_by`` is a
    person id (None: the rule itself, no one's decision)."""
    if isinstance(points, EarningRule):
        community = await CommunityRepository(session).get(community_id)
        if community is None:
            raise ServiceError("not-allowed")
        rate = int(getattr(read_settings(community.settings or {}), points.value))
        points = round(rate * (quantity if quantity is not None else 1))
        if points == 0:
            return None
    if not -MAX_AWARD <= points <= MAX_AWARD or points == 0:
        raise ServiceError("points-bad-amount", most=MAX_AWARD)
    book = PointsRepository(session)
    if once is not None and await book.has_once(once):
        return None
    account = await book.account(person_id, now)
    approver = (await book.account(approved_by, now)).id if approved_by is not None else None
    return await book.append(
        PointsEntry(
            community_id=community_id,
            account_id=account.id,
            points=points,
            reason=reason,
            reference=reference[:120],
            once=once,
            quantity=quantity,
            approved_by_id=approver,
            created_at=now,
        )
    )


async def pay_fix(session: AsyncSession, ticket_id: int, community_id: int, now: datetime) -> None:
    """The resident confirmed the ticket fixed: whoever resolved it earns ``points_per_fix``,
    once per ticket (a reopen and a second confirmation pay nothing more). Nobody earns for a
    ticket they reported themselves, or one resolved by no one still on record."""
    ticket = await TicketRepository(session).get(ticket_id)
    resolver = await PointsRepository(session).resolver(ticket_id)
    if ticket is None or resolver is None or resolver == ticket.author_id:
        return
    await award(
        session,
        now=now,
        community_id=community_id,
        person_id=resolver,
        points=EarningRule.PER_FIX,
        reason=PointsReason.FIX,
        reference=f"ticket:{ticket.number}",
        once=f"fix:{ticket_id}",
    )


class PointsService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def award(
        self,
        session: AsyncSession,
        person_id: int,
        rule_or_points: int | EarningRule,
        reason: PointsReason,
        reference: str,
        approved_by: int | None = None,
        *,
        community_id: int,
        quantity: float | None = None,
        once: str | None = None,
    ) -> PointsEntry | None:
        """``award`` on this service's clock, for the votes and volunteering use cases."""
        return await award(
            session,
            now=self.clock(),
            community_id=community_id,
            person_id=person_id,
            points=rule_or_points,
            reason=reason,
            reference=reference,
            approved_by=approved_by,
            quantity=quantity,
            once=once,
        )

    async def statement(self, person: Person) -> Statement:
        """The balance, the last entries and the catalogue of the person's communities."""
        async with self.db.session() as session:
            book = PointsRepository(session)
            account = await book.existing_account(person.id)
            balance = await book.balance(account.id) if account else 0
            entries = await book.recent(account.id, LAST_ENTRIES) if account else []
            communities = await communities_of(session, person)
            return Statement(balance, entries, await book.items(communities))


async def communities_of(session: AsyncSession, person: Person) -> list[int]:
    """The communities a person belongs to, in any role."""
    people = PersonRepository(session)
    buildings = {r.building_id for r in await people.building_roles(person.id)}
    ids = {a.community_id for a in await people.coordinator_areas(person.id)}
    places = CommunityRepository(session)
    for building_id in buildings:
        building = await places.building(building_id)
        if building is not None:
            ids.add(building.community_id)
    return sorted(ids)
