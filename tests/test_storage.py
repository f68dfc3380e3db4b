"""The database: migrations, connection settings, time zones, the FSM storage and the
single-winner invitation claim."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest.mock import AsyncMock
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

import storage.db
from bot.services.updates import UpdateLog
from storage.db import Database, NestedSessionError
from storage.models import (
    Base,
    FsmRecord,
    Invitation,
    Person,
    ProcessedUpdate,
    Role,
    telegram_address,
)
from storage.repositories import CommunityRepository, InvitationRepository, PersonRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.updates import UpdateRepository
from telegram.fsm import BatchedWrites, SqlStorage
from tests.conftest import FakeClock
from tests.test_contacts_migration import pg_url as pg_url_fixture
from tests.waiting import eventually

pg_url = pg_url_fixture
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _tables(db: Database) -> dict[str, set[str]]:
    async with db.engine.connect() as connection:

        def read(sync_connection: object) -> dict[str, set[str]]:
            inspector = inspect(sync_connection)
            return {
                name: {c["name"] for c in inspector.get_columns(name)}
                for name in inspector.get_table_names()
            }

        return await connection.run_sync(read)


async def _schema(db: Database) -> list[tuple[str, str, str | None]]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_migrations_create_every_table_of_the_models_on_a_fresh_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "dir" / "fresh.db"
    assert not path.exists()
    db = Database(_url(path))
    try:
        await db.migrate()
        assert path.exists()
        tables = await _tables(db)
        # The search index (migration 0018) is SQLite's FTS5 tables and their shadow tables,
        # kept by triggers, not models.
        search = {name for name in tables if name.startswith(("tickets_fts", "ticket_events_fts"))}
        assert len(search) >= 2
        assert set(tables) - {"alembic_version"} - search == set(Base.metadata.tables)
        # The columns too: a model column missing from the migration fails at the first insert.
        for name, table in Base.metadata.tables.items():
            assert tables[name] == {c.name for c in table.columns}, name
        async with db.engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert len(versions.all()) == 1
    finally:
        await db.close()


async def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    db = Database(_url(tmp_path / "twice.db"))
    try:
        await db.migrate()
        async with db.session() as session:
            await CommunityRepository(session).add("塘中社区", "Asia/Shanghai", datetime.now(UTC))
            await session.commit()
        before = await _schema(db)
        await db.migrate()
        assert await _schema(db) == before
        async with db.session() as session:
            assert await CommunityRepository(session).count() == 1
    finally:
        await db.close()
    # And again after a restart, on a new engine.
    db = Database(_url(tmp_path / "twice.db"))
    try:
        await db.migrate()
        assert await _schema(db) == before
    finally:
        await db.close()


async def test_every_connection_has_the_pragmas(db: Database) -> None:
    # The bot's own connection, and a second process's (a CLI command) on the same file.
    other = Database(str(db.url))
    try:
        for database in (db, other):
            async with database.engine.connect() as connection:
                foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
                journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
                busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
            assert foreign_keys == 1
            assert str(journal).lower() == "wal"
            assert busy is not None and busy >= 1000
    finally:
        await other.close()


async def test_units_of_work_take_turns_instead_of_timing_out_on_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit of work keeps SQLite's one write lock from its first write to its commit, across
    awaits. Under load that can outlast busy_timeout, and with a connection per unit of work
    the others then fail with "database is locked". With one connection they wait their turn."""
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", 50)
    db = Database(_url(tmp_path / "turns.db"))
    await db.migrate()

    async def write(name: str, hold: float) -> None:
        async with db.session() as session:
            await CommunityRepository(session).add(name, "Asia/Shanghai", NOW)
            await asyncio.sleep(hold)  # the loop is busy elsewhere; the lock is held
            await session.commit()

    try:
        await asyncio.gather(write("slow", 0.3), *(write(f"c{n}", 0) for n in range(5)))
        async with db.session() as session:
            assert await CommunityRepository(session).count() == 6
    finally:
        await db.close()


