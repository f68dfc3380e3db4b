from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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
