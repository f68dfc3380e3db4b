from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FsmRecord


class FsmRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> FsmRecord | None:
        return await self.session.get(FsmRecord, key)

    async def save(self, key: str, now: datetime, state: str | None, data: dict[str, Any]) -> None:
        """The conversation as it is now; nothing left when it has neither state nor data."""
        if state is None and not data:
            await self.session.execute(delete(FsmRecord).where(FsmRecord.key == key))
            return
        # One statement either way (the step after a conversation's first is always an update).
        insert = (
            postgresql.insert
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        values = {"key": key, "state": state, "data": data, "updated_at": now}
        await self.session.execute(
            insert(FsmRecord)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[FsmRecord.key],
                set_={"state": state, "data": data, "updated_at": now},
            )
        )

    async def count(self) -> int:
        return len((await self.session.scalars(select(FsmRecord.key))).all())
