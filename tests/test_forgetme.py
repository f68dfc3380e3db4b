"""/forgetme, driven like users: the confirmation, what is deleted (the person, their roles,
flats, follows, join requests, conversation, queued messages, their own words in tickets),
what stays (the tickets, anonymised, so the building's records and statistics stay true), the
cards that now say "former resident", a head's tickets handed to the next person in line, and
a person who comes back being a new person."""

from __future__ import annotations

from typing import Any

from aiogram.types import ReplyKeyboardRemove
from sqlalchemy import func, select

from bot.i18n import Translations
from bot.services import Services
from bot.services.ticket_core import Content, Draft
from storage.db import Database
from storage.models import (
    FsmRecord,
    JoinRequest,
    JoinStatus,
    Membership,
    OutboxCount,
    OutboxMessage,
    OutboxStatus,
    Person,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketStatus,
)
from telegram.commands import EVERYONE
from tests.botclient import Sent
from tests.factories import by_telegram
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    HEAD2,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    answer,
    one,
    to,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

# The town of the ticket tests: A1 with a head and a deputy, A2 with its own head, the office.
client, town = client_fixture, town_fixture

S = TicketStatus


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def person_row(db: Database, telegram_id: int) -> Person | None:
    async with db.session() as session:
        return await session.scalar(by_telegram(telegram_id))


async def ticket_row(db: Database, ticket_id: int) -> Ticket:
    async with db.session() as session:
        found = await session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def ask(town: Town, who: int) -> Sent:
    return one(await town.send(who, "/forgetme"), who)


