"""A community's own vote rules. No commit here: the service's unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Vote, VoteRule


class VoteRuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rule(self, rule_id: int) -> VoteRule | None:
        return await self.session.get(VoteRule, rule_id)

    async def rules(self, community_id: int, *, active: bool = False) -> Sequence[VoteRule]:
        """The community's rules by name; ``active``: not retired."""
        query = select(VoteRule).where(VoteRule.community_id == community_id)
        if active:
            query = query.where(VoteRule.retired_at.is_(None))
        return list(await self.session.scalars(query.order_by(VoteRule.name, VoteRule.id)))

    async def named(self, community_id: int, name: str) -> VoteRule | None:
        return await self.session.scalar(
            select(VoteRule).where(
                VoteRule.community_id == community_id,
                func.lower(VoteRule.name) == name.lower(),
            )
        )

    async def add(self, rule: VoteRule) -> VoteRule:
        self.session.add(rule)
        await self.session.flush()
        return rule

    async def retire(self, rule_id: int, now: datetime) -> bool:
        """Compare-and-set: only an active rule is retired (the first press wins)."""
        result = await self.session.execute(
            update(VoteRule)
            .where(VoteRule.id == rule_id, VoteRule.retired_at.is_(None))
            .values(retired_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def votes_using(self, community_id: int) -> dict[int, int]:
        """Rule id → how many of the community's votes were opened with it."""
        query = (
            select(Vote.rule_spec)
            .join(Building, Building.id == Vote.building_id)
            .where(Building.community_id == community_id, Vote.rule_spec.is_not(None))
        )
        used: dict[int, int] = {}
        for kept in await self.session.scalars(query):
            if kept and isinstance(kept.get("id"), int):
                used[kept["id"]] = used.get(kept["id"], 0) + 1
        return used
