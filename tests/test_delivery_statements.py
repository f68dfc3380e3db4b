"""How many SQL statements a delivery pass of ticket cards costs (issue 11: CPU per card).

A pass reads what its cards need (the pending rows and the cards already in the chats, the
tickets, readers, authors and holders, their relations, communities, buildings, followers,
work orders, reopenings) in a few statements for all its rows, renders each card once per
reader who sees the same one, and records the outcomes together: the count is bounded, not
proportional to the rows. Counted with a SQLAlchemy listener, as in
tests/test_hotpath_statements.py; no timing here (bench.delivery --cards has the CPU)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select

from bot.services import Services
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import (
    Address,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    Ticket,
    telegram_address,
)
from storage.repositories import OutboxRepository, PersonRepository
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, FakeClock
from tests.factories import World, make_world
from tests.statements import counting

# Statements of one pass of card rows, however many rows: the claim (the chats' runs, the
# UPDATE that reads back what it took: 2), the pass's reads (where the cards stand, the tickets
# with their followers, work orders and reopenings, the people with the administrators marked,
# followed tickets, roles and coordinator areas unless cached: 6), the record (rows marked
# sent, new cards: 2); 10 now, with room for the read cache's check and one more. 18 before
# the claim read back with RETURNING and the reads were merged (issue 11: in a burst a pass
# holds a card or three, so these are paid per card); ~12 a card before the pass read its
# cards together.
PASS_BOUND = 12


@dataclass
class Street:
    world: World
    head: Person
    deputy: Person
    neighbour: Person
    authors: list[Person]
    tickets: list[Ticket]


async def street(
    client: BotClient, services: Services, db: Database, clock: FakeClock, count: int
) -> Street:
    """``count`` residents of one building with a ticket each; its head (English) and deputy
    (Chinese); a neighbour following the first ticket; the second taken by the head, the third
    resolved and reopened with a reason (what a staff card shows), the fourth taken and its
    author hiding their name."""
    world = await make_world(client, services, db, clock)
    head = await world.person(await world.appoint(client.user(21, "en"), Role.HEAD, "A1"))
    deputy = await world.person(await world.appoint(client.user(22), Role.DEPUTY, "A1"))
    authors, tickets = [], []
    for i in range(count):
        user = await world.join(client.user(100 + i, "en" if i % 2 else "zh-hans"), "A1")
        person = await world.person(user)
        [building] = await services.reporting.resident_buildings(person)
        draft = Draft(building.building_id, "repairs", f"lift {i} is broken", show_name=i != 3)
        authors.append(person)
        tickets.append((await services.reporting.report(person, draft)).ticket)
    neighbour = await world.person(await world.join(client.user(99, "en"), "A1"))
    await services.neighbours.follow(neighbour, tickets[0].id)
    await services.ticket_actions.take(head, tickets[1].id)
    await services.ticket_actions.take(head, tickets[2].id)
    await services.ticket_actions.resolve(head, tickets[2].id, "fixed")
    await services.reopening.reopen(authors[2], tickets[2].id, "still dark")
    await services.ticket_actions.take(deputy, tickets[3].id)
    await world.deliver()
    return Street(world, head, deputy, neighbour, authors, tickets)


async def enqueue_cards(db: Database, clock: FakeClock, cards: list[tuple[Person, Ticket]]) -> None:
    """A card row of each (reader, ticket), to the reader's Telegram chat."""
    async with db.session() as session:
        outbox = OutboxRepository(session)
        for person, ticket in cards:
            await outbox.add(
                to=telegram_address(int(person.contacts[0].address)),
                person_id=person.id,
                payload={},
                now=clock(),
                kind=OutboxKind.CARD,
                ticket_id=ticket.id,
            )
        await session.commit()


