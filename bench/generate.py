"""A generated community in a SQLite file, for the scale and growth benchmarks (and for anyone who
wants a big database to look at).

    .venv/bin/python -m bench.generate /tmp/community.db              # 100,000 tickets, 2 years
    .venv/bin/python -m bench.generate /tmp/big.db --tickets 1000000  # same activity, 20 years

The schema is the bot's own (the migrations run first); rows are then written with the standard
library's sqlite3 ``executemany`` in large transactions, with the secondary indexes dropped during
the load and rebuilt after (the same CREATE INDEX statements), journal off. No ANALYZE: the bot's
databases have no statistics either, so the query planner sees what it sees in production.

The community: buildings of different sizes, residents with a flat each, heads for ~150 buildings
(a few with a deputy too), community-wide and building coordinators. Tickets arrive at a constant
daily rate (``--per-day``, 137 = 100,000 over two years) up to ``now``; each lives through what a
ticket lives through (routed to the heads, or the coordinators where there is no head; taken after
hours, resolved after days, confirmed or closed automatically, sometimes reopened, withdrawn or
stuck), with its events, recipients, ratings and followers, so old tickets are closed and the
last days' are still moving. Where the scheduler's columns exist, a ticket looks as a running
scheduler leaves it (old stuck tickets nudged and escalated, follow-ups asked), so a bot started
on the file has no years of catch-up to do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

DAY = 86400.0
HOUR = 3600.0
CATEGORIES = (
    ("repairs", 0.34),
    ("facilities", 0.15),
    ("sanitation", 0.15),
    ("elevator", 0.12),
    ("safety", 0.03),
    ("neighbours", 0.11),
    ("other", 0.10),
)
CHUNK = 20_000
TELEGRAM_BASE = 7_000_000_000


@dataclass
class Spec:
    buildings: int = 240
    residents: int = 43_000
    heads: int = 150  # buildings with a head
    deputies: int = 40  # of those, buildings with a deputy too
    community_coordinators: int = 3
    building_coordinators: int = 12  # each covering a run of buildings
    tickets: int = 100_000
    per_day: float = 100_000 / 730  # constant daily activity; the history grows with --tickets
    days: float | None = None  # or spread --tickets over exactly this many days
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    seed: int = 20261126
    community: str = "塘中社区"
    outbox_per_ticket: float = 0.0  # delivered messages kept in the outbox (never pruned today)

    @property
    def span_days(self) -> float:
        return self.days if self.days is not None else self.tickets / self.per_day


@dataclass
class Generated:
    path: Path
    seconds: float
    rows: dict[str, int]
    statuses: dict[str, int]
    bytes: int
    # People the benchmarks use: the head of the busiest building, a community coordinator.
    head_telegram_id: int
    coordinator_telegram_id: int
    community_id: int


def ts(seconds: float) -> str:
    """SQLAlchemy's SQLite DATETIME text for a UTC epoch time (what UTCDateTime stores)."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


async def _migrate(path: Path) -> None:
    from storage.db import Database

    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
    finally:
        await db.close()


async def generate(path: Path, spec: Spec | None = None) -> Generated:
    """Writes a new database at ``path`` (an existing file is replaced)."""
    spec = spec or Spec()
    started = time.perf_counter()
    await asyncio.to_thread(_fresh, path)
    await _migrate(path)
    result = await asyncio.to_thread(_load, path, spec)
    result.seconds = time.perf_counter() - started
    result.bytes = (await asyncio.to_thread(path.stat)).st_size
    return result


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


