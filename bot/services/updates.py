"""Each Telegram update is handled once: across the bot's instances when they share Redis
(``RedisUpdateClaims``) or PostgreSQL (``DatabaseUpdateClaims``), within one process otherwise
(``UpdateLog``, the fast path of a single bot on SQLite)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.updates import UpdateRepository

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
# Telegram keeps an unconfirmed update for 24 hours; remembering three days is plenty.
KEEP = timedelta(days=3)
PRUNE_EVERY = 100  # flushes
# The newest ids kept in memory. A replay after a restart is of the last updates before it.
REMEMBERED = 10_000
FLUSH_SECONDS = 0.5


class SharedStateUnavailable(Exception):
    """Redis did not answer (or a user's lock stayed taken too long) before an update was
    handled: nothing of it was done, and the door asks Telegram to deliver it again later (the
    webhook answers 503) rather than handle it without knowing whether another instance does."""


class UpdateClaims:
    """Whether an update is handled here. ``begin`` before handling: False when the update was
    handled (or is taken) elsewhere or before; ``done`` after handling it."""

    async def begin(self, update_id: int, *, exclusive: bool = False) -> bool:
        """``exclusive``: the caller holds the update's user lock across all instances (a
        redelivery of this update waits for it), so the claim may be written once the update
        is handled, and an instance dying half-way leaves the update to the redelivery."""
        raise NotImplementedError

    async def done(self, update_id: int) -> None:
        """The update was handled (after a ``begin`` that returned True)."""

    async def close(self) -> None:
        """At shutdown."""


class UpdateLog(UpdateClaims):
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
        self._flushing = False  # the timed flush is writing (not sleeping)
        self._flushes = 0

    async def begin(self, update_id: int, *, exclusive: bool = False) -> bool:
        return await self.claim(update_id)

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
        """At shutdown: no more timed flushes; write what is left. A timed flush already
        writing is waited for, not cancelled: cancelled half-way, its ids were neither written
        nor put back, and its database connection was left to the garbage collector."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            if self._flushing:
                await asyncio.wait([flusher])
            else:
                flusher.cancel()
        await self.flush()

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.flush_seconds)
        self._flushing = True
        try:
            await self.flush()
        except Exception:
            log.exception("update ids not recorded yet; retrying with the next batch")
        finally:
            self._flushing = False

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


class DatabaseUpdateClaims(UpdateClaims):
    """Several instances on PostgreSQL without Redis: each update id is claimed before it is
    handled, by one INSERT … ON CONFLICT DO NOTHING of its own (the primary key decides which
    instance wins a redelivery). A process that dies while handling an update has claimed it:
    the redelivery is skipped (as with ``UpdateLog`` after a flush). Redis does better."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._claims = 0

    async def begin(self, update_id: int, *, exclusive: bool = False) -> bool:
        now = self.clock()
        async with self.db.session() as session:
            updates = UpdateRepository(session)
            won = await updates.claim(update_id, now)
            self._claims += 1
            if self._claims % (PRUNE_EVERY * 10) == 0:
                await updates.prune(now - KEEP)
            await session.commit()
        return won


# Redis keeps a handled update's id this long (Telegram keeps an unconfirmed update 24 hours).
REDIS_KEEP_SECONDS = int(KEEP.total_seconds())


class RedisUpdateClaims(UpdateClaims):
    """Several instances sharing Redis: ``{namespace}:update:{id}`` says the update was handled
    (SET … EX three days).

    Under the update's user lock (``exclusive``, the usual case: an update from a person) the
    key is written once the update is handled: a redelivery waits for the lock, then finds it;
    an instance killed half-way never writes it, and the redelivery is handled by another
    instance (nothing lost; what the first one committed is safe to repeat). An update from
    nobody (no lock) is claimed before it is handled (SET NX).

    When Redis does not answer, ``SharedStateUnavailable``: the update is neither handled nor
    claimed, and Telegram delivers it again (the conversations are in Redis too: without it
    no step could be handled right anyway)."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def key(self, update_id: int) -> str:
        return f"{self.namespace}:update:{update_id}"

    async def begin(self, update_id: int, *, exclusive: bool = False) -> bool:
        from redis.exceptions import RedisError

        try:
            if exclusive:
                return not await self.redis.exists(self.key(update_id))
            return bool(
                await self.redis.set(self.key(update_id), "1", nx=True, ex=REDIS_KEEP_SECONDS)
            )
        except (RedisError, OSError) as error:
            raise SharedStateUnavailable(f"Redis: {error}") from error

    async def done(self, update_id: int) -> None:
        from redis.exceptions import RedisError

        try:
            await self.redis.set(self.key(update_id), "1", ex=REDIS_KEEP_SECONDS)
        except (RedisError, OSError) as error:
            # Handled, and Telegram is answered: it will not deliver it again.
            log.warning("update %s handled but not recorded in Redis: %s", update_id, error)
