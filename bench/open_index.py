"""Benchmark: the head's ``/tickets`` "open" with and without the (building_id, status,
created_at) index of migration 0016, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.generate /tmp/c1m.db --tickets 1000000     # once: 3–7 min, 1.6 GB
    .venv/bin/python -m bench.open_index --db /tmp/c1m.db
    .venv/bin/python -m bench.open_index --db /tmp/c100k.db \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/typhoon_bench

SQLite (``--db``, a generated database, changed in place: the index is dropped and made
again): the head's and the coordinator's first "open" page as the button asks for it
(TicketLists.staff_tickets), the median of ``--repeat`` calls, in three rounds: as now (the
index, the page's walks per building and status), the baseline (the code before: the
(building_id, status) index it replaced, and the page in one ``status IN (…)`` query, which
the repository still runs for scopes too big for one statement), and as now again (so a
machine that got busier in between shows); each with the plan of the page's query (EXPLAIN
QUERY PLAN).

PostgreSQL (``--postgres``, a scratch database this command empties: every table of the bot's
schema is dropped, migrated, and filled from ``--db`` except the tickets' events and the
outbox), after ANALYZE: the same three rounds, each with EXPLAIN of the page's query. Not a
test: timing depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import median, print_machine, progress, say, table
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from storage.models import Base, CoordinatorScope, Person
from storage.repositories import tickets as ticket_repository

NEW = "ix_tickets_building_status_created"
OLD = "ix_tickets_building_status"
INDEXES = {
    NEW: "CREATE INDEX {name} ON tickets (building_id, status, created_at)",
    OLD: "CREATE INDEX {name} ON tickets (building_id, status)",
}
# What the lists join; the events and the outbox are not read by them.
COPIED = (
    "communities",
    "buildings",
    "people",
    "contacts",
    "memberships",
    "coordinator_scopes",
    "tickets",
    "ticket_recipients",
)
CHUNK = 5_000
ROUNDS = (("now", NEW, True), ("baseline: before", OLD, False), ("now", NEW, True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.open_index",
        description="The head's /tickets open with and without migration 0016's index.",
    )
    parser.add_argument("--db", type=Path, required=True, help="a database of bench.generate")
    parser.add_argument("--postgres", help="a scratch PostgreSQL database (emptied!)")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per figure")
    return parser


async def people(db: Database) -> dict[str, Person]:
    """bench.generate's head (of the biggest building with a head, as bench.scale and
    bench.growth time), the head of the biggest building among those with the fewest open
    tickets (where the old plan read the whole history), and the community's coordinator."""
    residents = "(SELECT count(*) FROM memberships r WHERE r.building_id = m.building_id)"
    opened = (
        "(SELECT count(*) FROM tickets t WHERE t.building_id = m.building_id "
        "AND t.status IN ('new', 'taken', 'reopened'))"
    )
    heads = "SELECT m.person_id FROM memberships m WHERE m.role = 'head' ORDER BY "
    biggest = text(f"{heads}{residents} DESC, m.building_id LIMIT 1")
    fewest = text(f"{heads}{opened}, {residents} DESC, m.building_id LIMIT 1")
    async with db.session() as session:
        head = await session.get(Person, await session.scalar(biggest))
        quiet = await session.get(Person, await session.scalar(fewest))
        office = await session.scalar(
            select(Person)
            .join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
            .where(CoordinatorScope.building_id.is_(None))
            .order_by(Person.id)
            .limit(1)
        )
    assert head is not None and quiet is not None and office is not None
    return {"head, biggest building": head, "head, fewest open": quiet, "coordinator": office}


Explain = Callable[[str, Any], Awaitable[list[str]]]


async def round_of(
    db: Database, repeat: int, explain: Explain, walks: bool
) -> dict[str, tuple[float, int, list[str]]]:
    """Median ms, open tickets listed, and the plan of the page's query, for each reader;
    without ``walks``, the page as one query (the code before 0016)."""
    streams = ticket_repository.STATUS_WALKS
    ticket_repository.STATUS_WALKS = streams if walks else 0
    try:
        return await _round(db, repeat, explain)
    finally:
        ticket_repository.STATUS_WALKS = streams


