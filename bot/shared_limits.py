"""Telegram's limits shared by every instance of the bot through Redis (REDIS_URL): the overall
window (30 messages in any second) and the per-chat buckets are counted in Redis, so N instances
together keep to them instead of N × 30. telegram/budget.py still queues each process's calls in
front of it (priorities, a person before a notification, waiting out a 429); when a call's turn
comes in its process, it takes its place here too, in one atomic script (one round trip: the
whole bot's pause, the chat's pause and bucket, the overall window), or learns how long to wait.

- The overall window counts a send from the end of its request, as the process's window does
  (bot/ratelimit.py SlidingWindow: by then it has certainly reached Telegram): a slot is written
  in flight (counted ``FLIGHT`` seconds ahead, so a process killed mid-request frees it after
  that) and lowered to its end when the request is over. Those ends are written off the
  request's path (``finished()``), those that come while one call is under way together in the
  next: a late end only counts the send a little longer. A take that finds the window full
  because of a send in flight looks again after 1/limit s.
- A chat is a bucket kept as its theoretical arrival time (GCRA): its burst at once, then its
  rate; a group no burst, its rate a minute.
- A 429 is shared (``refused()``): the chat's pause, and the whole bot's when the process judged
  it so or when GLOBAL_CHATS different chats were refused within GLOBAL_SPAN seconds across all
  instances. Every instance's next take learns it.
- Time is Redis's (``TIME``), one clock for every host; tests may pass their own clock.
- Redis unreachable: ``take()`` answers "down" (logged once, tried again every RETRY_DOWN
  seconds), and the budget keeps to a local share of the overall limit: limit / the instances
  last seen in Redis (at least 2 when none was seen). Each chat keeps its process's own bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

FLIGHT = 10.0  # seconds a slot in flight counts ahead (a process killed mid-request frees it)
RETRY_DOWN = 5.0  # seconds between tries while Redis is unreachable
PRESENCE = 60.0  # an instance that took nothing for this long is no longer counted
TIMEOUT = 5.0  # seconds a Redis call may take before it counts as unreachable
GUESSED_PEERS = 2  # the instances assumed when Redis was never reached

# KEYS: overall window (zset), whole bot's pause (string), chat (hash: tat, paused), instances
# (zset). ARGV: now ('' for Redis's clock), instance, count, period, flight, chat rate (0: no
# chat), chat burst, weight, peek ('1': only say whether it could go), presence, slot ids…
_TAKE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
redis.call('ZADD', KEYS[4], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[10]))
redis.call('EXPIRE', KEYS[4], 3600)
local peers = redis.call('ZCARD', KEYS[4])
local count, period, flight = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local rate, burst, weight = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return {'paused', tostring(paused - now), peers} end
local tat = now
if rate > 0 then
  local chat = redis.call('HMGET', KEYS[3], 'tat', 'paused')
  local held = tonumber(chat[2] or '0')
  if held > now then return {'chat-paused', tostring(held - now), peers} end
  tat = math.max(tonumber(chat[1] or '0'), now)
  -- an album larger than the burst goes when the bucket is full
  local over = tat + weight / rate - now - math.max(burst, weight) / rate
  if over > 1e-6 then return {'chat', tostring(over), peers} end
end
if ARGV[9] == '1' then return {'ok', '0', peers} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local n = redis.call('ZCARD', KEYS[1])
if n + weight > count then
  local k = n + weight - count - 1
  local oldest = redis.call('ZRANGE', KEYS[1], k, k, 'WITHSCORES')
  local at = tonumber(oldest[2])
  -- a send still in flight (or whose end is not written yet) may end any moment: look again
  -- soon, as often as the window lets sends go
  if at > now then return {'busy', tostring(period / count), peers} end
  return {'busy', tostring(at + period - now), peers}
end
for i = 11, #ARGV do redis.call('ZADD', KEYS[1], now + flight, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], math.ceil((period + flight) * 1000))
if rate > 0 then
  local next = tat + weight / rate
  redis.call('HSET', KEYS[3], 'tat', tostring(next))
  local ttl = math.ceil((next - now + 60) * 1000)
  if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
end
return {'ok', '0', peers, tostring(now)}
"""

