"""Issue 11, part 4: a district on PostgreSQL (Nanhai: ~300 communities, 70,000 buildings,
5 million people, 10 million tickets of history), and the 08:00 digest window, the morning's
scans and the /tickets pages on it.

    .venv/bin/python -m bench.district --quick                    # 3 communities, 20,000 tickets
    .venv/bin/python -m bench.district --communities 30 --tickets 1000000
    .venv/bin/python -m bench.district                            # the district: 300 / 10 M
    .venv/bin/python -m bench.district --postgres postgresql+asyncpg://u@host:5432/x --keep

The database: ``--database`` (default ``louzhang_district_bench``) on the server of
``--postgres`` (default $TEST_POSTGRES_URL, else the local test server), dropped and created by
this command and dropped again at the end (``--keep`` leaves it, ``--reuse`` measures a kept one
without generating). No other database or schema is touched. The schema is the bot's own (its
Alembic migrations); rows are then written with COPY (asyncpg), the secondary indexes of the big
tables dropped during the load and made again after (their own CREATE INDEX statements), foreign
keys not checked during the load (``session_replication_role = replica``), then ANALYZE (as
autovacuum would have done on a running server).

The district: ``--communities`` communities of lognormal sizes sharing ``--buildings`` buildings
and ``--tickets`` tickets over ``--days`` days (ending at 07:59 Shanghai time of the measured
morning), ``--residents`` bot users per community (the people who wrote; 5 M people live there,
not all of them write to the bot). Each community as bench.generate's: heads for 60 % of the
buildings (some with a deputy), 3 community-wide and 12 building coordinators, the tickets' lives
(bench.generate._life: taken, resolved, confirmed or closed automatically, reopened, withdrawn,
stuck), their recipients and their events (created, routed, taken, resolved, reopened, closed;
not the messages, ratings or co-signs), and the scheduler's columns as a running scheduler leaves
them (the follow-ups, confirmation and idle reminders of the days before sent). 30 communities
with 1 M tickets have the same tickets per community as 300 with 10 M.

Measured, with the clock at 08:00:30 Shanghai (the digest hour and the end of quiet hours):

(a) the morning digest job as it runs (DigestService.run: every community's digests for each
    coordinator scope, figures, text and chart, written to the outbox): wall, the bot's CPU, the
    drawing children's CPU, per community; then the window at Telegram's 30 msg/s: the outbox
    rows of each community sent from the moment its digests are committed, one send at a time;
(b) /tickets pages (TicketLists.staff_tickets, what the buttons ask for, as bench.scale) for the
    head of the busiest building, a community-wide coordinator and an administrator (who sees
    every community);
(c) the scans of that morning (reminders, the escalation ladder, closing): the first run (what
    is due after the night) and the median of later runs (nothing new due; ``--repeat`` of them,
    fewer once they have taken a minute), with the SQL statements of a later run;
(d) the digest job again on ``--instances`` instances at once (each its own Database and
    Services, in this process): the digests each wrote, the gathers each did, the statements
    and the database's CPU of them all.

Run under ``nice -n 10`` on a shared machine. Not a test: timing depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import random
import resource
import signal
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import CLK_TCK, median, percentile, print_machine, progress, say, table
from bench.generate import CATEGORIES, DAY, HOUR, TELEGRAM_BASE, _arrivals, _life
from bench.scale import older_presses
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.ticket_lists import Keyset
from storage.db import Database
from storage.models import Contact, Person

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DATABASE = "louzhang_district_bench"
RATE = 30.0  # Telegram: messages a second per bot token
WINDOW = 600.0  # the digests within 10 minutes of 08:00
SCAN_BUDGET_MS = 60_000.0  # later runs of one scan stop after a minute of them
BIG = ("people", "contacts", "memberships", "coordinator_scopes", "tickets", "ticket_events",
       "ticket_recipients", "buildings")  # fmt: skip
TEXTS = ("楼道灯不亮", "电梯异响，停在三楼", "垃圾没有清运", "水管漏水", "楼下噪音很大",
         "单元门禁坏了", "车棚顶棚漏雨", "消防通道被堵")  # fmt: skip
ADMIN_TELEGRAM_ID = TELEGRAM_BASE - 1


@dataclass
class Spec:
    communities: int = 300
    buildings: int = 70_000
    residents: int = 16_000  # bot users per community (5 M people / 300 live there)
    tickets: int = 10_000_000
    days: float = 730.0
    heads: float = 0.6  # share of buildings with a head
    community_coordinators: int = 3
    building_coordinators: int = 12
    seed: int = 20261206
    # 08:00:30 in Shanghai on the morning measured: the digest hour, the end of quiet hours.
    now: datetime = field(
        default_factory=lambda: (
            datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC)
            + timedelta(seconds=30)
        )
    )


@dataclass
class People:
    """Who the pages are timed for."""

    head: int = 0  # telegram id of the head of the biggest building with a head (community 1)
    head_building_size: int = 0
    coordinator: int = 0  # telegram id of a community-wide coordinator of community 1
    rows: dict[str, int] = field(default_factory=dict)


def dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def split(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` in parts proportional to ``weights`` (each at least 1 when total allows)."""
    scale = total / sum(weights)
    parts = [max(1, int(w * scale)) for w in weights]
    parts[max(range(len(parts)), key=lambda i: weights[i])] += total - sum(parts)
    return parts


