"""Head elections: a vote whose options are residents of the building (candidates). The
winner (bot/services/vote_rules.py with no fixed approving option) is invited as head by the
community's office in one press: the same one-time invitation as ``/invite head``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.contacts import is_admin
from bot.services.errors import InputRefused, NotStaff, ServiceError, Spent
from bot.services.join_rules import covers, join_area
from bot.services.notify import Notifier
from bot.services.votes import VoteService
from storage.db import Database
from storage.models import Building, Person, Role, Vote
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.votes import VoteRepository


class ElectionService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.notifier = Notifier(translations)
        self.clock = clock

    async def match_candidates(
        self, person: Person, building_id: int, lines: Sequence[str]
    ) -> tuple[list[str], list[int]]:
        """A head election's candidates, typed one per line as their names show in the bot:
        each must be exactly one resident of the building."""
        names = VoteService.check_options(lines)
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(building_id)
            area = await join_area(session, person, self.config)
            if not area:
                raise NotStaff()
            if building is None or not covers(area, building):
                raise ServiceError("not-allowed")
            residents = await PersonRepository(session).members(building_id, (Role.RESIDENT,))
        chosen = []
        for name in names:
            found = [p for p in residents if _same(p.display_name, name)]
            if len(found) != 1:
                key = "vote-candidate-unknown" if not found else "vote-candidate-ambiguous"
                raise InputRefused(key, name=name)
            chosen.append(found[0])
        # The names as the residents wrote them, each as short as a button allows.
        return VoteService.check_options([p.display_name for p in chosen]), [p.id for p in chosen]

    async def may_invite(self, person: Person, vote: Vote) -> bool:
        """An elected head not yet invited, and a person who appoints heads there."""
        if not vote.candidates or vote.result is None or vote.invited_at is not None:
            return False
        if not vote.result["passed"]:
            return False
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(vote.building_id)
            return building is not None and await self._appoints(session, person, building)

    async def _appoints(self, session: AsyncSession, person: Person, building: Building) -> bool:
        if is_admin(self.config, person):
            return True
        areas = await PersonRepository(session).coordinator_areas(person.id)
        return any(
            a.community_id == building.community_id and a.building_id in (None, building.id)
            for a in areas
        )

    async def elected(self, person: Person, vote_id: int) -> tuple[Building, str]:
        """The building and the winner's name of an election this person may now invite."""
        async with self.db.session() as session:
            repo = VoteRepository(session)
            vote = await repo.vote(vote_id)
            if vote is None or not vote.candidates or vote.result is None:
                raise ServiceError("not-allowed")
            building = await CommunityRepository(session).building(vote.building_id)
            assert building is not None
            if not await self._appoints(session, person, building):
                raise ServiceError("not-allowed")
            if vote.invited_at is not None or not vote.result["passed"]:
                raise Spent("vote-invited-already")
            return building, vote.options[vote.result["winner"]]

    async def send_invitation(self, person: Person, vote_id: int, link: str) -> str:
        """The elected head gets the one-time invitation link (once); returns their name."""
        now = self.clock()
        async with self.db.session() as session:
            repo = VoteRepository(session)
            vote = await repo.vote(vote_id)
            if vote is None or not vote.candidates or vote.result is None:
                raise ServiceError("not-allowed")
            if not await repo.mark_invited(vote.id, now):
                raise Spent("vote-invited-already")
            winner = vote.result["winner"]
            elected = await PersonRepository(session).get(vote.candidates[winner])
            if elected is None:
                raise ServiceError("vote-winner-gone")
            building = await CommunityRepository(session).building(vote.building_id)
            assert building is not None
            await self.notifier.tell(
                session, elected, "vote-elected-invite", now, building=building.name, link=link
            )
            await session.commit()
            return str(vote.options[winner])


def _same(name: str, typed: str) -> bool:
    return " ".join(name.split()).casefold() == typed.casefold()
