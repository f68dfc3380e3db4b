"""/tickets as the staff use it: "all" page by page (Older / Newer, from ticket to ticket) with its
total counted only up to 1,000; whose tickets each list shows; out-of-date and forged page
buttons; and the plans of the lists' queries, which must not read the whole history."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram.methods import EditMessageText
from aiogram.types import User
from sqlalchemy import delete, event, select, update

from bot.config import Config
from bot.services import Services
from bot.services.ticket_core import Draft
from bot.services.ticket_lists import Keyset
from handlers.worklist import ListCb, ListFilter
from storage.db import Database
from storage.models import Building, Community, Membership, Role, Ticket, TicketStatus
from storage.repositories.tickets import TicketRepository
from tests.botclient import BotClient, Sent, only
from tests.conftest import FakeClock
from tests.factories import World, make_world

HEAD, HEAD2, OFFICE = 100, 200, 300
RESIDENT, NEIGHBOUR, STRANGER = 500, 501, 600
NUMBER = re.compile(r"#(\d+)")


@pytest.fixture
async def world(client: BotClient, services: Services, db: Database, clock: FakeClock) -> World:
    """A1 with its head (en), A2 with its own, the community office (zh), residents of A1 and
    one of B1 (which has no head)."""
    world = await make_world(client, services, db, clock)
    c = client
    await world.appoint(c.user(HEAD, "en"), Role.HEAD, "A1")
    await world.appoint(c.user(HEAD2, "en"), Role.HEAD, "A2")
    await world.appoint(c.user(OFFICE, "zh-hans"), Role.COORDINATOR, "塘中社区")
    await world.join(c.user(RESIDENT, "en"), "A1")
    await world.join(c.user(NEIGHBOUR, "en"), "A1")
    await world.join(c.user(STRANGER, "en"), "B1")
    return world


def user(world: World, telegram_id: int) -> User:
    language = "zh-hans" if telegram_id == OFFICE else "en"
    return world.client.user(telegram_id, language)


async def report(world: World, who: int, text: str, hours: float = 3) -> Ticket:
    """Reported ``hours`` after the previous one (so each has its own time)."""
    world.clock.advance(hours=hours)
    person = await world.person(user(world, who))
    [building] = await world.services.reporting.resident_buildings(person)
    draft = Draft(building.building_id, "repairs", text)
    return (await world.services.reporting.report(person, draft)).ticket


async def tickets_cmd(world: World, who: int, arg: str = "") -> Sent:
    return only(await world.client.send(user(world, who), f"/tickets {arg}".strip()))


async def click(world: World, who: int, sent: Sent, label: str) -> Sent:
    return only(await world.client.click(user(world, who), sent, label), "EditMessageText")


async def press(world: World, who: int, data: str) -> list[Sent]:
    """A press of a button with this data, on a list message in the person's chat."""
    list_message = Sent(EditMessageText(chat_id=who, message_id=7, text="📋"))
    return await world.client.press(user(world, who), list_message, data)


def numbers(sent: Sent) -> list[int]:
    """The ticket numbers on the list's buttons, top to bottom."""
    return [int(m.group(1)) for b in sent.buttons if (m := NUMBER.search(b))]


def nav(sent: Sent) -> list[str]:
    return [b for b in sent.buttons if b in ("‹ Newer", "Older ›", "‹", "›")]


def answer(sent: list[Sent]) -> str:
    return only(sent, "AnswerCallbackQuery").text


# --------------------------------------------------------------------------- "all", page by page


