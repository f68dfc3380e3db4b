"""Reads every update repeats (the person behind it, their roles, a community's settings), kept
in memory and dropped when what they were read from changes.

- In this process, through the write path: every unit of work notes the rows it wrote in the
  tables a cached read depends on (ORM objects flushed, and UPDATE/DELETE/INSERT statements
  run through the session), and its commit drops the entries they touch: one person's entries
  when the change names the person, a whole kind of entry otherwise. A read that began before
  such a commit is not kept (``Ticket``: an epoch taken before the read).
- From another process (a CLI command, the web console run apart) on the same SQLite file:
  ``PRAGMA data_version`` changes when another connection commits; it is asked at most every
  ``recheck`` seconds, and a change drops everything. So another process's change shows within
  ``recheck`` (0.25 s).
- Several instances (PostgreSQL): no cache (``enabled`` False) until invalidation goes through
  Redis: an instance must never act on roles another one has revoked.

What is kept must be immutable or treated as such (frozen dataclasses, tuples, and the detached
``Person`` of the update, which nothing changes in place)."""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

# The info key a unit of work notes its writes under until it commits.
WRITTEN = "louzhang_cache_written"
ALL = -1  # "every person"

# Kind of entry → the tables it is read from. ``per_person`` tables drop only the entries of
# the people the change names; the others drop the whole kind.
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "person": (frozenset({"people", "contacts"}), frozenset()),
    "roles": (
        frozenset({"memberships", "coordinator_scopes"}),
        frozenset({"buildings", "communities"}),
    ),
    "community": (frozenset(), frozenset({"buildings", "communities"})),
}
WATCHED = frozenset(t for per, whole in KINDS.values() for t in per | whole)
# Columns whose change no cached read sees (the ticket counter is bumped by every report).
IGNORED = {"communities": frozenset({"ticket_seq", "digest_sent_on", "digest_lease_until"})}
PERSON_OF = {"people": "id", "contacts": "person_id", "memberships": "person_id"}
PERSON_OF["coordinator_scopes"] = "person_id"
MAX_ENTRIES = 20_000  # per kind; past it the kind starts afresh


@dataclass
class _Kind:
    values: dict[Hashable, tuple[Any, int | None]] = field(default_factory=dict)
    by_person: dict[int, set[Hashable]] = field(default_factory=dict)

    def clear(self) -> None:
        self.values.clear()
        self.by_person.clear()


class ReadCache:
    def __init__(self, *, enabled: bool, recheck: float = 0.25) -> None:
        self.enabled = enabled
        self.recheck = recheck
        self.epoch = 0  # bumped by every drop
        self.hits = 0
        self.misses = 0
        self._kinds = {name: _Kind() for name in KINDS}
        self._checked_at = float("-inf")
        self._data_version: int | None = None

    # Reading

    def get(self, kind: str, key: Hashable) -> Any | None:
        if not self.enabled:
            return None
        found = self._kinds[kind].values.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        return found[0]

    def put(self, kind: str, key: Hashable, value: Any, epoch: int, person: int | None) -> None:
        """Keeps ``value`` unless something was dropped since ``epoch`` (taken before the read:
        the value may predate a change)."""
        if not self.enabled or epoch != self.epoch:
            return
        entries = self._kinds[kind]
        if len(entries.values) >= MAX_ENTRIES:
            entries.clear()
        entries.values[key] = (value, person)
        if person is not None:
            entries.by_person.setdefault(person, set()).add(key)

    def due(self) -> bool:
        """Whether another process's commits should be looked for now (see ``seen``)."""
        return self.enabled and time.monotonic() - self._checked_at >= self.recheck

    def seen(self, data_version: int) -> None:
        """SQLite's ``PRAGMA data_version`` on the bot's connection: a change means another
        connection committed, and anything may have changed."""
        self._checked_at = time.monotonic()
        if self._data_version is not None and data_version != self._data_version:
            self.drop_everything()
        self._data_version = data_version

    # Dropping

    def drop_everything(self) -> None:
        self.epoch += 1
        for entries in self._kinds.values():
            entries.clear()

    def written(self, changes: dict[str, set[int]]) -> None:
        """A commit wrote these tables (for each, the people its rows name, or ALL)."""
        if not changes:
            return
        self.epoch += 1
        for name, (per_person, whole) in KINDS.items():
            entries = self._kinds[name]
            touched = changes.keys() & (per_person | whole)
            if not touched:
                continue
            if touched & whole or any(ALL in changes[t] for t in touched):
                entries.clear()
                continue
            for person in set().union(*(changes[t] for t in touched)):
                for key in entries.by_person.pop(person, ()):
                    entries.values.pop(key, None)


async def cache_of(session: AsyncSession) -> ReadCache | None:
    """The cache of the session's database, checked for another process's commits when due
    (one ``PRAGMA data_version`` in this session at most every ``recheck`` seconds). None: no
    cache here, or this unit of work has written (its reads see its own uncommitted rows)."""
    cache = getattr(session.info.get("database"), "cache", None)
    if not isinstance(cache, ReadCache) or not cache.enabled:
        return None
    if session.info.get(WRITTEN) or session.new or session.deleted or session.dirty:
        return None  # its own writes, not committed yet: read the database, keep nothing
    if cache.due():
        cache.seen(int((await session.execute(text("PRAGMA data_version"))).scalar_one()))
    return cache


def _note(session: Session, table: str, people: Iterable[int]) -> None:
    written: dict[str, set[int]] = session.info.setdefault(WRITTEN, {})
    written.setdefault(table, set()).update(people)


def _changed_columns(obj: Any) -> set[str]:
    state = inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    for group, new_or_gone in (
        (session.new, True),
        (session.deleted, True),
        (session.dirty, False),
    ):
        for obj in group:
            table = getattr(getattr(obj, "__table__", None), "name", None)
            if table not in WATCHED:
                continue
            person_column = PERSON_OF.get(table)
            if not new_or_gone:
                changed = _changed_columns(obj)
                changed -= IGNORED.get(table, frozenset())
                if not changed:
                    continue
                if person_column and person_column in changed and person_column != "id":
                    _note(session, table, [ALL])  # moved from one person to another
                    continue
            person = getattr(obj, person_column) if person_column else None
            _note(session, table, [person if isinstance(person, int) else ALL])


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        if not statement.text.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH")):
            for table in WATCHED:
                _note(state.session, table, [ALL])
        return
    if not isinstance(statement, UpdateBase):
        return
    name = getattr(getattr(statement, "table", None), "name", None)
    if not isinstance(name, str) or name not in WATCHED:
        return
    ignored = IGNORED.get(name)
    values = getattr(statement, "_values", None)
    if ignored and state.is_update and values:
        columns = {getattr(k, "key", k) for k in values}
        if columns <= ignored:
            return
    _note(state.session, name, [ALL])


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    written = session.info.pop(WRITTEN, None)
    cache = getattr(session.info.get("database"), "cache", None)
    if written and isinstance(cache, ReadCache):
        cache.written(written)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(WRITTEN, None)