async def _round(
    db: Database, repeat: int, explain: Explain
) -> dict[str, tuple[float, int, list[str]]]:
    services = Services.create(
        Config(database_url=str(db.url), bot_username="louzhang_bench_bot"), db, Translations()
    )
    readers = await people(db)
    statements: list[tuple[str, Any]] = []
    capture = False

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if capture and "FROM tickets" in statement and "ORDER BY" in statement:
            statements.append((statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    found: dict[str, tuple[float, int, list[str]]] = {}
    try:
        for who, person in readers.items():
            page = await services.ticket_lists.staff_tickets(person, "open", 0)  # warm-up
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                await services.ticket_lists.staff_tickets(person, "open", 0)
                times.append((time.perf_counter() - started) * 1000)
            statements.clear()
            capture = True
            await services.ticket_lists.staff_tickets(person, "open", 0)
            capture = False
            plan = await explain(*statements[0]) if statements else ["(no page query seen)"]
            found[who] = (median(times), page.total, plan)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    return found


# ----------------------------------------------------------------------------- SQLite


def sqlite_indexes(path: Path, wanted: str) -> None:
    """Leaves exactly one of the two indexes on tickets: ``wanted``."""
    connection = sqlite3.connect(path)
    try:
        for name, create in INDEXES.items():
            there = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
            ).fetchone()
            if name == wanted and not there:
                connection.execute(create.format(name=name))
            elif name != wanted and there:
                connection.execute(f"DROP INDEX {name}")
        connection.commit()
    finally:
        connection.close()


def sqlite_explain(path: Path) -> Explain:
    async def explain(sql: str, params: Any) -> list[str]:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql, params or ()).fetchall()
            return [str(row[3]) for row in rows]
        finally:
            connection.close()

    return explain


async def on_sqlite(path: Path, repeat: int) -> list[list[Any]]:
    rows = []
    for label, index, walks in ROUNDS:
        progress(f"SQLite, {label} …")
        sqlite_indexes(path, index)
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            found = await round_of(db, repeat, sqlite_explain(path), walks)
        finally:
            await db.close()
        rows += [[f"SQLite, {label}", who, ms, total, "; ".join(plan)]
                 for who, (ms, total, plan) in found.items()]  # fmt: skip
    sqlite_indexes(path, NEW)  # as migrated
    return rows


# ----------------------------------------------------------------------------- PostgreSQL


async def fill_postgres(url: str, source: Path) -> Database:
    """The bot's schema on an emptied scratch database, with the lists' tables of ``source``."""
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await db.migrate()
    lite = create_engine(f"sqlite:///{source}")
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    try:
        with lite.connect() as reader:
            for name in COPIED:
                tbl = tables[name]
                progress(f"  copying {name} …")
                async with db.engine.begin() as writer:
                    await writer.execute(delete(tbl))
                    result = reader.execute(select(tbl)).mappings()
                    while chunk := result.fetchmany(CHUNK):
                        await writer.execute(insert(tbl), [dict(row) for row in chunk])
                if "id" in tbl.c:
                    await _reset_sequence(db.engine, name)
    finally:
        lite.dispose()
    async with db.engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        await connection.execute(text("ANALYZE"))
    return db


async def _reset_sequence(engine: AsyncEngine, name: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"coalesce(max(id), 1)) FROM {name}"
            )
        )


async def postgres_indexes(db: Database, wanted: str) -> None:
    async with db.engine.begin() as connection:
        for name, create in INDEXES.items():
            if name == wanted:
                await connection.execute(text(create.replace("INDEX", "INDEX IF NOT EXISTS", 1)
                                              .format(name=name)))  # fmt: skip
            else:
                await connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        await connection.execute(text("ANALYZE tickets"))


def postgres_explain(db: Database) -> Explain:
    async def explain(sql: str, params: Any) -> list[str]:
        async with db.engine.connect() as connection:
            rows = (await connection.exec_driver_sql("EXPLAIN " + sql, params)).all()
        return [str(row[0]).strip() for row in rows]

    return explain


async def on_postgres(url: str, source: Path, repeat: int) -> list[list[Any]]:
    progress("PostgreSQL: filling the scratch database …")
    db = await fill_postgres(url, source)
    rows = []
    try:
        for label, index, walks in ROUNDS:
            progress(f"PostgreSQL, {label} …")
            await postgres_indexes(db, index)
            found = await round_of(db, repeat, postgres_explain(db), walks)
            rows += [[f"PostgreSQL, {label}", who, ms, total, "; ".join(plan)]
                     for who, (ms, total, plan) in found.items()]  # fmt: skip
    finally:
        await db.close()
    return rows


def main() -> None:
    args = build_parser().parse_args()
    print_machine()
    rows = asyncio.run(on_sqlite(args.db, args.repeat))
    say(table(["engine, index", "reader", "open page 1, median ms", "open tickets", "plan"],
              rows, title=f"## /tickets open, page 1 ({args.db.name})"))  # fmt: skip
    if args.postgres:
        rows = asyncio.run(on_postgres(args.postgres, args.db, args.repeat))
        say(table(["engine, index", "reader", "open page 1, median ms", "open tickets", "plan"],
                  rows, title="## /tickets open, page 1, PostgreSQL"))  # fmt: skip


if __name__ == "__main__":
    main()
