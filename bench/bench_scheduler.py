"""How long the scheduler's scans and the morning digest take at community scale.

    .venv/bin/python -m bench.bench_scheduler [--db PATH] [--keep]

Seeds one SQLite file like Tangzhong grown up: 240 buildings, 43,000 residents, 100,000 tickets
over a year (most closed; the last days' still moving; a few stuck), with their recipients and
events; then times one community's digest (every figure), the nudge scan, the ladder and the
closing scan, each after a warm-up run. Targets (issue 5): digest < 0.5 s, nudge scan < 0.1 s.
``measure_scheduler`` is also what bench.scale and bench.growth time on their generated
databases. Not a test: timing depends on the machine."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.scheduling import sla_of
from bot.services.sla import local, quiet_ends
from storage.db import Database
from storage.models import (
    Building,
    Community,
    Contact,
    CoordinatorScope,
    Membership,
    Person,
    Ticket,
    TicketEvent,
    TicketRecipient,
    TicketStatus,
)
from storage.repositories.stats import Scope

BUILDINGS = 240
RESIDENTS = 43_000
TICKETS = 100_000
NOW = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
CATEGORIES = ("repairs", "facilities", "sanitation", "elevator", "safety", "neighbours", "other")
CHUNK = 5_000
S = TicketStatus


async def _insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    keys = sorted({key for row in rows for key in row})  # executemany wants one shape
    rows = [{key: row.get(key) for key in keys} for row in rows]
    async with db.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(insert(table), rows[start : start + CHUNK])


async def seed(db: Database) -> None:
    rng = random.Random(5)
    year_ago = NOW - timedelta(days=365)
    async with db.session() as session:
        community = Community(
            name="塘中社区", timezone="Asia/Shanghai", settings={}, created_at=year_ago
        )
        session.add(community)
        await session.flush()
        community_id = community.id
        await session.commit()
    await _insert(
        db,
        Building.__table__,
        [
            {
                "community_id": community_id,
                "code": f"B{i:03d}",
                "name": f"塘中{i}栋",
                "address": "",
                "join_token": f"token{i}",
                "created_at": year_ago,
            }
            for i in range(1, BUILDINGS + 1)
        ],
    )
    # Heads for 200 of the 240 buildings (some unreachable), 10 coordinators, the residents.
    people = [
        {"id": i + 1, "display_name": f"住户{i}", "created_at": year_ago}
        for i in range(RESIDENTS + BUILDINGS + 10)
    ]
    contacts = [
        {
            "person_id": i + 1,
            "channel": "telegram",
            "address": str(10_000_000 + i),
            "last_used_at": year_ago,
            "created_at": year_ago,
        }
        for i in range(RESIDENTS + BUILDINGS + 10)
    ]
    for i, person in enumerate(people[RESIDENTS : RESIDENTS + BUILDINGS]):
        person["display_name"] = f"楼长{i + 1}"
        if i % 37 == 0:
            person["unreachable_since"] = NOW - timedelta(days=3)
    await _insert(db, Person.__table__, people)
    await _insert(db, Contact.__table__, contacts)
    async with db.session() as session:
        building_ids = list(
            (await session.scalars(select(Building.id).order_by(Building.id))).all()
        )
        person_ids = list((await session.scalars(select(Person.id).order_by(Person.id))).all())
    residents = person_ids[:RESIDENTS]
    heads = person_ids[RESIDENTS : RESIDENTS + BUILDINGS]
    coordinators = person_ids[RESIDENTS + BUILDINGS :]
    memberships = [
        {
            "person_id": p,
            "building_id": building_ids[i % BUILDINGS],
            "role": "resident",
            "since": year_ago,
        }
        for i, p in enumerate(residents)
    ]
    memberships += [
        {"person_id": heads[i], "building_id": b, "role": "head", "since": year_ago}
        for i, b in enumerate(building_ids[:200])
    ]
    await _insert(db, Membership.__table__, memberships)
    await _insert(
        db,
        CoordinatorScope.__table__,
        [
            {"person_id": c, "community_id": community_id, "building_id": None, "since": year_ago}
            for c in coordinators
        ],
    )

    tickets: list[dict[str, Any]] = []
    for n in range(1, TICKETS + 1):
        created = year_ago + timedelta(seconds=(365 * 86400) * n / TICKETS - rng.random() * 60)
        index = rng.randrange(BUILDINGS)
        age = NOW - created
        holder = heads[index] if index < 200 else coordinators[index % 10]
        row: dict[str, Any] = {
            "community_id": community_id,
            "number": n,
            "building_id": building_ids[index],
            "author_id": residents[rng.randrange(RESIDENTS)],
            "category": CATEGORIES[rng.randrange(len(CATEGORIES))],
            "urgent": False,
            "description": "问题描述",
            "media": [],
            "show_name": True,
            "show_phone": False,
            "owner_id": holder,
            "holder_id": None,
            "escalated": False,
            "created_at": created,
            "updated_at": created,
            "nudges_sent": 0,
            "escalation_level": 0,
        }
        roll = rng.random()
        if age < timedelta(hours=3) or (age < timedelta(days=7) and roll < 0.1) or roll < 0.005:
            row["status"] = S.NEW.value  # waiting; the old ones were reminded and escalated
            if age > timedelta(days=2):
                row.update(nudges_sent=3, nudge_since=created, escalation_level=2)
                row["escalation_at"] = created + timedelta(days=3)
        else:
            taken = created + timedelta(minutes=rng.randrange(20, 2000))
            row.update(holder_id=holder, taken_at=min(taken, NOW - timedelta(minutes=1)))
            if age < timedelta(days=2) or roll < 0.01:
                row["status"] = S.TAKEN.value
                row["idle_reminded_at"] = NOW - timedelta(hours=1)
            else:
                resolved = taken + timedelta(hours=rng.randrange(1, 120))
                row["resolved_at"] = min(resolved, NOW - timedelta(minutes=1))
                if age < timedelta(days=4) and roll < 0.5:
                    row["status"] = S.RESOLVED.value
                else:
                    row["status"] = S.CLOSED.value
                    row["closed_at"] = row["resolved_at"] + timedelta(days=1)
                    row["followup_sent_at"] = row["closed_at"] + timedelta(days=30)
                    if rng.random() < 0.6:
                        row["rating"] = rng.choice((3, 4, 5, 5, 5))
        tickets.append(row)
    await _insert(db, Ticket.__table__, tickets)
    async with db.session() as session:
        rows = (await session.execute(select(Ticket.id, Ticket.owner_id, Ticket.created_at))).all()
    await _insert(
        db,
        TicketRecipient.__table__,
        [{"ticket_id": t, "person_id": o, "reason": "head", "since": c} for t, o, c in rows],
    )
    events = []
    for ticket in tickets:
        for kind, at in (
            ("created", "created_at"),
            ("taken", "taken_at"),
            ("resolved", "resolved_at"),
        ):
            if ticket.get(at) is not None:
                events.append(
                    {
                        "ticket_id": ticket["number"],
                        "kind": kind,
                        "data": {},
                        "created_at": ticket[at],
                    }
                )
    await _insert(db, TicketEvent.__table__, events)
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))


async def timed(
    label: str, work: Callable[[], Awaitable[object]], runs: int = 5, *, verbose: bool = True
) -> float:
    """The median of ``runs`` calls in seconds, after a warm-up call (which also does the first
    scan's catch-up)."""
    await work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    if verbose:
        print(f"{label:<40} median {median * 1000:7.1f} ms  (min {min(times) * 1000:.1f})")  # noqa: T201
    return median


@dataclass
class SchedulerTimes:
    """Medians in seconds; ``now`` is the clock the services ran with."""

    now: datetime
    digest_s: float  # one community's digest figures (DigestService.gather), whole community
    digest_scoped_s: float  # the same for a coordinator of 12 buildings
    nudge_s: float  # one nudge scan (the reminders job) with nothing new due
    ladder_s: float
    closing_s: float
    render_s: float  # the digest's text and chart (the chart in its child process), once
    nudges_in_timed_runs: int  # reminders written after the warm-up: 0 if only the scan is timed


async def activity_end(db: Database) -> datetime:
    """When the database's last ticket arrived, moved out of quiet hours: a clock at which the
    scans see the tickets as a running bot would, and do all their work (in quiet hours the
    nudge scan skips all but urgent tickets)."""
    async with db.session() as session:
        community = await session.scalar(select(Community).order_by(Community.id))
        assert community is not None, "no community in the database"
        latest = await session.scalar(
            select(func.max(Ticket.created_at)).where(Ticket.community_id == community.id)
        )
    return quiet_ends(latest or datetime.now(UTC), sla_of(community))


async def measure_scheduler(
    db: Database, now: datetime, runs: int = 5, *, verbose: bool = False
) -> SchedulerTimes:
    """Times the first community's digest (yesterday, community time), the nudge scan, the
    ladder and the closing scan with the clock stopped at ``now``, each the median of ``runs``
    after a warm-up. The warm-up of a scan sends what is due at ``now`` (it writes to the
    database, as the bot would); the timed runs then find nothing new."""
    services = Services.create(Config(database_url=str(db.url)), db, Translations(), lambda: now)
    async with db.session() as session:
        community = await session.scalar(select(Community).order_by(Community.id))
        assert community is not None, "no community in the database"
        buildings = (
            await session.scalars(
                select(Building.id)
                .where(Building.community_id == community.id)
                .order_by(Building.id)
                .limit(12)
            )
        ).all()
    scheduling = services.scheduling
    day = local(now, sla_of(community)).date() - timedelta(days=1)
    whole, some = Scope(community.id), Scope(community.id, tuple(buildings))
    digest = await timed(
        "digest, whole community (every figure)",
        lambda: scheduling.digest.gather(community, whole, day),
        runs,
        verbose=verbose,
    )
    scoped = await timed(
        "digest, 12 buildings",
        lambda: scheduling.digest.gather(community, some, day),
        runs,
        verbose=verbose,
    )
    written: list[int] = []

    async def nudge_scan() -> None:
        written.append(await scheduling.reminders.run())

    nudge = await timed("nudge scan (reminders job)", nudge_scan, runs, verbose=verbose)
    ladder = await timed("escalation ladder scan", scheduling.ladder.run, runs, verbose=verbose)
    closing = await timed("closing scan", scheduling.closing.run, runs, verbose=verbose)
    data = await scheduling.digest.gather(community, whole, day)
    started = time.perf_counter()
    rendered = await scheduling.digest.render(data, Translations().bind("zh-hans"))
    render = time.perf_counter() - started
    if verbose:
        chart = "chart drawn" if rendered.png else "NO CHART"
        print(f"{'render text and chart (zh-hans)':<40} {render * 1000:7.1f} ms  ({chart})")  # noqa: T201
    return SchedulerTimes(now, digest, scoped, nudge, ladder, closing, render, sum(written[1:]))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="the SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="reuse --db if it exists")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    fresh = not (args.keep and path.exists())
    if fresh and path.exists():
        path.unlink()
    db = Database(url)
    await db.migrate()
    if fresh:
        started = time.perf_counter()
        await seed(db)
        print(f"seeded {TICKETS} tickets in {time.perf_counter() - started:.1f} s: {path}")  # noqa: T201
    try:
        times = await measure_scheduler(db, NOW, verbose=True)
    finally:
        await db.close()
    ok = times.digest_s < 0.5 and times.nudge_s < 0.1
    print("targets met" if ok else "TARGETS MISSED")  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