async def test_all_goes_older_and_newer_a_page_at_a_time(world: World) -> None:
    mine = [await report(world, (RESIDENT, NEIGHBOUR)[n % 2], f"Problem {n}") for n in range(23)]
    await report(world, STRANGER, "Not the head's")  # B1: someone else's
    newest = [t.number for t in reversed(mine)]

    first = await tickets_cmd(world, HEAD, "all")
    assert first.text == "📋 Tickets (all): 23, page 1 of 3. Tap one to open it."
    assert numbers(first) == newest[:10] and nav(first) == ["Older ›"]
    second = await click(world, HEAD, first, "Older ›")
    assert second.text.startswith("📋 Tickets (all): 23, page 2 of 3.")
    assert numbers(second) == newest[10:20] and nav(second) == ["‹ Newer", "Older ›"]
    third = await click(world, HEAD, second, "Older ›")
    assert third.text.startswith("📋 Tickets (all): 23, page 3 of 3.")
    assert numbers(third) == newest[20:] and nav(third) == ["‹ Newer"]
    back = await click(world, HEAD, third, "‹ Newer")
    assert numbers(back) == newest[10:20] and "page 2 of 3" in back.text
    top = await click(world, HEAD, back, "‹ Newer")
    assert numbers(top) == newest[:10] and nav(top) == ["Older ›"] and "page 1 of 3" in top.text

    # A report arriving meanwhile: Newer from page 2 still shows the ten just above it, and
    # the next Newer the top, with the new one first.
    fresh = await report(world, RESIDENT, "Just now", hours=24)
    above = await click(world, HEAD, back, "‹ Newer")
    assert numbers(above) == newest[:10] and nav(above) == ["‹ Newer", "Older ›"]
    latest = await click(world, HEAD, above, "‹ Newer")
    assert numbers(latest) == [fresh.number, *newest[:9]]
    assert latest.text.startswith("📋 Tickets (all): 24, page 1 of 3.")

    # The status filters keep their numbered pages.
    opened = await click(world, HEAD, latest, "open")
    assert opened.text.startswith("📋 Tickets (open): 24, page 1 of 3.") and nav(opened) == ["›"]


async def add_history(db: Database, building_code: str, count: int, since: datetime) -> None:
    """``count`` closed tickets of the building, one an hour from ``since``: years of history,
    written directly (reporting each through the bot would take minutes)."""
    async with db.session() as session:
        building = await session.scalar(select(Building).where(Building.code == building_code))
        assert building is not None
        first = await TicketRepository(session).next_number(building.community_id)
        for n in range(count):
            at = since + timedelta(hours=n)
            session.add(
                Ticket(
                    community_id=building.community_id,
                    number=first + n,
                    building_id=building.id,
                    category="repairs",
                    status=TicketStatus.CLOSED,
                    description=f"Old {n}",
                    created_at=at,
                    updated_at=at,
                    closed_at=at,
                )
            )
        await session.execute(
            update(Community)
            .where(Community.id == building.community_id)
            .values(ticket_seq=first + count - 1)
        )
        await session.commit()


async def test_a_long_history_is_counted_up_to_a_thousand(world: World) -> None:
    await add_history(world.db, "A1", 1005, world.clock() - timedelta(days=400))
    now = await report(world, RESIDENT, "Lift stuck")

    first = await tickets_cmd(world, HEAD, "all")
    assert first.text == "📋 Tickets (all): more than 1,000, page 1. Tap one to open it."
    assert numbers(first)[:2] == [now.number, 1005] and nav(first) == ["Older ›"]
    page = first
    for _ in range(3):
        page = await click(world, HEAD, page, "Older ›")
    assert page.text.startswith("📋 Tickets (all): more than 1,000, page 4.")
    assert numbers(page) == list(range(976, 966, -1)) and nav(page) == ["‹ Newer", "Older ›"]
    back = await click(world, HEAD, page, "‹ Newer")
    assert "page 3." in back.text and numbers(back) == list(range(986, 976, -1))
    office = await tickets_cmd(world, OFFICE, "all")
    assert office.text == "📋 工单（全部）：超过 1,000 张，第 1 页。点一下即可查看。"
    assert office.buttons[-1] == "较早 ›"

    # The open ones are few: counted exactly.
    assert (await tickets_cmd(world, HEAD)).text.startswith("📋 Tickets (open): 1, page 1 of 1.")
    # A page asked for by number (as an old client or a forged button might) is one of the
    # first thousand's: the deepest is page 100.
    deepest = only(await press(world, HEAD, "tl2:all:5000:0:0"), "EditMessageText")
    assert deepest.text.startswith("📋 Tickets (all): more than 1,000, page 100.")
    assert numbers(deepest) == list(range(16, 6, -1))