async def test_the_delivery_workers_turn_comes_before_the_handlers_waiting(
    tmp_path: Path,
) -> None:
    """While a burst keeps handlers waiting for the one connection, a task first in line (the
    delivery worker) gets it as soon as the unit of work in hand ends; a waiter that gives up
    (cancelled) neither keeps a turn nor loses one for the others."""
    db = Database(_url(tmp_path / "first.db"))
    await db.migrate()
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def unit(name: str, *, hold: bool = False) -> None:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
            order.append(name)
            if hold:
                holding.set()
                await release.wait()

    async def first(name: str) -> None:
        with db.first_in_line():
            await unit(name)

    try:
        tasks = [asyncio.create_task(unit("in hand", hold=True))]
        await holding.wait()
        tasks += [asyncio.create_task(unit(f"handler {n}")) for n in range(3)]
        gone = asyncio.create_task(first("cancelled"))
        tasks += [asyncio.create_task(first("worker"))]
        await eventually(lambda: len(db._turns._waiting) == 5 if db._turns else False, "waiting")
        gone.cancel()
        release.set()
        await asyncio.gather(*tasks)
        assert gone.cancelled()
        assert order == ["in hand", "worker", "handler 0", "handler 1", "handler 2"]
        async with db.session() as session:  # and nothing is left holding a turn
            assert (await session.execute(text("SELECT 2"))).scalar() == 2
    finally:
        await db.close()


async def test_a_unit_of_work_inside_another_is_refused(db: Database) -> None:
    # On SQLite it would wait forever for the connection the outer one holds.
    async with db.session():
        with pytest.raises(NestedSessionError):
            async with db.session():
                pass
    # A task of its own, once the first is done, is fine.
    async with db.session() as session:
        assert await CommunityRepository(session).count() == 0


async def test_foreign_keys_are_enforced(db: Database) -> None:
    async with db.session() as session:
        session.add(
            Invitation(
                token="t",
                role=Role.HEAD,
                community_id=12345,
                building_id=None,
                created_by=None,
                created_at=datetime.now(UTC),
                expires_at=datetime.now(UTC),
            )
        )
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            await session.commit()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
    ],
)
async def test_aware_datetimes_round_trip_as_utc(db: Database, moment: datetime) -> None:
    async with db.session() as session:
        person = await PersonRepository(session).add(telegram_address(1), "A", moment)
        person.unreachable_since = moment
        await session.commit()
    async with db.session() as session:
        stored = await PersonRepository(session).by_contact(*telegram_address(1))
        assert stored is not None
        assert stored.created_at == moment
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at.tzinfo is UTC
        assert stored.unreachable_since == moment
        # Stored as UTC wall time, so comparisons in SQL agree with Python.
        raw = await session.scalar(text("SELECT created_at FROM people"))
    assert str(raw).startswith(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    async with db.session() as session:
        later = await session.scalar(
            select(func.count()).where(Person.created_at < moment + timedelta(seconds=1))
        )
        earlier = await session.scalar(select(func.count()).where(Person.created_at < moment))
    assert (later, earlier) == (1, 0)


async def test_a_naive_datetime_is_refused(db: Database) -> None:
    async with db.session() as session:
        naive = datetime(2026, 11, 26, 10, 0)  # noqa: DTZ001 (the point of the test)
        session.add(Person(display_name="B", created_at=naive))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.flush()
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


# --- the FSM storage ---------------------------------------------------------------------------


class Flow(StatesGroup):
    step = State()


KEY = StorageKey(bot_id=424242, chat_id=7, user_id=7)


async def _fsm_rows(db: Database) -> list[tuple[str, str | None, dict[str, object]]]:
    async with db.session() as session:
        rows = (await session.scalars(select(FsmRecord))).all()
        return [(r.key, r.state, dict(r.data)) for r in rows]


async def test_fsm_state_and_data_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    url = _url(tmp_path / "fsm.db")
    db = Database(url)
    await db.migrate()
    storage = SqlStorage(db, clock)
    await storage.set_state(KEY, Flow.step)
    await storage.set_data(KEY, {"building_id": 5, "text": "电梯坏了", "photos": ["a", "b"]})
    other = StorageKey(bot_id=424242, chat_id=8, user_id=8)
    await storage.set_state(other, "Other:state")
    await storage.close()
    await db.close()

    restarted = Database(url)
    try:
        await restarted.migrate()
        storage = SqlStorage(restarted, clock)
        assert await storage.get_state(KEY) == "Flow:step"
        assert await storage.get_data(KEY) == {
            "building_id": 5,
            "text": "电梯坏了",
            "photos": ["a", "b"],
        }
        assert await storage.get_state(other) == "Other:state"
        assert await storage.get_data(other) == {}
        # Keys are per chat and user (and bot, and destiny).
        stranger = StorageKey(bot_id=424242, chat_id=7, user_id=9)
        assert await storage.get_state(stranger) is None
        assert await storage.get_data(stranger) == {}
        # Another bot (another token) on the same database: the same person, no conversation.
        other_bot = StorageKey(bot_id=KEY.bot_id + 1, chat_id=KEY.chat_id, user_id=KEY.user_id)
        assert await storage.get_state(other_bot) is None
        assert await storage.get_data(other_bot) == {}
    finally:
        await restarted.close()


async def test_fsm_row_is_deleted_when_state_and_data_are_cleared(
    db: Database, clock: FakeClock
) -> None:
    storage = SqlStorage(db, clock)
    await storage.set_state(KEY, Flow.step)
    await storage.set_data(KEY, {"a": 1})
    assert len(await _fsm_rows(db)) == 1

    await storage.set_state(KEY, None)  # data still there: the row stays
    rows = await _fsm_rows(db)
    assert [(state, data) for _, state, data in rows] == [(None, {"a": 1})]

    await storage.set_data(KEY, {})
    assert await _fsm_rows(db) == []
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}

    # The other order, and clearing what was never set, leave nothing behind either.
    await storage.set_data(KEY, {"b": 2})
    await storage.set_state(KEY, Flow.step)
    await storage.set_data(KEY, {})
    assert [(state, data) for _, state, data in await _fsm_rows(db)] == [("Flow:step", {})]
    await storage.set_state(KEY, None)
    assert await _fsm_rows(db) == []
    await storage.set_state(StorageKey(bot_id=1, chat_id=2, user_id=3), None)
    assert await _fsm_rows(db) == []