# KEYS: overall window. ARGV: now ('' for Redis's clock), then pairs: a slot whose request is
# over, and when it was over at the latest (in Redis's time).
_FINISH = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
for i = 2, #ARGV, 2 do
  local over = math.min(tonumber(ARGV[i + 1]), now)
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if s and tonumber(s) > over then redis.call('ZADD', KEYS[1], over, ARGV[i]) end
end
return 0
"""

# KEYS: chat (hash), whole bot's pause, recent refusals (zset of chats). ARGV: now, seconds,
# chat ('' for none), span, chats, whole ('1': the process judged it the bot's limit).
_REFUSE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local seconds = tonumber(ARGV[2])
local untill = now + seconds
local whole = ARGV[6] == '1'
if ARGV[3] ~= '' then
  local held = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
  if untill > held then redis.call('HSET', KEYS[1], 'paused', tostring(untill)) end
  local ttl = math.ceil((seconds + 60) * 1000)
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  redis.call('ZADD', KEYS[3], now, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[4]))
  redis.call('EXPIRE', KEYS[3], 60)
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then whole = true end
end
if whole then
  local p = tonumber(redis.call('GET', KEYS[2]) or '0')
  if untill > p then
    redis.call('SET', KEYS[2], tostring(untill), 'PX', math.ceil((seconds + 60) * 1000))
  end
  return 1
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What Redis said to a take: ``ok`` (the slots are taken), ``busy`` (the overall window is
    full), ``chat`` (the chat's bucket is empty), ``chat-paused`` / ``paused`` (a 429 holds the
    chat / the whole bot), ``down`` (Redis unreachable); ``wait``: seconds until it may go."""

    kind: str
    wait: float = 0.0
    slots: tuple[str, ...] = ()
    at: float = 0.0  # Redis's time when they were taken
    asked: float = 0.0  # loop time when the take was sent (before ``at``)


DOWN = Verdict("down")


def key_prefix(token: str) -> str:
    """One bot's keys (several bots may share a Redis): by its numeric id, never the secret."""
    return f"louzhang:limits:{token.split(':', 1)[0]}"


