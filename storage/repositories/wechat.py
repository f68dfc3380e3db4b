"""What the WeChat door keeps: the callbacks it handled (retries are handled once) and what a
person's next text means after a menu choice that needs words."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WeChatCallback, WeChatPending


class WeChatCallbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def seen(self, key: str) -> bool:
        found = await self.session.scalar(
            select(WeChatCallback.key).where(WeChatCallback.key == key)
        )
        return found is not None

    async def forget(self, openid: str) -> None:
        """The events' rows, whose keys name the person's OpenID (a message's is its MsgId)."""
        await self.session.execute(
            delete(WeChatCallback).where(
                WeChatCallback.key.startswith(f"event:{openid}:", autoescape=True)
                | WeChatCallback.key.startswith(f"msg:{openid}:", autoescape=True)
            )
        )

    async def prune(self, before: datetime, limit: int) -> int:
        """Removes up to ``limit`` rows received before ``before``; returns how many went."""
        keys = select(WeChatCallback.key).where(WeChatCallback.received_at < before).limit(limit)
        gone = list((await self.session.scalars(keys)).all())
        if gone:
            await self.session.execute(delete(WeChatCallback).where(WeChatCallback.key.in_(gone)))
        return len(gone)

    async def add(self, key: str, now: datetime) -> None:
        """Raises IntegrityError (at the flush) when another request recorded it first."""
        self.session.add(WeChatCallback(key=key, received_at=now))
        await self.session.flush()


class WeChatPendingRepository:
    """What a person's next text means (a reply, a reason), one row per person."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(
        self,
        openid: str,
        ticket_id: int | None,
        action: str,
        until: datetime,
        photos: str = "",
        text: str = "",
    ) -> None:
        await self.clear(openid)
        self.session.add(
            WeChatPending(
                openid=openid,
                ticket_id=ticket_id,
                action=action,
                until=until,
                photos=photos,
                text=text,
            )
        )
        await self.session.flush()

    async def peek(self, openid: str, now: datetime) -> WeChatPending | None:
        """The person's pending choice, left in place; None when there is none or it is too
        old."""
        found = await self.session.get(WeChatPending, openid)
        return found if found is not None and found.until > now else None

    async def lapsed(self, openid: str, now: datetime) -> str | None:
        """The action of the person's pending choice when it is there but too old; else
        None."""
        found = await self.session.get(WeChatPending, openid)
        return found.action if found is not None and found.until <= now else None

    async def take(self, openid: str, now: datetime) -> WeChatPending | None:
        """The person's pending choice, removed; None when there is none or it is too old."""
        found = await self.session.get(WeChatPending, openid)
        if found is None:
            return None
        await self.session.delete(found)
        await self.session.flush()
        return found if found.until > now else None

    async def clear(self, openid: str) -> None:
        await self.session.execute(delete(WeChatPending).where(WeChatPending.openid == openid))