# ----------------------------------------------------------------------------- the database


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def recreate(server_url: str, name: str, *, drop_only: bool = False) -> str:
    """Drops the benchmark's own database and (unless ``drop_only``) creates it empty; returns
    its URL. The server's other databases are not touched."""
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not drop_only:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


class Loader:
    """COPY into the tables, only the columns they have (the schema moves; the generator
    should not), values cast to the columns' types."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.types: dict[str, dict[str, str]] = {}
        self.rows: dict[str, int] = {}

    async def read_schema(self) -> None:
        for table_name, column, kind in await self.connection.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ):
            self.types.setdefault(table_name, {})[column] = kind

    async def copy(self, table_name: str, keys: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        types = self.types[table_name]
        keep = [i for i, k in enumerate(keys) if k in types]
        casts = [_cast(types[keys[i]]) for i in keep]
        records = [tuple(c(row[i]) for c, i in zip(casts, keep, strict=True)) for row in rows]
        await self.connection.copy_records_to_table(
            table_name, records=records, columns=[keys[i] for i in keep]
        )
        self.rows[table_name] = self.rows.get(table_name, 0) + len(rows)


def _cast(kind: str) -> Callable[[Any], Any]:
    if kind == "boolean":
        return lambda v: None if v is None else bool(v)
    if kind.startswith("timestamp"):
        return lambda v: None if v is None else (dt(v) if isinstance(v, float) else v)
    return lambda v: v


async def generate(url: str, spec: Spec) -> tuple[People, float]:
    """The district in the (empty, migrated) database at ``url``."""
    import asyncpg  # type: ignore[import-untyped]  # the project's PostgreSQL driver

    started = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    found = People()
    try:
        loader = Loader(connection)
        await loader.read_schema()
        await connection.execute("SET session_replication_role = replica")
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' "
            "AND tablename = ANY($1::text[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            list(BIG),
        )
        for name, _ in indexes:
            await connection.execute(f'DROP INDEX "{name}"')
        rng = random.Random(spec.seed)
        sizes = [rng.lognormvariate(0, 0.6) for _ in range(spec.communities)]
        buildings = split(spec.buildings, sizes)
        tickets = split(spec.tickets, sizes)
        ids = {"building": 0, "person": 0, "ticket": 0}
        for c in range(1, spec.communities + 1):
            if c == 1 or c % 10 == 0 or c == spec.communities:
                elapsed = time.perf_counter() - started
                progress(f"  community {c}/{spec.communities}: {buildings[c - 1]} buildings, "
                         f"{tickets[c - 1]:,} tickets; {elapsed:.0f} s")  # fmt: skip
            async with connection.transaction():
                await _community(loader, rng, spec, c, buildings[c - 1], tickets[c - 1], ids, found)
        progress(f"  rows written in {time.perf_counter() - started:.0f} s; indexes …")
        await connection.execute("SET session_replication_role = DEFAULT")
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for _, sql in indexes:
            await connection.execute(sql)
        for table_name in loader.types:
            if "id" in loader.types[table_name]:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                    f"coalesce(max(id), 1)) FROM {table_name} "
                    f"WHERE pg_get_serial_sequence('{table_name}', 'id') IS NOT NULL"
                )
        # The administrator of the pages (no role; sees every community as ADMIN_IDS does).
        admin = await connection.fetchval(
            "INSERT INTO people (display_name, language, phone_consent, created_at) "
            "VALUES ('admin', 'zh-hans', false, now()) RETURNING id"
        )
        await connection.execute(
            "INSERT INTO contacts (person_id, channel, address, last_used_at, created_at) "
            "VALUES ($1, 'telegram', $2, now(), now())",
            admin,
            str(ADMIN_TELEGRAM_ID),
        )
        progress("  ANALYZE …")
        await connection.execute("ANALYZE")
        found.rows = dict(loader.rows)
    finally:
        await connection.close()
    return found, time.perf_counter() - started


async def _community(
    w: Loader,
    rng: random.Random,
    spec: Spec,
    cid: int,
    n_buildings: int,
    n_tickets: int,
    ids: dict[str, int],
    found: People,
) -> None:
    now = spec.now.timestamp()
    end = now - 60  # the last ticket before 08:00
    start = end - spec.days * DAY
    founded = start - 30 * DAY
    await w.copy("communities", ["id", "name", "timezone", "settings", "ticket_seq",
                                 "created_at"],
                 [(cid, f"南海{cid}社区", "Asia/Shanghai", "{}", n_tickets, founded)])  # fmt: skip
    first = ids["building"] + 1
    building_ids = list(range(first, first + n_buildings))
    ids["building"] += n_buildings
    await w.copy("buildings", ["id", "community_id", "code", "name", "address", "join_token",
                               "created_at"],
                 [(b, cid, f"C{cid}-{b:05d}", f"{cid}区{b}栋", f"南海路{b}号",
                   f"join{b:06d}x{spec.seed}", founded) for b in building_ids])  # fmt: skip
    sizes = split(max(spec.residents, n_buildings),
                  [rng.lognormvariate(0, 0.5) for _ in building_ids])  # fmt: skip
    people: list[tuple[Any, ...]] = []
    memberships: list[tuple[Any, ...]] = []
    residents_of: dict[int, list[int]] = {}
    flats: dict[int, str] = {}
    for b, size in zip(building_ids, sizes, strict=True):
        residents_of[b] = []
        for _ in range(size):
            ids["person"] += 1
            p = ids["person"]
            joined = founded + rng.random() * (now - founded)
            people.append((p, TELEGRAM_BASE + p, f"住户{p}", "zh-hans", False, joined))
            flats[p] = f"{rng.randint(1, 4)}-{rng.randint(1, 33)}{rng.randint(1, 4):02d}"
            memberships.append((p, b, "resident", flats[p], joined))
            residents_of[b].append(p)
    head_buildings = sorted(rng.sample(building_ids, max(1, round(n_buildings * spec.heads))))
    deputies = set(rng.sample(head_buildings, len(head_buildings) // 4))
    staff_of: dict[int, list[tuple[int, str]]] = {}
    for b in head_buildings:
        head = rng.choice(residents_of[b])
        staff_of[b] = [(head, "head")]
        memberships.append((head, b, "head", None, founded))
        if b in deputies and len(residents_of[b]) > 1:
            deputy = rng.choice([p for p in residents_of[b] if p != head])
            staff_of[b].append((deputy, "deputy"))
            memberships.append((deputy, b, "deputy", None, founded))
    coordinators: list[int] = []
    scopes: list[tuple[Any, ...]] = []
    for _ in range(spec.community_coordinators):
        ids["person"] += 1
        p = ids["person"]
        people.append((p, TELEGRAM_BASE + p, f"社区{p}", "zh-hans", False, founded))
        coordinators.append(p)
        scopes.append((p, cid, None, founded))
    by_building: dict[int, list[int]] = {}
    per = math.ceil(n_buildings / max(1, spec.building_coordinators))
    for k in range(spec.building_coordinators):
        covered = building_ids[k * per : (k + 1) * per]
        if not covered:
            break
        ids["person"] += 1
        p = ids["person"]
        people.append((p, TELEGRAM_BASE + p, f"网格员{p}", "zh-hans", False, founded))
        for b in covered:
            scopes.append((p, cid, b, founded))
            by_building.setdefault(b, []).append(p)
    await w.copy("people", ["id", "telegram_id", "display_name", "language", "phone_consent",
                            "created_at"], people)  # fmt: skip
    await w.copy("contacts", ["person_id", "channel", "address", "last_used_at", "created_at"],
                 [(p[0], "telegram", str(p[1]), p[5], p[5]) for p in people])  # fmt: skip
    await w.copy("memberships", ["person_id", "building_id", "role", "flat", "since"], memberships)
    await w.copy("coordinator_scopes", ["person_id", "community_id", "building_id", "since"],
                 scopes)  # fmt: skip
    if cid == 1:
        biggest = max(head_buildings, key=lambda b: len(residents_of[b]))
        found.head = TELEGRAM_BASE + staff_of[biggest][0][0]
        found.head_building_size = len(residents_of[biggest])
        found.coordinator = TELEGRAM_BASE + coordinators[0]

    categories = [c for c, _ in CATEGORIES]
    category_weights = list(accumulate(p for _, p in CATEGORIES))
    building_weights = list(accumulate(sizes))
    ticket_keys = ["id", "community_id", "number", "building_id", "author_id", "category",
                   "urgent", "status", "description", "media", "flat", "show_name", "show_phone",
                   "owner_id", "holder_id", "escalated", "rating", "created_at", "updated_at",
                   "taken_at", "resolved_at", "closed_at", "nudges_sent", "escalation_level",
                   "escalation_at", "escalation_reason", "autoclosed_at", "followup_sent_at",
                   "followup_answer", "nudge_since", "confirm_reminded_at",
                   "idle_reminded_at"]  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    recipients: list[tuple[Any, ...]] = []
    for number, created in enumerate(_arrivals(rng, n_tickets, start, end), 1):
        ids["ticket"] += 1
        tid = ids["ticket"]
        b = rng.choices(building_ids, cum_weights=building_weights)[0]
        author = rng.choice(residents_of[b])
        category = rng.choices(categories, cum_weights=category_weights)[0]
        urgent = category == "safety"
        routed = (
            staff_of.get(b)
            or [(p, "coordinator") for p in by_building.get(b, [])]
            or [(p, "coordinator") for p in coordinators]
        )
        if urgent:
            routed = routed + [(p, "category") for p in coordinators
                               if all(p != q for q, _ in routed)]  # fmt: skip
        life = _life(rng, created, end)
        status = life["status"]
        holder = routed[0][0] if life["taken"] is not None else None
        rating = None
        if status == "closed" and life["confirmed"] and rng.random() < 0.6:
            rating = rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 5, 5))[0]
        last = max(t for t in (created, life["taken"], life["resolved"], life["closed"]) if t)
        old_wait = status in ("new", "reopened") and end - created > DAY
        old_taken = status == "taken" and life["taken"] and end - life["taken"] > 7 * DAY
        escalation = 2 if (old_wait or old_taken) else 0
        # What a running scheduler has already sent by the evening before: the follow-up 30
        # days after closing, the resolution's one reminder a day after it, the idle reminder.
        followed_up = status == "closed" and life["closed"] and end - life["closed"] > 30 * DAY
        confirm_reminded = (
            life["resolved"] + DAY
            if status == "resolved" and end - life["resolved"] > DAY
            else None
        )
        idle_reminded = end - HOUR if status == "taken" and end - life["taken"] > 3 * DAY else None
        rows.append((
            tid, cid, number, b, author, category, urgent, status, rng.choice(TEXTS), "[]",
            flats.get(author), True, False, routed[0][0], holder, escalation > 0, rating,
            created, last, life["taken"], life["resolved"], life["closed"],
            3 if old_wait else 0, escalation, created + DAY if escalation else None,
            ("untaken" if old_wait else "unresolved") if escalation else None,
            life["closed"] if life["auto"] else None,
            life["closed"] + 30 * DAY if followed_up else None,
            "yes" if followed_up else None,
            created if status in ("new", "reopened") else None,
            confirm_reminded, idle_reminded,
        ))  # fmt: skip
        events.append((tid, author, "created", "{}", created))
        data = json.dumps({"recipients": [[p, r] for p, r in routed], "skipped": []})
        events.append((tid, None, "routed", data, created))
        recipients += [(tid, p, reason, created) for p, reason in routed]
        if escalation:
            events.append((tid, None, "escalated", '{"level": 2}', created + DAY))
        if life["taken"] is not None:
            events.append((tid, holder, "taken", "{}", life["taken"]))
        if life["reopened"] is not None:
            events.append((tid, holder, "resolved", "{}", life["first_resolved"]))
            events.append((tid, author, "reopened", "{}", life["reopened"]))
        if life["resolved"] is not None:
            events.append((tid, holder, "resolved", "{}", life["resolved"]))
        if status == "withdrawn":
            events.append((tid, author, "withdrawn", "{}", life["closed"]))
        elif life["closed"] is not None:
            kind = "auto-closed" if life["auto"] else "confirmed"
            events.append((tid, None if life["auto"] else author, kind, "{}", life["closed"]))
        if len(rows) >= 20_000:
            await _flush(w, ticket_keys, rows, events, recipients)
    await _flush(w, ticket_keys, rows, events, recipients)


async def _flush(
    w: Loader,
    ticket_keys: list[str],
    rows: list[tuple[Any, ...]],
    events: list[tuple[Any, ...]],
    recipients: list[tuple[Any, ...]],
) -> None:
    await w.copy("tickets", ticket_keys, rows)
    await w.copy("ticket_events", ["ticket_id", "actor_id", "kind", "data", "created_at"], events)
    await w.copy("ticket_recipients", ["ticket_id", "person_id", "reason", "since"], recipients)
    rows.clear()
    events.clear()
    recipients.clear()


# ----------------------------------------------------------------------------- measuring


def server_cpu(database: str) -> float:
    """CPU seconds of this machine's PostgreSQL backends connected to ``database`` (0 when the
    server is elsewhere): the database's share of the work, which the bot's CPU leaves out."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if not cmdline.startswith("postgres:") or f" {database} " not in cmdline:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class DigestRun:
    wall_s: float
    cpu_s: float  # the bot's process
    children_cpu_s: float  # the drawing children
    server_cpu_s: float  # PostgreSQL's backends (same machine only)
    digests: int  # DigestService.run's count: coordinators written to
    messages: int  # outbox rows (a digest is its text and its chart)
    per_community: list[tuple[float, int]]  # (seconds, outbox rows) in the job's order
    window_s: float  # the last message sent at RATE, from 08:00's job start


