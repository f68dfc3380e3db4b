"""The office's points catalogue: management-fee vouchers, gifts, each with a price in points
and a stock. The coordinators of a whole community and the admins manage it, in chat
(``/catalogue``) or at the console (/console/points); residents see the offered items in
/points and redeem them (bot/services/redemptions.py)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.services.access import Coverage, coverage
from bot.services.clock import Clock
from bot.services.errors import InputRefused, ServiceError
from bot.text import one_line, utf16_len
from storage.db import Database
from storage.models import Person, RewardItem
from storage.repositories import CommunityRepository
from storage.repositories.points import PointsRepository

MAX_NAME = 100
MAX_PRICE = 100_000
MAX_STOCK = 10_000


class CatalogueService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def coverage_of(self, person: Person) -> Coverage:
        """The person's roles now, for the catalogue's use cases (the console has its own)."""
        async with self.db.session() as session:
            return await coverage(session, self.config, person)

    async def office_community(self, cover: Coverage) -> int:
        """The community whose catalogue a coordinator (or admin) manages in chat: the first
        they coordinate as a whole; for an admin without one, the only community."""
        if cover.community_ids:
            return min(cover.community_ids)
        if cover.admin:
            async with self.db.session() as session:
                only = await CommunityRepository(session).only()
            if only is not None:
                return only.id
        raise ServiceError("points-office-only")

    async def catalogue(self, cover: Coverage, community_id: int) -> list[RewardItem]:
        _manages(cover, community_id)
        async with self.db.session() as session:
            return list(await PointsRepository(session).all_items(community_id))

    async def add_item(
        self,
        cover: Coverage,
        community_id: int,
        name: str,
        price: int,
        stock: int,
        *,
        once: str | None = None,
    ) -> RewardItem:
        """A new item. A name the community already has (withdrawn ones too, any case) is
        refused, except to the very form that added it (``once``, the console form's one-time
        key): a double click, or the browser sending it again, gets the item already added."""
        name = one_line(name)
        _manages(cover, community_id)
        check_item(name, price, stock)
        async with self.db.session() as session:
            book = PointsRepository(session)
            known = await book.named_item(community_id, name)
            if known is None:
                try:
                    item = await book.add_item(
                        RewardItem(
                            community_id=community_id,
                            name=name,
                            price=price,
                            stock=stock,
                            active=True,
                            created_at=self.clock(),
                            once=once,
                        )
                    )
                    await session.commit()
                    return item
                except IntegrityError:  # the same name written meanwhile (a double click)
                    await session.rollback()
                    known = await book.named_item(community_id, name)
            if known is not None and once is not None and known.once == once:
                return known
            raise InputRefused("points-item-name-taken", name=name)

    async def change_item(
        self,
        cover: Coverage,
        item_id: int,
        *,
        stock: int | None = None,
        price: int | None = None,
        active: bool | None = None,
    ) -> RewardItem:
        async with self.db.session() as session:
            book = PointsRepository(session)
            item = await book.item(item_id)
            if item is None:
                raise ServiceError("points-no-item", id=str(item_id))
            _manages(cover, item.community_id)
            values: dict[str, object] = {}
            if stock is not None:
                check_item(item.name, item.price, stock)
                values["stock"] = stock
            if price is not None:
                check_item(item.name, price, item.stock)
                values["price"] = price
            if active is not None:
                values["active"] = active
            if values:
                await book.change_item(item.id, **values)
            await session.commit()
            await session.refresh(item)
            return item


def _manages(cover: Coverage, community_id: int) -> None:
    """The office: the coordinators of the whole community, and the admins."""
    if not (cover.admin or community_id in cover.community_ids):
        raise ServiceError("points-office-only")


def check_item(name: str, price: int, stock: int) -> None:
    if not name or utf16_len(name) > MAX_NAME:
        raise ServiceError("points-bad-name", most=MAX_NAME)
    if not 1 <= price <= MAX_PRICE:
        raise ServiceError("points-bad-price", most=MAX_PRICE)
    if not 0 <= stock <= MAX_STOCK:
        raise ServiceError("points-bad-stock", most=MAX_STOCK)
