"""Engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import QueryContext, Session

from storage import batched_inserts, sqlite_trips
from storage.cache import ReadCache
from storage.models import Building, Community, Person

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)
sqlite_trips.install()  # one trip to aiosqlite's thread per statement (or none), not four
assert batched_inserts.BATCHED  # its before_flush listener: one INSERT per table (SQLite)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The databases this task has a session open on (a task inherits its creator's value).
_OPEN: ContextVar[frozenset[int]] = ContextVar("louzhang_open_sessions", default=frozenset())


# Set in a session's info by whatever queues a notification; read when the session commits.
QUEUED = "louzhang_queued_notifications"


class NestedSessionError(RuntimeError):
    """A unit of work opened inside another on the same database. On SQLite the inner one
    would wait forever for the one connection the outer holds: pass the session down."""


# How long a unit of work may wait for the SQLite connection before it fails.
POOL_TIMEOUT = 60
# How long a connection waits for another process's write lock before "database is locked".
BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Every connection: WAL so readers never wait for the writer, foreign keys enforced, and a
    # busy timeout so a second writer waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "") if type(value) is str and "\x00" in value else value


def _row_without_nul(row: Any) -> Any:
    if isinstance(row, dict):
        return {key: _without_nul(value) for key, value in row.items()}
    if isinstance(row, tuple | list):
        return tuple(map(_without_nul, row))
    return row


def _json_without_nul(value: Any) -> str:
    """JSON as SQLAlchemy writes it (``json.dumps``), without a NUL in any string: PostgreSQL's
    ``json`` refuses even an escaped one."""

    def clean(item: Any) -> Any:
        if type(item) is str:
            return _without_nul(item)
        if isinstance(item, dict):
            return {clean(key): clean(inner) for key, inner in item.items()}
        if isinstance(item, list | tuple):
            return [clean(inner) for inner in item]
        return item

    return json.dumps(clean(value))


def _no_nul_in_text(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    """PostgreSQL's text cannot hold a NUL character (SQLite's can): one pasted into a web
    form, an Open311 request or the console made the whole statement fail. A NUL means nothing
    in a person's words, so it is left out of every text the bot writes there, whichever door
    it came through (of JSON too: ``_json_without_nul``).
    ``parameters``: one row, or for an executemany its rows (an INSERT of several rows in one
    statement has them as one flat row)."""
    rows = executemany and isinstance(parameters, list) and parameters
    if rows and isinstance(parameters[0], tuple | list | dict):
        return statement, [_row_without_nul(row) for row in parameters]
    return statement, _row_without_nul(parameters)


# The database holds residents' names, phones and words: readable by the bot's user only.
PRIVATE_FILE = 0o600


def owner_only(path: Path) -> None:
    """Creates ``path`` empty and private if missing (an empty file is an empty SQLite
    database); tightens an existing one made before this rule, with its -wal and -shm. SQLite
    gives the -wal, -shm and journal files it creates later the database file's permissions
    (os_unix.c, findCreateFileMode), so they are private too."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        return
    except FileExistsError:
        pass
    tightened = []
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(mode & 0o700)
                tightened.append(f"{file.name} ({mode:o})")
        except FileNotFoundError:
            continue
        except PermissionError as error:  # another user's file: say so, carry on
            log.warning("cannot make %s private: %s", file, error.strerror)
    if tightened:
        log.warning(
            "%s: %s readable by others; now by the owner only", path.parent, ", ".join(tightened)
        )


# Set for a task whose units of work go before the others' when they wait for the SQLite
# connection (``Database.first_in_line``).
_FIRST: ContextVar[bool] = ContextVar("louzhang_first_in_line", default=False)


