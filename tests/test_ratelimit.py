"""The delivery worker's limiters on a fake monotonic clock: Telegram's overall rule (at most N
sends in any rolling second) is never broken, and the window is used in full."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.ratelimit import ChatLimiters, SlidingWindow

# The fake clock counts whole milliseconds, so that the limiter's arithmetic is exact.
N, PERIOD, MARGIN = 30, 1_000, 30
WINDOW = PERIOD + MARGIN


class FakeTime:
    """A monotonic clock that moves only when a waiter sleeps: by what it asked for, plus up to
    ``late`` ms (an event loop that wakes it up late)."""

    def __init__(self, late: int = 0, seed: int = 0) -> None:
        self.now = 5_000_000.0
        self.late = late
        self.random = random.Random(seed)
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds + self.random.randint(0, self.late)
        await asyncio.sleep(0)


def limiter(time: FakeTime, count: int = N) -> SlidingWindow:
    return SlidingWindow(count, PERIOD, margin=MARGIN, clock=time, sleep=time.sleep)


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The most acquisitions in any half-open interval [t, t + seconds)."""
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


async def serve(time: FakeTime, window: SlidingWindow, requests: list[float]) -> list[float]:
    """One caller asking at the given (non-decreasing) times; returns when each got its slot."""
    got = []
    for at in requests:
        time.now = max(time.now, at)
        await window.acquire()
        got.append(time.now)
    return got


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


async def test_a_full_window_goes_at_once_and_the_next_a_window_after_the_first() -> None:
    time = FakeTime()
    start = time.now
    got = await serve(time, limiter(time), [start] * (N + 1))
    assert got[:N] == [start] * N
    assert time.sleeps == [WINDOW]
    assert got[N] == start + WINDOW


@pytest.mark.parametrize("late", [0, 4, 50])
@pytest.mark.parametrize("seed", range(5))
async def test_never_more_than_n_in_any_window(seed: int, late: int) -> None:
    time = FakeTime(late=late, seed=seed)
    got = await serve(time, limiter(time), [time.now + at for at in bursty_requests(seed)])
    assert most_in_any_window(got, WINDOW) == N  # reached, never passed
    assert most_in_any_window(got, PERIOD) <= N  # Telegram's second, with the margin to spare


@pytest.mark.parametrize("seed", range(5))
async def test_every_send_goes_as_soon_as_the_rule_allows(seed: int) -> None:
    """Not under-using the window: each send goes when it is asked for, or, if N sends are in
    the last window then, the moment the oldest of them is a window old; a late wake-up delays
    only the one that slept."""
    late = 10
    time = FakeTime(late=late, seed=seed)
    requests = [time.now + at for at in bursty_requests(seed)]
    got = await serve(time, limiter(time), requests)
    waited = 0
    for i, (asked, at) in enumerate(zip(requests, got, strict=True)):
        turn = max(asked, got[i - 1]) if i else asked  # one caller: after the one before
        allowed = max(turn, got[i - N] + WINDOW) if i >= N else turn
        if allowed == turn:
            assert at == turn  # no wait at all
        else:
            waited += 1
            assert allowed <= at <= allowed + late
    assert waited == len(time.sleeps) > 20


async def test_a_steady_demand_gets_the_full_rate() -> None:
    time = FakeTime()
    start = time.now
    window = limiter(time)
    got = await asyncio.gather(*(serve(time, window, [start] * 100) for _ in range(10)))
    times = sorted(t for caller in got for t in caller)
    assert len(times) == 1_000
    # 1,000 sends: N at once, then N every window, to the end.
    assert times == [start + (i // N) * WINDOW for i in range(1_000)]


async def test_waiters_are_served_in_order() -> None:
    time = FakeTime()
    window = limiter(time, count=2)
    order: list[int] = []

    async def caller(i: int) -> None:
        await window.acquire()
        order.append(i)

    await asyncio.gather(*(caller(i) for i in range(7)))
    assert order == list(range(7))


async def test_a_cancelled_waiter_takes_no_slot() -> None:
    time = FakeTime()
    start = time.now
    stuck = asyncio.Event()

    async def sleep_until_cancelled(seconds: float) -> None:
        await stuck.wait()

    window = SlidingWindow(N, PERIOD, margin=MARGIN, clock=time, sleep=sleep_until_cancelled)
    for _ in range(N):
        await window.acquire()
    waiter = asyncio.create_task(window.acquire())
    await asyncio.sleep(0)  # it is waiting for the oldest slot
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    time.now = start + WINDOW
    for _ in range(N):  # a whole window's worth again, not N - 1: none would have to sleep
        await window.acquire()


@pytest.mark.parametrize(
    ("rate", "count", "period"),
    [(30, 30, 1.0), (30.0, 30, 1.0), (2.5, 2, 0.8), (1, 1, 1.0), (0.5, 1, 2.0)],
)
def test_a_rate_a_second_in_whole_sends_per_window(rate: float, count: int, period: float) -> None:
    limiter = SlidingWindow.per_second(rate, margin=0.03)
    assert limiter.count == count
    assert limiter.window == pytest.approx(period + 0.03)


@pytest.mark.parametrize(("count", "period", "margin"), [(0, 1, 0), (1, 0, 0), (1, 1, -0.1)])
def test_a_window_that_makes_no_sense_is_refused(count: int, period: float, margin: float) -> None:
    with pytest.raises(ValueError):
        SlidingWindow(count, period, margin=margin)


def test_chat_limiters_per_kind_and_least_recently_used_forgotten() -> None:
    chats = ChatLimiters(private_per_second=1, private_burst=3, group_per_minute=20, size=2)
    private, group = chats[501], chats[-100]
    assert (private.max_rate, private.time_period) == (3, 3.0)  # a burst of 3, then 1/s
    assert (group.max_rate, group.time_period) == (1, 3.0)  # 20/min, no burst
    assert chats[501] is private  # remembered, and now the most recently used
    chats[502]
    assert len(chats) == 2
    assert chats[501] is private
    assert chats[-100] is not group  # the least recently used was forgotten
