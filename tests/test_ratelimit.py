"""The bot's limiters on a fake monotonic clock: Telegram's overall rule (at most N sends in any
rolling second, as Telegram receives them) is never broken, however late requests arrive, and
the window is used in full; a chat's bucket gives a small burst, then its rate; and a person
waiting for an answer goes before queued notifications."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from heapq import heappop, heappush

import pytest

from bot.ratelimit import BACKGROUND, URGENT, Bucket, ChatBuckets, SlidingWindow, Slot

# The fake clock counts whole milliseconds, so that the limiter's arithmetic is exact.
N, PERIOD = 30, 1_000
WITHIN = 30  # for the windows that assume a request arrives within this many ms of leaving

# A request on the way: (ms from its slot until it reaches Telegram, ms until it is over or None
# for never reported).
Network = Callable[[], tuple[int, int | None]]


class FakeTime:
    """A monotonic clock that moves only when the test says so or a waiter sleeps (by what it
    asked for, plus up to ``late`` ms: an event loop that wakes it up late). Requests end
    (``Slot.finished()``) at their time as the clock passes it."""

    def __init__(self, late: int = 0, seed: int = 0) -> None:
        self.now = 5_000_000.0
        self.late = late
        self.random = random.Random(seed)
        self.sleeps: list[float] = []
        self._ends: list[tuple[float, int, Slot]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def end_at(self, at: float, slot: Slot) -> None:
        heappush(self._ends, (at, next(self._order), slot))

    def advance_to(self, at: float) -> None:
        while self._ends and self._ends[0][0] <= at:
            when, _, slot = heappop(self._ends)
            self.now = max(self.now, when)
            slot.finished()
        self.now = max(self.now, at)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance_to(self.now + seconds + self.random.randint(0, self.late))
        await asyncio.sleep(0)


def limiter(time: FakeTime, count: int = N, within: int | None = None) -> SlidingWindow:
    return SlidingWindow(count, PERIOD, arrival_within=within, clock=time, sleep=time.sleep)


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The most events in any half-open interval [t, t + seconds)."""
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


def answered_after(rtt: int | None) -> Network:
    return lambda: (0, rtt)


async def serve(
    time: FakeTime, window: SlidingWindow, requests: list[float], network: Network
) -> tuple[list[float], list[float]]:
    """One caller sending at the given (non-decreasing) times; returns when each send got its
    slot and when it reached Telegram."""
    took, arrived = [], []
    for at in requests:
        time.advance_to(at)
        slot = await window.acquire()
        took.append(time.now)
        arrive, end = network()
        arrived.append(time.now + arrive)
        if end is not None:
            time.end_at(time.now + end, slot)
    return took, arrived