def pass_of(town: Street, rows: int) -> list[tuple[Person, Ticket]]:
    """One card for each chat (a pass takes a chat's oldest row only): the head's, the
    deputy's, the follower's, and each of ``rows`` authors' own."""
    tickets = town.tickets
    return [
        (town.head, tickets[2]),
        (town.deputy, tickets[3]),
        (town.neighbour, tickets[0]),
        *zip(town.authors[:rows], tickets[:rows], strict=True),
    ]


async def test_a_pass_of_card_rows_costs_statements_bounded_independently_of_its_rows(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    town = await street(client, services, db, clock, 12)
    worker = TelegramDelivery(
        client.bot,
        db,
        clock,
        cards=services.ticket_cards,
        availability=services.availability,
    )
    costs = {}
    for rows in (2, 12):
        await enqueue_cards(db, clock, pass_of(town, rows))
        before = len(client.session.requests)
        with counting(db) as statements:
            handled = await worker.run_once()
        assert handled == rows + 3
        print(f"{rows + 3} cards: {len(statements)}", *statements, sep="\n    ")  # noqa: T201
        costs[rows + 3] = len(statements)
        shown = [
            m
            for m in client.session.requests[before:]
            if isinstance(m, SendMessage | EditMessageText)
        ]
        assert len(shown) == rows + 3
    async with db.session() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT}
    assert all(n <= PASS_BOUND for n in costs.values()), costs
    assert costs[15] <= costs[5] + 1, costs  # no statement more for ten more cards


async def test_cards_read_with_their_pass_are_those_rendered_one_by_one(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    """Privacy and content do not depend on how a card is read: the head's, the deputy's,
    the follower's, each author's, a former head's and an administrator's card of each
    ticket, read for a pass together (the people without their contacts, the administrators
    asked apart), are exactly the cards rendered alone (``card_for_delivery``)."""
    town = await street(client, services, db, clock, 5)
    async with db.session() as session:  # the deputy steps down: a former head's card
        building_id = town.tickets[0].building_id
        await PersonRepository(session).remove_membership(town.deputy.id, building_id, Role.DEPUTY)
        await session.commit()
    # A ticket reopened and resolved again: the staff's card no longer shows the reason.
    again = town.tickets[4].id
    await services.ticket_actions.take(town.head, again)
    await services.ticket_actions.resolve(town.head, again, "fixed")
    await services.reopening.reopen(town.authors[4], again, "still dripping")
    await services.ticket_actions.resolve(town.head, again, "fixed again")
    admin = await town.world.person(client.user(ADMIN_ID, "en", "Boss"))
    cards = services.ticket_cards
    readers = [town.head, town.deputy, town.neighbour, *town.authors, admin]
    wanted = [
        (ticket.id, person.id, Address(*telegram_address(int(person.contacts[0].address))))
        for ticket in town.tickets
        for person in readers
    ]
    prepared = await cards.prepare_delivery(wanted)
    assert set(prepared) == set(wanted)
    for ticket_id, person_id, where in wanted:
        alone = await cards.card_for_delivery(ticket_id, person_id)
        assert prepared[(ticket_id, person_id, where)].view == alone, (ticket_id, person_id)
        assert prepared[(ticket_id, person_id, where)].message_ref == await cards.card_message(
            ticket_id, where
        )
    # What the privacy rules turn on shows in them: the hidden name, the follower's card.
    head_view = prepared[(town.tickets[3].id, town.head.id, wanted[0][2])].view
    assert head_view is not None and town.authors[3].display_name not in head_view.text
    reopened = prepared[(town.tickets[2].id, town.head.id, wanted[0][2])].view
    resolved = prepared[(again, town.head.id, wanted[0][2])].view
    assert reopened is not None and "still dark" in reopened.text
    assert resolved is not None and "still dripping" not in resolved.text
    admin_where = Address(*telegram_address(ADMIN_ID))
    admin_view = prepared[(town.tickets[0].id, admin.id, admin_where)].view
    assert admin_view is not None and admin_view.access and admin_view.buttons
