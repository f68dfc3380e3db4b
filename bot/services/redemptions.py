"""Spending points: redemptions of the office's catalogue items (bot/services/catalogue.py).

A resident asks for an item in chat; the community's coordinators get the request with
Approve / Deny. Approval checks again, inside its transaction, what may have changed since the
request (the item withdrawn or out of stock, the balance spent by another approval), then
takes one off the stock and writes the negative ledger entry in the same commit; of two
coordinators pressing at once, one decides. "Handed over" is the coordinator's second step,
when the resident has the item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.access import coverage
from bot.services.clock import Clock
from bot.services.contacts import admin_people
from bot.services.errors import ServiceError, Spent
from bot.services.points import award, communities_of
from bot.services.scheduling import translator, write
from storage.db import Database
from storage.models import (
    Person,
    PointsReason,
    Redemption,
    RedemptionStatus,
    RewardItem,
)
from storage.repositories import PersonRepository
from storage.repositories.points import PointsRepository
from storage.repositories.stats import Scope

R = RedemptionStatus


class PointsAction:
    """The buttons under a redemption request (outbox ``[label, action, id]``, id the
    redemption's); handlers/points_keyboards.py turns them into typed callback data."""

    APPROVE = "pts-approve"
    DENY = "pts-deny"
    HANDED = "pts-handed"


POINTS_ACTIONS = frozenset({PointsAction.APPROVE, PointsAction.DENY, PointsAction.HANDED})


@dataclass(frozen=True, slots=True)
class Decided:
    redemption: Redemption
    item: RewardItem


class RedemptionService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    # ------------------------------------------------------------------------- residents

    async def item_for(self, person: Person, item_id: int) -> RewardItem:
        """An item the person may ask for (one of their communities', offered now)."""
        async with self.db.session() as session:
            return await self._offered(session, person, item_id)

    async def _offered(self, session: AsyncSession, person: Person, item_id: int) -> RewardItem:
        item = await PointsRepository(session).item(item_id)
        if item is None or item.community_id not in await communities_of(session, person):
            raise ServiceError("not-allowed")
        if not item.active:
            raise Spent("points-item-gone")
        return item

    async def request(self, person: Person, item_id: int, price: int | None = None) -> Redemption:
        """``price``: what the resident was asked to confirm; a different price now (the
        office repriced the item meanwhile) is refused with the new one, nothing asked."""
        now = self.clock()
        async with self.db.session() as session:
            item = await self._offered(session, person, item_id)
            if item.stock <= 0:
                raise Spent("points-out-of-stock", item=item.name)
            if price is not None and item.price != price:
                raise Spent("points-price-changed", item=item.name, price=item.price)
            book = PointsRepository(session)
            account = await book.account(person.id, now)
            waiting = sum(r.price for r in await book.pending(account.id))
            balance = await book.balance(account.id)
            # What is asked for already counts, so a resident cannot ask for more than they have.
            if balance - waiting < item.price:
                raise ServiceError(
                    "points-too-few", price=item.price, balance=balance, waiting=waiting
                )
            redemption = await book.add_redemption(
                Redemption(
                    community_id=item.community_id,
                    item_id=item.id,
                    account_id=account.id,
                    price=item.price,
                    status=R.REQUESTED,
                    requested_at=now,
                )
            )
            for office in await self._office(session, item.community_id):
                t = translator(self.translations, office)
                text = t(
                    "points-request-to-office",
                    number=str(redemption.id),
                    name=person.display_name or "—",
                    item=item.name,
                    price=item.price,
                    balance=balance,
                )
                buttons = [
                    [
                        (t("points-btn-approve"), PointsAction.APPROVE, redemption.id),
                        (t("points-btn-deny"), PointsAction.DENY, redemption.id),
                    ]
                ]
                staff = Scope(item.community_id)
                await write(session, office, now, text, buttons=buttons, staff=staff)
            await session.commit()
            return redemption

    async def _office(self, session: AsyncSession, community_id: int) -> list[Person]:
        """Who decides: the coordinators of the whole community (a building's coordinator
        could not), or the admins where it has none."""
        found = list(await PointsRepository(session).office(community_id))
        return found or await admin_people(PersonRepository(session), self.config)

    # ------------------------------------------------------------------------- the office

    async def _decidable(
        self, session: AsyncSession, person: Person, redemption_id: int
    ) -> tuple[Redemption, RewardItem]:
        book = PointsRepository(session)
        redemption = await book.redemption(redemption_id)
        cover = await coverage(session, self.config, person)
        if redemption is None or not (
            cover.admin or redemption.community_id in cover.community_ids
        ):
            raise ServiceError("not-allowed")
        item = await book.item(redemption.item_id)
        assert item is not None  # the redemption goes with its item
        return redemption, item

    async def approve(self, person: Person, redemption_id: int) -> Decided:
        now = self.clock()
        async with self.db.session() as session:
            redemption, item = await self._decidable(session, person, redemption_id)
            if redemption.status is not R.REQUESTED:
                raise Spent("points-decided", number=str(redemption.id))
            book = PointsRepository(session)
            await book.lock(redemption.account_id)
            balance = await book.balance(redemption.account_id)
            if not item.active:
                raise ServiceError("points-item-gone")
            # The price the resident confirmed and the office's card showed, whatever the
            # catalogue says now: a reprice meanwhile is for the requests that come after.
            price = redemption.price
            if balance < price:
                raise ServiceError("points-short", number=str(redemption.id), balance=balance)
            if not await book.move(
                redemption.id,
                R.REQUESTED,
                R.APPROVED,
                decided_at=now,
                decided_by_id=(await book.account(person.id, now)).id,
            ):
                await session.rollback()
                raise Spent("points-decided", number=str(redemption_id))
            if not await book.take_stock(item.id):
                name = item.name  # read before the rollback expires it
                await session.rollback()
                raise ServiceError("points-out-of-stock", item=name)
            account = await book.account_by_id(redemption.account_id)
            assert account is not None
            if account.person_id is None:  # forgotten since: there is no one to hand it to
                await session.rollback()
                raise Spent("points-decided", number=str(redemption_id))
            await award(
                session,
                now=now,
                community_id=redemption.community_id,
                person_id=account.person_id,
                points=-price,
                reason=PointsReason.REDEMPTION,
                reference=f"redemption:{redemption.id}",
                approved_by=person.id,
                once=f"redemption:{redemption.id}",
            )
            await self._tell(session, account.person_id, now, "points-approved", item, redemption)
            await session.commit()
            await session.refresh(item)
            return Decided(redemption, item)

    async def deny(self, person: Person, redemption_id: int) -> Decided:
        now = self.clock()
        async with self.db.session() as session:
            redemption, item = await self._decidable(session, person, redemption_id)
            book = PointsRepository(session)
            if not await book.move(
                redemption.id,
                R.REQUESTED,
                R.DENIED,
                decided_at=now,
                decided_by_id=(await book.account(person.id, now)).id,
            ):
                raise Spent("points-decided", number=str(redemption_id))
            account = await book.account_by_id(redemption.account_id)
            if account is not None and account.person_id is not None:
                await self._tell(session, account.person_id, now, "points-denied", item, redemption)
            await session.commit()
            return Decided(redemption, item)

    async def handed_over(self, person: Person, redemption_id: int) -> Decided:
        now = self.clock()
        async with self.db.session() as session:
            redemption, item = await self._decidable(session, person, redemption_id)
            if not await PointsRepository(session).move(
                redemption.id, R.APPROVED, R.HANDED_OVER, handed_at=now
            ):
                raise Spent("points-decided", number=str(redemption_id))
            await session.commit()
            return Decided(redemption, item)

    async def _tell(
        self,
        session: AsyncSession,
        person_id: int,
        now: datetime,
        key: str,
        item: RewardItem,
        redemption: Redemption,
    ) -> None:
        person = await PersonRepository(session).get(person_id)
        if person is not None:
            t = translator(self.translations, person)
            text = t(key, number=str(redemption.id), item=item.name, price=redemption.price)
            await write(session, person, now, text)
