"""A delivery pass's time (bot/delivery.py): when its requests must have started, and ended."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator

# Why a row was held for the next pass unsent.
LATE = "not sent: its turn did not come within the pass (limits, requests in hand); next pass"


class PassWindow:
    """A pass's requests start by ``send_by`` (a wait for a turn past it ends in TimeoutError)
    and end by ``end_by`` (one still in flight then ends in TimeoutError), both loop times.
    ``cut()`` brings both forward, also for the waits already running (shutdown)."""

    def __init__(self, send_by: float, end_by: float) -> None:
        self.send_by = send_by
        self.end_by = end_by
        self._starts: set[asyncio.Timeout] = set()
        self._flights: set[asyncio.Timeout] = set()

    @contextlib.asynccontextmanager
    async def in_time(self) -> AsyncIterator[None]:
        async with self._bounded(self.send_by, self._starts):
            yield

    @contextlib.asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        async with self._bounded(self.end_by, self._flights):
            yield

    @staticmethod
    @contextlib.asynccontextmanager
    async def _bounded(when: float, running: set[asyncio.Timeout]) -> AsyncIterator[None]:
        async with asyncio.timeout_at(when) as timeout:
            running.add(timeout)
            try:
                yield
            finally:
                running.discard(timeout)

    def cut(self, send_by: float, end_by: float) -> None:
        self.send_by = min(self.send_by, send_by)
        self.end_by = min(self.end_by, end_by)
        for running, when in ((self._starts, self.send_by), (self._flights, self.end_by)):
            for timeout in list(running):
                current = timeout.when()
                if current is None or current > when:
                    timeout.reschedule(when)

    def request_timeout(self, longest: int) -> int:
        """Whole seconds a request may take (aiogram's request_timeout): ``longest``, or what
        is left of the window if less."""
        left = self.end_by - asyncio.get_running_loop().time()
        return max(1, min(longest, math.ceil(left)))
