"""Downloads from the console: the tickets list with its current filters as CSV and XLSX (the
reporter as each ticket's consent allows, formula-looking texts written as text), and the
monthly report XLSX; for coordinators and admins, refused to a head with nothing written."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from bot.services.scheduling import sla_of
from bot.services.sla import local
from storage.models import Role, Ticket
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, FakeClock
from tests.test_console import Http, http, make_http, sign_in
from tests.test_console_desk import building, community, some_history
from tests.test_console_tickets import client, file, filed, town
from tests.test_console_tickets import listed as listed_numbers
from tests.test_ticket_handling import HEAD, OFFICE, RESIDENT, Town

__all__ = ["client", "filed", "http", "town"]  # fixtures

EN = {"Accept-Language": "en"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(body: bytes) -> Any:
    """openpyxl (with PIL and numpy) only when a test opens a file: importing it at collection
    would put it in sys.modules for test_scheduler's footprint check of the bot."""
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(body))


def export_link(page: str, kind: str) -> str:
    found = re.search(rf'href="(/console/export/tickets\.{kind}\?[^"]*)"', page)
    assert found, page[-2000:]
    return found.group(1).replace("&amp;", "&")


async def test_the_list_downloads_with_its_filters_as_xlsx_and_csv(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    await file(town, RESIDENT, '=HYPERLINK("http://evil.example","click")')
    await sign_in(town, http, OFFICE)
    a1 = await building(town, "A1")
    page = await (await http.get(f"/console/tickets?building={a1.id}&status=new")).text()
    xlsx = await http.get(export_link(page, "xlsx"))
    assert xlsx.status == 200 and xlsx.headers["Content-Type"] == XLSX
    assert "attachment" in xlsx.headers["Content-Disposition"]
    sheet = workbook(await xlsx.read()).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "编号" and header[9] == "问题描述"  # in the coordinator's language
    numbers = sorted(int(str(r[0])) for r in body)
    a1_numbers = sorted(filed[k].number for k in ("a1", "a1-hidden"))
    assert numbers[:2] == a1_numbers and len(numbers) == 3  # A1's, not A2's nor B1's
    hidden = next(r for r in body if r[0] == filed["a1-hidden"].number)
    assert "Auntie" not in [str(v) for v in hidden]  # the reporter chose to stay hidden
    shown = next(r for r in body if r[0] == filed["a1"].number)
    assert any("Auntie" in str(v) for v in shown)
    formula = next(c for c in sheet["J"] if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"  # a string cell, never run as a formula
    text = (await (await http.get(export_link(page, "csv"))).read()).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 4 and any(v.startswith("'=HYPERLINK") for v in lines[-1] + lines[1])


async def test_a_head_gets_no_download_and_a_forged_one_is_refused(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    await sign_in(town, http, HEAD)
    page = await (await http.get("/console/tickets")).text()
    assert "/console/export/" not in page
    refused = await http.get("/console/export/tickets.xlsx", headers=EN)
    assert refused.status == 400 and "Exports are for coordinators" in await refused.text()
    c = await community(town)
    month = await http.get(f"/console/export/month.xlsx?community={c.id}&month=2026-11")
    assert month.status == 400 and "Content-Disposition" not in month.headers


async def test_the_monthly_report_for_a_coordinator_and_an_admin(
    town: Town, http: Http, client: BotClient, clock: FakeClock
) -> None:
    await some_history(town, clock)
    await sign_in(town, http, OFFICE)
    numbers = await (await http.get("/console/numbers")).text()
    assert 'action="/console/export/month.xlsx"' in numbers
    c = await community(town)
    this_month = local(clock(), sla_of(c)).date().strftime("%Y-%m")
    report = await http.get(f"/console/export/month.xlsx?community={c.id}&month={this_month}")
    assert report.status == 200 and report.headers["Content-Type"] == XLSX
    book = workbook(await report.read())
    cells = [str(v) for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r]
    assert any("A1" in v for v in cells) and any(v == "4" for v in cells)  # four reported
    later = local(clock() + timedelta(days=62), sla_of(c)).date().strftime("%Y-%m")
    future = await http.get(
        f"/console/export/month.xlsx?community={c.id}&month={later}", headers=EN
    )
    assert future.status == 400
    # The last month a date can have: no month after it to end the window (it was a 500).
    last = await http.get(f"/console/export/month.xlsx?community={c.id}&month=9999-12")
    assert last.status == 400 and "9999-12 还没有开始" in await last.text()
    bad = await http.get(f"/console/export/month.xlsx?community={c.id}&month=soon", headers=EN)
    assert bad.status == 400 and "不是日期" in await bad.text()  # the coordinator's Chinese
    town.users[ADMIN_ID] = client.user(ADMIN_ID, "en", "Boss")
    async with make_http(client) as desk:
        await sign_in(town, desk, ADMIN_ID)
        done = await desk.get(f"/console/export/month.xlsx?community={c.id}&month={this_month}")
        assert done.status == 200


async def test_a_coordinator_who_also_heads_a_building_downloads_only_their_area(
    town: Town, http: Http, filed: dict[str, Ticket]
) -> None:
    """The head of A1 made coordinator of B1 lists A1's tickets and B1's (they act on both),
    but a download is a coordinator's: it held A1's too, with the residents' names as their
    consent allows the head. It holds B1's now, and the list says so."""
    await town.world.appoint(town.users[HEAD], Role.COORDINATOR, "B1")
    await sign_in(town, http, HEAD)
    page = await (await http.get("/console/tickets", headers=EN)).text()
    listed = {filed[k].number for k in ("a1", "a1-hidden", "b1")}
    assert "not in it" in page  # the list says what the download leaves out
    text = (await (await http.get(export_link(page, "csv"))).read()).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))[1:]
    assert [int(line[0]) for line in lines] == [filed["b1"].number]
    xlsx = await http.get(export_link(page, "xlsx"))
    sheet = workbook(await xlsx.read()).active
    assert sheet is not None
    assert [int(str(r[0])) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        filed["b1"].number
    ]
    # A1's tickets are still on the page; forged filters bring none into the file.
    assert set(await listed_numbers(http)) == listed
    a1 = await building(town, "A1")
    for forged in (f"?building={a1.id}", f"?building={a1.id}&status=new", "?q=Stair"):
        body = await http.get("/console/export/tickets.csv" + forged)
        rows = list(csv.reader(io.StringIO((await body.read()).decode("utf-8-sig"))))[1:]
        assert rows == [], forged


async def test_a_plain_coordinator_and_an_admin_are_told_nothing_is_left_out(
    town: Town, http: Http, client: BotClient, filed: dict[str, Ticket]
) -> None:
    await sign_in(town, http, OFFICE)
    page = await (await http.get("/console/tickets")).text()
    assert "/console/export/tickets.csv" in page and "仅担任楼长" not in page
    town.users[ADMIN_ID] = client.user(ADMIN_ID, "en", "Boss")
    async with make_http(client) as admin:
        await sign_in(town, admin, ADMIN_ID)
        page = await (await admin.get("/console/tickets", headers=EN)).text()
        assert "/console/export/tickets.csv" in page and "not in it" not in page