# --------------------------------------------------------------------------- whose tickets


async def test_each_list_shows_the_scope_of_the_current_roles_only(world: World) -> None:
    # A B1 ticket goes to the office (B1 has no head) and is passed to HEAD days later; HEAD
    # is B1's head for a while, gets the B1 ticket reported then, and steps down. Having
    # received a ticket's card is no role: neither stays in his lists.
    head = await world.person(user(world, HEAD))
    mine, b1 = [], []
    for n in range(12):
        mine.append(await report(world, (RESIDENT, NEIGHBOUR)[n % 2], f"A1 problem {n}"))
        if n == 1:
            late = await report(world, STRANGER, "Passed to me later")
        if n == 4:
            await world.appoint(user(world, HEAD), Role.HEAD, "B1")
        if n == 5:
            former = await report(world, STRANGER, "While I was B1's head")
            between = await tickets_cmd(world, HEAD, "all")
            assert former.number in numbers(between)  # B1's head: his
            async with world.db.session() as session:
                await session.execute(
                    delete(Membership).where(
                        Membership.building_id == former.building_id,
                        Membership.person_id == head.id,
                    )
                )
                await session.commit()
            b1.append(await report(world, STRANGER, "B1 again"))
    b1.append(await report(world, STRANGER, "B1 3"))
    assert former.owner_id == head.id and head.id not in (late.owner_id, b1[0].owner_id)
    world.clock.advance(days=3)
    async with world.db.session() as session:
        await TicketRepository(session).add_recipient(late.id, head.id, "escalation", world.clock())
        await session.commit()

    expected = [t.number for t in reversed(mine)]
    first = await tickets_cmd(world, HEAD, "all")
    assert first.text.startswith("📋 Tickets (all): 12, page 1 of 2.")
    second = await click(world, HEAD, first, "Older ›")
    assert numbers(first) + numbers(second) == expected
    opened = await tickets_cmd(world, HEAD, "open")
    assert opened.text.startswith("📋 Tickets (open): 12,")
    assert numbers(opened) + numbers(await click(world, HEAD, opened, "›")) == expected

    # A2's head sees none of them; the office the whole community, B1's included.
    assert (await tickets_cmd(world, HEAD2, "all")).text == "📋 No tickets here (all)."
    office = await tickets_cmd(world, OFFICE, "all")
    assert office.text.startswith("📋 工单（全部）：共 16 张，第 1/2 页。")
    everything = numbers(office) + numbers(await click(world, OFFICE, office, "较早 ›"))
    assert sorted(everything) == sorted(
        [*expected, former.number, late.number, *(t.number for t in b1)]
    )
    assert "for building heads" in (await tickets_cmd(world, RESIDENT, "all")).text


# --------------------------------------------------------------------------- stale and forged