def bursty_requests(seed: int, count: int = 2_000) -> list[int]:
    """Quiet spells, bursts far above the limit and a trickle below it, in random order."""
    rng = random.Random(seed)
    at = 0
    requests: list[int] = []
    while len(requests) < count:
        kind = rng.choice(["burst", "trickle", "quiet"])
        if kind == "burst":
            requests += [at] * rng.randint(1, 3 * N)
        elif kind == "trickle":
            for _ in range(rng.randint(1, 60)):
                at += rng.randint(0, 2 * PERIOD // N)
                requests.append(at)
        else:
            at += rng.randint(0, 3 * PERIOD)
    return requests


def counts_from(rtt: int | None, within: int | None) -> int:
    """How long after its slot a send counts: from its end, or from ``within`` if sooner."""
    ends = [ms for ms in (rtt, within) if ms is not None]
    assert ends, "a send that never ends, in a window that trusts no arrival, never frees"
    return min(ends)


# (answer after ms or None for never, arrival_within of the window)
TIMINGS = [(0, None), (5, None), (400, None), (None, WITHIN), (5, WITHIN), (100, WITHIN)]


@pytest.mark.parametrize(("rtt", "within"), TIMINGS)
async def test_a_full_window_goes_at_once_then_the_next_when_the_oldest_counts_a_period_old(
    rtt: int | None, within: int | None
) -> None:
    time = FakeTime()
    start = time.now
    window = limiter(time, within=within)
    took, _ = await serve(time, window, [start] * (N + 1), answered_after(rtt))
    assert took[:N] == [start] * N
    assert took[N] == start + counts_from(rtt, within) + PERIOD


@pytest.mark.parametrize("late", [0, 4, 50])
@pytest.mark.parametrize("seed", range(5))
async def test_never_more_than_n_in_any_period_as_telegram_receives_them(
    seed: int, late: int
) -> None:
    """Requests reach Telegram any time up to 0.4 s after their slot (a stalled event loop,
    a slow network) and end any time after that."""
    time = FakeTime(late=late, seed=seed)
    rng = random.Random(seed)

    def network() -> tuple[int, int | None]:
        arrive = rng.choice([rng.randint(0, 5), rng.randint(0, 400)])
        return arrive, arrive + rng.randint(0, 50)

    requests = [time.now + at for at in bursty_requests(seed)]
    took, arrived = await serve(time, limiter(time), requests, network)
    assert most_in_any_window(arrived, PERIOD) == N  # reached, never passed
    assert most_in_any_window(took, PERIOD) <= N


@pytest.mark.parametrize("seed", range(5))
async def test_a_window_that_assumes_arrival_within_a_time_keeps_the_rule_if_it_holds(
    seed: int,
) -> None:
    """Requests arrive up to WITHIN after their slot, and end any time after they arrived, or
    are never reported as ended."""
    time = FakeTime(late=10, seed=seed)
    rng = random.Random(seed)

    def network() -> tuple[int, int | None]:
        arrive = rng.randint(0, WITHIN)
        return arrive, (None if rng.random() < 0.2 else arrive + rng.randint(0, 3 * WITHIN))

    requests = [time.now + at for at in bursty_requests(seed)]
    took, arrived = await serve(time, limiter(time, within=WITHIN), requests, network)
    assert most_in_any_window(arrived, PERIOD) == N
    assert most_in_any_window(took, PERIOD) <= N


@pytest.mark.parametrize(("rtt", "within"), TIMINGS)
@pytest.mark.parametrize("seed", range(3))
async def test_every_send_goes_as_soon_as_the_rule_allows(
    seed: int, rtt: int | None, within: int | None
) -> None:
    """Not under-using the window: each send goes when it is asked for or, if the last N are
    all within a period then (counted from when they ended, or from ``within`` if sooner), the
    moment the oldest of them is a period old; a late wake-up delays only its own send."""
    late = 10
    time = FakeTime(late=late, seed=seed)
    requests = [time.now + at for at in bursty_requests(seed)]
    window = limiter(time, within=within)
    took, _ = await serve(time, window, requests, answered_after(rtt))
    waited = 0
    for i, (asked, at) in enumerate(zip(requests, took, strict=True)):
        turn = max(asked, took[i - 1]) if i else asked  # one caller: after the one before
        allowed = max(turn, took[i - N] + counts_from(rtt, within) + PERIOD) if i >= N else turn
        if allowed == turn:
            assert at == turn  # no wait at all
        else:
            waited += 1
            assert allowed <= at <= allowed + late
    assert waited > 20


@pytest.mark.parametrize(("rtt", "within"), TIMINGS)
async def test_a_steady_demand_gets_the_full_rate(rtt: int | None, within: int | None) -> None:
    time = FakeTime()
    start = time.now
    window = limiter(time, within=within)
    callers = (serve(time, window, [start] * 100, answered_after(rtt)) for _ in range(10))
    took = sorted(t for caller, _ in await asyncio.gather(*callers) for t in caller)
    # 1,000 sends: N at once, then N each time the first of the last N counts a period old.
    cycle = counts_from(rtt, within) + PERIOD
    assert took == [start + (i // N) * cycle for i in range(1_000)]


async def test_waiters_are_served_in_order() -> None:
    time = FakeTime()
    window = limiter(time, count=2)
    order: list[int] = []

    async def caller(i: int) -> None:
        (await window.acquire()).finished()
        order.append(i)

    await asyncio.gather(*(caller(i) for i in range(7)))
    assert order == list(range(7))


async def test_a_cancelled_waiter_takes_no_slot() -> None:
    time = FakeTime()
    start = time.now
    stuck = asyncio.Event()

    async def sleep_until_cancelled(seconds: float) -> None:
        await stuck.wait()

    window = SlidingWindow(N, PERIOD, clock=time, sleep=sleep_until_cancelled)
    for _ in range(N):
        (await window.acquire()).finished()
    waiter = asyncio.create_task(window.acquire())
    await asyncio.sleep(0)  # it is waiting for the oldest slot
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    time.advance_to(start + PERIOD)
    for _ in range(N):  # a whole window's worth again, not N - 1: none would have to sleep
        await window.acquire()


@pytest.mark.parametrize(
    ("rate", "count", "period"),
    [(30, 30, 1.0), (30.0, 30, 1.0), (2.5, 2, 0.8), (1, 1, 1.0), (0.5, 1, 2.0)],
)
def test_a_rate_a_second_in_whole_sends_per_period(rate: float, count: int, period: float) -> None:
    limiter = SlidingWindow.per_second(rate, arrival_within=0.05)
    assert (limiter.count, limiter.arrival_within) == (count, 0.05)
    assert limiter.period == pytest.approx(period)


@pytest.mark.parametrize(("count", "period", "within"), [(0, 1, None), (1, 0, None), (1, 1, -0.1)])
def test_a_window_that_makes_no_sense_is_refused(
    count: int, period: float, within: float | None
) -> None:
    with pytest.raises(ValueError):
        SlidingWindow(count, period, arrival_within=within)


class Seconds:
    """A clock in seconds whose sleeps move it on at once."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def takes(time: Seconds, bucket: Bucket, count: int) -> list[float]:
    """When each of ``count`` sends in a row got its token, from the first."""
    start, took = time.now, []
    for _ in range(count):
        await bucket.acquire()
        bucket.finished()  # answered at once
        took.append(round(time.now - start, 6))
    return took


async def test_a_private_chat_gets_a_burst_then_its_rate_and_a_group_its_rate_per_minute() -> None:
    time = Seconds()
    chats = ChatBuckets(1, 3, 20, clock=time, sleep=time.sleep)
    assert await takes(time, chats[501], 6) == [0, 0, 0, 1, 2, 3]
    assert await takes(time, chats[-100], 3) == [0, 3, 6]  # 20/min, no burst
    assert await takes(time, chats["@channel"], 2) == [0, 3]
    time.now += 10  # refilled, to the burst and no more
    assert await takes(time, chats[501], 4) == [0, 0, 0, 1]


async def test_a_paused_bucket_holds_every_send_back_until_then() -> None:
    time = Seconds()
    bucket = Bucket(3, 1, clock=time, sleep=time.sleep)
    bucket.pause(5)
    bucket.pause(2)  # a shorter pause does not shorten it
    assert bucket.paused_for() == 5
    assert await takes(time, bucket, 2) == [5, 5]
    assert bucket.paused_for() == 0


async def test_a_chats_token_counts_from_the_end_of_its_send_not_from_when_it_was_taken() -> None:
    """A send that took its chat's token and then waited (for the overall window, or an answer)
    reaches Telegram late: the bucket must not refill meanwhile as if it had arrived when it
    was taken, or the next sends to that chat arrive bunched behind it (a 429)."""
    time = Seconds()
    bucket = Bucket(1, 1, clock=time, sleep=time.sleep)
    await bucket.acquire()  # taken at 0 …
    time.now += 5  # … in flight for 5 s (the overall window was full)
    assert bucket.ready_in() > 0  # a send in flight is not refilled
    bucket.finished()  # … over at 5: it counts from then
    assert bucket.ready_in() == pytest.approx(1)
    start = time.now
    await bucket.acquire()
    assert time.now - start == pytest.approx(1)  # one second after the first one arrived
    bucket.finished()


async def test_a_burst_keeps_what_is_in_flight_out_of_the_refill() -> None:
    time = Seconds()
    bucket = Bucket(3, 1, clock=time, sleep=time.sleep)
    for _ in range(3):
        await bucket.acquire()
    time.now += 10  # three sends in flight for 10 s: nothing comes back before they are over
    assert bucket.ready_in() > 0 and not bucket.idle
    for _ in range(3):
        bucket.finished()
    # All three arrived at 10 (as far as the bot can tell): the next a second after, then 1/s.
    assert await takes(time, bucket, 2) == [1, 2]


async def test_an_album_larger_than_the_burst_takes_its_tokens_then_goes() -> None:
    """Five photos to a chat with a burst of 3: the budget takes all five tokens (the burst,
    then one a second) before the album leaves, so they may not wait for each other."""
    time = Seconds()
    bucket = Bucket(3, 1, clock=time, sleep=time.sleep)
    start, took = time.now, []
    for _ in range(5):
        await bucket.acquire(sending=False)
        took.append(round(time.now - start, 6))
    assert took == [0, 0, 0, 1, 2]
    bucket.sending(5)
    time.now += 3  # in flight: no refill meanwhile
    assert bucket.ready_in() > 0
    for _ in range(5):
        bucket.finished()
    assert await takes(time, bucket, 1) == [1]  # a second after the album arrived


async def test_idle_buckets_beyond_the_size_are_forgotten_busy_ones_kept() -> None:
    time = Seconds()
    chats = ChatBuckets(1, 3, 20, size=2, clock=time, sleep=time.sleep)
    fresh, group = chats[501], chats[-100]
    await group.acquire()  # not full again for 3 s: forgetting it would allow another now
    group.finished()
    chats[502]
    assert len(chats) == 2
    assert chats.get(501) is None and chats.get(-100) is group
    chats[503]  # 502 is idle: forgotten; the group is still busy
    assert chats.get(502) is None and chats.get(-100) is group
    time.now += 3
    chats[504]  # now the group is idle too, and the least recently used
    assert chats.get(-100) is None and chats.get(503) is not None and len(chats) == 2
    assert fresh is not chats[501]  # a chat forgotten starts afresh


class Ticks:
    """A clock that moves only when the test ticks it; a sleeper wakes at each tick and looks
    again (as a sleeper that woke a little early would)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._tick = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await self._tick.wait()

    async def tick(self, seconds: float) -> None:
        self.now += seconds
        self._tick.set()
        self._tick = asyncio.Event()
        for _ in range(20):
            await asyncio.sleep(0)


def window_of(time: Ticks) -> SlidingWindow:
    return SlidingWindow(1, 1.0, clock=time, sleep=time.sleep)


def bucket_of(time: Ticks) -> Bucket:
    return Bucket(1, 1.0, clock=time, sleep=time.sleep)


@pytest.mark.parametrize("make", [window_of, bucket_of])
async def test_people_waiting_for_an_answer_go_before_queued_notifications(
    make: Callable[[Ticks], SlidingWindow | Bucket],
) -> None:
    time = Ticks()
    limiter = make(time)

    def finished(slot: Slot | None) -> None:
        """A window hands out a slot to finish; a bucket (no slot) is finished itself."""
        if isinstance(slot, Slot):
            slot.finished()
        else:
            assert isinstance(limiter, Bucket)
            limiter.finished()

    finished(await limiter.acquire())
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        finished(await limiter.acquire(priority))  # answered at once
        order.append(name)

    tasks = [asyncio.create_task(take(f"n{i}", BACKGROUND)) for i in range(3)]
    await asyncio.sleep(0)  # the first notification is asleep until its turn, the rest queue
    tasks += [asyncio.create_task(take(f"a{i}", URGENT)) for i in range(2)]
    await asyncio.sleep(0)
    for _ in range(10):
        await time.tick(1.0)
    assert order == ["a0", "a1", "n0", "n1", "n2"]  # one a second, answers first
    await asyncio.gather(*tasks)


async def test_a_cancelled_first_waiter_hands_its_turn_to_the_next() -> None:
    time = Ticks()
    window = window_of(time)
    (await window.acquire()).finished()
    first = asyncio.create_task(window.acquire(BACKGROUND))
    second = asyncio.create_task(window.acquire(BACKGROUND))
    await asyncio.sleep(0)
    first.cancel()
    await time.tick(1.0)
    (await asyncio.wait_for(second, 1)).finished()
    assert first.cancelled() and window.waiting == 0