class _Writer:
    """Inserts only the columns the table has (the schema moves; the generator should not)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.columns: dict[str, set[str]] = {}
        self.rows: dict[str, int] = {}

    def has(self, table: str, column: str) -> bool:
        if table not in self.columns:
            info = self.connection.execute(f"PRAGMA table_info({table})").fetchall()
            self.columns[table] = {row[1] for row in info}
        return column in self.columns[table]

    def insert(self, table: str, keys: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        keep = [i for i, k in enumerate(keys) if self.has(table, k)]
        if len(keep) != len(keys):
            rows = [tuple(row[i] for i in keep) for row in rows]
            keys = [keys[i] for i in keep]
        marks = ", ".join("?" for _ in keys)
        sql = f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({marks})"
        self.connection.executemany(sql, rows)
        self.rows[table] = self.rows.get(table, 0) + len(rows)


def _load(path: Path, spec: Spec) -> Generated:
    rng = random.Random(spec.seed)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")  # 256 MiB
    connection.execute("PRAGMA temp_store=MEMORY")
    big = ("tickets", "ticket_events", "ticket_recipients", "ticket_followers", "memberships",
           "outbox", "people")  # fmt: skip
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' for _ in big)})",
        big,
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    w = _Writer(connection)
    now = spec.now.timestamp()
    start = now - spec.span_days * DAY
    founded = start - 30 * DAY
    connection.execute("BEGIN")

    # ---------------------------------------------------------------- community, buildings
    connection.execute(
        "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at) "
        "VALUES (1, ?, 'Asia/Shanghai', '{}', ?, ?)",
        (spec.community, spec.tickets, ts(founded)),
    )
    building_rows = [
        (b, 1, f"TZ-{b:03d}", f"塘中新村{b}栋", f"塘中路{b}号", f"join{b:06d}x{spec.seed}",
         ts(founded))
        for b in range(1, spec.buildings + 1)
    ]  # fmt: skip
    w.insert("buildings", ["id", "community_id", "code", "name", "address", "join_token",
                           "created_at"], building_rows)  # fmt: skip
    # Building sizes vary (towers and walk-ups): a lognormal weight per building.
    weights = [rng.lognormvariate(0, 0.5) for _ in range(spec.buildings)]
    scale = spec.residents / sum(weights)
    sizes = [max(1, round(x * scale)) for x in weights]
    sizes[-1] += spec.residents - sum(sizes)
    if sizes[-1] < 1:
        sizes[-1] = 1

    # ---------------------------------------------------------------- people, memberships
    people: list[tuple[Any, ...]] = []
    memberships: list[tuple[Any, ...]] = []
    residents_of: list[list[int]] = [[] for _ in range(spec.buildings + 1)]
    flats: dict[int, str] = {}
    person_id = 0
    for b, size in enumerate(sizes, 1):
        for _ in range(size):
            person_id += 1
            joined = founded + rng.random() * (now - founded)
            people.append((person_id, TELEGRAM_BASE + person_id, f"住户{person_id}", "zh-hans",
                           0, ts(joined)))  # fmt: skip
            flat = f"{rng.randint(1, 4)}-{rng.randint(1, 33)}{rng.randint(1, 4):02d}"
            flats[person_id] = flat
            memberships.append((person_id, b, "resident", flat, ts(joined)))
            residents_of[b].append(person_id)
    head_count = min(spec.heads, spec.buildings)
    head_buildings = sorted(rng.sample(range(1, spec.buildings + 1), head_count))
    deputy_buildings = set(rng.sample(head_buildings, min(spec.deputies, len(head_buildings))))
    staff_of: dict[int, list[tuple[int, str]]] = {}
    for b in head_buildings:
        head = rng.choice(residents_of[b])
        staff_of[b] = [(head, "head")]
        memberships.append((head, b, "head", None, ts(founded)))
        if b in deputy_buildings and len(residents_of[b]) > 1:
            deputy = rng.choice([p for p in residents_of[b] if p != head])
            staff_of[b].append((deputy, "deputy"))
            memberships.append((deputy, b, "deputy", None, ts(founded)))
    coordinators: list[int] = []
    scopes: list[tuple[Any, ...]] = []
    for _ in range(spec.community_coordinators):
        person_id += 1
        people.append((person_id, TELEGRAM_BASE + person_id, f"社区{person_id}", "zh-hans", 0,
                       ts(founded)))  # fmt: skip
        coordinators.append(person_id)
        scopes.append((person_id, 1, None, ts(founded)))
    building_coordinators: dict[int, list[int]] = {}
    per = math.ceil(spec.buildings / max(1, spec.building_coordinators))
    for c in range(spec.building_coordinators):
        person_id += 1
        people.append((person_id, TELEGRAM_BASE + person_id, f"网格员{person_id}", "zh-hans", 0,
                       ts(founded)))  # fmt: skip
        for b in range(c * per + 1, min(spec.buildings, (c + 1) * per) + 1):
            scopes.append((person_id, 1, b, ts(founded)))
            building_coordinators.setdefault(b, []).append(person_id)
    w.insert("people", ["id", "telegram_id", "display_name", "language", "phone_consent",
                        "created_at"], people)  # fmt: skip
    w.insert("contacts", ["person_id", "channel", "address", "last_used_at", "created_at"],
             [(p[0], "telegram", str(p[1]), p[5], p[5]) for p in people])  # fmt: skip
    w.insert("memberships", ["person_id", "building_id", "role", "flat", "since"], memberships)
    w.insert("coordinator_scopes", ["person_id", "community_id", "building_id", "since"], scopes)
    connection.execute("COMMIT")

    # ---------------------------------------------------------------- tickets
    categories = [c for c, _ in CATEGORIES]
    category_weights = list(accumulate(p for _, p in CATEGORIES))
    building_ids = list(range(1, spec.buildings + 1))
    building_weights = list(accumulate(sizes))
    statuses: dict[str, int] = {}
    ticket_keys = ["id", "community_id", "number", "building_id", "author_id", "category",
                   "urgent", "status", "description", "media", "flat", "show_name", "show_phone",
                   "owner_id", "holder_id", "escalated", "rating", "created_at", "updated_at",
                   "taken_at", "resolved_at", "closed_at", "nudges_sent", "escalation_level",
                   "escalation_at", "escalation_reason", "autoclosed_at", "followup_sent_at",
                   "followup_answer", "nudge_since"]  # fmt: skip
    event_keys = ["ticket_id", "actor_id", "kind", "data", "created_at"]
    recipient_keys = ["ticket_id", "person_id", "reason", "since"]
    follower_keys = ["ticket_id", "person_id", "since"]
    outbox_keys = ["chat_id", "person_id", "method", "payload", "ticket_id", "status",
                   "attempts", "not_before", "created_at", "sent_at"]  # fmt: skip
    created_times = _arrivals(rng, spec.tickets, start, now)
    texts = ("楼道灯不亮", "电梯异响，停在三楼", "垃圾没有清运", "水管漏水", "楼下噪音很大",
             "单元门禁坏了", "车棚顶棚漏雨", "消防通道被堵")  # fmt: skip
    for chunk_start in range(0, spec.tickets, CHUNK):
        tickets: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        recipients: list[tuple[Any, ...]] = []
        followers: list[tuple[Any, ...]] = []
        outbox: list[tuple[Any, ...]] = []
        for i in range(chunk_start, min(spec.tickets, chunk_start + CHUNK)):
            tid = i + 1
            created = created_times[i]
            b = rng.choices(building_ids, cum_weights=building_weights)[0]
            author = rng.choice(residents_of[b])
            category = rng.choices(categories, cum_weights=category_weights)[0]
            urgent = category == "safety"
            staff = staff_of.get(b) or [(p, "coordinator") for p in building_coordinators.get(
                b, [])] or [(p, "coordinator") for p in coordinators]  # fmt: skip
            routed = list(staff)
            if urgent:
                routed += [(p, "category") for p in coordinators if all(p != q for q, _ in routed)]
            life = _life(rng, created, now)
            status = life["status"]
            statuses[status] = statuses.get(status, 0) + 1
            holder = routed[0][0] if life["taken"] is not None else None
            if holder is not None and len(routed) > 1 and rng.random() < 0.3:
                holder = routed[1][0]
            rating = None
            if status == "closed" and life["confirmed"] and rng.random() < 0.6:
                rating = rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 5, 5))[0]
            last = max(t for t in (created, life["taken"], life["resolved"], life["closed"]) if t)
            old_wait = status in ("new", "reopened") and now - created > DAY
            old_taken = status == "taken" and life["taken"] and now - life["taken"] > 7 * DAY
            escalation = 2 if (old_wait or old_taken) else 0
            followed_up = status == "closed" and life["closed"] and now - life["closed"] > 33 * DAY
            tickets.append((
                tid, 1, tid, b, author, category, int(urgent), status,
                rng.choice(texts), "[]", flats.get(author), 1, 0, routed[0][0], holder,
                int(escalation > 0), rating, ts(created), ts(last),
                _opt(life["taken"]), _opt(life["resolved"]), _opt(life["closed"]),
                3 if old_wait else 0, escalation,
                ts(created + DAY) if escalation else None,
                ("untaken" if old_wait else "unresolved") if escalation else None,
                _opt(life["closed"]) if life["auto"] else None,
                ts(life["closed"] + 30 * DAY) if followed_up else None,
                "yes" if followed_up else None,
                ts(created) if status in ("new", "reopened") else None,
            ))  # fmt: skip
            events.append((tid, author, "created", "{}", ts(created)))
            data = json.dumps({"recipients": [[p, r] for p, r in routed], "skipped": []})
            events.append((tid, None, "routed", data, ts(created)))
            for p, reason in routed:
                recipients.append((tid, p, reason, ts(created)))
            if rng.random() < 0.04:  # a neighbour co-signs ("me too")
                other = rng.choice(residents_of[b])
                if other != author:
                    at = created + rng.random() * HOUR * 6
                    followers.append((tid, other, ts(at)))
                    events.append((tid, other, "cosigned", "{}", ts(min(at, now))))
            if escalation:
                events.append((tid, None, "escalated", '{"level": 2}', ts(created + DAY)))
            if life["taken"] is not None:
                events.append((tid, holder, "taken", "{}", ts(life["taken"])))
                for k in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):  # messages both ways
                    at = life["taken"] + (k + 1) * rng.random() * HOUR
                    if at < now:
                        who = holder if k % 2 == 0 else author
                        data = '{"direction": "to-resident"}' if k % 2 == 0 else "{}"
                        events.append((tid, who, "message", data, ts(at)))
            if life["reopened"] is not None:
                events.append((tid, holder, "resolved", "{}", ts(life["first_resolved"])))
                events.append((tid, author, "reopened", "{}", ts(life["reopened"])))
            if life["resolved"] is not None:
                events.append((tid, holder, "resolved", "{}", ts(life["resolved"])))
            if status == "withdrawn":
                events.append((tid, author, "withdrawn", "{}", ts(life["closed"])))
            elif life["closed"] is not None:
                kind = "auto-closed" if life["auto"] else "confirmed"
                actor = None if life["auto"] else author
                events.append((tid, actor, kind, "{}", ts(life["closed"])))
                if rating is not None:
                    events.append((tid, author, "rated", json.dumps({"stars": rating}),
                                   ts(life["closed"] + 60)))  # fmt: skip
            if spec.outbox_per_ticket:
                for _ in range(int(spec.outbox_per_ticket + rng.random())):
                    p = routed[0][0]
                    outbox.append((TELEGRAM_BASE + p, p, "card", "{}", tid, "sent", 1,
                                   ts(created), ts(created), ts(created + 1)))  # fmt: skip
        connection.execute("BEGIN")
        w.insert("tickets", ticket_keys, tickets)
        w.insert("ticket_events", event_keys, events)
        w.insert("ticket_recipients", recipient_keys, recipients)
        w.insert("ticket_followers", follower_keys, followers)
        w.insert("outbox", outbox_keys, outbox)
        connection.execute("COMMIT")

    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("PRAGMA journal_mode=WAL")
    head_building = max(head_buildings, key=lambda b: sizes[b - 1])
    head = staff_of[head_building][0][0]
    connection.close()
    return Generated(
        path=path,
        seconds=0.0,
        rows=dict(w.rows),
        statuses=statuses,
        bytes=0,
        head_telegram_id=TELEGRAM_BASE + head,
        coordinator_telegram_id=TELEGRAM_BASE + coordinators[0],
        community_id=1,
    )


def _opt(seconds: float | None) -> str | None:
    return None if seconds is None else ts(seconds)


def _arrivals(rng: random.Random, n: int, start: float, end: float) -> list[float]:
    """``n`` creation times between ``start`` and ``end``: a constant rate, more by day than by
    night (Shanghai), sorted (ids and numbers grow with time, as they do)."""
    out: list[float] = []
    span = end - start
    while len(out) < n:
        t = start + rng.random() * span
        hour = ((t + 8 * HOUR) % DAY) / HOUR
        if rng.random() < (0.25 if hour < 7 or hour >= 22 else 1.0):
            out.append(t)
    out.sort()
    return out


def _life(rng: random.Random, created: float, now: float) -> dict[str, Any]:
    """What happened to a ticket by ``now``: times of taking, resolving, closing."""
    life: dict[str, Any] = dict.fromkeys(
        ("taken", "resolved", "closed", "reopened", "first_resolved"), None
    )
    life["auto"] = life["confirmed"] = False
    roll = rng.random()
    if roll < 0.04:  # withdrawn by the resident within the day
        life["status"] = "withdrawn"
        life["closed"] = min(now, created + rng.random() * DAY)
        return life
    # A few get stuck (nobody takes them, or nobody finishes); the office clears those within
    # a quarter, so the stuck ones are recent ones whatever the length of the history.
    recent = now - created < 90 * DAY
    stuck_untaken = recent and roll < 0.043
    stuck_taken = recent and 0.043 <= roll < 0.05
    taken = created + rng.lognormvariate(math.log(3 * HOUR), 1.0)
    if stuck_untaken or taken > now:
        life["status"] = "new"
        return life
    life["taken"] = taken
    resolved = taken + rng.lognormvariate(math.log(1.5 * DAY), 1.0)
    if stuck_taken or resolved > now:
        life["status"] = "taken"
        return life
    if rng.random() < 0.05:  # "not fixed": reopened, then resolved again
        life["first_resolved"] = resolved
        reopened = resolved + rng.random() * 2 * DAY
        if reopened > now:
            life["resolved"] = resolved
            life["first_resolved"] = None
            life["status"] = "resolved"
            return life
        life["reopened"] = reopened
        resolved = reopened + rng.lognormvariate(math.log(DAY), 0.8)
        if resolved > now:
            life["status"] = "reopened"
            return life
    life["resolved"] = resolved
    if rng.random() < 0.6:
        closed = resolved + rng.lognormvariate(math.log(8 * HOUR), 1.0)
        if closed < resolved + 3 * DAY:
            life["confirmed"] = True
        else:
            closed = resolved + 3 * DAY
            life["auto"] = True
    else:
        closed = resolved + 3 * DAY  # nobody confirmed: closed automatically
        life["auto"] = True
    if closed > now:
        life["status"] = "resolved"
        life["confirmed"] = life["auto"] = False
        return life
    life["closed"] = closed
    life["status"] = "closed"
    return life


# ----------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Write a generated community into a new SQLite database (the bot's schema).",
    )
    parser.add_argument("out", type=Path, help="the database file to write (replaced)")
    parser.add_argument("--buildings", type=int, default=240)
    parser.add_argument("--residents", type=int, default=43_000)
    parser.add_argument("--heads", type=int, default=150, help="buildings with a head")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--per-day", type=float, default=100_000 / 730,
                        help="tickets a day (default: 100,000 over two years)")  # fmt: skip
    parser.add_argument("--days", type=float, help="spread the tickets over exactly this many days")
    parser.add_argument("--outbox-per-ticket", type=float, default=0.0,
                        help="delivered outbox rows kept per ticket (default none)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=20261126)
    return parser


def main() -> None:
    args = build_parser().parse_args()
    spec = Spec(
        buildings=args.buildings,
        residents=args.residents,
        heads=args.heads,
        tickets=args.tickets,
        per_day=args.per_day,
        days=args.days,
        outbox_per_ticket=args.outbox_per_ticket,
        seed=args.seed,
    )
    result = asyncio.run(generate(args.out, spec))
    print(  # noqa: T201
        f"{result.path}: {result.bytes / 2**20:.0f} MiB in {result.seconds:.1f} s; "
        f"{spec.span_days:.0f} days; rows {result.rows}; statuses {result.statuses}"
    )


if __name__ == "__main__":
    main()
