"""What is written to someone *as staff* and not about one ticket (a digest, a weekly summary,
a list of tickets waiting, a flat claim or a volunteer or a redemption to decide, a colleague's
news): its outbox payload names the area it was written for (``STAFF``). When a role is taken
away, the ones of an area the person no longer covers that have not gone yet go to no one, in
the removal's own commit (bot/services/revoke.py), as their rows about tickets do
(``OutboxRepository.fail_pending_as_staff``). What they get as a resident, an author or a
follower carries no area and still goes.

A role can also go without a commit: an admin taken out of ADMIN_IDS (a config change and a
restart). So the delivery worker asks again, for every door, just before it sends such a row
(``StaffRows.lapsed``): one whose recipient no longer covers its area is failed, not sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.access import Coverage, coverage
from bot.services.contacts import admin_addresses
from storage.db import Database
from storage.models import OutboxMessage
from storage.repositories import OutboxRepository, PersonRepository
from storage.repositories.stats import Scope

STAFF = "staff"  # the payload's key: {"community": id, "buildings": [ids] | None (all)}
# The last_error of a row the worker did not send because its recipient lost the area.
LAPSED = "not sent: written to them as staff of an area their current roles do not cover"


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


class StaffRows:
    """The delivery worker's check, at the moment of sending (bot/delivery.py)."""

    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db

    async def lapsed(self, rows: Sequence[OutboxMessage]) -> set[int]:
        """The ids of ``rows`` written to someone as staff (``STAFF`` in the payload) of an
        area their current roles no longer cover; a few statements per such recipient, none
        for a pass without staff rows."""
        staff = [r for r in rows if STAFF in r.payload]
        if not staff:
            return set()
        covers: dict[int, Coverage | None] = {}
        async with self.db.session() as session:
            people = PersonRepository(session)
            for person_id in {r.person_id for r in staff if r.person_id is not None}:
                person = await people.get(person_id)
                covers[person_id] = (
                    None if person is None else await coverage(session, self.config, person)
                )
        # A row to no person is to an admin's chat of ADMIN_IDS who has not written yet: his
        # while the chat is still one of them.
        admins = {a.address for a in admin_addresses(self.config)}
        return {
            r.id
            for r in staff
            if (
                r.address not in admins
                if r.person_id is None
                else (cover := covers[r.person_id]) is None
                or not still_covers(cover, r.payload[STAFF])
            )
        }
