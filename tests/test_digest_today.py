"""/digest on the first day: yesterday's report says nothing, so it offers today so far, with
figures that say they are partial."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services import Services
from storage.db import Database
from storage.models import Role, Ticket, TicketEvent
from tests.botclient import BotClient, only
from tests.conftest import FakeClock
from tests.test_scheduler import HEAD, OFFICE, local, make_town


async def test_the_first_days_digest_offers_today_so_far(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    town = await make_town(services, db, clock)  # imported on Thu 26 Nov, 10:00
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    head = await town.appoint(HEAD, Role.HEAD, "A1")
    resident = await town.resident()
    first = await town.report(resident, text="The lift is stuck")
    await town.report(resident, text="A lamp is out")
    await services.ticket_actions.take(head, first.id)
    await town.at(local(11, 26, 14, 5))
    office = client.user(OFFICE, "en", "Office")
    before = await counts(db)

    sent = await client.send(office, "/digest")
    report = only(sent)
    assert "daily report for Wed 25/11" in report.text
    assert "That day: 0 new · 0 taken · 0 resolved · 0 closed" in report.text
    assert report.buttons[-1] == "📊 Today so far"

    sent = await client.click(office, report, "📊 Today so far")
    answers = [s for s in sent if type(s.method).__name__ == "AnswerCallbackQuery"]
    assert len(answers) == 1
    today = only(sent)
    assert "today so far, Thu 26/11 (until 14:05)" in today.text
    assert "Today until 14:05 (not a whole day yet): 2 new · 1 taken · 0 resolved" in today.text
    assert "Open now: 2" in today.text
    assert "📊 Today so far" not in today.buttons  # it is today already
    assert only(sent, "SendPhoto").text.startswith("📈")

    # A date that is today is today so far too; an older one is a whole day.
    assert "(until 14:05)" in only(await client.send(office, "/digest 2026-11-26")).text
    dated = only(await client.send(office, "/digest 2026-11-25"))
    assert "until" not in dated.text and "📊 Today so far" not in dated.buttons

    assert await counts(db) == before  # reading changes nothing


async def counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
        events = await session.scalar(select(func.count()).select_from(TicketEvent))
    return int(tickets or 0), int(events or 0)


async def test_today_so_far_is_for_coordinators_only(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    town = await make_town(services, db, clock)
    await town.resident()
    resident = client.user(1, "en", "Resident")
    sent = await client.press(resident, only(await client.send(resident, "/help")), "dg1")
    answers = [s for s in sent if type(s.method).__name__ == "AnswerCallbackQuery"]
    assert len(answers) == 1 and "for coordinators" in answers[0].text
    assert [s for s in sent if type(s.method).__name__ == "SendMessage"] == []


async def test_a_day_at_the_calendars_edge_is_the_usage_not_a_crash(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    """Found: /digest 0001-01-01 parsed as a date, and its day's window in Foshan time fell
    before the first moment a datetime holds: the office read the generic apology."""
    town = await make_town(services, db, clock)
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    office = client.user(OFFICE, "en", "Office")
    for day in ("0001-01-01", "0001-01-09", "1066-10-14"):
        answered = only(await client.send(office, f"/digest {day}"))
        assert answered.text.startswith("Send /digest for yesterday's report"), day
    assert "daily report" in only(await client.send(office, "/digest 2026-11-25")).text
