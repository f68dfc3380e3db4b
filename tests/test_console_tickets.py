"""The console's ticket list: each role sees exactly its coverage (a head their building, a
coordinator their area, an admin everything), the filters are GET parameters that select the
right rows, keyset pages follow each other without gaps or repeats, overdue tickets are marked,
a reporter who hid their name is not named, and htmx gets only the table."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.services.access import Coverage
from bot.services.ticket_core import Content, Draft
from bot.services.ticket_query import TicketQuery
from storage.models import Ticket, TicketStatus
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, FakeClock
from tests.test_console import make_http, sign_in
from tests.test_ticket_handling import (
    HEAD,
    HEAD2,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    client,
    town,
)

__all__ = ["client", "town"]  # fixtures

Http = TestClient[web.Request, web.Application]
A2_RESIDENT = 700
NUMBER = re.compile(r'data-number="(\d+)"')


@pytest.fixture
async def http(client: BotClient) -> AsyncIterator[Http]:
    async with make_http(client) as browser:
        yield browser


async def file(
    town: Town, who: int, text: str, *, show_name: bool = True, category: str = "repairs"
) -> Ticket:
    person = await town.person(who)
    [building] = await town.world.services.reporting.resident_buildings(person)
    draft = Draft(building.building_id, category, text, show_name=show_name)
    return (await town.world.services.reporting.report(person, draft)).ticket


@pytest.fixture
async def filed(town: Town, clock: FakeClock) -> dict[str, Ticket]:
    """A1: two tickets (one with the name hidden), A2: one, B1: one; an hour apart."""
    user = town.client.user(A2_RESIDENT, "en", "Neighbour")
    town.users[A2_RESIDENT] = await town.world.join(user, "A2")
    tickets = {}
    for key, who, text, show in (
        ("a1", RESIDENT, "Stair light broken", True),
        ("a2", A2_RESIDENT, "Lift stuck on 3", True),
        ("b1", STRANGER, "Water leak in the yard", True),
        ("a1-hidden", RESIDENT, "Noise at night from 502", False),
    ):
        tickets[key] = await file(town, who, text, show_name=show)
        clock.advance(hours=1)
    return tickets


def numbers(page: str) -> list[int]:
    return [int(n) for n in NUMBER.findall(page)]


async def listed(http: Http, query: str = "") -> list[int]:
    response = await http.get("/console/tickets" + query, headers={"Accept-Language": "en"})
    assert response.status == 200
    return numbers(await response.text())


async def test_each_role_sees_its_own_tickets(
    town: Town, http: Http, client: BotClient, filed: dict[str, Ticket]
) -> None:
    n = {key: t.number for key, t in filed.items()}
    await sign_in(town, http, HEAD)  # head of A1
    assert await listed(http) == [n["a1-hidden"], n["a1"]]  # newest first
    async with make_http(client) as second:
        await sign_in(town, second, HEAD2)  # head of A2
        assert await listed(second) == [n["a2"]]
    async with make_http(client) as office:
        await sign_in(town, office, OFFICE)  # the whole community
        assert await listed(office) == [n["a1-hidden"], n["b1"], n["a2"], n["a1"]]
    town.users[ADMIN_ID] = client.user(ADMIN_ID, "en", "Boss")
    async with make_http(client) as admin:
        await sign_in(town, admin, ADMIN_ID)
        assert sorted(await listed(admin)) == sorted(n.values())


async def test_a_hidden_reporter_is_not_named(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    await sign_in(town, http, HEAD)
    page = await (await http.get("/console/tickets")).text()
    shown = re.search(rf'data-number="{filed["a1"].number}">(.*?)</tr>', page, re.S)
    hidden = re.search(rf'data-number="{filed["a1-hidden"].number}">(.*?)</tr>', page, re.S)
    assert shown and hidden
    assert "Auntie" in shown[1]
    assert "Auntie" not in hidden[1] and "name hidden" in hidden[1]
    assert await listed(http, "?hidden=1") == [filed["a1-hidden"].number]
    assert await listed(http, "?hidden=0") == [filed["a1"].number]


async def test_filters_select_the_right_rows(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    n = {key: t.number for key, t in filed.items()}
    await sign_in(town, http, OFFICE)
    a2 = filed["a2"].building_id
    assert await listed(http, f"?building={a2}") == [n["a2"]]
    assert await listed(http, "?sort=oldest") == [n["a1"], n["a2"], n["b1"], n["a1-hidden"]]
    assert await listed(http, "?status=taken") == []
    assert await listed(http, "?status=new&category=repairs&urgent=0&escalated=0") == [
        n["a1-hidden"], n["b1"], n["a2"], n["a1"],
    ]  # fmt: skip
    assert await listed(http, "?category=elevator") == []
    # The clock started 2026-11-26 02:00 UTC, 10:00 in Asia/Shanghai: all on the 26th.
    assert len(await listed(http, "?from=2026-11-26&to=2026-11-26")) == 4
    assert await listed(http, "?to=2026-11-25") == []
    # Nonsense is ignored, not an error.
    assert len(await listed(http, "?status=bogus&building=x&from=yesterday")) == 4


async def test_numbers_too_big_for_the_database_are_ignored_like_other_nonsense(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    """A building id or a page cursor edited by hand into the URL: a 30-digit id overflowed
    the database's integer and a cursor's time the year 9999 (a 500); now they are ignored,
    as a building "x" is: the list starts over."""
    await sign_in(town, http, OFFICE)
    huge = "9" * 30
    for query in (
        f"?building={huge}",
        f"?after={huge}.1",
        f"?after=1.{huge}",
        f"?before={huge}.1",
        f"?sort=status&after=r{huge}.1",
    ):
        assert len(await listed(http, query)) == 4, query


async def test_overdue_tickets_are_marked_and_filtered(
    town: Town, http: Http, clock: FakeClock, filed: dict[str, Ticket]
) -> None:
    await sign_in(town, http, OFFICE)
    assert await listed(http, "?overdue=1") == []
    # Untaken for 24 hours (the default threshold): the first three, an hour apart, are.
    clock.advance(hours=11)
    assert await listed(http, "?overdue=1") == []  # (a request also keeps the session alive)
    clock.advance(hours=11, minutes=30)
    page = await (await http.get("/console/tickets")).text()
    assert page.count('class="ticket overdue"') == 3
    overdue = await listed(http, "?overdue=1")
    assert overdue == [filed["b1"].number, filed["a2"].number, filed["a1"].number]
    assert await listed(http, "?overdue=1&status=closed") == []


async def test_keyset_pages_follow_each_other(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    search = town.world.services.ticket_search
    everything = Coverage(admin=True)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = await search.page(everything, TicketQuery(), cursor, size=3)
        seen += [row.found.ticket.number for row in page.rows]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 2 and len(seen) == len(set(seen)) == 4
    oldest = await search.page(everything, TicketQuery(sort="oldest"), None, size=3)
    assert [r.found.ticket.number for r in oldest.rows] == sorted(seen)[:3]
    # Over HTTP, ``after`` continues from a cursor with the same filters.
    await sign_in(town, http, OFFICE)
    first = await search.page(everything, TicketQuery(), None, size=3)
    assert await listed(http, f"?status=new&after={first.next_cursor}") == [seen[3]]
    html = await (await http.get("/console/tickets?status=new")).text()
    assert "after=" not in html  # four tickets fit one page of 50: no "next page"


async def test_htmx_gets_only_the_table(town: Town, http: Http, filed: dict[str, Ticket]) -> None:
    await sign_in(town, http, HEAD)
    response = await http.get("/console/tickets?hidden=1", headers={"HX-Request": "true"})
    fragment = await response.text()
    assert "<html" not in fragment and "<table" in fragment
    assert numbers(fragment) == [filed["a1-hidden"].number]


def test_the_query_round_trips_through_the_url() -> None:
    query = TicketQuery.from_params(
        [("status", "new"), ("status", "taken"), ("building", "3"), ("urgent", "1"),
         ("hidden", "0"), ("overdue", "1"), ("from", "2026-11-01"), ("sort", "oldest")]
    )  # fmt: skip
    assert query.statuses == {TicketStatus.NEW, TicketStatus.TAKEN}
    assert query.urgent is True and query.reporter_hidden is False and query.sort == "oldest"
    assert TicketQuery.from_params(query.to_params()) == query


async def test_a_ticket_page_shows_facts_and_history_within_coverage(
    town: Town, http: Http, client: BotClient, filed: dict[str, Ticket]
) -> None:
    await sign_in(town, http, HEAD)  # English
    hidden = filed["a1-hidden"]
    page = await http.get(f"/console/tickets/{hidden.id}")
    text = await page.text()
    assert page.status == 200 and f"#{hidden.number}" in text and "History" in text
    assert "Noise at night from 502" in text
    assert "Auntie" not in text  # the reporter hid their name
    shown = await (await http.get(f"/console/tickets/{filed['a1'].id}")).text()
    assert "Auntie" in shown
    # Another building's ticket and a ticket that does not exist: the same "not found".
    other = await http.get(f"/console/tickets/{filed['a2'].id}")
    assert other.status == 404 and "Ticket not found" in await other.text()
    assert (await http.get("/console/tickets/999999")).status == 404
    assert (await http.get("/console/tickets/abc")).status == 404
    town.users[ADMIN_ID] = client.user(ADMIN_ID, "en", "Boss")
    async with make_http(client) as admin:
        await sign_in(town, admin, ADMIN_ID)
        assert (await admin.get(f"/console/tickets/{filed['a2'].id}")).status == 200


async def test_search_finds_words_inside_descriptions(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    chinese = await file(town, STRANGER, "三楼楼道灯坏了，晚上很黑")
    await sign_in(town, http, OFFICE)
    assert await listed(http, "?q=楼道灯") == [chinese.number]  # no spaces between the words
    assert await listed(http, "?q=lift") == [filed["a2"].number]  # any case
    assert await listed(http, "?q=50%25") == []  # "%" is a character, not a wildcard
    assert len(await listed(http, "?q=")) == 5


async def test_a_nul_typed_into_the_search_is_left_out_not_a_server_error(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    """ "%00" in the search (a hand-edited URL, a paste): SQLite's full-text index took it for
    the end of the phrase and the list and its download were a 500. A NUL means nothing in
    words (PostgreSQL drops it from every text too): the search is for the rest."""
    await sign_in(town, http, OFFICE)
    assert await listed(http, "?q=Stair%00%20light") == [filed["a1"].number]
    assert await listed(http, "?q=Li%00ft") == [filed["a2"].number]
    assert len(await listed(http, "?q=%00%00%00")) == 4  # nothing left: no search
    download = await http.get("/console/export/tickets.csv?q=Stair%00%20light")
    assert download.status == 200
    assert b"Stair light broken" in await download.read()


async def test_search_finds_notes_replies_and_short_chinese(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    """The history's words are found too (a resolve note, a reply relayed to the resident),
    through the trigram index from three characters and by a scan below; ``%`` and ``_`` are
    characters."""
    services = town.world.services
    head = await town.person(HEAD)
    a1, hidden = filed["a1"], filed["a1-hidden"]
    await services.ticket_actions.take(head, a1.id)
    await services.ticket_actions.resolve(head, a1.id, "换了新灯泡 bulb_50%")
    await services.ticket_actions.reply(
        head, hidden.id, Content(text="物业明天上门 check the window")
    )
    chinese = await file(town, STRANGER, "电梯门关不上")
    await sign_in(town, http, OFFICE)
    assert await listed(http, "?q=新灯泡") == [a1.number]  # a resolve note, 3 characters
    assert await listed(http, "?q=灯泡") == [a1.number]  # 2 characters: the LIKE scan
    assert await listed(http, "?q=BULB") == [a1.number]
    assert await listed(http, "?q=b_50%25") == [a1.number]  # literal "_" and "%"
    assert await listed(http, "?q=b%2550") == []  # "%" is no wildcard (b%50)
    assert await listed(http, "?q=x_5") == []
    assert await listed(http, "?q=明天上门") == [hidden.number]  # a reply
    assert await listed(http, "?q=window") == [hidden.number]
    assert await listed(http, "?q=电梯") == [chinese.number]
    assert await listed(http, "?q=电梯门关") == [chinese.number]
    assert await listed(http, "?q=电梯门开") == []
    assert await listed(http, '?q="stair') == []  # a quote is a character, not FTS syntax
    # The index follows what changes: a description that is rewritten is found by its new
    # words only.
    async with town.world.db.session() as session:
        row = await session.get(Ticket, chinese.id)
        assert row is not None
        row.description = "电梯按钮失灵"
        await session.commit()
    assert await listed(http, "?q=按钮失灵") == [chinese.number]
    assert await listed(http, "?q=电梯门关") == []


async def walk(town: Town, query: TicketQuery, size: int = 1) -> tuple[list[int], list[int]]:
    """Every page forwards by ``next_cursor``, then back from the last by ``prev_cursor``:
    the numbers in the order read (the backward walk's pages put back in list order)."""
    search = town.world.services.ticket_search
    everything = Coverage(admin=True)
    forwards: list[int] = []
    page = await search.page(everything, query, None, size)
    assert page.prev_cursor is None  # the first page has no previous one
    while True:
        forwards += [row.found.ticket.number for row in page.rows]
        if page.next_cursor is None:
            break
        page = await search.page(everything, query, page.next_cursor, size)
    backwards: list[int] = [row.found.ticket.number for row in page.rows]
    while page.prev_cursor is not None:
        page = await search.page(everything, query, None, size, before=page.prev_cursor)
        backwards = [row.found.ticket.number for row in page.rows] + backwards
    return forwards, backwards


async def test_columns_sort_with_keyset_pages_both_ways(
    town: Town, http: Http, clock: FakeClock, filed: dict[str, Ticket]
) -> None:
    n = {key: t.number for key, t in filed.items()}
    head2 = await town.person(HEAD2)
    await town.world.services.ticket_actions.take(head2, filed["a2"].id)  # the latest change
    expected = {
        "newest": [n["a1-hidden"], n["b1"], n["a2"], n["a1"]],
        "oldest": [n["a1"], n["a2"], n["b1"], n["a1-hidden"]],
        "updated": [n["a2"], n["a1-hidden"], n["b1"], n["a1"]],
        # By the building's code (A1, A2, B1), the newest first within one.
        "building": [n["a1-hidden"], n["a1"], n["a2"], n["b1"]],
        # Waiting ones first (new), then taken.
        "status": [n["a1-hidden"], n["b1"], n["a1"], n["a2"]],
    }
    for sort, order in expected.items():
        query = TicketQuery(sort=sort)
        assert await walk(town, query) == (order, order), sort
        assert await walk(town, query, size=3) == (order, order), sort
    await sign_in(town, http, OFFICE)
    for sort, order in expected.items():
        assert await listed(http, f"?sort={sort}") == order
    assert await listed(http, "?sort=nonsense") == expected["newest"]
    # The headings are links that order by their column, the filters kept.
    page = await (await http.get("/console/tickets?status=new&sort=status")).text()
    assert 'href="/console/tickets?status=new&amp;sort=building"' in page
    assert 'href="/console/tickets?status=new&amp;sort=newest"' in page  # "Created"
    assert (
        page.count("aria-sort=") == 1
        and 'aria-sort="ascending"><a href="/console/tickets?status=new&amp;sort=status"' in page
    )
    # Next, then previous, over HTTP: back where it started; a foreign cursor starts over.
    search = town.world.services.ticket_search
    first = await search.page(Coverage(admin=True), TicketQuery(sort="building"), None, 2)
    second = await http.get(f"/console/tickets?sort=building&after={first.next_cursor}")
    text = await second.text()
    assert numbers(text) == expected["building"][2:]
    back = re.search(r'href="([^"]+)"[^>]*rel="prev"', text)
    assert back is not None and "上一页" in text  # the office reads Chinese
    assert (
        await listed(http, back[1].replace("&amp;", "&").removeprefix("/console/tickets"))
        == (expected["building"])
    )
    assert await listed(http, f"?sort=status&after={first.next_cursor}") == expected["status"]


async def test_dates_at_the_calendars_ends_are_ignored_or_refused_not_a_server_error(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    """A date typed into the URL at the calendar's very ends: the day after 9999-12-31, or
    0001-01-01 in UTC from Asia/Shanghai, do not exist (a 500). The list (and its download)
    ignores such a date like any other nonsense; Numbers and the monthly report say why."""
    await sign_in(town, http, OFFICE)
    for query in ("?to=9999-12-31", "?from=0001-01-01", "?from=0001-01-01&to=9999-12-31"):
        assert len(await listed(http, query)) == 4, query
        download = await http.get("/console/export/tickets.csv" + query)
        assert download.status == 200, query
        assert (await download.read()).count(b"\r\n") == 5, query  # the header and four rows
    for path in (
        "/console/numbers?from=9999-12-30&to=9999-12-31",
        "/console/numbers?from=0001-01-01&to=0001-01-02",
        "/console/export/month.xlsx?community=1&month=0001-01",
    ):
        refused = await http.get(path)
        assert refused.status == 400, path
        assert "不是日期" in await refused.text(), path  # in the office's own language