def send_window(per_community: list[tuple[float, int]], rate: float) -> float:
    """When the last message is sent if each community's rows go out from the moment its
    digests commit, one queue at ``rate`` messages a second (the delivery worker beside the job)."""
    done = sent = 0.0
    for seconds, messages in per_community:
        done += seconds
        sent = max(sent, done) + messages / rate
    return max(sent, done)


async def measure_digest(db: Database, services: Services) -> DigestRun:
    digest = services.scheduling.digest
    per: list[tuple[float, int]] = []
    send = digest._send

    async def timed_send(*args: Any) -> int:
        before = await _outbox_rows(db)
        started = time.perf_counter()
        written = await send(*args)
        elapsed = time.perf_counter() - started
        per.append((elapsed, await _outbox_rows(db) - before))
        return written

    setattr(digest, "_send", timed_send)  # noqa: B010 (the job calls it by name)
    before = await _outbox_rows(db)
    database = db.url.database or ""
    wall, cpu, kids, pg = (time.perf_counter(), time.process_time(), children_cpu(),
                           server_cpu(database))  # fmt: skip
    digests = await digest.run()
    wall, cpu, kids, pg = (time.perf_counter() - wall, time.process_time() - cpu,
                           children_cpu() - kids, server_cpu(database) - pg)  # fmt: skip
    messages = await _outbox_rows(db) - before
    return DigestRun(wall, cpu, kids, pg, digests, messages, per, send_window(per, RATE))


