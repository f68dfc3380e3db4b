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


class Slot:
    """One send's place in a window. It counts from when its request was over (answered or
    failed): the latest moment it can have reached Telegram. A window with ``arrival_within``
    counts it from that long after it left at the latest (see SlidingWindow)."""

    __slots__ = ("_clock", "counted", "over")

    def __init__(self, counted: float, clock: Monotonic) -> None:
        self.counted = counted  # until the request is over: when it is assumed to have arrived
        self.over = False
        self._clock = clock

    def finished(self) -> None:
        """The request is over: whatever of it reached Telegram did so by now."""
        self.counted = min(self.counted, self._clock())
        self.over = True


class SlidingWindow:
    """At most ``count`` sends in any ``period`` seconds as Telegram receives them, first come
    first served.

    A send takes its slot when ``acquire()`` returns; its request reaches Telegram a little
    later, and not always equally later (the event loop before the request leaves, the network,
    and a benchmark's in-process server stalled by the same loop). So a send counts from the
    end of its request (``Slot.finished()``), by which it has certainly arrived, whatever the
    delay: the window holds as Telegram counts. The price is the round trip: ``count`` sends
    per ``period`` + the answer's time. ``arrival_within`` (seconds) caps that price on trust:
    a send then counts from that long after it left at the latest, and a send delayed longer
    than that can break the rule.

    (Counting from when a send left plus a fixed margin still drew 429s from bench.delivery's
    strict fake now and then, with 30 or 50 ms: on a loaded machine some requests arrived later
    than that. Counting from the answer costs ~4 ms a round there.)

    A new send goes as soon as the oldest of the last ``count`` counts from ``period`` ago or
    longer; a waiter that wakes up late loses no slot but its own."""

    def __init__(
        self,
        count: int,
        period: float = 1.0,
        *,
        arrival_within: float | None = None,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if count < 1 or period <= 0 or (arrival_within is not None and arrival_within < 0):
            raise ValueError(f"bad window: {count} per {period} s, arrival {arrival_within} s")
        self.count = count
        self.period = period
        self.arrival_within = math.inf if arrival_within is None else arrival_within
        self._clock = clock
        self._sleep = sleep
        self._taken: deque[Slot] = deque(maxlen=count)  # the last `count` sends
        self._lock = asyncio.Lock()

    @classmethod
    def per_second(
        cls,
        rate: float,
        *,
        arrival_within: float | None = None,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> SlidingWindow:
        """``rate`` sends a second as whole sends per period: 30 → 30 in any second, 0.5 → one
        in any two seconds."""
        count = max(1, math.floor(rate))
        return cls(count, count / rate, arrival_within=arrival_within, clock=clock, sleep=sleep)

    async def acquire(self) -> Slot:
        """Waits for a free slot; call ``finished()`` on it when the request is over."""
        async with self._lock:  # a cancelled waiter takes no slot
            while len(self._taken) == self.count:
                oldest, now = self._taken[0], self._clock()
                # A request still in flight may end any moment (then it counts from then):
                # look again when it would be free had it ended now.
                counted = oldest.counted if oldest.over else min(oldest.counted, now)
                wait = counted + self.period - now
                if wait <= 0:
                    break
                await self._sleep(wait)
            # Read after the wait: a late wake-up is recorded as late, never as on time.
            slot = Slot(self._clock() + self.arrival_within, self._clock)
            self._taken.append(slot)
            return slot


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
