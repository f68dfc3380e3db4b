from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation, Role


class InvitationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        token: str,
        role: Role,
        community_id: int,
        building_id: int | None,
        created_by: int | None,
        now: datetime,
        expires_at: datetime,
        once: str | None = None,
    ) -> Invitation:
        invitation = Invitation(
            token=token,
            role=role,
            community_id=community_id,
            building_id=building_id,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
            once=once,
        )
        self.session.add(invitation)
        await self.session.flush()
        return invitation

    async def by_once(
        self, created_by: int, building_id: int | None, role: Role, once: str
    ) -> Invitation | None:
        """The invitation the same form (its one-time key) already issued, if any."""
        building = (
            Invitation.building_id.is_(None)
            if building_id is None
            else Invitation.building_id == building_id
        )
        return await self.session.scalar(
            select(Invitation).where(
                Invitation.created_by == created_by,
                building,
                Invitation.role == role,
                Invitation.once == once,
            )
        )

    async def by_token(self, token: str) -> Invitation | None:
        return await self.session.scalar(select(Invitation).where(Invitation.token == token))

    async def claim(self, invitation_id: int, person_id: int, now: datetime) -> bool:
        """Marks the invitation used, only if nobody used it first (a conditional UPDATE, so two
        people opening the same link at once cannot both win)."""
        result = await self.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.used_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(used_by=person_id, used_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
