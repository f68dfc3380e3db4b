"""The SQL statements a piece of the bot runs, as SQLite receives them (for the tests that bound
how many statements a step, a scan or a delivery pass takes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from storage.db import Database


@contextmanager
def counting(db: Database, width: int = 160) -> Iterator[list[str]]:
    """Each statement run inside, its whitespace folded, cut to ``width`` characters. The read
    cache's look at other processes (``PRAGMA data_version``) is switched off: not the code's
    own statements."""
    seen: list[str] = []
    db.cache.recheck = float("inf")

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:width])

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
