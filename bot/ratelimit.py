"""Rate limiters for the delivery worker: Telegram's overall limit as a sliding window, and the
per-chat limits.

Telegram: "avoid sending more than one message per second" to a chat, "no more than 20 messages
per minute" to a group, and "not be able to send more than 30 messages per second" overall
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). The overall
rule holds in *every* second, so the overall limiter counts the sends of the last second.
aiolimiter (a leaky bucket, used for the per-chat limits) cannot say that: ``AsyncLimiter(30, 1)``
lets 30 through at once and 30 more within the same second; ``AsyncLimiter(1, 1/30)`` spaces sends
evenly with no room for a request that leaves a few milliseconds late (31 arrive within a second
now and then: a 429), and every late wake-up of its waiter is throughput lost for good.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

from aiolimiter import AsyncLimiter

Monotonic = Callable[[], float]  # seconds on a clock that never goes back (time.monotonic)
Sleep = Callable[[float], Awaitable[object]]


class SlidingWindow:
    """At most ``count`` acquisitions in any ``period + margin`` seconds, first come first served.

    A send takes its slot when ``acquire()`` returns; the request reaches Telegram a little
    later, and not always equally later (the event loop, the HTTP client). As long as those
    delays differ by less than ``margin``, Telegram sees at most ``count`` in any ``period``.
    Whatever is free is used at once: the (i + count)-th send goes exactly ``period + margin``
    after the i-th, not later, and a waiter that wakes up late loses no slot but its own."""

    def __init__(
        self,
        count: int,
        period: float = 1.0,
        *,
        margin: float = 0.0,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if count < 1 or period <= 0 or margin < 0:
            raise ValueError(f"bad window: {count} per {period} s, margin {margin} s")
        self.count = count
        self.window = period + margin
        self._clock = clock
        self._sleep = sleep
        # The times of the last `count` acquisitions: a new one may go once the oldest of them
        # is a window old.
        self._taken: deque[float] = deque(maxlen=count)
        self._lock = asyncio.Lock()

    @classmethod
    def per_second(
        cls,
        rate: float,
        *,
        margin: float = 0.0,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> SlidingWindow:
        """``rate`` sends a second as whole sends per window: 30 → 30 in any second, 0.5 → one
        in any two seconds."""
        count = max(1, math.floor(rate))
        return cls(count, count / rate, margin=margin, clock=clock, sleep=sleep)

    async def acquire(self) -> None:
        async with self._lock:  # a cancelled waiter takes no slot
            while len(self._taken) == self.count:
                wait = self._taken[0] + self.window - self._clock()
                if wait <= 0:
                    break
                await self._sleep(wait)
            # Read after the wait: a late wake-up is recorded as late, never as on time.
            self._taken.append(self._clock())


class ChatLimiters:
    """One leaky bucket per chat: a private chat gets a small burst, then ``private_per_second``;
    a group (negative id) gets no burst, one message per ``60 / group_per_minute`` s (a bucket of
    20 up front would allow 40 in the first minute). The least recently used are forgotten."""

    def __init__(
        self,
        private_per_second: float,
        private_burst: int,
        group_per_minute: int,
        size: int = 4096,
    ) -> None:
        self.private_per_second = private_per_second
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.size = size
        self._limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()

    def __len__(self) -> int:
        return len(self._limiters)

    def __getitem__(self, chat_id: int) -> AsyncLimiter:
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            if chat_id < 0:  # groups and channels
                limiter = AsyncLimiter(1, 60 / self.group_per_minute)
            else:
                burst = self.private_burst
                limiter = AsyncLimiter(burst, burst / self.private_per_second)
            self._limiters[chat_id] = limiter
            while len(self._limiters) > self.size:
                self._limiters.popitem(last=False)
        self._limiters.move_to_end(chat_id)
        return limiter
