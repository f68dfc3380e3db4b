"""Photos sent through the web door (storage.models.WebFile)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebFile


class WebFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, key: str, person_id: int, content_type: str, content: bytes, now: datetime
    ) -> WebFile:
        row = WebFile(
            key=key,
            person_id=person_id,
            content_type=content_type,
            content=content,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, key: str) -> WebFile | None:
        return await self.session.get(WebFile, key)