async def test_a_resident_forgets_and_their_tickets_stay_anonymised(
    town: Town, services: Services
) -> None:
    # The resident's life in the bot: a flat, a ticket with a message to the head, a rated
    # closed ticket, a "me too" on a neighbour's ticket, a join request elsewhere, a report
    # half written, and a reply from the head not yet delivered.
    await town.send(RESIDENT, "/start " + town.world.payloads["A1"])
    await town.send(RESIDENT, "3-502")
    open_ticket = await town.report(RESIDENT, "Water leaks from the ceiling of the stairs")
    head, resident = await town.person(HEAD), await town.person(RESIDENT)
    tickets = services
    await tickets.ticket_actions.message(
        resident, open_ticket.id, Content(text="I am in 3-502, call 138000")
    )
    closed = await town.report(RESIDENT, "The door bell is broken")
    await tickets.ticket_actions.take(head, closed.id)
    await tickets.ticket_actions.resolve(head, closed.id, "Replaced the bell")
    await tickets.ticket_actions.confirm(resident, closed.id)
    await tickets.ticket_actions.rate(resident, closed.id, 5)
    neighbours = await town.report(NEIGHBOUR, "The lift is stuck")
    await tickets.neighbours.follow(resident, neighbours.id)
    b1 = (await services.community.find_building("B1")).id
    await services.joins.request(resident, b1, "9-909")
    delivered = await town.deliver()
    head_card = [s for s in to(delivered, HEAD) if s.buttons and "Water leaks" in s.text][-1]
    assert "Auntie 500" in head_card.text and "3-502" in head_card.text
    await tickets.ticket_actions.reply(head, open_ticket.id, Content(text="Coming tomorrow"))
    await town.send(RESIDENT, "/report")
    assert await count(town.db, FsmRecord, FsmRecord.key.like(f"%:{RESIDENT}:%")) == 1
    assert await count(town.db, OutboxMessage, OutboxMessage.address == str(RESIDENT)) > 0

    question = await ask(town, RESIDENT)
    assert "cannot be undone" in question.text and "new resident" in question.text
    assert question.buttons == ["🗑 Yes, delete my data", "No, keep it"]
    assert "You are also staff" not in question.text
    sent = await town.click(RESIDENT, question, "🗑 Yes, delete my data")

    done = one(sent, RESIDENT)
    assert "has been deleted" in done.text
    assert isinstance(done.method.reply_markup, ReplyKeyboardRemove)  # type: ignore[attr-defined]
    assert any(type(s.method).__name__ == "DeleteMyCommands" for s in sent)
    # The person is gone, and everything that was theirs.
    assert await person_row(town.db, RESIDENT) is None
    resident_id = town.ids[RESIDENT]
    assert await count(town.db, Membership, Membership.person_id == resident_id) == 0
    assert await count(town.db, TicketFollower, TicketFollower.person_id == resident_id) == 0
    assert await count(town.db, FsmRecord, FsmRecord.key.like(f"%:{RESIDENT}:%")) == 0
    assert await count(town.db, OutboxMessage, OutboxMessage.address == str(RESIDENT)) == 0
    # The tickets stay: the problem as reported, times, the rating; no name, flat or own words.
    kept = await ticket_row(town.db, open_ticket.id)
    assert kept.author_id is None and kept.flat is None and kept.status is S.NEW
    assert kept.description == "Water leaks from the ceiling of the stairs"
    rated = await ticket_row(town.db, closed.id)
    assert rated.rating == 5 and rated.status is S.CLOSED and rated.author_id is None
    async with town.db.session() as session:
        events = (await session.scalars(select(TicketEvent).order_by(TicketEvent.id))).all()
    assert all(e.actor_id != resident_id for e in events)
    words = [e for e in events if e.kind == "message" and e.ticket_id == open_ticket.id]
    assert [e.data.get("text") for e in words] == [None, "Coming tomorrow"]
    assert words[0].data["forgotten"] is True
    async with town.db.session() as session:
        [join] = (await session.scalars(select(JoinRequest))).all()
    assert (join.person_id, join.display_name, join.flat) == (None, "", None)
    assert join.status is JoinStatus.WITHDRAWN

    # Staff cards now say "former resident"; the office's join card lost name and buttons.
    delivered = await town.deliver()
    head_edit = [s for s in to(delivered, HEAD, "EditMessageText") if "Water leaks" in s.text]
    assert head_edit and "A former resident" in head_edit[-1].text
    assert "Auntie" not in head_edit[-1].text and "3-502" not in head_edit[-1].text
    assert to(delivered, RESIDENT) == []
    office_copies = to(delivered, OFFICE)
    assert office_copies and "原住户" in office_copies[-1].text
    assert office_copies[-1].buttons == []

    # Back later: a new person, with none of the old tickets.
    await town.send(RESIDENT, "/start")
    again = await person_row(town.db, RESIDENT)
    assert again is not None and again.id != resident_id
    assert "You have no tickets yet" in one(await town.send(RESIDENT, "/my"), RESIDENT).text
    # The old card's history shows the event without the resident's words or name.
    _, lines = await tickets.ticket_cards.history(head, open_ticket.id, Translations().bind("en"))
    assert any("message" in line for line in lines)
    assert not any("138000" in line or "Auntie" in line for line in lines)


async def test_no_keeps_everything(town: Town) -> None:
    question = await ask(town, RESIDENT)
    sent = await town.click(RESIDENT, question, "No, keep it")
    assert "nothing was deleted" in one(sent, RESIDENT, "EditMessageText").text
    assert await person_row(town.db, RESIDENT) is not None
    assert await count(town.db, Membership, Membership.person_id == town.ids[RESIDENT]) == 1


async def test_an_old_yes_never_deletes_the_person_who_came_back(town: Town) -> None:
    question = await ask(town, RESIDENT)
    await town.click(RESIDENT, question, "🗑 Yes, delete my data")
    await town.send(RESIDENT, "/start " + town.world.payloads["A1"])
    newcomer = await person_row(town.db, RESIDENT)
    assert newcomer is not None
    sent = await town.click(RESIDENT, question, "🗑 Yes, delete my data")
    assert "no longer valid" in answer(sent)
    assert await person_row(town.db, RESIDENT) is not None
    assert await count(town.db, Membership, Membership.person_id == newcomer.id) == 1


