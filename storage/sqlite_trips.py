"""One trip to the SQLite thread per statement instead of four, or none at all.

aiosqlite runs every call on the connection's own thread: the event loop queues it, the thread
runs it, and a future wakes the loop (``call_soon_threadsafe``, a self-pipe write, a GIL
hand-over). SQLAlchemy's aiosqlite adapter makes four such calls for one statement: a cursor, the
execute, the fetch of its rows and the cursor's close. A local SQLite statement takes
microseconds, the hand-overs tens each: under a burst they were most of the database's cost
(issue 11: 4.3 aiosqlite calls per statement). This cursor does the four in one function on the
connection's thread and keeps what SQLAlchemy reads afterwards (rows, description, rowcount,
lastrowid). Only the buffered cursor; server-side cursors (``stream``) keep aiosqlite's.

Inside ``on_loop()`` (the handling of an update, the delivery worker: storage/db.py
``Database.on_loop``) there is no trip at all: the statement, the commit and the rollback run
on the event loop's own thread. Even one trip a statement cost more than the statement: in a
burst ~54 futex calls an update (thread wake-ups, GIL hand-overs) and 15-17 % of the bot's CPU
in the kernel; on the loop's thread ~1.4 and 7-8 %, and ~22 % less CPU an update
(docs/benchmarks.md §1, eighth round).
The price: while SQLite works the loop does nothing else. That is microseconds for the short
statements of an update, but a scan over every ticket (a coordinator's ``/digest``, which goes
back to the trip: ``Database.off_loop``), an export, or another process holding the write lock
(``busy_timeout``) would stop the whole bot, so everything else (the scheduler's jobs, the
office console, the web door, the CLI) keeps the trip. The one connection is used by one unit of
work at a time (storage/db.py), from either thread, so it is opened with
``check_same_thread=False``.

Installed by ``install()`` (storage/db.py) on SQLAlchemy's aiosqlite connection class."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, list[Any], int, int | None]
# Set for a task whose statements run on the event loop's thread (``on_loop``); a task inherits
# its creator's value.
_ON_LOOP: ContextVar[bool] = ContextVar("louzhang_sqlite_on_loop", default=False)


@contextmanager
def on_loop(here: bool = True) -> Iterator[None]:
    """This task's SQLite statements, commits and rollbacks (and those of the tasks it starts)
    run on the event loop's thread, without a trip to the connection's thread: for work made
    of short statements only. ``here=False``: on the connection's thread again, for a long
    piece of such work."""
    token = _ON_LOOP.set(here)
    try:
        yield
    finally:
        _ON_LOOP.reset(token)


def _open(raw: Any) -> sqlite3.Connection:
    """The sqlite3 connection under aiosqlite's ``raw``, refused as aiosqlite refuses a call
    once it is closed."""
    if not raw._running or raw._connection is None:
        raise ValueError("Connection closed")
    connection: sqlite3.Connection = raw._connection
    return connection


def _end(adapted: AsyncAdapt_aiosqlite_connection, commit: bool) -> None:
    """A commit or a rollback on the loop's thread; nothing on a closed connection, as
    SQLAlchemy's adapter does; its errors translated as the adapter translates them."""
    raw = adapted._connection
    if raw._connection is None:
        return
    try:
        if commit:
            _open(raw).commit()
        else:
            _open(raw).rollback()
    except Exception as error:  # noqa: BLE001 (translated, as the adapter does)
        adapted._handle_exception(error)


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor (its creation was a trip of its own): the statement makes one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection  # the aiosqlite.Connection
            if _ON_LOOP.get():
                outcome = _run(_open(raw), operation, parameters, many)
            else:
                outcome = await raw._execute(_run, raw._conn, operation, parameters, many)
            description, rows, rowcount, lastrowid = outcome
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._trip(operation, seq_of_parameters, True)


_rollback = AsyncAdapt_aiosqlite_connection.rollback
_commit = AsyncAdapt_aiosqlite_connection.commit


def _commit_here(self: AsyncAdapt_aiosqlite_connection) -> None:
    """A commit on the loop's thread inside ``on_loop``; elsewhere aiosqlite's trip."""
    if _ON_LOOP.get():
        _end(self, commit=True)
    else:
        _commit(self)


def _rollback_if_open(self: AsyncAdapt_aiosqlite_connection) -> None:
    """A rollback only when SQLite has a transaction open. Each unit of work ended with one
    that had nothing to undo: the pool's reset after a commit, or the session's close after
    reads only (Python's sqlite3 begins a transaction before a write, never before a SELECT).
    Each was a trip to the thread for nothing. ``in_transaction`` is SQLite's autocommit flag,
    readable from any thread; the connection is this unit of work's alone (its pool holds one)
    and nothing runs on it between statements."""
    raw = getattr(self._connection, "_connection", None)
    if raw is not None and not raw.in_transaction:
        return
    if _ON_LOOP.get():
        _end(self, commit=False)
    else:
        _rollback(self)


def install() -> None:
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor
    AsyncAdapt_aiosqlite_connection.rollback = _rollback_if_open  # type: ignore[method-assign]
    AsyncAdapt_aiosqlite_connection.commit = _commit_here  # type: ignore[method-assign]
