"""Waiting in tests for a condition, never for a guessed time. A test on a busy machine (two
copies of the suite on two cores, and more) runs many times slower than on an idle one: a wait
ends as soon as its condition holds, and its deadline is only there to fail a test that would
otherwise hang, so it is generous."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

# How long a condition may take on a loaded machine before the test fails.
PATIENCE = 60.0


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    time_limit: float = PATIENCE,
    step: float = 0.01,
) -> None:
    """Returns once ``condition()`` (a plain or an async callable) is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + time_limit
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {time_limit:.0f} s waiting for {what}")
        await asyncio.sleep(step)