async def test_a_head_who_forgets_hands_their_tickets_on(town: Town, services: Services) -> None:
    taken = await town.report(RESIDENT, "The stair light is broken")
    waiting = await town.report(RESIDENT, "Rubbish in the corridor")
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, taken.id)
    await town.deliver()

    question = await ask(town, HEAD)
    assert "You are also staff" in question.text
    await town.click(HEAD, question, "🗑 Yes, delete my data")
    assert await person_row(town.db, HEAD) is None
    # What the head had taken is new again, for the deputy who now owns both.
    deputy_id = town.ids[DEPUTY]
    for ticket_id in (taken.id, waiting.id):
        ticket = await ticket_row(town.db, ticket_id)
        assert (ticket.status, ticket.holder_id, ticket.owner_id) == (S.NEW, None, deputy_id)
    delivered = await town.deliver()
    deputy_card = [s for s in to(delivered, DEPUTY) if "stair light" in s.text][-1]
    assert "✋ 接单" in deputy_card.buttons
    # The office hears that A1 lost its head (not who it was); the resident is not bothered.
    notice = [s.text for s in to(delivered, OFFICE) if "/forgetme" in s.text]
    assert notice and "塘中新村1栋" in notice[0] and "Wang" not in notice[0]
    assert not [s for s in to(delivered, RESIDENT) if "forgetme" in s.text]
    # The deputy can take it.
    await town.click(DEPUTY, deputy_card, "✋ 接单")
    assert (await ticket_row(town.db, taken.id)).holder_id == deputy_id


async def test_a_lone_head_forgets_and_the_office_gets_the_ticket(
    town: Town, services: Services
) -> None:
    await town.send(NEIGHBOUR, "/start " + town.world.payloads["A2"])
    neighbour = await town.person(NEIGHBOUR)
    a2 = (await services.community.find_building("A2")).id
    ticket = (
        await services.reporting.report(neighbour, Draft(a2, "repairs", "Gate broken"))
    ).ticket
    await services.joins.request(await town.person(STRANGER), a2, "7-707")
    delivered = await town.deliver()
    assert [s for s in to(delivered, HEAD2) if "7-707" in s.text]
    assert to(delivered, OFFICE) == []
    question = await ask(town, HEAD2)
    await town.click(HEAD2, question, "🗑 Yes, delete my data")
    assert (await ticket_row(town.db, ticket.id)).owner_id == town.ids[OFFICE]
    delivered = await town.deliver()
    assert [s for s in to(delivered, OFFICE) if "Gate broken" in s.text]
    # The neighbour's join request, which only that head could decide, reaches the office.
    [join_card] = [s for s in to(delivered, OFFICE) if "7-707" in s.text]
    assert join_card.buttons == ["✅ 通过", "❌ 不通过"]
    assert to(delivered, STRANGER) == []


async def test_forgetme_is_in_help_and_the_menu(town: Town) -> None:
    assert ("forgetme", "cmd-forgetme") in EVERYONE
    help_text = one(await town.send(STRANGER, "/help"), STRANGER).text
    assert "/forgetme — Delete your personal data" in help_text


async def outbox_holding(db: Database, *words: str) -> list[tuple[int, str, str]]:
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [
        (int(r.address), r.status.value, str(r.payload))
        for r in rows
        if any(word in str(r.payload) for word in words)
    ]


async def sent_total(db: Database) -> int:
    sent = OutboxMessage.status == OutboxStatus.SENT
    async with db.session() as session:
        kept = await session.scalar(select(func.count()).select_from(OutboxMessage).where(sent))
        counted = await session.scalar(
            select(func.sum(OutboxCount.count)).where(OutboxCount.status == OutboxStatus.SENT)
        )
    return (kept or 0) + (counted or 0)


