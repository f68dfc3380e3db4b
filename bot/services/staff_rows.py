"""What is written to someone *as staff* and not about one ticket (a digest, a weekly summary,
a list of tickets waiting, a flat claim or a volunteer or a redemption to decide, a colleague's
news): its outbox payload names the area it was written for (``STAFF``). When a role is taken
away, the ones of an area the person no longer covers that have not gone yet go to no one, in
the removal's own commit (bot/services/revoke.py), as their rows about tickets do
(``OutboxRepository.fail_pending_as_staff``). What they get as a resident, an author or a
follower carries no area and still goes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import Coverage
from storage.repositories import OutboxRepository
from storage.repositories.stats import Scope

STAFF = "staff"  # the payload's key: {"community": id, "buildings": [ids] | None (all)}


def staff_area(scope: Scope) -> dict[str, Any]:
    buildings = None if scope.building_ids is None else list(scope.building_ids)
    return {"community": scope.community_id, "buildings": buildings}


def still_covers(cover: Coverage, area: Any) -> bool:
    """Whether someone with ``cover`` may still read what was written for ``area`` (a
    malformed area counts as not covered: it goes to no one rather than anyone)."""
    if cover.admin:
        return True
    if not isinstance(area, dict):
        return False
    community, buildings = area.get("community"), area.get("buildings")
    if community in cover.community_ids:
        return True
    return isinstance(buildings, list) and bool(buildings) and set(buildings) <= cover.building_ids


async def fail_staff_rows(
    session: AsyncSession, person_id: int, cover: Coverage, error: str
) -> int:
    """Fails the person's pending rows written for an area ``cover`` no longer includes."""
    outbox = OutboxRepository(session)
    lost = [
        row.id
        for row in await outbox.pending_without_ticket(person_id)
        if STAFF in row.payload and not still_covers(cover, row.payload[STAFF])
    ]
    return await outbox.fail_pending(lost, error)