async def _outbox_rows(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(text("SELECT count(*) FROM outbox")) or 0)


async def _median_of(call: Callable[[], Awaitable[Any]], repeat: int) -> tuple[list[float], Any]:
    result = await call()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


@contextmanager
def statements(*dbs: Database) -> Iterator[list[int]]:
    """Counts the SQL statements sent through these databases' engines (a one-item list)."""
    seen = [0]

    def before(*_args: Any) -> None:
        seen[0] += 1

    for db in dbs:
        event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        for db in dbs:
            event.remove(db.engine.sync_engine, "before_cursor_execute", before)


async def measure_scans(db: Database, services: Services, repeat: int) -> list[list[Any]]:
    scheduling = services.scheduling
    rows = []
    for name, run in (
        ("reminders (nudges)", scheduling.reminders.run),
        ("escalation ladder", scheduling.ladder.run),
        ("closing", scheduling.closing.run),
    ):
        started = time.perf_counter()
        written = await run()
        first = time.perf_counter() - started
        times: list[float] = []
        counted: list[int] = []
        while len(times) < repeat and sum(times) < SCAN_BUDGET_MS:  # a slow scan: fewer runs
            with statements(db) as seen:
                started = time.perf_counter()
                await run()
                times.append((time.perf_counter() - started) * 1000)
            counted.append(seen[0])
        rows.append([name, first * 1000, written, median(times), max(times), len(times),
                     median([float(c) for c in counted])])  # fmt: skip
    return rows


