"""A test that hangs fails, with the stacks of every asyncio task, instead of holding CI until
its own time limit; so does a hung set-up or tear-down (a fixture's, or the closing of the
test's event loop, which waits for every task it cancels). A hang in an asyncio test leaves the
loop idle (every task waits for something that never comes), so the thread stacks faulthandler
prints show only the selector; what each task waits on is in the task stacks printed here. Then
the test's loop is stopped."""

from __future__ import annotations

import asyncio
import gc
import io
import os
import sys
import threading
from collections.abc import Iterator

import pytest

# Seconds one test may run; generous (a busy machine is many times slower than an idle one).
STALL_SECONDS = float(os.environ.get("TEST_STALL_SECONDS", "900"))
# A tear-down only stops what the test started: one that takes minutes is hung, and waiting the
# whole STALL_SECONDS for it only makes the suite longer.
TEARDOWN_SECONDS = min(STALL_SECONDS, float(os.environ.get("TEST_TEARDOWN_STALL_SECONDS", "180")))


def _running_loops() -> list[asyncio.AbstractEventLoop]:
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, asyncio.AbstractEventLoop) and obj.is_running()
    ]


def _dump_and_stop(test: str, seconds: float) -> None:
    out = io.StringIO()
    out.write(f"\n=== {test} ran over {seconds:.0f} s: the asyncio tasks ===\n")
    loops = _running_loops()
    for loop in loops:
        for task in asyncio.all_tasks(loop):
            out.write(f"--- {task!r}\n")
            task.print_stack(file=out)
    sys.stderr.write(out.getvalue())
    for loop in loops:
        # Cancelling every task ends the test (with CancelledError) and lets the suite go on.
        loop.call_soon_threadsafe(_cancel_all, loop)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        task.cancel()


def _watched(item: pytest.Item, phase: str) -> Iterator[None]:
    seconds = TEARDOWN_SECONDS if phase == "teardown" else STALL_SECONDS
    timer = threading.Timer(seconds, _dump_and_stop, args=(f"{item.nodeid} ({phase})", seconds))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _watched(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _watched(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield from _watched(item, "teardown")
