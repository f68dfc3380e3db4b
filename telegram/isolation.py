"""One person's updates one at a time across all the bot's instances (REDIS_URL): a lock per
Telegram user in Redis, taken around the handling of each update from them (aiogram's FSM
middleware takes it before it reads their conversation's state).

The lock is ``{namespace}:lock:{user id}`` set with NX and a lease (PX), holding a random
token; it is given back by a Lua script that deletes it only if it still holds this holder's
token, and kept alive by another one while the update is in hand. A holder that dies (SIGKILL)
leaves it to expire within ``LEASE_MS``. Waiting for it polls with a short back-off: an asyncio
sleep, so other people's updates go on meanwhile.

Updates of one person are handled one at a time, in the order their requests take the lock
(Telegram posts a person's updates one after another; a redelivery of one waits for the
first delivery to finish, then is skipped: bot/services/updates.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

from bot.services.updates import SharedStateUnavailable
from telegram.hand import stepped_out

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
# A holder that died leaves the lock this long at most; the living one renews it every third.
LEASE_MS = 15_000
# Past this a waiting update is given back to Telegram (503) to be delivered again later.
WAIT_SECONDS = 45.0
FIRST_PAUSE, LONGEST_PAUSE = 0.005, 0.1

RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""

_held: ContextVar[bool] = ContextVar("user_lock_held", default=False)


def holds_user_lock() -> bool:
    """Whether the code running holds its update's user lock across instances."""
    return _held.get()


class RedisUserLocks(BaseEventIsolation):
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        *,
        lease_ms: int = LEASE_MS,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.lease_ms = lease_ms
        self.wait_seconds = wait_seconds
        self._release = redis.register_script(RELEASE)
        self._renew = redis.register_script(RENEW)

    def key(self, user_id: int) -> str:
        return f"{self.namespace}:lock:{user_id}"

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        if _held.get():  # the same update, a nested context (another destiny): already ours
            yield None
            return
        from redis.exceptions import RedisError  # only with REDIS_URL: a single bot does without

        name, token = self.key(key.user_id), secrets.token_hex(8)
        await self._acquire(name, token)
        renewing = asyncio.create_task(self._keep(name, token), name=f"renew {name}")
        held = _held.set(True)
        try:
            yield None
        finally:
            _held.reset(held)
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            try:
                if not await self._release(keys=[name], args=[token]):
                    log.warning("user lock %s had expired before its update was done", name)
            except (RedisError, OSError) as error:
                # It expires with its lease; the person's next update waits until then.
                log.warning("user lock %s not given back: %s", name, error)

    async def _acquire(self, name: str, token: str) -> None:
        from redis.exceptions import RedisError

        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self.wait_seconds, FIRST_PAUSE
        # Waiting for the person's previous update: out of the updates in hand (telegram/hand.py).
        async with contextlib.AsyncExitStack() as waiting:
            while True:
                try:
                    if await self.redis.set(name, token, nx=True, px=self.lease_ms):
                        return
                except (RedisError, OSError) as error:
                    raise SharedStateUnavailable(f"Redis: {error}") from error
                if loop.time() > deadline:
                    raise SharedStateUnavailable(f"{name} taken for {self.wait_seconds:.0f} s")
                if pause == FIRST_PAUSE:
                    await waiting.enter_async_context(stepped_out())
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    async def _keep(self, name: str, token: str) -> None:
        from redis.exceptions import RedisError

        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                if not await self._renew(keys=[name], args=[token, self.lease_ms]):
                    log.warning("user lock %s was lost while its update was in hand", name)
                    return
            except (RedisError, OSError) as error:
                log.warning("user lock %s not renewed: %s", name, error)

    async def close(self) -> None:
        """The Redis client is closed with the conversations' storage."""
