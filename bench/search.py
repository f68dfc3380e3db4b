"""Benchmark: the console's search (``/console/tickets?q=``) through migration 0018's trigram
index beside the scan it replaces, on a generated SQLite database.

    .venv/bin/python -m bench.generate /tmp/c100k.db        # once: ~20 s, 100,000 tickets
    .venv/bin/python -m bench.search --db /tmp/c100k.db

bench.generate writes no words into the history, so this command first gives every resolved
ticket a resolve note (from a handful, as heads write them) and plants one rare word in one
description and another in one note (changed in place, once; the triggers of 0018 index
them). Then, for the community's coordinator (the whole area in scope), the first page of a
search for: a rare word of a description, a rare word of a note, a common word (thousands of
hits, newest first), and a two-character word (below the trigram's three: the LIKE scan in
both rounds). Each as the median of ``--repeat`` calls, in two rounds: "index" (the code as
it is) and "scan" (the same query answered by LIKE over descriptions and notes, what the code
does without an index), with the plan of the page's query (EXPLAIN QUERY PLAN). Not a test:
timing depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bench.common import median, print_machine, progress, say, table
from bot.config import Config
from bot.services.access import Coverage
from bot.services.ticket_query import TicketQuery, TicketSearch
from storage.db import Database
from storage.models import CoordinatorScope
from storage.repositories import ticket_search

RARE_DESCRIPTION = "消防栓被撞歪"
RARE_NOTE = "已联系燃气公司"
NOTES = ("已更换灯泡", "已清理完毕", "维修师傅已上门处理", "已通知物业", "水管已修好")
QUERIES = {
    "rare, in a description": "消防栓",
    "rare, in a note": "燃气公司",
    "common (many hits)": "已更换灯泡",
    "2 characters (scan)": "灯泡",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search",
        description="The console's search with and without migration 0018's trigram index.",
    )
    parser.add_argument("--db", type=Path, required=True, help="a database of bench.generate")
    parser.add_argument("--repeat", type=int, default=10, help="timed calls per figure")
    return parser


def prepare(path: Path) -> None:
    """Notes on the resolved tickets and the two rare words, once (the triggers index them)."""
    connection = sqlite3.connect(path)
    try:
        if connection.execute("SELECT count(*) FROM ticket_events_fts").fetchone()[0]:
            return
        progress("writing resolve notes …")
        for index, note in enumerate(NOTES):
            connection.execute(
                "UPDATE ticket_events SET data = json_set(data, '$.note', ?) "
                "WHERE kind = 'resolved' AND id % ? = ?",
                (note, len(NOTES), index),
            )
        connection.execute(
            "UPDATE tickets SET description = description || ?"
            " WHERE id = (SELECT min(id) FROM tickets)",
            (RARE_DESCRIPTION,),
        )
        connection.execute(
            "UPDATE ticket_events SET data = json_set(data, '$.note', ?)"
            " WHERE id = (SELECT min(id) FROM ticket_events WHERE kind = 'resolved')",
            (RARE_NOTE,),
        )
        connection.commit()
    finally:
        connection.close()


async def coordinator(db: Database) -> Coverage:
    async with db.session() as session:
        community = await session.scalar(
            select(CoordinatorScope.community_id)
            .where(CoordinatorScope.building_id.is_(None))
            .order_by(CoordinatorScope.person_id)
            .limit(1)
        )
    assert community is not None
    return Coverage(community_ids=frozenset({community}))


async def round_of(db: Database, indexed: bool, repeat: int) -> list[list[Any]]:
    search = TicketSearch(Config(database_url=str(db.url)), db, _now)
    seen = await coordinator(db)
    original = ticket_search.TicketSearchRepository._dialect
    if not indexed:  # what the repository does where no trigram index answers
        ticket_search.TicketSearchRepository._dialect = lambda self: "scan"  # type: ignore[method-assign]
    statements: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if "ORDER BY" in statement and "FROM tickets" in statement:
            statements.append(statement)

    rows: list[list[Any]] = []
    try:
        for label, words in QUERIES.items():
            query = TicketQuery(text=words)
            page = await search.page(seen, query, None)  # warm-up
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                await search.page(seen, query, None)
                times.append((time.perf_counter() - started) * 1000)
            statements.clear()
            event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
            await search.page(seen, query, None)
            event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
            plan = _plan(db, statements[0]) if statements else "?"
            rows.append(
                [
                    "index" if indexed else "scan",
                    label,
                    f"{median(times):.1f}",
                    len(page.rows),
                    plan,
                ]
            )
    finally:
        ticket_search.TicketSearchRepository._dialect = original  # type: ignore[method-assign]
    return rows


def _now() -> datetime:
    return datetime.now(UTC)


def _plan(db: Database, statement: str) -> str:
    """EXPLAIN QUERY PLAN's lines about the tickets and the FTS tables, shortened."""
    path = db.url.database
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        count = statement.count("?")
        lines = connection.execute("EXPLAIN QUERY PLAN " + statement, [None] * count).fetchall()
    except sqlite3.Error as error:
        return f"({error})"
    finally:
        connection.close()
    return "; ".join(str(line[3]) for line in lines if "fts" in line[3] or "ticket" in line[3])[
        :160
    ]


async def run(path: Path, repeat: int) -> list[list[Any]]:
    prepare(path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        return await round_of(db, True, repeat) + await round_of(db, False, repeat)
    finally:
        await db.close()


def main() -> None:
    args = build_parser().parse_args()
    print_machine()
    rows = asyncio.run(run(args.db, args.repeat))
    say(table(["round", "search", "page 1, median ms", "rows", "plan"], rows,
              title=f"## /console/tickets?q=, page 1, coordinator ({args.db.name})"))  # fmt: skip


if __name__ == "__main__":
    main()
