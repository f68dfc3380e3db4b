"""The coordinators' morning digest (08:00 community time, each for their scope, in their
language, with a chart) and ``/digest [date]`` on demand (the heads' Monday summary: weekly).

The charts are drawn in a child process (bot.drawing), all of one run's in one: no picture
library enters the bot's process. The child is started before the figures are gathered, so its
start (most of a chart's time) runs beside the database work. A chart the child could not draw
is left out; the digest still goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chart import Chart
from bot.config import Config
from bot.drawing import Drawing, Renderer
from bot.i18n import Translations, Translator
from bot.services.clock import Clock
from bot.services.contacts import is_admin
from bot.services.digest_view import (
    DigestData,
    WaitingOrder,
    chart_labels,
    render_digest,
)
from bot.services.errors import ServiceError
from bot.services.estates import estate_table
from bot.services.scheduling import Buttons, sla_of, write
from bot.services.sla import Sla, day_window, digest_due, had_day, local
from bot.services.weekly import WeeklySummaries
from bot.services.whistle_reminders import UNFINISHED
from storage.db import Database
from storage.models import Community, Person, Ticket
from storage.repositories import CommunityRepository, PersonRepository, WorkOrderRepository
from storage.repositories.joins import JoinRepository
from storage.repositories.points import PointsRepository
from storage.repositories.sla import SlaRepository
from storage.repositories.stats import Scope, StatsRepository
from storage.repositories.volunteering import VolunteeringRepository

CHART_DAYS = 14
TOP_OVERDUE = 10
BUILDING_LINES = 15
COVERAGE_NAMES = 12
COVERAGE_WEEKS = 6  # coverage over time: the last weeks counted
RECURRING_LINES = 10
UNREACHABLE_LINES = 10
LEADERS = 5
WHISTLE_LINES = 10
# How long an instance holds a community's digest while it gathers and draws it (a few seconds;
# 1–8 s a community measured on a loaded machine): past it, another instance may take it over.
DIGEST_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest as one reader sees it."""

    text: str
    buttons: Buttons
    png: bytes | None  # None: the chart could not be drawn
    caption: str  # the chart's


