"""The SQL statements a piece of the bot runs, as SQLite receives them (for the tests that bound
how many statements a step, a scan or a delivery pass takes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from storage.db import Database


@contextmanager
def counting(db: Database, width: int = 160, *, this_task: bool = False) -> Iterator[list[str]]:
    """Each statement run inside, its whitespace folded, cut to ``width`` characters; with
    ``this_task``, only those the current task runs (an update handled by ``feed_update``, not
    the batch of handled update ids or the delivery wake-ups in tasks of their own). The read
    cache's look at other processes (``PRAGMA data_version``, at most every 0.25 s whatever the
    work) is switched off: not the code's own statements."""
    seen: list[str] = []
    db.cache.recheck = float("inf")
    task = asyncio.current_task() if this_task else None

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if task is None or asyncio.current_task() is task:
            seen.append(" ".join(statement.split())[:width])

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