async def test_out_of_date_and_forged_page_buttons(world: World) -> None:
    mine = [await report(world, (RESIDENT, NEIGHBOUR)[n % 2], f"Problem {n}") for n in range(12)]
    elsewhere = await report(world, STRANGER, "B1, not the head's")
    newest = [t.number for t in reversed(mine)]

    # The old format (before "all" paged by ticket) is out of date, politely.
    # A negative or 64-bit page or id is forged: out of date too (the ids are 32-bit).
    forged = ("tl2:all:-4:0:0", f"tl2:all:0:{2**64}:0", f"tl2:open:{2**31}:0:0")
    for data in ("tl1:all:1", "tl1:open:0", "tl2:all:1", "tl2:nope:0:0:0", *forged):
        sent = await press(world, HEAD, data)
        assert answer(sent) == "This button is no longer valid. Please use the latest message."
        assert [type(s.method).__name__ for s in sent] == ["AnswerCallbackQuery"], data

    def page_of(sent: list[Sent]) -> Sent:
        assert answer(sent) == ""
        return only(sent, "EditMessageText")

    # A ticket that does not exist, or an Older from the oldest: the list from the top.
    for data in ("tl2:all:3:999999:0", f"tl2:all:7:{mine[0].id}:0"):
        top = page_of(await press(world, HEAD, data))
        assert top.text.startswith("📋 Tickets (all): 12, page 1 of 2."), data
        assert numbers(top) == newest[:10], data
    # Someone else's ticket as the start shows only one's own, older than it.
    after = page_of(await press(world, HEAD, f"tl2:all:1:{elsewhere.id}:0"))
    assert numbers(after) == newest[:10] and elsewhere.number not in numbers(after)
    # A page number past the end of a status filter: its last page, not an empty one.
    last = page_of(await press(world, HEAD, "tl2:open:99:0:0"))
    assert last.text.startswith("📋 Tickets (open): 12, page 2 of 2.")
    assert numbers(last) == newest[10:]
    # A resident pressing a staff list's button is told it is for staff.
    assert "for building heads" in answer(await press(world, RESIDENT, "tl2:all:0:0:0"))

    # The buttons stay far below Telegram's 64 bytes.
    data = ListCb(flt=ListFilter.ESCALATED, page=2**31 - 1, after=2**31 - 1, newer=True).pack()
    assert len(data.encode()) < 64


# --------------------------------------------------------------------------- plans


@pytest.fixture
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    captured: list[tuple[str, Any]] = []

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if "tickets" in statement and statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    yield captured
    event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)


def plan(config: Config, sql: str, params: Any) -> list[tuple[int, int, str]]:
    """EXPLAIN QUERY PLAN: (node, parent, detail) rows."""
    path = config.database_url.removeprefix("sqlite+aiosqlite:///")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return [(row[0], row[1], row[3]) for row in rows]
    finally:
        connection.close()


# A building's or community's tickets newest first ("all"), or those in one state (the
# status filters, walked state by state).
WALKS = re.compile(
    r"SEARCH tickets USING (COVERING )?INDEX ix_tickets_(building|community)(_status)?_created"
)


async def test_list_queries_walk_indexes_not_the_history(
    world: World, config: Config, statements: list[tuple[str, Any]]
) -> None:
    """SQLite's plans for the lists (no ANALYZE, as in production): no table is scanned, "all"
    walks each building's and community's index newest first (no sort of all their tickets),
    and the status filters read the building's or community's tickets by status."""
    for n in range(12):
        await report(world, (RESIDENT, NEIGHBOUR)[n % 2], f"Problem {n}")
    services = world.services
    used: set[str] = set()
    walked = 0
    for who in (HEAD, OFFICE):
        person = await world.person(user(world, who))
        for flt in ("open", "escalated", "all"):
            statements.clear()
            page = await services.ticket_lists.staff_tickets(person, flt)
            if flt == "all":
                await services.ticket_lists.staff_tickets(
                    person, flt, 1, Keyset(page.tickets[-1].id)
                )
                await services.ticket_lists.staff_tickets(
                    person, flt, 0, Keyset(page.tickets[-1].id, True)
                )
            for sql, params in statements:
                nodes = plan(config, sql, params)
                details = [detail for _, _, detail in nodes]
                # SEARCH reads a range of an index; SCAN reads all of a table (or index).
                assert not [d for d in details if re.match(r"SCAN (tickets|ticket_)", d)], details
                for _, parent, detail in nodes:
                    if WALKS.match(detail):
                        # A building's or community's walk is read in index order: not sorted.
                        walked += 1
                        siblings = [d for _, p, d in nodes if p == parent]
                        assert not [d for d in siblings if "TEMP B-TREE" in d], details
                used.update(re.findall(r"INDEX (ix_\w+)", " ".join(details)))
    assert walked >= 6
    assert {
        "ix_tickets_building_status_created",
        "ix_tickets_community_status_created",
        "ix_tickets_building_created",
        "ix_tickets_community_created",
    } <= used