async def reset_digests(db: Database) -> None:
    """The morning again: no community's digest sent (nor, where the column exists, leased)."""
    async with db.session() as session:
        lease = await session.scalar(
            text("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                 "'communities' AND column_name = 'digest_lease_until' AND table_schema = "
                 "current_schema()")
        )  # fmt: skip
        await session.execute(
            text("UPDATE communities SET digest_sent_on = NULL"
                 + (", digest_lease_until = NULL" if lease else ""))
        )  # fmt: skip
        await session.commit()


async def measure_instances(
    db: Database, url: str, config: Config, spec: Spec, instances: int
) -> list[list[Any]]:
    """The 08:00 digest job on ``instances`` instances at once (each its own Database, pool
    and Services, in this one process, as test_digest_instances does): who did the work."""
    await reset_digests(db)
    dbs = [Database(url) for _ in range(instances)]
    gathered = [0] * instances
    runs = []
    for i, each in enumerate(dbs):
        digest = Services.create(config, each, Translations(), lambda: spec.now).scheduling.digest
        gather = digest.gather

        async def counting(*args: Any, _i: int = i, _g: Any = gather, **kwargs: Any) -> Any:
            gathered[_i] += 1
            return await _g(*args, **kwargs)

        setattr(digest, "gather", counting)  # noqa: B010
        runs.append(digest.run)
    database = db.url.database or ""
    try:
        with statements(*dbs) as seen:
            wall, cpu, pg = time.perf_counter(), time.process_time(), server_cpu(database)
            written = await asyncio.gather(*(run() for run in runs))
            wall, cpu, pg = (time.perf_counter() - wall, time.process_time() - cpu,
                             server_cpu(database) - pg)  # fmt: skip
    finally:
        for each in dbs:
            await each.close()
    return [
        ["instances", instances],
        ["digests written, each instance", " / ".join(str(w) for w in written)],
        [
            "gathers (one per coordinator scope), each instance",
            " / ".join(str(g) for g in gathered),
        ],  # fmt: skip
        ["gathers in all", sum(gathered)],
        ["SQL statements, all instances", seen[0]],
        ["wall, s", wall],
        ["bot CPU (all instances, one process), s", cpu],
        ["PostgreSQL backends' CPU, s", pg],
    ]


