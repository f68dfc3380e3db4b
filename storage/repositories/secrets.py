from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeploymentSecret


class SecretRepository:
    """The deployment's secrets, by name. Never logged, never shown."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> str | None:
        return await self.session.scalar(
            select(DeploymentSecret.value).where(DeploymentSecret.name == name)
        )

    async def add(self, name: str, value: str, now: datetime) -> None:
        """Raises IntegrityError (at the flush) when another process added it first."""
        self.session.add(DeploymentSecret(name=name, value=value, created_at=now))
        await self.session.flush()

    async def put(self, name: str, value: str, now: datetime) -> None:
        """Sets ``name`` to ``value`` (a secret that is renewed, such as an access token)."""
        found = await self.session.get(DeploymentSecret, name)
        if found is None:
            self.session.add(DeploymentSecret(name=name, value=value, created_at=now))
        else:
            found.value = value
            found.created_at = now
        await self.session.flush()

    async def swap(self, name: str, old: str, new: str, now: datetime) -> bool:
        """Sets ``name`` to ``new`` only while it is still ``old``: of several processes, one
        wins (compare-and-set); False for the others."""
        changed = await self.session.execute(
            update(DeploymentSecret)
            .where(DeploymentSecret.name == name, DeploymentSecret.value == old)
            .values(value=new, created_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(changed, "rowcount", 0))
