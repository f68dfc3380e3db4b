"""Volunteer activities at the office's console: the activities announced to the buildings a
person covers now (coordinators and admins their area, heads and deputies their buildings),
newest first, each with its places, sign-ups, check-ins and hours confirmed. Numbers only, as
the organiser's /activities shows them: no volunteer's name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.access import Coverage
from bot.services.scheduling import sla_of
from bot.services.sla import local
from storage.db import Database
from storage.models import VolunteerActivity
from storage.repositories import CommunityRepository
from storage.repositories.office_lists import ActivityFigures, OfficeListRepository

LISTED = 100
SCANNED = 500  # a head's buildings are picked out of their communities' newest


@dataclass(frozen=True, slots=True)
class OfficeActivity:
    activity: VolunteerActivity
    starts_local: datetime
    figures: ActivityFigures


def _covered(seen: Coverage, activity: VolunteerActivity) -> bool:
    """Announced to at least one building of the area (a head's building among others too)."""
    return seen.admin or any(seen.covers(activity.community_id, b) for b in activity.building_ids)


class OfficeActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def listed(self, seen: Coverage) -> list[OfficeActivity]:
        async with self.db.session() as session:
            repo = OfficeListRepository(session)
            communities = set(seen.community_ids)
            communities |= set(await repo.community_ids_of(sorted(seen.building_ids)))
            found = await repo.activities(seen.admin, sorted(communities), SCANNED)
            shown = [a for a in found if _covered(seen, a)][:LISTED]
            figures = await repo.activity_figures([a.id for a in shown])
            slas = {}
            out = []
            for activity in shown:
                if activity.community_id not in slas:
                    community = await CommunityRepository(session).get(activity.community_id)
                    assert community is not None
                    slas[activity.community_id] = sla_of(community)
                starts = local(activity.starts_at, slas[activity.community_id])
                out.append(OfficeActivity(activity, starts, figures[activity.id]))
            return out
