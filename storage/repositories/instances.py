"""The processes that deliver (storage.models.DeliveryInstance); their claims are the outbox's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryInstance


class InstanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[DeliveryInstance]:
        query = select(DeliveryInstance).order_by(DeliveryInstance.instance_id)
        return (await self.session.scalars(query)).all()

    async def take(
        self, instance_id: str, token: str, host: str, pid: int, now: datetime
    ) -> DeliveryInstance:
        """This process is ``instance_id`` from now on (a new row, or its predecessor's)."""
        row = await self.session.get(DeliveryInstance, instance_id, populate_existing=True)
        if row is None:
            row = DeliveryInstance(instance_id=instance_id)
            self.session.add(row)
        row.token, row.host, row.pid = token, host, pid
        row.started_at = row.heartbeat_at = now
        row.stopped_at = None
        await self.session.flush()
        return row

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
