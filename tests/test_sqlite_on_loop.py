"""SQLite on the event loop's thread (storage/sqlite_trips.py ``on_loop``): inside it a
statement, a commit and a rollback run on the loop's own thread, with the same outcomes and
errors as through the connection's thread; outside it (the scheduler's jobs, the office) every
one still goes to the connection's thread; an update's handling and the delivery worker run
inside it. Which thread ran a statement is read from SQLite's own trace callback, which runs
on the thread that executes it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from bot.scheduler import Scheduler
from bot.services import Services
from storage.db import Database
from storage.models import Role, telegram_address
from storage.repositories.outbox import OutboxRepository
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient, only
from tests.conftest import FakeClock
from tests.test_scheduler import OFFICE, make_town
from tests.waiting import eventually

Traced = list[tuple[bool, str]]  # (on the loop's thread, statement)


@pytest.fixture
async def traced(tmp_path: Path) -> AsyncIterator[tuple[Database, Traced]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}")
    await db.migrate()
    await db.engine.dispose()  # the next connection is made with the trace below
    seen: Traced = []
    trace_connections(db, seen)
    await _execute(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    seen.clear()
    yield db, seen
    await db.close()


def trace_connections(db: Database, seen: Traced) -> None:
    """Every statement SQLite runs on ``db``'s connections, and whether on this thread."""
    here = threading.get_ident()

    def connected(dbapi_connection: Any, _record: Any) -> None:
        raw: sqlite3.Connection = dbapi_connection._connection._connection
        raw.set_trace_callback(lambda sql: seen.append((threading.get_ident() == here, sql)))

    event.listen(db.engine.sync_engine, "connect", connected)


async def _execute(db: Database, sql: str) -> None:
    async with db.session() as session:
        await session.execute(text(sql))
        await session.commit()


def _rows(path: str) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as other:  # another connection: what was committed
        return list(other.execute("SELECT id, body FROM notes ORDER BY id"))


async def test_on_loop_statements_commits_and_rollbacks_run_on_the_loops_thread(
    traced: tuple[Database, Traced],
) -> None:
    db, seen = traced
    path = str(db.url.database)
    with db.on_loop():
        await _execute(db, "INSERT INTO notes (id, body) VALUES (1, 'on the loop')")
        async with db.session() as session:
            await session.execute(text("INSERT INTO notes (id, body) VALUES (2, 'undone')"))
            await session.rollback()
        with pytest.raises(IntegrityError):  # SQLAlchemy's error, as through the thread
            await _execute(db, "INSERT INTO notes (id, body) VALUES (1, 'again')")
    assert _rows(path) == [(1, "on the loop")]
    assert [sql.split()[0] for _, sql in seen] == [
        *["BEGIN", "INSERT", "COMMIT"],
        *["BEGIN", "INSERT", "ROLLBACK"],
        *["BEGIN", "INSERT", "ROLLBACK"],
    ]
    assert all(here for here, _ in seen), seen

    seen.clear()  # outside: every one on the connection's thread, as before
    await _execute(db, "INSERT INTO notes (id, body) VALUES (3, 'through the thread')")
    assert [sql.split()[0] for _, sql in seen] == ["BEGIN", "INSERT", "COMMIT"]
    assert not any(here for here, _ in seen), seen
    assert _rows(path)[-1] == (3, "through the thread")


async def test_a_closed_database_is_refused_on_the_loop_too(
    traced: tuple[Database, Traced],
) -> None:
    db, _ = traced
    async with db.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.close()  # as a shutdown would
        with db.on_loop(), pytest.raises(Exception, match="closed"):
            await connection.execute(text("SELECT 1"))
        await connection.invalidate()


async def test_an_update_and_the_delivery_worker_run_on_the_loop_a_job_does_not(
    client: BotClient, db: Database, services: Services, clock: FakeClock
) -> None:
    """The bot as it handles an update (create_dispatcher) and delivers (the worker's loop);
    a scheduler's scan stays on the connection's thread."""
    await db.engine.dispose()
    seen: Traced = []
    trace_connections(db, seen)
    resident = client.user(4242)

    await client.send(resident, "/start")
    assert seen and all(here for here, _ in seen), seen  # the person, their conversation

    async with db.session() as session:  # a notification, as a service writes one
        await OutboxRepository(session).add(
            to=telegram_address(4242), person_id=None, payload={"text": "hello"}, now=clock()
        )
        await session.commit()
    seen.clear()
    worker = TelegramDelivery(client.bot, db, clock, poll_seconds=30)
    worker.start()
    try:
        await eventually(
            lambda: any(getattr(r, "text", None) == "hello" for r in client.session.requests),
            "the notification sent",
        )
    finally:
        await worker.stop()
    assert any(sql.startswith("UPDATE outbox") for _, sql in seen), seen
    assert all(here for here, _ in seen), seen

    seen.clear()
    await Scheduler(services, "Asia/Shanghai").run("sla-reminders")
    assert seen and not any(here for here, _ in seen), seen


async def test_a_coordinators_digest_scans_off_the_loop(
    client: BotClient, db: Database, services: Services, clock: FakeClock
) -> None:
    """/digest's figures (scans over every ticket of the community) go to the connection's
    thread; the rest of that update stays on the loop's."""
    town = await make_town(services, db, clock)
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    await town.report(await town.resident(), text="The lift is stuck")
    await db.engine.dispose()
    seen: Traced = []
    trace_connections(db, seen)

    sent = await client.send(client.user(OFFICE, "en", "Office"), "/digest")
    assert "daily report" in only(sent).text
    scans = [sql for here, sql in seen if not here]
    assert any("count(" in sql.lower() for sql in scans), seen  # the figures
    assert [sql for here, sql in seen if here], seen  # the person, the coordinator's areas


async def test_an_in_memory_database_works_on_the_loop_too() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        with db.on_loop():
            await _execute(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            await _execute(db, "INSERT INTO notes (id, body) VALUES (1, 'kept')")
            async with db.session() as session:
                rows = (await session.execute(text("SELECT body FROM notes"))).scalars().all()
        assert rows == ["kept"]
    finally:
        await db.close()
