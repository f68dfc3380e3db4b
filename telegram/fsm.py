"""aiogram FSM storage in our database, so a half-written report survives a restart.
aiogram ships no SQL storage (only memory, Redis, MongoDB)."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories import FsmRepository

# A conversation's key: fsm:<bot id>:<chat>:<user>:<destiny>, here and in Redis (bot/app.py). The
# bot id keeps two bots (two tokens) on one database or one Redis out of each other's
# conversations with the same person.
FSM_KEYS = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
# Conversations kept in memory: every step of a report reads its state and data several times.
CACHED = 10_000
# A conversation as stored: its state and its data.
Stored = tuple[str | None, dict[str, Any]]
# The conversations an update changed, written once when it is over (see BatchedWrites).
_PENDING: ContextVar[Changes | None] = ContextVar("louzhang_fsm_pending", default=None)


class Changes:
    """What an update set in each conversation it touched, and what that conversation held in
    the database before (so one the update left as it found, as a command's ``clear`` of no
    conversation does, is not written again)."""

    __slots__ = ("before", "after")

    def __init__(self) -> None:
        self.before: dict[str, Stored | None] = {}
        self.after: dict[str, Stored] = {}

    def set(self, name: str, before: Stored | None, after: Stored) -> None:
        self.before.setdefault(name, before)
        self.after[name] = after

    def changed(self) -> dict[str, Stored]:
        return {name: value for name, value in self.after.items() if value != self.before[name]}


class SqlStorage(BaseStorage):
    """Every change is written through to the database at once; reads come from memory once a
    conversation was read or written. Sound because only this process writes these rows:
    several instances share conversations through Redis instead (``REDIS_URL``)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.keys = FSM_KEYS
        self._cache: OrderedDict[str, Stored] = OrderedDict()
        # Conversations whose last batched write has not (yet) reached the database.
        self._unsaved: set[str] = set()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self.keys.build(key)
        _, data = await self._load(name)
        await self._save(name, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(self.keys.build(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self.keys.build(key)
        state, _ = await self._load(name)
        await self._save(name, state, copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(self.keys.build(key))
        # A copy: a handler that changes what it read must not change the conversation unless
        # it writes it back.
        return copy.deepcopy(data)

    async def close(self) -> None:
        """The database is closed by its owner."""

    async def _load(self, name: str) -> Stored:
        found = self._cache.get(name)
        if found is None:
            # One row by its key: a short statement (read before the handlers' own
            # ShortWorkMiddleware, by aiogram's FSM middleware).
            with self.db.on_loop():
                async with self.db.session() as session:
                    record = await FsmRepository(session).get(name)
                    found = (record.state, dict(record.data)) if record else (None, {})
        self._remember(name, found)
        return found

    async def _save(self, name: str, state: str | None, data: dict[str, Any]) -> None:
        pending = _PENDING.get()
        if pending is not None:  # written when the update is over, with its other changes
            # What the database holds (None: not known, an earlier write of it failed).
            before = None if name in self._unsaved else self._cache.get(name)
            pending.set(name, before, (state, data))
            self._remember(name, (state, data))
            return
        async with self.db.session() as session:
            await FsmRepository(session).save(name, self.clock(), state, data)
            await session.commit()
        self._remember(name, (state, data))

    async def flush(self, pending: Mapping[str, Stored]) -> None:
        """Writes the conversations an update changed, in one unit of work."""
        if not pending:
            return
        now = self.clock()
        # Until they are written, their stored value is not known (their next write is made).
        self._unsaved.update(pending)
        async with self.db.session() as session:
            repository = FsmRepository(session)
            for name, (state, data) in pending.items():
                await repository.save(name, now, state, data)
            await session.commit()
        self._unsaved.difference_update(pending)

    def _remember(self, name: str, value: Stored) -> None:
        self._cache[name] = value
        self._cache.move_to_end(name)
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)


class BatchedWrites(BaseMiddleware):
    """An update's changes to its conversation (a step's ``clear``, ``set_state`` and
    ``update_data`` are three writes) reach the database once, when the update is over: one
    unit of work instead of one per call. Inside the per-user lock (aiogram's FSM middleware
    is outermost), so the user's next update starts after the write; the in-memory copy is
    current at once. A failing handler's changes are written too, as they were before. A
    conversation the update left as the database holds it (``/tickets`` clears a conversation
    there is none of) is not written again: a transaction less."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        if _PENDING.get() is not None:
            return await handler(event, data)
        pending = Changes()
        token = _PENDING.set(pending)
        try:
            return await handler(event, data)
        finally:
            _PENDING.reset(token)
            await self.storage.flush(pending.changed())
