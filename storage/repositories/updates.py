from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


class UpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, update_ids: Sequence[int], now: datetime) -> None:
        """Records handled update ids; ids recorded before are left as they are."""
        known = set(
            (
                await self.session.scalars(
                    select(ProcessedUpdate.update_id).where(
                        ProcessedUpdate.update_id.in_(list(update_ids))
                    )
                )
            ).all()
        )
        self.session.add_all(
            ProcessedUpdate(update_id=i, processed_at=now)
            for i in dict.fromkeys(update_ids)
            if i not in known
        )
        await self.session.flush()

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
