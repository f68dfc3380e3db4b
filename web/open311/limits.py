"""Requests per minute, per API key (or, without a valid key, per caller's address): a client
in a loop, or someone guessing keys, is answered 429 long before the database notices. The
window slides (the last 60 seconds), in memory: each process of the bot counts its own, which
bounds a client to this many per process (a proxy in front sees the whole)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW = 60.0
REMEMBERED = 10_000  # callers kept; the least recently seen is forgotten first


class PerKeyWindow:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Counts a request of ``key`` and says whether it is within the limit (a refused one
        counts too: hammering does not reopen the window)."""
        now = self.clock()
        times = self._seen.pop(key, None) or deque()
        while times and times[0] <= now - WINDOW:
            times.popleft()
        times.append(now)
        if len(times) > self.per_minute + 1:
            times.popleft()  # a steady hammer keeps one window's worth, not all of it
        self._seen[key] = times
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        return len(times) <= self.per_minute
