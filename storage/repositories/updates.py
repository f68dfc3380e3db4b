from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


class UpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Records the update id; False when it was recorded before (the primary key decides,
        so two instances receiving the same webhook redelivery cannot both win)."""
        if await self.session.get(ProcessedUpdate, update_id) is not None:
            return False
        try:
            async with self.session.begin_nested():
                self.session.add(ProcessedUpdate(update_id=update_id, processed_at=now))
        except IntegrityError:
            return False
        return True

    async def prune(self, before: datetime) -> None:
        await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
        )

    async def seen(self, update_id: int) -> bool:
        query = select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
        return await self.session.scalar(query) is not None