async def measure_pages(
    db: Database, services: Services, found: People, repeat: int, presses: int = 50
) -> list[list[Any]]:
    async with db.session() as session:
        readers: dict[str, Person] = {}
        for who, tid in (
            (f"head ({found.head_building_size} residents)", found.head),
            ("coordinator (a whole community)", found.coordinator),
            ("admin (every community)", ADMIN_TELEGRAM_ID),
        ):
            person = await session.scalar(
                select(Person).join(Contact).where(Contact.address == str(tid))
            )
            assert person is not None, f"{who} not in the database"
            readers[who] = person
    rows: list[list[Any]] = []
    lists = services.ticket_lists
    for who, person in readers.items():
        for flt in ("open", "all"):
            first = await lists.staff_tickets(person, flt, 0)
            wanted: dict[str, tuple[int, Keyset | None]] = {"page 1": (0, None)}
            if flt == "open" and first.pages > 4:
                wanted["page 5"] = (4, None)
            if flt == "all" and first.older:
                deeper = await older_presses(services, person, presses)
                if deeper is not None:
                    wanted[f"page {presses + 1} (Older ×{presses})"] = (presses, deeper)
            for name, (page, keyset) in wanted.items():
                times, result = await _median_of(
                    functools.partial(lists.staff_tickets, person, flt, page, keyset), repeat
                )
                rows.append([who, f"{flt}, {name}", median(times), percentile(times, 95),
                             result.total])  # fmt: skip
    return rows


