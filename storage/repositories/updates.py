from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from storage.models import ProcessedUpdate


def _record(insert: Any) -> Insert:
    statement: Insert = insert(ProcessedUpdate).on_conflict_do_nothing(index_elements=["update_id"])
    return statement


# Built once, the values bound at execution (executemany).
_RECORD = {"sqlite": _record(sqlite_insert), "postgresql": _record(pg_insert)}


class UpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, update_ids: Sequence[int], now: datetime) -> None:
        """Records handled update ids; ids recorded before are left as they are. One INSERT
        for the batch: it was a SELECT of the known ids and an ORM object added (cascades
        walked) and flushed per id, a burst's ~100 ids every half second."""
        if not update_ids:
            return
        rows = [{"update_id": i, "processed_at": now} for i in dict.fromkeys(update_ids)]
        dialect = self.session.get_bind().dialect.name
        await self.session.execute(_RECORD[dialect], rows)

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Records one update id unless it is there: True when this call recorded it (one
        statement, safe between concurrent transactions; PostgreSQL and SQLite)."""
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        insert = sqlite_insert if sqlite else pg_insert
        statement = (
            insert(ProcessedUpdate)
            .values(update_id=update_id, processed_at=now)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(ProcessedUpdate.update_id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def newest(self, limit: int) -> list[int]:
        query = select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id.desc())
        return list((await self.session.scalars(query.limit(limit))).all())

    async def prune(self, before: datetime) -> None:
        await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
        )
