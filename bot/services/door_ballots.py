"""Building votes in the doors other than Telegram (WeChat; the web door's ballot page).

- The announcement: an owner whose contact is WeChat gets, for each flat of theirs in the
  building, the vote (question, rule, deadline) with one ``msgmenu`` choice per option; the
  choice's id is ``ballot.<vote>.<flat>.<option>``. A tap casts through ``VoteService.cast``,
  which checks now that the person owns that flat, that the vote is open and the option
  exists: a forged or stale id, a closed vote or a flat that changed hands is refused in
  words and changes nothing. The reminders go the same way to owners who have not voted.
  A WeChat resident who owns no flat there is told of the vote without choices.
- Outside WeChat's 48-hour window the row goes as the template message, which opens the
  owner's own ballot page ``/door/ballot/<vote>/<person>/<key>`` (the key an HMAC of the vote
  and the person under a deployment secret, as a notice's page): the vote, a form per flat
  they own there (owner only, one ballot per flat, changeable until the deadline) and the
  receipt once cast. The link is worth only what its holder owns: it casts for flats whose
  confirmed owner is the person it names, checked at each cast.

The secret ballot stays so: nothing here shows a choice to anyone but the owner in their own
chat or page."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.i18n import Translations
from bot.services.ballot_menus import BALLOT_KEY, ballot_choice
from bot.services.clock import Clock
from bot.services.door_links import PersonLinks
from bot.services.errors import ServiceError
from bot.services.vote_view import labels
from bot.services.votes import Ballotable, Cast, VoteService
from storage.db import Database
from storage.models import Address, Building, Channel, Person, Vote, VoteStatus
from storage.repositories import CommunityRepository, OutboxRepository
from storage.repositories.votes import VoteRepository

SECRET_NAME = "ballot_links"


@dataclass(frozen=True, slots=True)
class BallotPage:
    """A vote as the owner's page shows it: their flats there with their current choices."""

    vote: Vote
    building: Building
    items: list[Ballotable]
    options: list[str]
    deadline: str
    open: bool
    language: str


class DoorBallots:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        votes: VoteService,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.votes = votes
        self.links = PersonLinks(db, clock, "ballot", SECRET_NAME)

    async def path(self, vote_id: int, person_id: int) -> str:
        return await self.links.path(vote_id, person_id)

    async def read(self, vote_id: int, person_id: int, key: str) -> BallotPage | None:
        """The vote behind an owner's link; None for a wrong key or an unknown vote. Its
        ``items`` are empty when the person owns no flat there (any more)."""
        person = await self.links.person(vote_id, person_id, key)
        if person is None:
            return None
        async with self.db.session() as session:
            repo = VoteRepository(session)
            vote = await repo.vote(vote_id)
            if vote is None:
                return None
            communities = CommunityRepository(session)
            building = await communities.building(vote.building_id)
            assert building is not None
            community = await communities.get(building.community_id)
            assert community is not None
            items = []
            for flat in await repo.owned(person.id):
                if flat.building_id == vote.building_id:
                    ballot = await repo.ballot(vote.id, flat.id)
                    items.append(
                        Ballotable(vote, flat, building, ballot.choice if ballot else None)
                    )
        language = person.language or self.translations.default
        deadline = vote.deadline.astimezone(ZoneInfo(community.timezone))
        return BallotPage(
            vote=vote,
            building=building,
            items=items,
            options=labels(self.translations.bind(language), vote),
            deadline=deadline.strftime("%Y-%m-%d %H:%M"),
            open=vote.status is VoteStatus.OPEN and self.clock() < vote.deadline,
            language=language,
        )

    async def cast(
        self, vote_id: int, person_id: int, key: str, flat_id: int, choice: int
    ) -> tuple[Person, Cast]:
        """A ballot from the owner's page: the same checks as a tap in chat."""
        person = await self.links.person(vote_id, person_id, key)
        if person is None:
            raise ServiceError("not-allowed")
        return person, await self.votes.cast(person, vote_id, flat_id, choice)

    async def resend(self, person: Person) -> int:
        """The person's open ballots again in WeChat ("投票" / "vote"), with their choice
        marked; returns how many flats' ballots were written."""
        items = await self.votes.ballotable(person)
        language = person.language or self.translations.default
        t = self.translations.bind(language)
        to: Address | None = next(
            (c.as_address for c in person.contacts if c.channel == Channel.WECHAT), None
        )
        if to is None:
            return 0
        now = self.clock()
        async with self.db.session() as session:
            outbox = OutboxRepository(session)
            if not items:
                await outbox.add(
                    to=to, person_id=person.id, payload={"text": t("vote-none-door")}, now=now
                )
            for item in items:
                options = labels(t, item.vote)
                lines = [
                    t(
                        "vote-ballot",
                        building=item.building.name,
                        flat=item.flat.code,
                        question=item.vote.question,
                    ),
                    t(f"vote-rule-{item.vote.rule}"),
                ]
                if item.choice is not None:
                    lines.append(t("vote-ballot-current", option=options[item.choice]))
                buttons = [
                    [
                        [
                            ("✓ " if i == item.choice else "") + label,
                            ballot_choice(item.vote.id, item.flat.id, i),
                        ]
                    ]
                    for i, label in enumerate(options)
                ]
                await outbox.add(
                    to=to,
                    person_id=person.id,
                    payload={
                        "text": "\n".join(lines),
                        "buttons": buttons,
                        BALLOT_KEY: item.vote.id,
                    },
                    now=now,
                )
            await session.commit()
        return len(items)


def mark(chosen: bool) -> str:
    return "✓ " if chosen else ""
