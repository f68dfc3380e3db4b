"""The console's Numbers: the digest's KPIs (响应率 / 解决率 / 满意率, median times) for any
period and any area the viewer covers, in total, per building, per category and per head.

One source of truth: every figure comes from the functions the morning digest uses
(StatsRepository.kpis with the digest's SLA of the community, StatsRepository.leaders), over
the same local-day windows (bot/services/sla.py). The default period is the digest's own: the
``kpi_days`` days up to yesterday, so the page and this morning's digest agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.config import Config
from bot.services.access import Coverage
from bot.services.categories import Category
from bot.services.clock import Clock
from bot.services.digest import COVERAGE_WEEKS
from bot.services.errors import ServiceError
from bot.services.estates import EstateTable, estate_table
from bot.services.scheduling import sla_of
from bot.services.settings_schema import read_settings
from bot.services.sla import day_window, local
from storage.db import Database
from storage.models import Building, Community, Ticket
from storage.repositories.desk import DeskRepository, area_condition
from storage.repositories.stats import Kpis, Leader, Scope, StatsRepository
from storage.repositories.volunteering import VolunteeringRepository

# A year and a bit: a report for the street office, not a scan of the whole history at once.
MAX_DAYS = 400
HEADS = 50
NOTHING = Kpis(0, 0, 0, 0, 0, 0, None, None)


@dataclass(frozen=True, slots=True)
class Area:
    """Where the figures are about: ``c<id>`` a community (all of it, or only the viewer's
    buildings in it when that is what they cover), ``b<id>`` one building."""

    key: str
    community: Community
    building_ids: tuple[int, ...] | None  # None: the whole community
    building: Building | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.community.id, self.building_ids)


@dataclass(frozen=True, slots=True)
class Numbers:
    area: Area
    first: date
    last: date
    total: Kpis
    buildings: list[tuple[Building, Kpis]]
    categories: Sequence[tuple[str, Category | None, Kpis]]
    heads: list[Leader]
    # Coverage per estate over the weeks up to ``last`` (the digest's); None: no estates, or
    # only some of the community's buildings (the whole community's figure, like the digest).
    estates: EstateTable | None = None


class NumbersService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def areas(self, seen: Coverage) -> list[Area]:
        """Every area the viewer may ask about, communities first, then their buildings."""
        condition = area_condition(seen.admin, list(seen.community_ids), list(seen.building_ids))
        async with self.db.session() as session:
            rows = await DeskRepository(session).buildings(condition)
        communities: dict[int, Community] = {}
        buildings: dict[int, list[Building]] = {}
        for row in rows:
            communities[row.community.id] = row.community
            buildings.setdefault(row.community.id, []).append(row.building)
        areas = []
        for community_id, community in communities.items():
            whole = seen.admin or community_id in seen.community_ids
            ids = None if whole else tuple(b.id for b in buildings[community_id])
            areas.append(Area(f"c{community_id}", community, ids))
            areas += [Area(f"b{b.id}", community, (b.id,), b) for b in buildings[community_id]]
        return areas

    def default_period(self, community: Community) -> tuple[date, date]:
        """The digest's: ``kpi_days`` local days up to yesterday."""
        sla = sla_of(community)
        last = local(self.clock(), sla).date() - timedelta(days=1)
        return last - timedelta(days=sla.kpi_days - 1), last

    async def numbers(
        self, seen: Coverage, key: str | None, first: date | None, last: date | None
    ) -> Numbers:
        """The figures of area ``key`` (default: the viewer's first) for local days
        [first, last] (default: the digest's period). An area the viewer does not cover is
        refused like one that does not exist."""
        areas = await self.areas(seen)
        area = next((a for a in areas if a.key == key), None) if key else None
        if area is None:
            if key or not areas:
                raise ServiceError("numbers-no-area")
            area = areas[0]
        community = area.community
        default_first, default_last = self.default_period(community)
        first, last = first or default_first, last or default_last
        if first > last or (last - first).days >= MAX_DAYS:
            raise ServiceError("numbers-bad-period", days=MAX_DAYS)
        sla = sla_of(community)
        start, end = day_window(first, sla)[0], day_window(last, sla)[1]
        now = self.clock()
        untaken = sla.escalation.untaken.total_seconds()
        untaken_by = {c: v.untaken.total_seconds() for c, v in sla.overrides.items()}
        in_area = [
            a.building
            for a in areas
            if a.building is not None
            and a.community.id == community.id
            and (area.building_ids is None or a.building.id in area.building_ids)
        ]
        specs = read_settings(community.settings or {}).categories
        async with self.db.session() as session:
            stats = StatsRepository(session)

            async def kpis_by(key: Any) -> dict[Any, Kpis]:
                return await stats.kpis_by(area.scope, start, end, now, untaken, untaken_by, key)

            total = (await kpis_by(None))[None]
            by_building = await kpis_by(Ticket.building_id)
            by_category = await kpis_by(Ticket.category)
            heads = await stats.leaders(area.scope, start, end, HEADS)
            estates = None
            if area.building_ids is None:
                weeks = await VolunteeringRepository(session).weeks(
                    community.id, COVERAGE_WEEKS, until=last
                )
                estates = await estate_table(session, community.id, [w.week for w in weeks])
        per_building = [(b, by_building.get(b.id, NOTHING)) for b in in_area]
        known = {spec.code for spec in specs}
        per_category: list[tuple[str, Category | None, Kpis]] = [
            (spec.code, spec.category(), by_category[spec.code])
            for spec in specs
            if spec.code in by_category
        ]
        # Tickets of a category the community has since removed: under their bare code.
        per_category += [
            (code, None, k) for code, k in sorted(by_category.items()) if code not in known
        ]
        return Numbers(area, first, last, total, per_building, per_category, heads, estates)