async def counts(db: Database) -> dict[str, int]:
    out = {}
    async with db.session() as session:
        for name in ("communities", "buildings", "people", "tickets", "ticket_events",
                     "ticket_recipients"):  # fmt: skip
            out[name] = int(await session.scalar(text(f"SELECT count(*) FROM {name}")) or 0)
        out["open tickets"] = int(
            await session.scalar(
                text("SELECT count(*) FROM tickets WHERE status IN ('new', 'taken', 'reopened')")
            )
            or 0
        )
        out["MiB"] = int(
            await session.scalar(text("SELECT pg_database_size(current_database()) / 1048576")) or 0
        )
    return out


# ----------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.district",
        description="A district on PostgreSQL: the 08:00 digest window, the scans and the "
        "/tickets pages (issue 11, part 4). Run under nice on a shared machine.",
    )
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG),
                        help="a PostgreSQL server URL (its database is not touched; default "
                        "$TEST_POSTGRES_URL or %(default)s)")  # fmt: skip
    parser.add_argument(
        "--database", default=DATABASE, help="its own database, dropped and created (%(default)s)"
    )
    parser.add_argument("--communities", type=int, default=300)
    parser.add_argument("--buildings", type=int, help="default: 70,000 × communities / 300")
    parser.add_argument("--residents", type=int, default=16_000,
                        help="bot users per community (default %(default)s)")  # fmt: skip
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--days", type=float, default=730.0, help="history, days")
    parser.add_argument("--repeat", type=int, default=10, help="timed calls per page or scan")
    parser.add_argument(
        "--quick", action="store_true", help="3 communities, 60 buildings, 20,000 tickets"
    )
    parser.add_argument("--older", type=int, default=50,
                        help="Older presses before the deep page (%(default)s)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="leave the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database kept by --keep (no generation); its digest "
                        "and scans have run, so reset digest_sent_on first")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--instances", type=int, default=2,
                        help="then run the digest job again on this many instances at once "
                        "(%(default)s; 1: not)")  # fmt: skip
    return parser


def spec_of(args: argparse.Namespace) -> Spec:
    if args.quick:
        return Spec(communities=3, buildings=60, residents=300, tickets=20_000, days=120)
    buildings = args.buildings or max(args.communities, round(70_000 * args.communities / 300))
    return Spec(communities=args.communities, buildings=buildings, residents=args.residents,
                tickets=args.tickets, days=args.days)  # fmt: skip


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    spec = spec_of(args)
    repeat = 3 if args.quick else args.repeat
    print_machine()
    figures: dict[str, Any] = {"spec": {k: str(v) for k, v in spec.__dict__.items()}}
    if args.reuse:
        url = make_url(args.postgres).set(database=args.database).render_as_string(False)
    else:
        url = await recreate(args.postgres, args.database)
    db = Database(url)
    try:
        found = People()
        if args.reuse:
            await reset_digests(db)
            found = await _readers(db)
        else:
            progress(f"{args.database}: migrating …")
            started = time.perf_counter()
            await db.migrate()
            migrate_s = time.perf_counter() - started
            progress(f"generating {spec.communities} communities, {spec.buildings:,} buildings, "
                     f"{spec.tickets:,} tickets …")  # fmt: skip
            found, generate_s = await generate(url, spec)
            figures["migrate_s"], figures["generate_s"] = migrate_s, generate_s
        figures["counts"] = await counts(db)
        async with db.session() as session:
            server = await session.scalar(text("SHOW server_version"))
        say(f"# PostgreSQL {server}; {spec.communities} communities, {spec.buildings:,} "
            f"buildings, {spec.tickets:,} tickets over {spec.days:.0f} days; clock "
            f"{spec.now:%Y-%m-%d %H:%M:%S} UTC (08:00:30 Shanghai)")  # fmt: skip
        say(table(["rows", *figures["counts"]], [["", *figures["counts"].values()]],
                  title="## The district"))  # fmt: skip
        if "generate_s" in figures:
            say(f"\nmigrated in {figures['migrate_s']:.1f} s, generated (COPY, indexes, ANALYZE) "
                f"in {figures['generate_s']:.0f} s")  # fmt: skip

        config = Config(database_url=url, bot_username="louzhang_bench_bot",
                        admin_ids=frozenset({ADMIN_TELEGRAM_ID}))  # fmt: skip
        services = Services.create(config, db, Translations(), lambda: spec.now)
        progress("the digest job (every community) …")
        run = await measure_digest(db, services)
        figures["digest"] = run.__dict__
        report_digest(run, spec)
        progress("the /tickets pages …")
        pages = await measure_pages(db, services, found, repeat, args.older)
        figures["pages"] = pages
        say(table(["reader", "/tickets (the buttons' pages)", "median ms", "p95 ms", "tickets"],
                  pages, title="## /tickets pages (TicketLists.staff_tickets)"))  # fmt: skip
        progress("the scans …")
        scans = await measure_scans(db, services, repeat)
        figures["scans"] = scans
        say(table(["scan at 08:00:30", "first run ms", "written", "later runs median ms",
                   "max ms", "runs", "statements a later run"], scans,
                  title="## The morning's scans over the district"))  # fmt: skip
        if args.instances > 1:
            progress(f"the digest job on {args.instances} instances at once …")
            rows = await measure_instances(db, url, config, spec, args.instances)
            figures["instances"] = rows
            say(table(["the 08:00 digest job, instances at once", "measured"], rows,
                      title="## The digest job on several instances"))  # fmt: skip
    finally:
        await db.close()
        if not args.keep:
            await recreate(args.postgres, args.database, drop_only=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False, default=str))
    return figures


