""" "Not fixed" after the rest of the loop: who gets a reopened ticket when its holder cannot take
it back (no role any more, away), and how the scheduler and the digest count a ticket that went
back to its holder (bot/services/reopening.py). The chat side of the holder's case is in
test_ticket_handling."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from bot.services import Services
from bot.services.policy import Action
from bot.text import utf16_len
from storage.db import Database
from storage.models import Membership, OutboxMessage, Person, Role, Ticket, TicketStatus
from storage.repositories.stats import Scope
from tests.conftest import FakeClock
from tests.test_scheduler import HEAD, HEAD2, OFFICE, Town, local, make_town

S = TicketStatus
DEPUTY, NEW_HEAD = 102, 103


async def taken_and_resolved(town: Town) -> tuple[Person, Person, Ticket]:
    """A1's head took the resident's ticket and resolved it (26 Nov, 10:00 and 11:00)."""
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    await town.at(local(11, 26, 10))
    ticket = await town.report(resident)
    await town.services.ticket_actions.take(head, ticket.id)
    await town.at(local(11, 26, 11))
    await town.services.ticket_actions.resolve(head, ticket.id, "Replaced the washer")
    return head, resident, ticket


async def card(services: Services, ticket: Ticket, person: Person) -> tuple[str, list[Action]]:
    view = await services.ticket_cards.card_for_delivery(ticket.id, person.id)
    assert view is not None
    return view.text, [action for row in view.buttons for _, action in row]


async def told(town: Town, mark: int, telegram_id: int) -> list[str]:
    return [m.payload["text"] for m in await town.messages(mark, telegram_id)]


async def test_a_holder_without_the_role_leaves_it_to_whoever_covers_the_building(
    services: Services, db: Database, clock: FakeClock
) -> None:
    """The head stepped down and A1 has a new head: the reopened ticket waits for anyone, goes
    to the new head (card and notice, none to the old head) and is reminded from its
    reopening."""
    town = await make_town(services, db, clock)
    head, resident, ticket = await taken_and_resolved(town)
    async with db.session() as session:
        await session.execute(delete(Membership).where(Membership.person_id == head.id))
        await session.commit()
    new_head = await town.appoint(NEW_HEAD, Role.HEAD, "A1")
    mark = await town.mark()

    await town.at(local(11, 26, 14))
    await services.reopening.reopen(resident, ticket.id, "Still drips")
    row = await town.ticket(ticket.id)
    assert row.status is S.REOPENED
    assert (await town.events(ticket.id))[-3:] == ["resolved", "reopened", "routed"]
    cards = [r for r in await town.outbox(mark) if r.kind == "card"]
    assert {int(r.address) for r in cards} >= {NEW_HEAD}
    assert await told(town, mark, NEW_HEAD) == [
        "🔁 Ticket #1 is open again: the resident says it is not fixed. Whoever can take it, "
        "please press Take on its card.\nStill drips"
    ]
    assert await told(town, mark, HEAD) == []
    text, actions = await card(services, row, new_head)
    assert Action.TAKE in actions and "🔁 Reopened by the resident: Still drips" in text

    # Waiting for a taker again: reminded 2 h after the reopening, the new head too. (The
    # former head is still among the card's recipients, and reminded with them, until
    # recipients stop counting as a role.)
    mark = await town.mark()
    await town.at(local(11, 26, 15, 59))
    assert await services.scheduling.reminders.run() == 0
    await town.at(local(11, 26, 16))
    assert await services.scheduling.reminders.run() >= 1
    assert "#1" in (await told(town, mark, NEW_HEAD))[0]

    await services.ticket_actions.take(new_head, ticket.id)
    row = await town.ticket(ticket.id)
    assert (row.status, row.holder_id) == (S.TAKEN, new_head.id)


async def test_an_away_holder_leaves_it_to_the_deputy(
    services: Services, db: Database, clock: FakeClock
) -> None:
    town = await make_town(services, db, clock)
    head, resident, ticket = await taken_and_resolved(town)
    deputy = await town.appoint(DEPUTY, Role.DEPUTY, "A1")
    await services.availability.set_away(head, local(12, 5))
    mark = await town.mark()
    await services.reopening.reopen(resident, ticket.id, "Still drips")
    assert (await town.ticket(ticket.id)).status is S.REOPENED
    assert "open again" in (await told(town, mark, DEPUTY))[0]
    assert await told(town, mark, HEAD) == []
    _, actions = await card(services, await town.ticket(ticket.id), deputy)
    assert Action.TAKE in actions


async def test_a_ticket_back_with_its_holder_counts_as_handled_since_the_reopening(
    services: Services, db: Database, clock: FakeClock
) -> None:
    """Taken on 26 Nov, resolved, then "not fixed" on 2 Dec and back with the head: the
    response KPIs keep the first take (a quick answer stays quick); "not resolved in 7 days"
    counts from the reopening, for the ladder and the digest alike; no reminder to take it."""
    town = await make_town(services, db, clock)
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    head, resident, ticket = await taken_and_resolved(town)
    await town.at(local(12, 2, 10))
    await services.reopening.reopen(resident, ticket.id, "Drips again")
    row = await town.ticket(ticket.id)
    assert (row.status, row.holder_id, row.taken_at) == (S.TAKEN, head.id, local(11, 26, 10))
    ladder, digest = services.scheduling.ladder, services.scheduling.digest
    community = await town.community()

    async def overdue() -> int:
        data = await digest.gather(community, Scope(community.id), date(2026, 12, 2))
        return data.overdue_total

    mark = await town.mark()
    await town.at(local(12, 9, 9, 59))  # 13 days after the take, 7 days less a minute after
    assert await ladder.run() == 0
    await services.scheduling.reminders.run()  # quiet for a week: a gentle "idle" reminder
    assert "ladder-unresolved-1" not in await town.events(ticket.id)
    assert await overdue() == 0
    data = await digest.gather(community, Scope(community.id), date(2026, 11, 26))
    assert data.kpis.median_take == 0  # taken at once, as before the reopening
    [reminder] = await told(town, mark, HEAD)
    assert "no news" in reminder and "waiting" not in reminder  # not "to take"
    assert (await town.ticket(ticket.id)).nudges_sent == 0

    await town.at(local(12, 9, 10))
    assert await ladder.run() == 1
    assert "ladder-unresolved-1" in await town.events(ticket.id)
    await town.at(local(12, 9, 10, 1))
    assert await overdue() == 1


async def test_a_very_long_reason_fits_the_card_and_the_notice(
    services: Services, db: Database, clock: FakeClock
) -> None:
    """The reason is the resident's text: never through Fluent (which turns a placeable over
    2,500 characters into "{???}"), cut by UTF-16 units where Telegram counts them."""
    town = await make_town(services, db, clock)
    head, resident, ticket = await taken_and_resolved(town)
    mark = await town.mark()
    reason = "🚰" * 2048  # 4,096 UTF-16 units: the most Telegram lets the resident send
    await services.reopening.reopen(resident, ticket.id, reason)
    # The notice with the whole reason is two messages: nothing is cut from the resident's words.
    first, second = await told(town, mark, HEAD)
    assert first.startswith("🔁 Ticket #1 is back with you") and "{???}" not in first + second
    assert all(utf16_len(part) <= 4096 for part in (first, second))
    assert (first + second).count("🚰") == 2048
    text, _ = await card(services, await town.ticket(ticket.id), head)
    assert "{???}" not in text and utf16_len(text) <= 4096
    assert "🔁 Reopened by the resident: 🚰🚰" in text and text.count("🚰") < 200


async def test_the_office_holding_it_gets_it_back_too(
    services: Services, db: Database, clock: FakeClock
) -> None:
    """A coordinator who took the ticket keeps the role for the whole community: back to them."""
    town = await make_town(services, db, clock)
    office = await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区", "zh-hans")
    await town.appoint(HEAD2, Role.HEAD, "A2")
    resident = await town.resident()
    ticket = await town.report(resident)  # A1 has no head: the office has it
    await services.ticket_actions.take(office, ticket.id)
    await services.ticket_actions.resolve(office, ticket.id, "")
    await services.reopening.reopen(resident, ticket.id, "")
    row = await town.ticket(ticket.id)
    assert (row.status, row.holder_id) == (S.TAKEN, office.id)
    text, actions = await card(services, row, office)
    assert Action.RESOLVE in actions and Action.TAKE not in actions
    assert text.splitlines()[-1] == "🔁 住户反映还没修好"  # no reason given
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.address == str(OFFICE))
        )
        assert any("退回给您" in str(r.payload.get("text")) for r in rows)
