"""aiogram FSM storage in our database, so a half-written report survives a restart.
aiogram ships no SQL storage (only memory, Redis, MongoDB)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories import FsmRepository


class SqlStorage(BaseStorage):
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.keys = DefaultKeyBuilder(with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self.db.session() as session:
            await FsmRepository(session).put(
                self.keys.build(key), self.clock(), state=value, set_state=True
            )
            await session.commit()

    async def get_state(self, key: StorageKey) -> str | None:
        async with self.db.session() as session:
            record = await FsmRepository(session).get(self.keys.build(key))
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self.db.session() as session:
            await FsmRepository(session).put(
                self.keys.build(key), self.clock(), data=dict(data), set_data=True
            )
            await session.commit()

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self.db.session() as session:
            record = await FsmRepository(session).get(self.keys.build(key))
            return dict(record.data) if record else {}

    async def close(self) -> None:
        """The database is closed by its owner."""