class DigestService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        charts: Renderer | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.charts = charts or Renderer()

    # ------------------------------------------------------------------------- figures

    async def gather(
        self, community: Community, scope: Scope, day: date, *, partial: bool = False
    ) -> DigestData:
        """Every figure of the digest about local ``day``; "now" figures as of the clock.
        ``partial``: ``day`` is today, its figures only so far (labelled with the time)."""
        now = self.clock()
        sla = sla_of(community)
        start, end = day_window(day, sla)
        kpi_start = day_window(day - timedelta(days=sla.kpi_days - 1), sla)[0]
        recurring_start = day_window(day - timedelta(days=sla.recurring_days - 1), sla)[0]
        chart_days = [day - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
        bounds = [day_window(d, sla)[0] for d in chart_days] + [end]
        untaken = sla.escalation.untaken.total_seconds()
        untaken_by = {c: v.untaken.total_seconds() for c, v in sla.overrides.items()}
        unresolved_by = {c: v.unresolved.total_seconds() for c, v in sla.overrides.items()}
        async with self.db.session() as session:
            stats = StatsRepository(session)
            overdue = stats.overdue_conditions(
                now,
                untaken,
                sla.escalation.unresolved.total_seconds(),
                untaken_by,
                unresolved_by,
            )
            overdue_total, top = await stats.overdue(scope, overdue, TOP_OVERDUE)
            active, building_lines = await stats.per_building(scope, start, end, BUILDING_LINES)
            # Coverage over time is the whole community's: not in an area's digest.
            weeks = (
                await VolunteeringRepository(session).weeks(community.id, COVERAGE_WEEKS)
                if scope.building_ids is None
                else []
            )
            return DigestData(
                community=community.name,
                settings=community.settings or {},
                buildings=(
                    await stats.building_names(scope.building_ids)
                    if scope.building_ids is not None
                    else None
                ),
                day=day,
                now=now,
                counts=await stats.counts(scope, start, end),
                open=await stats.open_count(scope),
                overdue_total=overdue_total,
                overdue=top,
                active_buildings=active,
                building_lines=building_lines,
                kpi_days=sla.kpi_days,
                sla_hours=round(untaken / 3600),
                kpis=await stats.kpis(scope, kpi_start, end, now, untaken, untaken_by),
                coverage=await stats.coverage(scope, COVERAGE_NAMES),
                coverage_weeks=[(w.week, w.buildings, w.with_head) for w in weeks],
                estates=await estate_table(session, community.id, [w.week for w in weeks]),
                recurring_days=sla.recurring_days,
                recurring_threshold=sla.recurring_reports,
                recurring=await stats.recurring(
                    scope, recurring_start, end, sla.recurring_reports, RECURRING_LINES
                ),
                unreachable=await stats.unreachable(scope, UNREACHABLE_LINES),
                leaders=await stats.leaders(scope, kpi_start, end, LEADERS),
                join_requests=await JoinRepository(session).pending_by_building(
                    scope.community_id, scope.building_ids
                ),
                whistle_overdue=[
                    WaitingOrder(
                        order.reference,
                        number,
                        order.department_names,
                        order.department,
                        (now - order.forwarded_at).days,
                    )
                    for order, number in await WorkOrderRepository(session).overdue(
                        scope.where(), now - sla.whistle_every, UNFINISHED, WHISTLE_LINES
                    )
                ],
                chart_days=chart_days,
                chart_new=await stats.series(scope, Ticket.created_at, bounds),
                chart_resolved=await stats.series(scope, Ticket.resolved_at, bounds),
                until=local(now, sla).strftime("%H:%M") if partial else None,
                # The points bank is the whole community's office's: not in an area's digest.
                points=await PointsRepository(session).totals(
                    community.id, day_window(day.replace(day=1), sla)[0], end
                )
                if scope.building_ids is None
                else None,
                ranking_year=day.year
                if scope.building_ids is None and (day.month, day.day) == (12, 31)
                else None,
            )

    async def render(self, data: DigestData, t: Translator) -> Digest:
        return (await self.render_all([(data, t)]))[0]

    async def render_all(
        self, items: Sequence[tuple[DigestData, Translator]], drawing: Drawing | None = None
    ) -> list[Digest]:
        """Each digest in its reader's language; their charts in one child process (``drawing``,
        started before the figures were gathered, or one started now)."""
        english = self.translations.bind("en")
        charts = []
        for data, t in items:
            labels, fallback = chart_labels(t, english)
            charts.append(
                Chart(data.chart_days, data.chart_new, data.chart_resolved, labels, fallback)
            )
        pngs = await (drawing or self.charts).render(charts)
        return [
            Digest(*render_digest(t, data), png, t("digest-caption"))
            for (data, t), png in zip(items, pngs, strict=True)
        ]

    # ------------------------------------------------------------------------- the morning job

    async def run(self) -> int:
        """Sends each community's digest once per local day, at its hour (or on start, when
        the hour passed during downtime). Returns how many digests were written."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        written = 0
        for community in communities:
            sla = sla_of(community)
            day = digest_due(now, community.digest_sent_on, sla, since=community.created_at)
            if day is not None:
                written += await self._send(community, day, now, sla)
        return written

    async def _send(self, community: Community, day: date, now: datetime, sla: Sla) -> int:
        """Claims the community's digest, then gathers, draws and writes it. The claim comes
        first, so instances share the communities instead of each gathering every one; it is
        a lease (DIGEST_LEASE), so a digest whose instance died before sending goes out from
        another a few minutes later. Marked sent in the transaction of its messages: once."""
        until = self.clock() + DIGEST_LEASE
        async with self.db.session() as session:
            leased = await SlaRepository(session).lease_digest(community, day, self.clock(), until)
            await session.commit()
        if not leased:
            return 0  # sent already, or another instance is at it
        try:
            return await self._prepare(community, day, now, sla)
        except Exception:
            async with self.db.session() as session:
                await SlaRepository(session).release_digest(community, until)
                await session.commit()
            raise

    async def _prepare(self, community: Community, day: date, now: datetime, sla: Sla) -> int:
        async with self.db.session() as session:
            stats = StatsRepository(session)
            rows = await stats.coordinator_scopes(community.id)
            since = await stats.coordinators_since(community.id)
        # Yesterday's report goes to those who were coordinators yesterday: one appointed this
        # morning gets tomorrow's.
        reported = day - timedelta(days=1)
        readers = [
            (person, scope)
            for person, scope in _scopes(community.id, rows)
            if had_day(since.get(person.id), reported, sla)
        ]
        wanted: dict[tuple[Scope, str], None] = {}  # one digest per scope and language
        for person, scope in readers:
            language = person.language or self.translations.default
            if person.unreachable_since is None:
                wanted[scope, language] = None
        figures: dict[Scope, DigestData] = {}
        digests: list[Digest] = []
        if wanted:
            async with self.charts.started() as drawing:  # gets ready while the figures come
                for scope, _ in wanted:
                    if scope not in figures:
                        figures[scope] = await self.gather(community, scope, reported)
                digests = await self.render_all(
                    [(figures[s], self.translations.bind(language)) for s, language in wanted],
                    drawing,
                )
        rendered = dict(zip(wanted, digests, strict=True))
        async with self.db.session() as session:
            # The mark and every message commit together: sent once, or not at all (a lease
            # that ran out while this instance was slow may have let another send it).
            if not await SlaRepository(session).claim_digest(community, day):
                return 0
            written = 0
            for person, scope in readers:
                digest = rendered.get((scope, person.language or self.translations.default))
                if digest is not None and person.unreachable_since is None:
                    await self._write(session, person, digest, now, scope)
                    written += 1
            await session.commit()
        return written

    async def _write(
        self, session: AsyncSession, person: Person, digest: Digest, now: datetime, scope: Scope
    ) -> None:
        # The area's figures are for its coordinators: a coordinator removed before it goes
        # does not get it (bot/services/staff_rows.py).
        await write(session, person, now, digest.text, buttons=digest.buttons, staff=scope)
        if digest.png is None:
            return
        await write(
            session,
            person,
            now,
            digest.caption,
            chart=digest.png,
            staff=scope,
        )

    # ------------------------------------------------------------------------- on demand

    async def on_demand(
        self, person: Person, day: date | None, t: Translator, *, today: bool = False
    ) -> list[Digest]:
        """``/digest [date]``: the digest of each of the caller's areas (an admin: of every
        community), about ``day`` (default yesterday, community time), or about ``today`` so
        far (on the first day, yesterday has nothing to say)."""
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            areas: dict[int, Scope] = {}
            if is_admin(self.config, person):
                for row in await communities.page(0, 100):
                    areas[row.id] = Scope(row.id)
            stats = StatsRepository(session)
            for area in await PersonRepository(session).coordinator_areas(person.id):
                if area.community_id in areas:
                    continue
                rows = [
                    (p, b)
                    for p, b in await stats.coordinator_scopes(area.community_id)
                    if p.id == person.id
                ]
                areas[area.community_id] = _scopes(area.community_id, rows)[0][1]
            loaded = [(await communities.get(c), scope) for c, scope in areas.items()]
        if not loaded:
            raise ServiceError("digest-not-allowed")
        figures = []
        async with self.charts.started() as drawing:  # gets ready while the figures come
            for community, scope in loaded:
                assert community is not None
                sla = sla_of(community)
                this_day = local(self.clock(), sla).date()
                wanted = this_day if today else day or this_day - timedelta(days=1)
                if wanted > this_day:
                    raise ServiceError("digest-future", today=this_day.isoformat())
                # Scans over the community's tickets (~0.1 s at 100,000): not on the event
                # loop's thread, where the rest of an update's work is (Database.on_loop).
                with self.db.off_loop():
                    data = await self.gather(community, scope, wanted, partial=wanted == this_day)
                figures.append((data, t))
            return await self.render_all(figures, drawing)

    # ------------------------------------------------------------------------- weekly

    async def run_weekly(self) -> int:
        """Each head's summary of the past week (bot/services/weekly.py)."""
        return await WeeklySummaries(self.db, self.translations, self.clock).run()


def _scopes(community_id: int, rows: list[tuple[Person, int | None]]) -> list[tuple[Person, Scope]]:
    """One scope per coordinator: the whole community if any of their scopes is, else their
    buildings."""
    buildings: dict[int, set[int] | None] = {}
    people: dict[int, Person] = {}
    for person, building_id in rows:
        people[person.id] = person
        if building_id is None:
            buildings[person.id] = None
        elif person.id not in buildings or buildings[person.id] is not None:
            found = buildings.get(person.id) or set()
            found.add(building_id)
            buildings[person.id] = found
    return [
        (people[p], Scope(community_id, tuple(sorted(b)) if b is not None else None))
        for p, b in buildings.items()
    ]