class _Turns:
    """The one SQLite connection's turns, by priority, then first come first served. The pool
    alone (a FIFO) made the delivery worker's claim, its reads and its record each queue
    behind every handler in hand (64 in a burst): ~0.5-1 s of each pass with nothing sent."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap
        self._seq = itertools.count()

    async def take(self, first: bool) -> None:
        if not self._held and not self._waiting:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (0 if first else 1, next(self._seq), turn))
        try:
            async with asyncio.timeout(POOL_TIMEOUT):
                await turn
        except TimeoutError:
            raise PoolTimeout(f"the database was busy for {POOL_TIMEOUT} s") from None
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.give()  # handed over as this task was cancelled: the next one's
            raise

    def give(self) -> None:
        while self._waiting:
            turn = heapq.heappop(self._waiting)[2]
            if not turn.done():  # (one that timed out or was cancelled is done)
                turn.set_result(None)
                return
        self._held = False


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            path = Path(self.url.database).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            owner_only(path)
        options: dict[str, Any] = {}
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            # One connection, so units of work take turns instead of racing for SQLite's one
            # write lock: a unit of work holds it from its first write to its commit, across
            # awaits, and under load that outlasted busy_timeout ("database is locked"). It also
            # keeps one aiosqlite thread instead of fifteen contending for the GIL. Units of work
            # are short and never wait on the network; a second process (a CLI command) still
            # meets busy_timeout.
            options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT}
        self._turns = _Turns() if options else None
        if self.is_sqlite:
            # Used from the loop's thread too, one unit of work at a time (``on_loop``).
            options["connect_args"] = {"check_same_thread": False}
        elif self.url.get_backend_name() == "postgresql":
            options["json_serializer"] = _json_without_nul
        # Parameters (names, phones, residents' words) never reach a log line or an error's
        # message (a failed INSERT's exception quotes them), unless SQL echo was asked for.
        self.engine: AsyncEngine = create_async_engine(
            self.url, echo=echo, hide_parameters=not echo, **options
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        elif self.url.get_backend_name() == "postgresql":
            event.listen(
                self.engine.sync_engine, "before_cursor_execute", _no_nul_in_text, retval=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # One process owns a SQLite file's bot (its one connection); several instances share a
        # PostgreSQL database and keep no cache until it is invalidated through Redis.
        self.cache = ReadCache(enabled=self.is_sqlite)
        self._on_queued: list[Callable[[], None]] = []

    def on_queued(self, callback: Callable[[], None]) -> None:
        """``callback`` runs after every commit that queued notifications in the outbox (the
        delivery worker looks at once instead of at its next poll)."""
        self._on_queued.append(callback)

    def _queued(self) -> None:
        for callback in self._on_queued:
            callback()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work. The caller commits; anything not committed is rolled back.
        Never nested: code that needs the database inside a unit of work takes its session."""
        open_here = _OPEN.get()
        if id(self) in open_here:
            raise NestedSessionError("a session is already open on this database in this task")
        token = _OPEN.set(open_here | {id(self)})
        turns = self._turns
        try:
            if turns is not None:
                await turns.take(_FIRST.get())
            try:
                async with self.sessions() as session:
                    session.info["database"] = self
                    yield session
            finally:
                if turns is not None:
                    turns.give()
        finally:
            _OPEN.reset(token)

    @staticmethod
    @contextmanager
    def first_in_line() -> Iterator[None]:
        """The units of work of this task (and of the tasks it starts) go before the others'
        when they wait for the SQLite connection: the delivery worker's, a few short ones per
        pass, while a burst of updates keeps the handlers' queue long."""
        token = _FIRST.set(True)
        try:
            yield
        finally:
            _FIRST.reset(token)

    @staticmethod
    @contextmanager
    def on_loop() -> Iterator[None]:
        """The SQLite statements of this task (and of the tasks it starts) run on the event
        loop's thread, without a hand-over to the connection's: for work of short statements
        only, the handling of an update and the delivery worker (storage/sqlite_trips.py says
        why, and what it costs). No effect on other engines."""
        with sqlite_trips.on_loop():
            yield

    @staticmethod
    @contextmanager
    def off_loop() -> Iterator[None]:
        """Inside ``on_loop``, a longer piece of work (a scan over every ticket) that goes to
        the connection's thread after all, so the loop goes on meanwhile."""
        with sqlite_trips.on_loop(False):
            yield

    async def ping(self) -> None:
        """Raises unless the database answers a query (the health endpoint)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (creates the SQLite file on first start).

        On SQLite, foreign keys are off while migrating (the pragma is a no-op inside a
        transaction, so it is set before): a migration that rebuilds a table (0009 drops a
        UNIQUE column) drops the old one, and with foreign keys on that DROP would delete every
        row that references it ON DELETE CASCADE. Afterwards every reference is checked, as
        SQLite's documentation of ALTER TABLE asks, and the pragma is on again."""
        async with self.engine.connect() as connection:
            if self.is_sqlite:
                await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                await connection.commit()  # ends the autobegun (empty) transaction
            try:
                async with connection.begin():
                    await connection.run_sync(_upgrade)
                    if self.is_sqlite:
                        broken = (
                            await connection.exec_driver_sql("PRAGMA foreign_key_check")
                        ).first()
                        if broken is not None:
                            raise RuntimeError(f"migration left a broken reference: {broken}")
            finally:
                if self.is_sqlite:
                    await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    await connection.commit()

    async def close(self) -> None:
        await self.engine.dispose()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(QUEUED, False):
        database = session.info.get("database")
        if isinstance(database, Database):
            database._queued()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(QUEUED, None)


# The session's identity map holds unchanged objects weakly: a person loaded once in a unit of
# work (a recipient among several preloaded, a head found by routing) was gone by the time the
# next step asked for them by id, and loaded again, with their contacts (two statements each).
# People, buildings and communities loaded in a unit of work stay in it until it ends (a few
# per update; sessions are short). Their rows are what this transaction read, as with any
# object a caller holds.
KEPT = "louzhang_kept"


def _keep(target: object, context: QueryContext) -> None:
    session = context.session
    if session is not None:
        session.info.setdefault(KEPT, []).append(target)


for _model in (Person, Building, Community):
    event.listen(_model, "load", _keep)


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # noqa: PLC0415 (see _upgrade)

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


_REVISION = re.compile(r'^(down_)?revision\b[^=]*=\s*"?([\w]+)"?', re.MULTILINE)


def head_revision() -> str | None:
    """The newest revision of storage/migrations/versions, read from the files' text (what
    alembic's ScriptDirectory would say of a single, linear history), or None when that text
    is not plain: the one revision no other revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((bool(down), rev) for down, rev in _REVISION.findall(path.read_text("utf-8")))
        if False not in found:
            return None
        revisions.add(found[False])
        if found.get(True, "None") != "None":
            revised.add(found[True])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _at_head(connection: Connection) -> bool:
    """Whether the schema is already at the newest revision: then a start does not load
    alembic (and mako: ~11 MB that would stay in the process for nothing)."""
    head = head_revision()
    if head is None:
        return False
    if not inspect(connection).has_table("alembic_version"):
        return False  # a new database
    versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return [row[0] for row in versions] == [head]


def _upgrade(connection: Connection) -> None:
    if _at_head(connection):
        return
    from alembic import command  # noqa: PLC0415 (only when there is something to migrate)

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