async def _readers(db: Database) -> People:
    """The people of the pages in a kept database (as generate chose them)."""
    async with db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT c.address, (SELECT count(*) FROM memberships r "
                    "WHERE r.building_id = m.building_id) AS n FROM memberships m "
                    "JOIN contacts c ON c.person_id = m.person_id "
                    "JOIN buildings b ON b.id = m.building_id "
                    "WHERE m.role = 'head' AND b.community_id = 1 ORDER BY n DESC, m.id LIMIT 1"
                )
            )
        ).one()
        coordinator = await session.scalar(
            text("SELECT c.address FROM coordinator_scopes s JOIN contacts c ON c.person_id = "
                 "s.person_id WHERE s.community_id = 1 AND s.building_id IS NULL "
                 "ORDER BY s.person_id LIMIT 1")
        )  # fmt: skip
    return People(head=int(row[0]), head_building_size=int(row[1]), coordinator=int(coordinator))


def report_digest(run: DigestRun, spec: Spec) -> None:
    seconds = [s for s, _ in run.per_community]
    full = 300 / max(1, spec.communities)
    rows: list[list[Any]] = [
        ["communities / digests (coordinators) / outbox rows",
         f"{len(seconds)} / {run.digests} / {run.messages}", ""],
        ["job wall, s", run.wall_s, f"× {full:.0f} = {run.wall_s * full:.0f}"],
        ["bot CPU, s", run.cpu_s, f"× {full:.0f} = {run.cpu_s * full:.0f}"],
        ["drawing children's CPU, s", run.children_cpu_s,
         f"× {full:.0f} = {run.children_cpu_s * full:.0f}"],
        ["PostgreSQL backends' CPU, s (same machine)", run.server_cpu_s,
         f"× {full:.0f} = {run.server_cpu_s * full:.0f}"],
        ["per community wall, median / p95 / max, s",
         f"{median(seconds):.2f} / {percentile(seconds, 95):.2f} / {max(seconds, default=0):.2f}",
         ""],
        ["per digest (coordinator) wall, s", run.wall_s / max(1, run.digests), ""],
        [f"sends alone at {RATE:.0f} msg/s, s", run.messages / RATE,
         f"× {full:.0f} = {run.messages / RATE * full:.0f}"],
        [f"window: last message sent (job + sends at {RATE:.0f} msg/s), s", run.window_s,
         f"~{send_window(run.per_community * max(1, round(full)), RATE):.0f}"],
        ["within 10 minutes of 08:00", "yes" if run.window_s <= WINDOW else "NO",
         "yes" if send_window(run.per_community * max(1, round(full)), RATE) <= WINDOW else "NO"],
    ]  # fmt: skip
    say(table(["the 08:00 digest job (DigestService.run, every community)", "measured",
               "300 communities of this size (linear)"], rows,
              title="## The morning digest window"))  # fmt: skip


def main() -> None:
    # A run stopped with kill (or Ctrl-C) still drops its database on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    asyncio.run(main_async(build_parser().parse_args()))


if __name__ == "__main__":
    main()