async def test_fsm_update_data_merges(db: Database, clock: FakeClock) -> None:
    storage = SqlStorage(db, clock)
    await storage.set_data(KEY, {"a": 1})
    assert await storage.update_data(KEY, {"b": 2}) == {"a": 1, "b": 2}
    assert await storage.get_data(KEY) == {"a": 1, "b": 2}


async def test_fsm_an_update_writes_only_the_conversations_it_changed(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SqlStorage(db, clock)
    writes = BatchedWrites(storage)
    other = StorageKey(bot_id=424242, chat_id=8, user_id=8)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "fsm_state" in statement:
            statements.append(statement.split()[0])

    async def update(*steps: tuple[StorageKey, str | None, dict[str, object]]) -> list[str]:
        """One update through BatchedWrites that sets each (key, state, data) in turn."""

        async def handler(_event: object, _data: dict[str, object]) -> None:
            for key, state, data in steps:
                await storage.set_state(key, state)
                await storage.set_data(key, data)

        statements.clear()
        await writes(handler, object(), {})
        return statements[:]

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        # /tickets of someone with no conversation: the "clear" of nothing writes nothing.
        assert await update((KEY, None, {})) == ["SELECT"]  # read once, then from memory
        assert await update((KEY, None, {})) == []
        # A step that changes it is written; one that sets it back as it was is not.
        assert await update((KEY, "Flow:step", {"a": 1})) == ["INSERT"]
        assert await update((KEY, "Flow:step", {"a": 1})) == []
        assert await update((KEY, "Other:state", {}), (KEY, "Flow:step", {"a": 1})) == []
        # Of two conversations, only the changed one.
        assert await update((other, None, {}), (KEY, None, {})) == ["SELECT", "DELETE"]
        assert await _fsm_rows(db) == []

        # A write that failed: the next update that sets the same is written, not skipped.
        failing = AsyncMock(side_effect=OSError("disk full"))
        with monkeypatch.context() as patched:
            patched.setattr("storage.repositories.FsmRepository.save", failing)
            with pytest.raises(OSError, match="disk full"):
                await update((KEY, "Flow:step", {"b": 2}))
        assert await _fsm_rows(db) == []
        assert await update((KEY, "Flow:step", {"b": 2})) == ["INSERT"]
        assert [(s, d) for _, s, d in await _fsm_rows(db)] == [("Flow:step", {"b": 2})]
        assert await update((KEY, "Flow:step", {"b": 2})) == []
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


# --- invitations -------------------------------------------------------------------------------


async def test_two_concurrent_claims_have_exactly_one_winner(
    db: Database, clock: FakeClock
) -> None:
    now = clock()
    async with db.session() as session:
        community = await CommunityRepository(session).add("塘中社区", "Asia/Shanghai", now)
        people = PersonRepository(session)
        first = await people.add(telegram_address(101), "A", now)
        second = await people.add(telegram_address(102), "B", now)
        invitation = await InvitationRepository(session).add(
            token="tok",
            role=Role.COORDINATOR,
            community_id=community.id,
            building_id=None,
            created_by=None,
            now=now,
            expires_at=now + timedelta(days=7),
        )
        await session.commit()

    # Two instances of the bot on one database (within one, units of work take turns).
    other = Database(str(db.url))

    both_read = asyncio.Barrier(2)

    async def claim(database: Database, person_id: int) -> bool:
        async with database.session() as session:
            invitations = InvitationRepository(session)
            # Both read the invitation as unused before either claims it.
            found = await invitations.by_token("tok")
            assert found is not None and found.used_at is None
            await both_read.wait()
            won = await invitations.claim(found.id, person_id, now)
            await asyncio.sleep(0.01)  # hold the transaction open a moment
            await session.commit()
            return won

    try:
        results = await asyncio.gather(claim(db, first.id), claim(other, second.id))
    finally:
        await other.close()
    assert sorted(results) == [False, True]
    winner = first.id if results[0] else second.id
    async with db.session() as session:
        stored = await session.get(Invitation, invitation.id)
        assert stored is not None
        assert stored.used_by == winner
        assert stored.used_at == now
        # A later claim loses too, and so does a claim of an expired invitation.
        assert not await InvitationRepository(session).claim(invitation.id, first.id, now)


async def test_an_expired_invitation_cannot_be_claimed(db: Database, clock: FakeClock) -> None:
    now = clock()
    async with db.session() as session:
        community = await CommunityRepository(session).add("塘中社区", "Asia/Shanghai", now)
        person = await PersonRepository(session).add(telegram_address(101), "A", now)
        invitation = await InvitationRepository(session).add(
            token="old",
            role=Role.COORDINATOR,
            community_id=community.id,
            building_id=None,
            created_by=None,
            now=now - timedelta(days=8),
            expires_at=now - timedelta(seconds=1),
        )
        assert not await InvitationRepository(session).claim(invitation.id, person.id, now)
        await session.commit()


async def test_fsm_data_read_is_a_copy_and_written_through(db: Database, clock: FakeClock) -> None:
    storage = SqlStorage(db, clock)
    await storage.set_state(KEY, Flow.step)
    await storage.set_data(KEY, {"photos": ["a"]})
    read = await storage.get_data(KEY)
    read["photos"].append("b")  # changed but never written back
    assert await storage.get_data(KEY) == {"photos": ["a"]}
    # Every change is in the database at once, not only in this process's memory.
    assert [(s, d) for _, s, d in await _fsm_rows(db)] == [("Flow:step", {"photos": ["a"]})]
    assert await SqlStorage(db, clock).get_state(KEY) == "Flow:step"


# --- handled updates ---------------------------------------------------------------------------


async def _recorded(db: Database) -> list[int]:
    async with db.session() as session:
        rows = await session.scalars(select(ProcessedUpdate.update_id))
        return sorted(rows.all())


async def test_update_ids_are_written_in_batches_and_remembered_after_a_restart(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[int]] = []
    record = UpdateRepository.record

    async def recorded(self: UpdateRepository, ids: list[int], now: datetime) -> None:
        batches.append(list(ids))
        await record(self, ids, now)

    monkeypatch.setattr(UpdateRepository, "record", recorded)
    log = UpdateLog(db, clock, flush_seconds=0.05)
    assert [await log.claim(i) for i in (1, 2, 2, 3)] == [True, True, False, True]
    await eventually(lambda: bool(batches), "the batch")
    assert batches == [[1, 2, 3]]  # one transaction soon after, not one per update
    assert await _recorded(db) == [1, 2, 3]

    assert await log.claim(4)
    await log.close()  # shutdown writes what is left
    assert await _recorded(db) == [1, 2, 3, 4]

    restarted = UpdateLog(db, clock)
    assert [await restarted.claim(i) for i in (3, 4, 5)] == [False, False, True]
    await restarted.close()


async def test_recording_ids_leaves_those_recorded_before_as_they_were(
    db: Database, clock: FakeClock
) -> None:
    await _record_twice(db, clock)


async def test_recording_ids_on_postgres_leaves_those_recorded_before_as_they_were(
    pg_url: str, clock: FakeClock
) -> None:
    db = Database(pg_url)
    try:
        await db.migrate()
        await _record_twice(db, clock)
    finally:
        await db.close()


async def _record_twice(db: Database, clock: FakeClock) -> None:
    first, later = clock(), clock() + timedelta(hours=1)
    async with db.session() as session:
        await UpdateRepository(session).record([1, 2], first)
        await session.commit()
    async with db.session() as session:
        await UpdateRepository(session).record([2, 3, 3, 1, 4], later)
        await UpdateRepository(session).record([], later)
        await session.commit()
    async with db.session() as session:
        rows = await session.execute(
            select(ProcessedUpdate.update_id, ProcessedUpdate.processed_at)
        )
        when = {row.update_id: row.processed_at for row in rows}
    assert when == {1: first, 2: first, 3: later, 4: later}


async def test_a_batch_that_cannot_be_written_is_kept_for_the_next(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = UpdateLog(db, clock, flush_seconds=3600)
    assert await log.claim(10)
    broken = AsyncMock(side_effect=OSError("disk full"))
    with monkeypatch.context() as patch:
        patch.setattr(UpdateRepository, "record", broken)
        with pytest.raises(OSError):
            await log.flush()
    await log.flush()
    assert await _recorded(db) == [10]
    await log.close()


async def test_shutdown_during_a_timed_flush_waits_for_it(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timed flush is writing when the bot shuts down: close() lets it finish (cancelled
    half-way, its ids were lost and its connection left unclosed for the garbage collector)."""
    writing = asyncio.Event()
    go_on = asyncio.Event()
    record = UpdateRepository.record

    async def slow(self: UpdateRepository, ids: list[int], now: datetime) -> None:
        writing.set()
        await go_on.wait()
        await record(self, ids, now)

    monkeypatch.setattr(UpdateRepository, "record", slow)
    log = UpdateLog(db, clock, flush_seconds=0)
    assert await log.claim(7)
    await asyncio.wait_for(writing.wait(), 10)
    closing = asyncio.create_task(log.close())
    await asyncio.sleep(0)
    assert not closing.done()  # waits for the flush rather than cancelling it
    go_on.set()
    await asyncio.wait_for(closing, 10)
    assert await _recorded(db) == [7]


# --- the delivery worker's wake-up -------------------------------------------------------------


async def test_a_commit_that_queued_notifications_wakes_the_listeners(
    db: Database, clock: FakeClock
) -> None:
    woken: list[int] = []
    db.on_queued(lambda: woken.append(1))

    async def queue(then_commit: bool) -> None:
        async with db.session() as session:
            await OutboxRepository(session).add(
                to=telegram_address(7), person_id=None, payload={"text": "hi"}, now=clock()
            )
            if then_commit:
                await session.commit()

    await queue(then_commit=False)  # rolled back: nothing to deliver
    assert woken == []
    async with db.session() as session:  # a commit without notifications
        await CommunityRepository(session).add("Tangzhong", "Asia/Shanghai", NOW)
        await session.commit()
    assert woken == []
    await queue(then_commit=True)
    assert woken == [1]
