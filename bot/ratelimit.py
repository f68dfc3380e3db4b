"""Rate limiters: Telegram's overall limit as a sliding window, and the per-chat limits as token
buckets. Both serve waiters by priority (a person waiting for an answer before a queued
notification), first come first served within a priority. telegram/budget.py puts them in front of
every Bot API call.

Telegram: "avoid sending more than one message per second" to a chat, "no more than 20 messages per
minute" to a group, and "not be able to send more than 30 messages per second" overall. The overall
rule holds in *every* second, so the overall limiter counts the sends of the last second.
A bucket (aiolimiter's ``AsyncLimiter(30, 1)``) cannot say that: it lets 30 through at once and
30 more within the same second; spacing sends evenly (``AsyncLimiter(1, 1/30)``) leaves no room
for a request that leaves a few milliseconds late (31 arrive within a second now and then: a
429), and every late wake-up of its waiter is throughput lost for good. A chat's rule is a
bucket: a small burst, then one a second.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Monotonic = Callable[[], float]  # seconds on a clock that never goes back (time.monotonic)
Sleep = Callable[[float], Awaitable[object]]
Remote = Callable[[], Awaitable[float]]  # a shared limiter's take: 0 once taken, else the wait

URGENT = 0  # an answer to the person whose update is being handled
BACKGROUND = 1  # a notification from the outbox: waits while urgent calls wait


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    wake: asyncio.Future[None] | None = field(default=None, compare=False)


class _Gate:
    """Waiters in order of (priority, arrival). Only the first may take; it sleeps until the
    limiter allows it, the others wait to become first. A more urgent waiter arriving becomes
    first at once: the one it overtook finds that out when it wakes and waits again."""

    def __init__(self, clock: Monotonic, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._waiters: list[_Waiter] = []  # a heap
        self._seq = itertools.count()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _wait(self) -> float:
        """Seconds until the first waiter may take (0 or less: now)."""
        raise NotImplementedError

    async def _enter(self, priority: int, remote: Remote | None = None) -> None:
        """Returns when the caller is first and the limiter allows it; the caller takes before
        it awaits anything else. A cancelled waiter takes nothing. ``remote``: a limiter
        shared with other processes, asked once this one allows (while the caller is still
        first, so the process's priorities hold): it takes its place there and answers 0, or
        answers how long to wait (then both are asked again), or raises."""
        waiter = _Waiter(priority, next(self._seq))
        heapq.heappush(self._waiters, waiter)
        try:
            while True:
                if self._waiters[0] is not waiter:
                    waiter.wake = asyncio.get_running_loop().create_future()
                    await waiter.wake
                    continue
                wait = self._wait()
                if wait <= 0:
                    if remote is None:
                        return
                    wait = await remote()
                    if wait <= 0:  # taken there: it goes
                        return
                await self._sleep(wait)
        finally:
            first = self._waiters[0] is waiter
            self._waiters.remove(waiter)
            heapq.heapify(self._waiters)
            if first and self._waiters:
                wake = self._waiters[0].wake
                if wake is not None and not wake.done():
                    wake.set_result(None)


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


class SlidingWindow(_Gate):
    """At most ``count`` sends in any ``period`` seconds as Telegram receives them; urgent
    waiters first, then first come first served.

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
        super().__init__(clock, sleep)
        self.count = count
        self.period = period
        self.arrival_within = math.inf if arrival_within is None else arrival_within
        self._taken: deque[Slot] = deque(maxlen=count)  # the last `count` sends
        self.paused_until = -math.inf

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

    def pause(self, seconds: float) -> None:
        """Nothing goes for ``seconds`` (Telegram's retry_after for the whole bot)."""
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    def _wait(self) -> float:
        now = self._clock()
        paused = self.paused_until - now
        if len(self._taken) < self.count:
            return paused
        oldest = self._taken[0]
        # A request still in flight may end any moment (then it counts from then): look again
        # when it would be free had it ended now.
        counted = oldest.counted if oldest.over else min(oldest.counted, now)
        return max(paused, counted + self.period - now)

    async def acquire(self, priority: int = URGENT, *, remote: Remote | None = None) -> Slot:
        """Waits for a free slot; call ``finished()`` on it when the request is over.
        ``remote``: a shared limiter asked too (see _Gate._enter)."""
        await self._enter(priority, remote)
        # Read after the wait: a late wake-up is recorded as late, never as on time.
        slot = Slot(self._clock() + self.arrival_within, self._clock)
        self._taken.append(slot)
        return slot


class Bucket(_Gate):
    """A token bucket: ``capacity`` sends at once, then ``rate`` a second; urgent waiters
    first. ``pause()`` holds every send back for a while (Telegram's retry_after).

    A token is spent where Telegram counts it, on arrival, so it is not given back by the
    refill while its send is under way (``acquire()`` … ``finished()``): a send that waited
    for the overall window after taking its chat's token arrives late, and the bucket must not
    have refilled in the meantime as if it had arrived when it was taken (a chat's sends
    bunched at Telegram, 429s from bench.delivery with 20 a chat). Each send in flight lowers
    the ceiling of the refill by one."""

    def __init__(
        self,
        capacity: int,
        rate: float,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError(f"bad bucket: {capacity} at once, {rate} a second")
        super().__init__(clock, sleep)
        self.capacity = capacity
        self.rate = rate
        self._tokens = float(capacity)
        self._at = clock()
        self._in_flight = 0
        self.paused_until = -math.inf

    def _refill(self) -> float:
        now = self._clock()
        refilled = self._tokens + (now - self._at) * self.rate
        # Sends in flight keep the refill below capacity, and never take tokens away (an album
        # of more messages than the burst is in flight all at once, its tokens all taken).
        self._tokens = min(refilled, max(self._tokens, self.capacity - self._in_flight))
        self._at = now
        return now

    def _wait(self) -> float:
        now = self._refill()
        # A hair under one token is one token: a wait shorter than the clock can tell would
        # never end. (A wait behind sends in flight is looked at again after it: their end
        # may come sooner.)
        short = 0.0 if self._tokens >= 1 - 1e-9 else (1 - self._tokens) / self.rate
        return max(self.paused_until - now, short)

    def ready_in(self) -> float:
        """Seconds until a send could take a token, as things stand (0: now)."""
        return max(0.0, self._wait())

    def at_once(self) -> int:
        """How many sends could take a token now, one after the other, without waiting."""
        if self.waiting or self.paused_for() > 0:
            return 0
        self._refill()
        return max(0, math.floor(self._tokens + 1e-9))

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self.paused_until - self._clock())

    @property
    def idle(self) -> bool:
        """Nobody waiting, nothing in flight, full, not paused: forgetting it changes
        nothing."""
        self._refill()
        full = self._tokens >= self.capacity - 1e-9
        return not self.waiting and not self._in_flight and full and self.paused_for() == 0

    async def acquire(self, priority: int = URGENT, *, sending: bool = True) -> None:
        """Takes a token; call ``finished()`` once the send is over (answered or failed).
        ``sending=False``: not in flight yet (a send of several messages takes all its tokens
        first, then calls ``sending(n)``)."""
        await self._enter(priority)
        self._refill()
        self._tokens -= 1
        if sending:
            self._in_flight += 1

    def sending(self, count: int = 1) -> None:
        """``count`` tokens taken with ``sending=False`` are on their way now."""
        self._refill()
        self._in_flight += count

    def finished(self) -> None:
        """A send of this bucket is over: from now on its token is spent like any other."""
        self._refill()
        self._in_flight = max(0, self._in_flight - 1)

    def give_back(self, *, in_flight: bool = True) -> None:
        """A token taken for a send that was not made after all (its turn in the overall
        window did not come): nothing reached Telegram, so nothing is spent."""
        self._refill()
        if in_flight:
            self._in_flight = max(0, self._in_flight - 1)
        self._tokens = min(self.capacity, self._tokens + 1)

    def try_acquire(self) -> bool:
        """Takes a token if one is there now, without waiting (a web request is refused, not
        queued); False when the caller must slow down."""
        if self.waiting or self._wait() > 0:
            return False
        self._tokens -= 1
        return True


class ChatBuckets:
    """One bucket per chat: a private chat gets a small burst, then ``private_per_second``; a
    group (negative id, or an @username) gets no burst, one message per
    ``60 / group_per_minute`` s (a bucket of 20 up front would allow 40 in the first minute).
    Beyond ``size`` chats, the least recently used idle buckets are forgotten."""

    def __init__(
        self,
        private_per_second: float,
        private_burst: int,
        group_per_minute: int,
        size: int = 4096,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.private_per_second = private_per_second
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.size = size
        self._clock = clock
        self._sleep = sleep
        self._buckets: OrderedDict[int | str, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def get(self, chat_id: int | str) -> Bucket | None:
        """The chat's bucket if it has one (without making one)."""
        return self._buckets.get(chat_id)

    def __getitem__(self, chat_id: int | str) -> Bucket:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if isinstance(chat_id, str) or chat_id < 0:  # groups and channels
                bucket = Bucket(1, self.group_per_minute / 60, clock=self._clock, sleep=self._sleep)
            else:
                bucket = Bucket(
                    self.private_burst,
                    self.private_per_second,
                    clock=self._clock,
                    sleep=self._sleep,
                )
            self._buckets[chat_id] = bucket
            self._forget()
        self._buckets.move_to_end(chat_id)
        return bucket

    def _forget(self) -> None:
        # A busy bucket is kept even past the size: forgetting it would loosen its chat's limit.
        excess = len(self._buckets) - self.size
        if excess <= 0:
            return
        idle = (chat_id for chat_id, bucket in self._buckets.items() if bucket.idle)
        for chat_id in list(itertools.islice(idle, excess)):
            del self._buckets[chat_id]
