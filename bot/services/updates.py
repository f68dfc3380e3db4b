"""Each Telegram update is handled once."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import timedelta

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.updates import UpdateRepository

log = logging.getLogger(__name__)
# Telegram keeps an unconfirmed update for 24 hours; remembering three days is plenty.
KEEP = timedelta(days=3)
PRUNE_EVERY = 100  # flushes
# The newest ids kept in memory. A replay after a restart is of the last updates before it.
REMEMBERED = 10_000
FLUSH_SECONDS = 0.5


class UpdateLog:
    """Update ids are claimed in memory and written to the database in batches: one
    transaction every FLUSH_SECONDS and at shutdown, instead of one per update. A restart
    loads the newest ids back, so a replay of what the bot had handled is skipped. A crash can
    lose the last FLUSH_SECONDS of ids; what those updates did is safe to repeat anyway (a
    ticket is sent once per draft, state changes are conditional)."""

    def __init__(self, db: Database, clock: Clock, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.flush_seconds = flush_seconds
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._pending: list[int] = []
        self._loaded = False
        self._loading = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._flushes = 0

    async def claim(self, update_id: int) -> bool:
        """True the first time an update id is seen. A replay after a crash, or a
        redelivery, gets False and is skipped."""
        if not self._loaded:
            await self._load()
        if update_id in self._seen:
            return False
        self._remember(update_id)
        self._pending.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="update-log-flush")
        return True

    async def flush(self) -> None:
        """Writes the ids claimed since the last flush (at shutdown, and every FLUSH_SECONDS)."""
        ids, self._pending = self._pending, []
        if not ids:
            return
        now = self.clock()
        try:
            async with self.db.session() as session:
                updates = UpdateRepository(session)
                await updates.record(ids, now)
                self._flushes += 1
                if self._flushes % PRUNE_EVERY == 0:
                    await updates.prune(now - KEEP)
                await session.commit()
        except Exception:
            self._pending[:0] = ids  # the next flush tries again
            raise

    async def close(self) -> None:
        """At shutdown: no more timed flushes; write what is left."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self.flush()

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.flush_seconds)
        try:
            await self.flush()
        except Exception:
            log.exception("update ids not recorded yet; retrying with the next batch")

    async def _load(self) -> None:
        async with self._loading:
            if self._loaded:
                return
            async with self.db.session() as session:
                newest = await UpdateRepository(session).newest(REMEMBERED)
            for update_id in reversed(newest):
                self._remember(update_id)
            self._loaded = True

    def _remember(self, update_id: int) -> None:
        self._seen[update_id] = None
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
