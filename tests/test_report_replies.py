"""Found: a resident writing a new report who answered their head on an older ticket with
Telegram's reply (swipe on the head's "Which floor?") had the answer taken as the new report's
description: the head of the old ticket never got it, and the new report carried words about
another problem. Now nothing goes anywhere, the resident is told that the reply did not reach
ticket #N and how to write to it, and the report's step goes on waiting."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services.ticket_core import Content
from storage.models import Ticket, TicketEvent
from tests.test_ticket_handling import HEAD, RESIDENT, Town, one, to
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture


async def counts(town: Town) -> tuple[int, int]:
    async with town.db.session() as session:
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
        events = await session.scalar(select(func.count()).select_from(TicketEvent))
        return int(tickets or 0), int(events or 0)


async def test_a_reply_to_an_old_ticket_mid_report_goes_nowhere_and_the_step_waits(
    town: Town,
) -> None:
    await town.report(RESIDENT, "The gate is broken")
    await town.deliver()
    head = await town.person(HEAD)
    await town.world.services.ticket_actions.take(head, 1)
    await town.world.services.ticket_actions.reply(head, 1, Content(text="Which side?"))
    asked = [s for s in to(await town.deliver(), RESIDENT) if "Which side?" in s.text][0]

    category = one(await town.send(RESIDENT, "/report"), RESIDENT)
    before = await counts(town)
    # At a button step: told, and reminded where the report's buttons are.
    said = one(await town.reply_to(RESIDENT, asked, "The north side"), RESIDENT).text
    assert "in the middle of a new report" in said
    assert "did not go to ticket #1" in said
    assert "press a button under its last question" in said
    described = one(await town.click(RESIDENT, category, "🔧 Repairs"), RESIDENT, "EditMessageText")
    assert "Please describe the problem" in described.text
    # At the description step: the reply is not the description.
    said = one(await town.reply_to(RESIDENT, asked, "The north side, by the bins"), RESIDENT).text
    assert "did not go to ticket #1" in said
    assert "just send the description" in said
    assert await counts(town) == before  # nothing reached ticket #1, no report was made
    assert to(await town.deliver(), HEAD) == []
    # Still describing: the next plain message is the description.
    where = await town.send(RESIDENT, "The lift is stuck")
    assert "Where is it?" in " ".join(s.text for s in where)

    # Outside the report, the same reply reaches ticket #1 as before.
    await town.send(RESIDENT, "/cancel")
    relayed = one(await town.reply_to(RESIDENT, asked, "The north side"), RESIDENT)
    assert "#1" in relayed.text
    assert "The north side" in " ".join(s.text for s in to(await town.deliver(), HEAD))
