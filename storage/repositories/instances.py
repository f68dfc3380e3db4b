"""The processes that deliver (storage.models.DeliveryInstance); their claims are the outbox's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryInstance


class IdTaken(Exception):
    """Another process took this instance id since this one read it."""


class InstanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[DeliveryInstance]:
        query = select(DeliveryInstance).order_by(DeliveryInstance.instance_id)
        return (await self.session.scalars(query)).all()

    async def take(
        self,
        instance_id: str,
        token: str,
        host: str,
        pid: int,
        now: datetime,
        *,
        replacing: str | None,
    ) -> None:
        """This process is ``instance_id`` from now on: a new row (``replacing`` None), or the
        row of a predecessor seen gone, whose token was ``replacing``. Of two processes that
        take the same id at once, the second gets IdTaken (a predecessor's row whose token
        changed since) or an IntegrityError (a new row inserted since)."""
        if replacing is None:
            self.session.add(
                DeliveryInstance(
                    instance_id=instance_id,
                    token=token,
                    host=host,
                    pid=pid,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
            await self.session.flush()
            return
        result = await self.session.execute(
            update(DeliveryInstance)
            .where(DeliveryInstance.instance_id == instance_id, DeliveryInstance.token == replacing)
            .values(
                token=token, host=host, pid=pid, started_at=now, heartbeat_at=now, stopped_at=None
            )
        )
        if int(getattr(result, "rowcount", 0)) != 1:
            raise IdTaken(instance_id)

    async def beat(self, instance_id: str, token: str, now: datetime) -> bool:
        """The heartbeat; False when the id is no longer this process's."""
        result = await self.session.execute(
            update(DeliveryInstance)
            .where(DeliveryInstance.instance_id == instance_id, DeliveryInstance.token == token)
            .values(heartbeat_at=now, stopped_at=None)
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def stop(self, instance_id: str, token: str, now: datetime) -> None:
        """This process stops: the id is free for its successor at once."""
        await self.session.execute(
            update(DeliveryInstance)
            .where(DeliveryInstance.instance_id == instance_id, DeliveryInstance.token == token)
            .values(stopped_at=now)
        )

    async def ended(self, instance_ids: Sequence[str], now: datetime) -> None:
        """These were found dead: their ids are free."""
        if not instance_ids:
            return
        await self.session.execute(
            update(DeliveryInstance)
            .where(
                DeliveryInstance.instance_id.in_(list(instance_ids)),
                DeliveryInstance.stopped_at.is_(None),
            )
            .values(stopped_at=now)
        )
