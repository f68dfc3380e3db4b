"""How many SQL statements the busiest updates cost (issue 11: a burst is a queue of seconds).

The updates a typhoon day is made of, driven as their users would: a resident's whole report
(/report, category, description, skip the location, privacy, Send), a head's Take, Reply and
answer, History, and /tickets. Each update's statements are counted with a SQLAlchemy event
listener on the engine; the bound per update is a count, not a time (no timing asserts in unit
tests: the speed itself is bench.throughput's, docs/benchmarks.md §1).

The bounds are what the code does now plus little room: a change that adds statements to one
of these paths has to say why here."""

from __future__ import annotations

from typing import Any

from bot.services.policy import Action
from handlers.keyboards import TicketCb
from handlers.report import ReportCb, Step
from storage.db import Database
from tests.botclient import Sent
from tests.statements import counting
from tests.test_ticket_handling import HEAD, RESIDENT, Town, answer, card, client, one, town

__all__ = ["client", "town"]  # the fixtures this module uses, from test_ticket_handling


async def counted(db: Database, costs: dict[str, int], name: str, step: Any) -> list[Sent]:
    with counting(db, this_task=True) as statements:
        sent: list[Sent] = await step
    costs[name] = len(statements)
    print(f"{name}: {len(statements)}", *statements, sep="\n    ")  # noqa: T201
    return sent


# Statements per update, at most: what this tree does, plus 1 or 2. Before issue 11's changes:
# /report 10, category 10, each text step 4, Send 34; Take 35, History 14, Reply 9, the answer
# 13, /tickets 11. After its first round (branch hotpath): Send 29, Take 29; now Send 18 (people
# kept in the unit of work, the owner in the ticket's INSERT, no recipient checks for a new
# ticket, one INSERT for its events and one for its outbox rows) and Take 17 (its card rendered
# in its own unit of work, UPDATE … RETURNING). Third round (branch hotpath3): a press reads the
# ticket and whether the presser follows it in one statement (History 8, Reply 2, the answer
# 6), a report's routing reads the building's and the community's coordinators in one and its
# recipients go in one INSERT (Send 16), and a change loads the ticket's author with its
# recipients, so the outbox rows are not flushed apart for the author's query (Take 13). Fourth
# round (branch hotpath4): the card's community, building, followers, work order and last
# reopening in one statement and a change's recipients with their contacts in one (Take 8);
# History's actors' names in one statement of names (History 5); a report's routing loads the
# heads and coordinators with their contacts joined in (Send 14). Fifth round (branch
# ormcore): a report's gate (the author's residence, the draft's ticket, the day's count) and
# its building with its community in one statement each (Send 11); History's community from
# the read cache (History 4).
REPORT_BOUNDS = {
    "/report": 5,
    "category": 4,
    "description": 3,
    "skip location": 3,
    "privacy": 3,
    "send": 12,
}
HEAD_BOUNDS = {"take": 9, "history": 5, "reply": 3, "answer": 7, "/tickets": 6}


async def test_a_residents_report_costs_a_bounded_number_of_statements(town: Town) -> None:
    db = town.db
    costs: dict[str, int] = {}
    await town.send(RESIDENT, "/help")  # the person is known; the steps below are the report's
    press = town.press
    sent = await counted(db, costs, "/report", town.send(RESIDENT, "/report"))
    assert sent
    category = ReportCb(step=Step.CATEGORY, value="repairs").pack()
    await counted(db, costs, "category", press(RESIDENT, category))
    await counted(db, costs, "description", town.send(RESIDENT, "The stair light is broken"))
    await counted(db, costs, "skip location", town.send(RESIDENT, "跳过"))
    await counted(db, costs, "privacy", press(RESIDENT, ReportCb(step=Step.PRIVACY_DONE).pack()))
    sent = await counted(db, costs, "send", press(RESIDENT, ReportCb(step=Step.SEND).pack()))
    assert "#1" in sent[-1].text
    over = {k: (v, REPORT_BOUNDS[k]) for k, v in costs.items() if v > REPORT_BOUNDS[k]}
    assert not over, over


async def test_a_heads_take_reply_and_tickets_cost_a_bounded_number_of_statements(
    town: Town,
) -> None:
    db = town.db
    costs: dict[str, int] = {}
    ticket = await town.report()
    head_card = card(await town.deliver(), HEAD)
    await town.send(HEAD, "/help")
    sent = await counted(db, costs, "take", town.click(HEAD, head_card, "✋ Take"))
    assert answer(sent).startswith("✋ You took ticket #1")
    edited = one(sent, HEAD, "EditMessageText")
    history = TicketCb(action=Action.HISTORY, ticket_id=ticket.id).pack()
    await counted(db, costs, "history", town.press(HEAD, history))
    await counted(db, costs, "reply", town.click(HEAD, edited, "💬 Reply"))
    sent = await counted(db, costs, "answer", town.send(HEAD, "I will come at five."))
    assert one(sent, HEAD).text == "✅ Sent to the resident of ticket #1."
    sent = await counted(db, costs, "/tickets", town.send(HEAD, "/tickets"))
    assert "Tickets (open)" in one(sent, HEAD).text
    over = {k: (v, HEAD_BOUNDS[k]) for k, v in costs.items() if v > HEAD_BOUNDS[k]}
    assert not over, over
