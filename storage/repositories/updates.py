from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
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

    async def newest(self, limit: int) -> list[int]:
        query = select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id.desc())
        return list((await self.session.scalars(query.limit(limit))).all())

    async def prune(self, before: datetime) -> None:
        await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
        )
