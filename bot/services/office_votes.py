"""Building votes at the office's console: the votes of the buildings a person covers now
(coordinators and admins their area, heads and deputies their buildings) and one vote's
figures, exactly as the organiser's /vote shows them: turnout while it is open (no tallies,
so early figures do not sway the rest), each threshold and the tallies once closed; and the
street office's sheet (bot/documents/vote_sheet.py) of a closed vote. Never who voted what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services.access import Coverage
from bot.services.errors import ServiceError
from bot.services.votes import VoteService
from storage.db import Database
from storage.models import Building, Community, Vote, VoteStatus
from storage.repositories import CommunityRepository
from storage.repositories.office_lists import OfficeListRepository
from storage.repositories.votes import VoteRepository

LISTED = 100


@dataclass(frozen=True, slots=True)
class OfficeVote:
    vote: Vote
    building: Building
    community: Community
    # The record's shape (bot/services/votes.py record); while open, the turnout only.
    figures: dict[str, Any]

    @property
    def closed(self) -> bool:
        return self.vote.status is VoteStatus.CLOSED


def shown_figures(vote: Vote, figures: dict[str, Any]) -> dict[str, Any]:
    if vote.status is VoteStatus.CLOSED:
        return figures
    turnout = [x for x in figures["thresholds"] if x["key"].startswith("turnout")]
    return {"thresholds": turnout}


class OfficeVotes:
    def __init__(self, db: Database, votes: VoteService) -> None:
        self.db = db
        self.votes = votes

    async def listed(self, seen: Coverage) -> list[tuple[Vote, Building, Community]]:
        """Open votes first, then the newest closed ones, of the area covered now."""
        async with self.db.session() as session:
            rows = await OfficeListRepository(session).votes(
                seen.admin, sorted(seen.building_ids), sorted(seen.community_ids), LISTED
            )
            communities = CommunityRepository(session)
            out = []
            for vote, building in rows:
                community = await communities.get(building.community_id)
                assert community is not None
                out.append((vote, building, community))
            return out

    async def vote(self, seen: Coverage, vote_id: int) -> OfficeVote:
        """One vote of the area; another area's (or a missing one) is refused alike."""
        async with self.db.session() as session:
            vote = await VoteRepository(session).vote(vote_id)
            building = (
                None
                if vote is None
                else await CommunityRepository(session).building(vote.building_id)
            )
            if (
                vote is None
                or building is None
                or not seen.covers(building.community_id, building.id)
            ):
                raise ServiceError("not-allowed")
            community = await CommunityRepository(session).get(building.community_id)
            assert community is not None
            figures = vote.result or await self.votes.figures(session, vote)
            return OfficeVote(vote, building, community, shown_figures(vote, figures))

    async def export_rows(
        self, seen: Coverage, vote_id: int
    ) -> tuple[Vote, Building, dict[str, Any], list[Any]]:
        """The sheet's rows of a closed vote (while open its tallies stay unseen)."""
        found = await self.vote(seen, vote_id)
        if not found.closed:
            raise ServiceError("vote-console-export-open")
        return await self.votes.export_rows(vote_id)
