"""What the WeChat door keeps: the callbacks it handled (retries are handled once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WeChatCallback


class WeChatCallbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def seen(self, key: str) -> bool:
        found = await self.session.scalar(
            select(WeChatCallback.key).where(WeChatCallback.key == key)
        )
        return found is not None

    async def add(self, key: str, now: datetime) -> None:
        """Raises IntegrityError (at the flush) when another request recorded it first."""
        self.session.add(WeChatCallback(key=key, received_at=now))
        await self.session.flush()
