"""Building votes (楼栋表决): opening a vote, casting and changing a secret ballot, the
scheduler's reminders and closing with the result to every resident, and the export's figures.
Flats and owners: bot/services/flat_claims.py; head elections: bot/services/vote_elections.py.

Secrecy: a ballot row names the flat and the choice (so a ballot can be changed and tallied);
nothing that leaves this module puts a choice beside a flat or a person, except the owner's own
receipt in their own chat. The organiser, the office and the export see tallies and turnout."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.ballot_menus import write_ballots
from bot.services.clock import Clock
from bot.services.errors import InputRefused, NotStaff, ServiceError, Spent
from bot.services.join_rules import covers, join_area
from bot.services.notify import Notifier
from bot.services.points import EarningRule, award
from bot.services.scheduling import sla_of, translator, write
from bot.services.sla import may_send
from bot.services.vote_rule_book import resolve
from bot.services.vote_rules import Result, evaluate, rule_of
from bot.services.vote_view import render_result
from storage.db import Database
from storage.models import (
    Ballot,
    Building,
    Flat,
    Person,
    PointsReason,
    Role,
    Urgency,
    Vote,
    VoteStatus,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.joins import JoinArea
from storage.repositories.stats import Scope
from storage.repositories.votes import VoteRepository

QUESTION_MAX = 500
OPTION_MAX = 60
OPTIONS_MAX = 10
DAYS_MAX = 60
REMINDERS = 2


@dataclass(frozen=True, slots=True)
class Ballotable:
    """An open vote the person may cast for one flat (their current choice, their own)."""

    vote: Vote
    flat: Flat
    building: Building
    choice: int | None


@dataclass(frozen=True, slots=True)
class Cast:
    vote: Vote
    flat: Flat
    receipt: str
    changed: bool


@dataclass(frozen=True, slots=True)
class Reach:
    flats: int
    owners: int  # flats with a confirmed owner (the others cannot vote yet)
    residents: int  # who hears of it


class OrganiserGone(ServiceError):
    """A vote's organiser lost the role that covers its building while opening it (removed as
    head, deputy or coordinator): the steps end, nothing is opened."""

    def __init__(self) -> None:
        super().__init__("vote-organiser-gone")


class VoteService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.notifier = Notifier(translations)
        self.clock = clock

    async def _area(self, session: AsyncSession, person: Person) -> JoinArea:
        area = await join_area(session, person, self.config)
        if not area:
            raise NotStaff()
        return area

    # ------------------------------------------------------------------------- opening

    @staticmethod
    def check_question(question: str) -> str:
        question = question.strip()
        if not question or len(question) > QUESTION_MAX:
            raise InputRefused("vote-question-invalid", max=QUESTION_MAX)
        return question

    @staticmethod
    def check_options(options: Sequence[str]) -> list[str]:
        """Two to ten distinct options, each short enough for a button."""
        cleaned = [" ".join(o.split()) for o in options if o.strip()]
        if (
            not 2 <= len(cleaned) <= OPTIONS_MAX
            or any(len(o) > OPTION_MAX for o in cleaned)
            or len(set(cleaned)) != len(cleaned)
        ):
            raise InputRefused("vote-options-invalid", max=OPTIONS_MAX, length=OPTION_MAX)
        return cleaned

    async def reach(self, building_id: int) -> Reach:
        """Who a vote in the building would count and tell, shown before it opens."""
        async with self.db.session() as session:
            flats = await VoteRepository(session).flats(building_id)
            residents = await PersonRepository(session).members(building_id, (Role.RESIDENT,))
            owned = sum(1 for f in flats if f.owner_id is not None)
            return Reach(len(flats), owned, len(residents))

    async def building_of(self, vote: Vote) -> Building:
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(vote.building_id)
            assert building is not None
            return building

    async def staff_buildings(self, person: Person) -> list[Building]:
        """The buildings a head's (deputy's) roles cover; a coordinator types a code."""
        async with self.db.session() as session:
            area = await self._area(session, person)
            communities = CommunityRepository(session)
            found = [await communities.building(b) for b in area.building_ids]
            return [b for b in found if b is not None]

    async def check_organiser(self, person: Person, building_id: int) -> Building:
        """The building of a vote being opened, while ``person`` still covers it."""
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(building_id)
            area = await join_area(session, person, self.config)
            if building is None or not area or not covers(area, building):
                raise OrganiserGone()
            return building

    async def building_for(self, person: Person, code: str) -> Building:
        async with self.db.session() as session:
            area = await self._area(session, person)
            for building in await CommunityRepository(session).buildings_by_code(code.strip()):
                if covers(area, building):
                    return building
            raise InputRefused("vote-building-unknown", code=code.strip()[:32])

    async def open_vote(
        self,
        person: Person,
        building_id: int,
        question: str,
        options: Sequence[str],
        rule: str,
        days: int,
        candidates: Sequence[int] | None = None,
        *,
        yes_no: bool = False,
    ) -> Vote:
        question = self.check_question(question)
        options = self.check_options(options)
        if candidates is not None and len(candidates) != len(options):
            raise ServiceError("button-stale")
        if not 1 <= days <= DAYS_MAX:
            raise ServiceError("button-stale")
        now = self.clock()
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(building_id)
            if building is None or not covers(await self._area(session, person), building):
                raise ServiceError("not-allowed")
            # A preset, or the community's own rule as it is now (refused if retired or
            # another community's); the vote keeps its thresholds.
            chosen = await resolve(session, building, rule)
            repo = VoteRepository(session)
            if not await repo.flats(building.id):
                raise ServiceError("vote-no-flats", building=building.name)
            vote = await repo.add_vote(
                Vote(
                    building_id=building.id,
                    opened_by=person.id,
                    question=question,
                    options=options,
                    rule=chosen.name,
                    rule_spec=chosen.spec,
                    status=VoteStatus.OPEN,
                    deadline=now + timedelta(days=days),
                    created_at=now,
                    candidates=list(candidates) if candidates is not None else None,
                    yes_no=yes_no and candidates is None and len(options) == 2,
                )
            )
            community = await CommunityRepository(session).get(building.community_id)
            assert community is not None
            deadline = _local(vote.deadline, community.timezone)
            for resident in await PersonRepository(session).members(building.id, (Role.RESIDENT,)):
                # An owner in WeChat gets the ballot itself, its options as choices.
                if await write_ballots(
                    session, self.translations, resident, vote, building, deadline, now
                ):
                    continue
                await self.notifier.tell(
                    session,
                    resident,
                    "vote-opened",
                    now,
                    urgency=Urgency.BULK,
                    building=building.name,
                    question=question,
                    deadline=deadline,
                )
            await session.commit()
            return vote

    # ------------------------------------------------------------------------- casting

    async def ballotable(self, person: Person) -> list[Ballotable]:
        """Open votes of the buildings where the person owns flats, one per flat."""
        async with self.db.session() as session:
            repo = VoteRepository(session)
            out = []
            communities = CommunityRepository(session)
            for flat in await repo.owned(person.id):
                building = await communities.building(flat.building_id)
                assert building is not None
                for vote in await repo.votes_in([flat.building_id]):
                    if vote.status is VoteStatus.OPEN:
                        ballot = await repo.ballot(vote.id, flat.id)
                        choice = ballot.choice if ballot else None
                        out.append(Ballotable(vote, flat, building, choice))
            return out

    async def cast(self, person: Person, vote_id: int, flat_id: int, choice: int) -> Cast:
        try:
            return await self._cast(person, vote_id, flat_id, choice)
        except IntegrityError:
            # The flat's first ballot came from another door at the same moment (its owner in
            # Telegram and on their ballot page, two instances) and was recorded first: this
            # one is its second ballot, a change or the same choice again, as if it came just
            # after.
            return await self._cast(person, vote_id, flat_id, choice)

    async def _cast(self, person: Person, vote_id: int, flat_id: int, choice: int) -> Cast:
        now = self.clock()
        async with self.db.session() as session:
            repo = VoteRepository(session)
            vote = await repo.vote(vote_id)
            flat = await repo.flat(flat_id)
            if vote is None or flat is None or flat.building_id != vote.building_id:
                raise ServiceError("not-allowed")
            if flat.owner_id != person.id:
                raise ServiceError("vote-not-owner", flat=flat.code)
            if vote.status is not VoteStatus.OPEN or now >= vote.deadline:
                raise Spent("vote-closed")
            if not 0 <= choice < len(vote.options):
                raise ServiceError("button-stale")
            ballot = await repo.ballot(vote.id, flat.id)
            if ballot is not None and ballot.choice == choice:
                # The same choice again (a double tap, a page's form sent twice): the ballot
                # as it stands, answered as the first was, not "changed".
                return Cast(vote, flat, ballot.receipt, False)
            changed = ballot is not None
            if ballot is None:
                receipt = secrets.token_hex(4).upper()
                session.add(
                    Ballot(
                        vote_id=vote.id,
                        flat_id=flat.id,
                        choice=choice,
                        receipt=receipt,
                        cast_at=now,
                    )
                )
            else:
                ballot.choice, ballot.cast_at, receipt = choice, now, ballot.receipt
            await session.commit()
            return Cast(vote, flat, receipt, changed)

    # ------------------------------------------------------------------------ overview

    async def overview(self, person: Person) -> list[tuple[Vote, Building, dict[str, Any]]] | None:
        """For the organiser (head, deputy, coordinator, admin): the votes, open and recently
        closed, of every building their roles cover (the rules of ``covers``) with turnout so
        far or the recorded result, never who voted what; None for anyone else."""
        async with self.db.session() as session:
            area = await join_area(session, person, self.config)
            if not area:
                return None
            communities = CommunityRepository(session)
            repo = VoteRepository(session)
            out = []
            for vote in await repo.votes_covered(area):
                building = await communities.building(vote.building_id)
                assert building is not None
                figures = vote.result or await self.figures(session, vote)
                out.append((vote, building, figures))
            return out

    async def figures(self, session: AsyncSession, vote: Vote) -> dict[str, Any]:
        """Turnout and tallies as of now, in the record's shape (the office's console reads
        them too, bot/services/office_votes.py); who chose what never leaves here."""
        repo = VoteRepository(session)
        electorate = {f.id: f.area_centi for f in await repo.flats(vote.building_id)}
        approving = None if vote.candidates else 0
        ballots = await repo.ballots(vote.id)
        rule = rule_of(vote.rule, vote.rule_spec)
        result = evaluate(rule, electorate, ballots, len(vote.options), approving)
        return record(result)

    # ----------------------------------------------------------------------- scheduler

    async def run(self) -> int:
        """Closes the votes past their deadline (the result to every resident and the
        organiser, and into the record) and reminds owners who have not voted (at most two
        reminders, outside quiet hours). Each step is claimed by a compare-and-set."""
        now = self.clock()
        async with self.db.session() as session:
            votes = await VoteRepository(session).open_votes()
        written = 0
        for vote in votes:
            if now >= vote.deadline:
                written += await self._close(vote.id, now)
            else:
                written += await self._remind(vote, now)
        return written

    async def _close(self, vote_id: int, now: datetime) -> int:
        async with self.db.session() as session:
            repo = VoteRepository(session)
            vote = await repo.vote(vote_id)
            if vote is None or not await repo.close(vote_id, now):
                return 0
            figures = await self.figures(session, vote)
            vote.result = figures
            building = await CommunityRepository(session).building(vote.building_id)
            assert building is not None
            people = PersonRepository(session)
            audience = {p.id: p for p in await people.members(building.id, (Role.RESIDENT,))}
            organiser = await people.get(vote.opened_by) if vote.opened_by else None
            # The organiser while they still serve the building: a head removed since hears
            # the result only as a resident of it, if he is one.
            if organiser is not None and covers(
                await join_area(session, organiser, self.config), building
            ):
                audience.setdefault(organiser.id, organiser)
            inviters: set[int] = set()
            if vote.candidates and figures["passed"]:
                # The community's office invites the elected head (one press in /vote).
                for coordinator in await CommunityRepository(session).coordinators_of(
                    building.community_id
                ):
                    audience.setdefault(coordinator.id, coordinator)
                    inviters.add(coordinator.id)
            await self._pay_owners(session, vote, building.community_id, now)
            for person in audience.values():
                t = translator(self.translations, person)
                text = render_result(t, vote, building, figures)
                if person.id in inviters:
                    text += "\n\n" + t("vote-invite-hint", name=vote.options[figures["winner"]])
                # The whole building's copies go after other news when delivery is behind;
                # the organiser's and the office's (who act on the result) go with it.
                staff = person.id in inviters or person.id == vote.opened_by
                # The office's invitation is theirs as coordinators; the result itself is
                # everyone's (bot/services/staff_rows.py).
                area = (
                    Scope(building.community_id, (building.id,)) if person.id in inviters else None
                )
                await write(
                    session,
                    person,
                    now,
                    text,
                    urgency=Urgency.TELL if staff else Urgency.BULK,
                    staff=area,
                )
            await session.commit()
            return len(audience)

    @staticmethod
    async def _pay_owners(
        session: AsyncSession, vote: Vote, community_id: int, now: datetime
    ) -> None:
        """The points bank: each owner whose flat took part earns ``points_per_vote`` once per
        vote (an owner of several flats too), in the closing commit. The entry says that they
        took part, never what they chose."""
        repo = VoteRepository(session)
        owners = await repo.participating_owners(vote.id)
        for owner_id in sorted(owners):
            await award(
                session,
                now=now,
                community_id=community_id,
                person_id=owner_id,
                points=EarningRule.PER_VOTE,
                reason=PointsReason.VOTE,
                reference=f"vote:{vote.id}",
                once=f"vote:{vote.id}:{owner_id}",
            )

    async def _remind(self, vote: Vote, now: datetime) -> int:
        span = vote.deadline - vote.created_at
        due = sum(1 for k in range(1, REMINDERS + 1) if now >= vote.created_at + span * k / 3)
        if due <= vote.reminders_sent:
            return 0
        async with self.db.session() as session:
            building = await CommunityRepository(session).building(vote.building_id)
            assert building is not None
            community = await CommunityRepository(session).get(building.community_id)
            assert community is not None
            if not may_send(now, sla_of(community)):
                return 0  # waits for the morning
            repo = VoteRepository(session)
            if not await repo.claim_reminder(vote.id, vote.reminders_sent):
                return 0
            voted = await repo.ballots(vote.id)
            people = PersonRepository(session)
            written = 0
            owners = {f.owner_id for f in await repo.flats(building.id) if f.id not in voted}
            for owner_id in sorted(o for o in owners if o is not None):
                owner = await people.get(owner_id)
                if owner is None:
                    continue
                written += 1
                deadline = _local(vote.deadline, community.timezone)
                if await write_ballots(
                    session,
                    self.translations,
                    owner,
                    vote,
                    building,
                    deadline,
                    now,
                    reminder=True,
                    voted=frozenset(voted),
                ):
                    continue
                await self.notifier.tell(
                    session,
                    owner,
                    "vote-reminder",
                    now,
                    urgency=Urgency.BULK,
                    building=building.name,
                    question=vote.question,
                    deadline=deadline,
                )
            await session.commit()
            return written

    # -------------------------------------------------------------------------- export

    async def export_rows(self, vote_id: int) -> tuple[Vote, Building, dict[str, Any], list[Any]]:
        """The tally and turnout per flat (voted or not, never the choice) for the paper file:
        the street office collects the participating flats' signatures against that list."""
        async with self.db.session() as session:
            repo = VoteRepository(session)
            vote = await repo.vote(vote_id)
            if vote is None:
                raise ServiceError("vote-unknown", id=vote_id)
            building = await CommunityRepository(session).building(vote.building_id)
            assert building is not None
            figures = vote.result or await self.figures(session, vote)
            voted = await repo.ballots(vote.id)
            flats = [
                (f.code, Decimal(f.area_centi) / 100, f.id in voted)
                for f in await repo.flats(building.id)
            ]
            return vote, building, figures, flats


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def record(result: Result) -> dict[str, Any]:
    """The result as kept in the record (JSON): figures as integers, needs as fractions."""
    return {
        "passed": result.passed,
        "winner": result.winner,
        "thresholds": [
            {
                "key": t.key,
                "figure": t.figure,
                "total": t.total,
                "need": f"{t.need.numerator}/{t.need.denominator}",
                "strict": t.strict,
                "met": t.met,
            }
            for t in result.thresholds
        ],
        "tallies": [{"area": t.area, "owners": t.owners} for t in result.tallies],
    }
