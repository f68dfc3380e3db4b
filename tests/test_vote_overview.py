"""/vote for the organisers after a vote closed: the admin (everywhere) and the community's
coordinator still see the closed vote of A1 with its recorded result, though no vote is open
anywhere; a resident who owns nothing and organises nothing sees none of it."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import ADMIN_ID
from tests.test_ticket_handling import OFFICE, RESIDENT, STRANGER, Town, to
from tests.test_votes import QUESTION, ballot_of, open_lift_vote, the_vote
from tests.test_votes import client as client_fixture
from tests.test_votes import owners as owners_fixture
from tests.test_votes import town as town_fixture

client, town, owners = client_fixture, town_fixture, owners_fixture

ADMIN = ADMIN_ID


async def test_admin_and_coordinator_see_a_closed_vote_in_vote(owners: Town) -> None:
    town = owners
    town.users[ADMIN] = town.client.user(ADMIN, "en", "Admin")
    await open_lift_vote(town)
    await town.deliver()
    await town.click(RESIDENT, await ballot_of(town, RESIDENT), "Yes")

    # While it is open the admin sees its turnout.
    shown = "\n".join(s.text for s in to(await town.send(ADMIN, "/vote"), ADMIN))
    assert QUESTION in shown and "Owners taking part: 1 of 4" in shown

    # The deadline passes and the scheduler closes it: no vote is open anywhere now.
    vote = await the_vote(town)
    town.world.clock.now = vote.deadline + timedelta(minutes=1)
    assert await town.world.services.votes.run() > 0
    await town.deliver()

    seen = to(await town.send(ADMIN, "/vote"), ADMIN)
    shown = "\n".join(s.text for s in seen)
    assert QUESTION in shown and "Not passed" in shown
    assert "Auntie" not in shown and "101" not in shown  # tallies only, never who

    office = "\n".join(s.text for s in to(await town.send(OFFICE, "/vote"), OFFICE))
    assert QUESTION in office and "未通过" in office

    stranger = "\n".join(s.text for s in to(await town.send(STRANGER, "/vote"), STRANGER))
    assert QUESTION not in stranger
