"""A flat's first ballot sent from two doors at the same moment: its owner taps a choice in
Telegram while their ballot page (the web door, served by a second instance of the bot on the
same database) posts one too. Both read "no ballot for this flat yet" before either writes one;
the one whose ballot lands second meets the one-ballot-per-flat rule and is answered as a second
ballot of the flat is: a change (its choice counts, the same receipt), or, for the same choice,
the receipt as recorded. Never an apology for a failure, never a server error."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from contextlib import nullcontext
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.flat_claims import FlatRow
from storage import sqlite_trips
from storage.db import Database
from storage.models import Ballot, Flat
from storage.repositories.votes import VoteRepository
from tests.conftest import FakeClock
from tests.factories import World
from tests.test_open311 import BOTH
from tests.test_web_door import EN, HEAD_ID, Http, config, form_fields, world
from tests.test_wechat_votes import open_vote
from web.door import door_setup
from web.door.limits import DoorLimits
from web.server import create_web_app

__all__ = ["config", "world"]  # fixtures

OWNER = 300


@pytest.fixture
async def other_door(
    db: Database, config: Config, translations: Translations, clock: FakeClock
) -> AsyncIterator[Http]:
    """The web door of a second instance of the bot: its own connections to the database."""
    database = Database(config.database_url)
    services = Services.create(config, database, translations, clock)
    app = create_web_app(translations, [door_setup(config, services, clock, DoorLimits())])
    try:
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await database.close()


def racing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each cast, once it has read that the flat has no ballot yet, waits for the other to have
    read the same: both then write a first ballot.

    The two instances share this test's event loop. The Telegram door's SQLite statements run
    on the loop's own thread (storage/sqlite_trips.py), where its wait for the other
    instance's write lock would stop that instance's commit too, as it never would between two
    processes: here they go by the connection's thread."""
    monkeypatch.setattr(sqlite_trips, "on_loop", lambda on=True: nullcontext())
    both_read = asyncio.Barrier(2)
    original = VoteRepository.ballot
    gated = 0

    async def ballot(self: VoteRepository, vote_id: int, flat_id: int) -> Ballot | None:
        nonlocal gated
        casting = sys._getframe(1).f_code.co_filename.endswith("bot/services/votes.py")
        found = await original(self, vote_id, flat_id)
        if casting and found is None and gated < 2:
            gated += 1
            await both_read.wait()
        return found

    monkeypatch.setattr(VoteRepository, "ballot", ballot)


async def owned_vote(world: World) -> tuple[Any, str]:
    """A1's flat 101 owned by a Telegram resident, a vote open: their ballot in chat, and the
    path of their ballot page."""
    owner = world.client.user(OWNER, "en", "Owner")
    await world.join(owner, "A1")
    rows = [FlatRow("A1", "101", "60"), FlatRow("A1", "102", "40")]
    assert await world.services.flats.import_flats(rows) == 2
    person = await world.person(owner)
    await world.services.flats.claim(person, "101")
    head = world.client.user(HEAD_ID, "en", "Head")
    [card] = [s for s in await world.client.send(head, "/flats") if s.buttons]
    await world.client.click(head, card, "✅ Confirm owner")
    await open_vote(world)
    [paper] = [s for s in await world.client.send(owner, "/vote") if s.buttons]
    assert paper.buttons == ["Yes", "No"]
    return paper, await world.services.door_ballots.path(1, person.id)


async def ballots(db: Database) -> list[tuple[str, int, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(Flat.code, Ballot.choice, Ballot.receipt).join(Flat, Flat.id == Ballot.flat_id)
        )
        return [(code, choice, receipt) for code, choice, receipt in rows.all()]


@BOTH
@pytest.mark.parametrize(("in_chat", "on_page"), [("Yes", "No"), ("No", "No")])
async def test_a_first_ballot_from_two_doors_at_once_counts_as_a_second_ballot(
    world: World,
    other_door: Http,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    in_chat: str,
    on_page: str,
) -> None:
    paper, path = await owned_vote(world)
    page = await other_door.get(path, headers=EN)
    assert page.status == 200
    fields = dict(form_fields(await page.text(), path))
    choice = {"Yes": "0", "No": "1"}
    owner = world.client.user(OWNER, "en", "Owner")

    racing(monkeypatch)
    sent, posted = await asyncio.gather(
        world.client.click(owner, paper, in_chat),
        other_door.post(path, data={**fields, "choice": choice[on_page]}, headers=EN),
    )
    shown = await posted.text()
    assert posted.status == 200, shown
    said = [s.text for s in sent if getattr(s.method, "chat_id", None) == OWNER]
    [chat] = [text for text in said if "Receipt" in text]
    assert not [text for text in said if "went wrong" in text]
    [web] = re.findall(r"Your ballot for flat 101 is [^<]*", shown)

    # One ballot for the flat, one receipt in both answers; whichever landed second is its
    # change (or, for the same choice, the ballot as recorded).
    [(flat, final, receipt)] = await ballots(db)
    assert flat == "101" and receipt in chat and receipt in web
    answers = {"chat": (chat, in_chat), "page": (web, on_page)}
    changed = [door for door, (said, _) in answers.items() if "changed to" in said]
    if in_chat == on_page:
        assert changed == []
        assert all(f"is recorded: {option}" in said for said, option in answers.values())
        assert final == int(choice[on_page])
    else:
        [second] = changed
        [first] = [door for door in answers if door != second]
        assert f"is recorded: {answers[first][1]}" in answers[first][0]
        assert f"is changed to: {answers[second][1]}" in answers[second][0]
        assert final == int(choice[answers[second][1]])