class SharedLimits:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        per_second: float,
        private_per_second: float,
        private_burst: int,
        group_per_minute: int,
        clock: Callable[[], float] | None = None,
        instance: str | None = None,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.count = max(1, int(per_second))  # as SlidingWindow.per_second: whole sends a period
        self.period = self.count / per_second
        self.private = (private_per_second, private_burst)
        self.group = (group_per_minute / 60, 1)
        self.clock = clock  # None: Redis's own clock (TIME), one for every host
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.peers = 0  # instances seen in Redis at the last take (0: never reached)
        self._ids = itertools.count()
        self._take = redis.register_script(_TAKE)
        self._finish = redis.register_script(_FINISH)
        self._refuse = redis.register_script(_REFUSE)
        self._down_until: float | None = None  # loop time of the next try while unreachable
        self._ended: list[str] = []
        self._flush: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str,
        *,
        per_second: float,
        private_per_second: float,
        private_burst: int,
        group_per_minute: int,
        clock: Callable[[], float] | None = None,
    ) -> SharedLimits:
        redis = Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        return cls(
            redis,
            prefix,
            per_second=per_second,
            private_per_second=private_per_second,
            private_burst=private_burst,
            group_per_minute=group_per_minute,
            clock=clock,
        )

    # ------------------------------------------------------------------------ state

    @property
    def down(self) -> bool:
        return self._down_until is not None

    def share(self, per_second: float) -> float:
        """This instance's part of the overall limit while Redis is unreachable."""
        return per_second / max(self.peers, GUESSED_PEERS if self.peers == 0 else 1)

    def _now(self) -> str:
        return "" if self.clock is None else repr(self.clock())

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _chat_key(self, chat: int | str | None) -> str:
        return self._key(f"c:{chat}")

    def _rule(self, chat: int | str | None) -> tuple[float, int]:
        if chat is None:
            return 0.0, 0
        if isinstance(chat, str) or chat < 0:  # groups and channels
            return self.group
        return self.private

    async def _call(self, script: Any, keys: list[str], args: list[object]) -> Any:
        """The script's answer, or None while Redis is unreachable (logged once)."""
        loop = asyncio.get_running_loop()
        if self._down_until is not None and loop.time() < self._down_until:
            return None
        try:
            answer = await script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as error:
            if self._down_until is None:
                log.warning(
                    "Redis unreachable for the shared Telegram limits (%s: %s): this instance "
                    "keeps to %.1f messages a second (1/%d of the limit) until it is back",
                    type(error).__name__,
                    error,
                    self.share(self.count / self.period),
                    max(self.peers, GUESSED_PEERS if self.peers == 0 else 1),
                )
            self._down_until = loop.time() + RETRY_DOWN
            return None
        if self._down_until is not None:
            log.warning("Redis is back: the Telegram limits are shared again")
            self._down_until = None
        return answer

    # ------------------------------------------------------------------------ the calls

    async def take(
        self,
        chat: int | str | None,
        weight: int = 1,
        *,
        peek: bool = False,
        reply: bool = False,
    ) -> Verdict:
        """Takes ``weight`` slots of the overall window and of the chat's bucket, or says how
        long to wait. ``peek``: only whether the chat could take one now (nothing is taken,
        the overall window is not looked at). ``reply``: an answer to the person who wrote
        from ``chat`` (telegram/budget.py): the chat's bucket only, no slot of the overall
        window (a pause of the whole bot still holds it)."""
        rate, burst = self._rule(chat)
        taking = 0 if peek or reply else weight
        slots = [f"{self.instance}:{next(self._ids)}" for _ in range(taking)]
        count = 2**31 if reply else self.count  # an answer never finds the window full
        asked = asyncio.get_running_loop().time()
        answer = await self._call(
            self._take,
            [self._key("w"), self._key("p"), self._chat_key(chat), self._key("i")],
            [self._now(), self.instance, count, repr(self.period), FLIGHT, repr(rate),
             burst, weight, "1" if peek else "0", PRESENCE, *slots],
        )  # fmt: skip
        if answer is None:
            return DOWN
        said, wait, peers, *at = answer
        self.peers = int(peers)
        kind = said.decode() if isinstance(said, bytes) else str(said)
        if kind != "ok" or peek:
            return Verdict(kind, float(wait))
        return Verdict(kind, 0.0, tuple(slots), float(at[0]), asked)

    def finished(self, taken: Verdict) -> None:
        """The request of these slots is over: they count from now (in Redis's time: when
        they were taken, plus the time since the take was sent, which is never earlier than
        now), written in a batch soon."""
        if not taken.slots:
            return
        if self.clock is not None:
            over = repr(self.clock())
        else:
            over = repr(taken.at + asyncio.get_running_loop().time() - taken.asked)
        for slot in taken.slots:
            self._ended += (slot, over)
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self._write_ends())

    async def _write_ends(self) -> None:
        # The ends that come while one batch is written go in the next, in one call.
        while self._ended:
            ended, self._ended = self._ended, []
            await self._call(self._finish, [self._key("w")], [self._now(), *ended])

    def refused(
        self, chat: int | str | None, seconds: float, *, whole: bool, chats: int, span: float
    ) -> None:
        """A 429: every instance holds back the chat (and the whole bot when ``whole``, or
        when ``chats`` different chats were refused within ``span`` seconds across instances)
        for ``seconds``. Written off the caller's path; the others learn it at their next
        take."""
        args = [self._now(), repr(float(seconds)), "" if chat is None else str(chat), repr(span),
                chats, "1" if whole else "0"]  # fmt: skip
        keys = [self._chat_key(chat), self._key("p"), self._key("r")]
        task = asyncio.get_running_loop().create_task(self._call(self._refuse, keys, args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Waits for what is being written (ends of requests, 429s)."""
        while self._tasks or (self._flush is not None and not self._flush.done()):
            await asyncio.gather(*self._tasks, *([self._flush] if self._flush else []))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.settled(), TIMEOUT * 2)
        await self.redis.aclose()

    async def forget_all(self) -> None:
        """Deletes every key of this prefix (tests, and a benchmark's run)."""
        keys = [key async for key in self.redis.scan_iter(f"{self.prefix}:*")]
        if keys:
            await self.redis.delete(*keys)