async def test_nothing_of_theirs_lingers_on_finished_cards_or_in_the_outbox(
    town: Town, services: Services
) -> None:
    await town.send(RESIDENT, "/start " + town.world.payloads["A1"])
    await town.send(RESIDENT, "3-502")
    head, resident = await town.person(HEAD), await town.person(RESIDENT)
    closed = await town.report(RESIDENT, "The door bell is broken")
    await services.ticket_actions.message(
        resident, closed.id, Content(text="Ring 3-502, call 138000")
    )
    await services.ticket_actions.take(head, closed.id)
    await services.ticket_actions.reply(head, closed.id, Content(text="Coming at noon"))
    await services.ticket_actions.resolve(head, closed.id, "Replaced the bell")
    await services.ticket_actions.confirm(resident, closed.id)
    delivered = await town.deliver()
    head_card = [s for s in to(delivered, HEAD) if "door bell" in s.text][-1]
    assert "Auntie 500" in head_card.text and "3-502" in head_card.text
    assert await outbox_holding(town.db, "138000")  # relayed to the staff, and kept as sent
    total = await sent_total(town.db)
    await town.send(RESIDENT, "/report")  # a conversation in progress

    question = await ask(town, RESIDENT)
    await town.click(RESIDENT, question, "🗑 Yes, delete my data")
    # Their words and name are gone from the outbox; the counts of what was sent stay true.
    assert await outbox_holding(town.db, "138000", "Auntie", "Coming at noon") == []
    assert await sent_total(town.db) == total

    # The card of the closed ticket is edited too: no name, no flat.
    delivered = await town.deliver()
    [edited] = [s for s in to(delivered, HEAD, "EditMessageText") if "door bell" in s.text]
    assert edited.method.message_id == town.message_id(head_card)  # type: ignore[attr-defined]
    assert "A former resident" in edited.text
    assert "Auntie" not in edited.text and "3-502" not in edited.text
    assert await outbox_holding(town.db, "138000", "Auntie", "Coming at noon") == []
    assert await count(town.db, FsmRecord, FsmRecord.key.like(f"%:{RESIDENT}:%")) == 0
    # The ticket stays, with its description (the building's record of the problem).
    kept = await ticket_row(town.db, closed.id)
    assert kept.description == "The door bell is broken" and kept.author_id is None


async def test_words_still_on_their_way_to_the_staff_go_with_the_person(
    town: Town, services: Services
) -> None:
    """/forgetme while the resident's message waits in the outbox (delivery behind a notice to
    the estate): it is not delivered afterwards, nor kept as sent, like the ones already gone.
    The report's own photo still reaches the head: it stays with the ticket."""
    resident = await town.person(RESIDENT)
    [home] = await services.reporting.resident_buildings(resident)
    draft = Draft(
        home.building_id,
        "repairs",
        "The door bell is broken",
        media=[{"type": "photo", "file_id": "bell-photo"}],
    )
    found = (await services.reporting.report(resident, draft)).ticket
    await services.ticket_actions.message(
        resident, found.id, Content(text="Ring 3-502, call 138000")
    )
    question = await ask(town, RESIDENT)
    await town.click(RESIDENT, question, "🗑 Yes, delete my data")
    delivered = await town.deliver()
    assert [s.text for s in delivered if "138000" in s.text] == []
    assert await outbox_holding(town.db, "138000") == []
    photos = [s.method for s in to(delivered, HEAD, "SendPhoto")]
    assert [getattr(p, "photo", None) for p in photos] == ["bell-photo"]
    assert any("A former resident" in s.text for s in to(delivered, HEAD))


async def test_only_their_words_are_held_back_not_what_others_are_told(
    town: Town, services: Services
) -> None:
    """/forgetme while the resident's message and the neighbours' news of the same ticket both
    wait in the outbox: their words do not go; the follower still hears it was resolved."""
    resident = await town.person(RESIDENT)
    [home] = await services.reporting.resident_buildings(resident)
    found = (
        await services.reporting.report(resident, Draft(home.building_id, "repairs", "No light"))
    ).ticket
    await services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    await town.deliver()
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, found.id)
    await services.ticket_actions.message(resident, found.id, Content(text="Call 138000"))
    town.world.clock.advance(minutes=5)
    await services.ticket_actions.resolve(head, found.id, "New bulb fitted.")
    question = await ask(town, RESIDENT)
    await town.click(RESIDENT, question, "🗑 Yes, delete my data")
    delivered = await town.deliver()
    assert [s.text for s in delivered if "138000" in s.text] == []
    assert any(f"#{found.number}" in s.text for s in to(delivered, NEIGHBOUR))
