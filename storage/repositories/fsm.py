from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FsmRecord


class FsmRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> FsmRecord | None:
        return await self.session.get(FsmRecord, key)

    async def put(
        self,
        key: str,
        now: datetime,
        *,
        state: str | None = None,
        data: dict[str, Any] | None = None,
        set_state: bool = False,
        set_data: bool = False,
    ) -> None:
        record = await self.session.get(FsmRecord, key)
        if record is None:
            record = FsmRecord(key=key, state=None, data={}, updated_at=now)
            self.session.add(record)
        if set_state:
            record.state = state
        if set_data:
            record.data = dict(data or {})
        record.updated_at = now
        await self.session.flush()
        if record.state is None and not record.data:
            await self.session.execute(delete(FsmRecord).where(FsmRecord.key == key))

    async def count(self) -> int:
        return len((await self.session.scalars(select(FsmRecord.key))).all())
