"""A building vote's ballot as WeChat choices (``msgmenu``): their ids, and the messages that
carry them to an owner whose contact is WeChat (bot/services/door_ballots.py tells the rest of
the story). Kept apart from VoteService, which writes them, so the door's side can import both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations
from bot.services.choice_numbers import choice_number
from bot.services.vote_view import labels
from storage.models import Building, Channel, Person, Urgency, Vote
from storage.repositories import OutboxRepository
from storage.repositories.people import address_of
from storage.repositories.votes import VoteRepository

PREFIX = "ballot"
# An outbox row's payload key: the vote whose ballot page its template opens.
BALLOT_KEY = "ballot"


def ballot_choice(vote_id: int, flat_id: int, choice: int) -> str:
    return f"{PREFIX}.{vote_id}.{flat_id}.{choice}"


def parse_ballot(key: str) -> tuple[int, int, int] | None:
    """(vote, flat, option) of a ballot choice's id; None for anything else."""
    parts = key.split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        return None
    vote_id, flat_id, option = (choice_number(p) for p in parts[1:])
    if vote_id is None or flat_id is None or option is None:
        return None
    return vote_id, flat_id, option


async def write_ballots(
    session: AsyncSession,
    translations: Translations,
    person: Person,
    vote: Vote,
    building: Building,
    deadline: str,
    now: datetime,
    *,
    reminder: bool = False,
    voted: frozenset[int] = frozenset(),
) -> bool:
    """For a person whose contact is WeChat: the vote with its choices, one message per flat
    they own in the building (not those in ``voted``), else (owning none) the announcement
    without choices. False for anyone else: the caller tells them as before. Every owner of
    the building gets theirs at once, so they go after other news when delivery is behind
    (BULK)."""
    address = address_of(person)
    if address is None or address.channel != Channel.WECHAT:
        return False
    language = person.language or translations.default
    t = translations.bind(language)
    flats = [
        f for f in await VoteRepository(session).owned(person.id) if f.building_id == building.id
    ]
    outbox = OutboxRepository(session)
    if not flats:
        if reminder:
            return True  # only owners are reminded
        text = t(
            "vote-door-opened",
            building=building.name,
            question=vote.question,
            deadline=deadline,
        )
        await outbox.add(
            to=address,
            person_id=person.id,
            payload={"text": text},
            now=now,
            urgency=Urgency.BULK,
        )
        return True
    options = labels(t, vote)
    for flat in flats:
        if flat.id in voted:
            continue
        text = t(
            "vote-door-reminder" if reminder else "vote-door-ballot",
            building=building.name,
            flat=flat.code,
            question=vote.question,
            rule=t(f"vote-rule-{vote.rule}"),
            deadline=deadline,
        )
        buttons = [[[label, ballot_choice(vote.id, flat.id, i)]] for i, label in enumerate(options)]
        await outbox.add(
            to=address,
            person_id=person.id,
            payload={"text": text, "buttons": buttons, BALLOT_KEY: vote.id},
            now=now,
            urgency=Urgency.BULK,
        )
    return True
