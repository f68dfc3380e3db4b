"""The console's pages of community life, as the office and the heads use them over HTTP: the
votes of their area (turnout while open, the result with each threshold and the tallies once
closed, the street office's sheet as CSV and XLSX) and the volunteer activities with their
numbers. A head sees only their buildings'; another area's vote, a removed head and a visitor
without a session are refused; no page shows what a flat chose or who volunteered."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.services.flat_claims import FlatRow
from storage.models import Ballot, Building, Role, Vote
from tests.test_console import Http, http, make_http, sign_in
from tests.test_console_desk import admin_signs_in
from tests.test_ticket_handling import (
    HEAD,
    HEAD2,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    Town,
    client,
    one,
    town,
)
from tests.test_volunteering import FORM, SIGN_UP, organise
from tests.test_votes import QUESTION, THIRD, ballot_of, open_lift_vote, owners

__all__ = ["client", "http", "owners", "town"]  # fixtures

A2_QUESTION = "Paint the A2 stairwell?"


def main(html: str) -> str:
    """The page's own content (not the layout's tokens and names)."""
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found, html
    return found.group(0)


async def building(town: Town, code: str) -> Building:
    async with town.db.session() as session:
        found = await session.scalar(select(Building).where(Building.code == code))
        assert found is not None
        return found


async def vote_ids(town: Town) -> dict[str, int]:
    async with town.db.session() as session:
        return {v.question: v.id for v in await session.scalars(select(Vote))}


async def receipts(town: Town) -> list[str]:
    async with town.db.session() as session:
        return [b.receipt for b in await session.scalars(select(Ballot))]


async def two_votes(town: Town) -> dict[str, int]:
    """A1's lift vote opened by its head in chat (three of four owners cast: 2 Yes, 1 No) and
    a vote in A2 opened by its head."""
    await open_lift_vote(town)
    for who, choice in ((RESIDENT, "Yes"), (NEIGHBOUR, "Yes"), (THIRD, "No")):
        await town.click(who, await ballot_of(town, who), choice)
    services = town.world.services
    assert await services.flats.import_flats([FlatRow("A2", "201", "50")]) == 1
    a2 = await building(town, "A2")
    await services.votes.open_vote(
        await town.person(HEAD2), a2.id, A2_QUESTION, ["Blue", "Green"], "ordinary", 7
    )
    await town.deliver()
    return await vote_ids(town)


async def test_the_office_follows_a_vote_to_its_result_and_downloads_the_sheet(
    owners: Town, http: Http
) -> None:
    town = owners
    ids = await two_votes(town)
    lift = ids[QUESTION]
    await sign_in(town, http, OFFICE)  # a coordinator of the whole community (zh-hans)

    listed = await http.get("/console/votes")
    text = main(await listed.text())
    assert listed.status == 200 and 'href="/console/votes"' in await listed.text()
    assert QUESTION in text and A2_QUESTION in text
    row = re.search(rf'<tr class="vote" data-vote="{lift}">(.*?)</tr>', text, re.S)
    assert row is not None
    assert "塘中新村1栋" in row.group(1) and "重大事项" in row.group(1)
    assert "进行中" in row.group(1) and "2026-12-03" in row.group(1)  # 7 days, local time

    # Open: the turnout only; the tallies wait for the close.
    page = await http.get(f"/console/votes/{lift}")
    opened = main(await page.text())
    assert page.status == 200
    assert "参与表决业主人数：3 / 4（75.0%），要求 ≥ 2/3：达到" in opened
    assert "参与表决面积（平方米）：90.00 / 100.00（90.0%）" in opened
    assert "同意面积" not in opened and "户，" not in opened and "未通过" not in opened
    early = await http.get(f"/console/votes/{lift}/export.csv")
    assert early.status == 400 and "结束后才能下载" in await early.text()

    # Closed by the scheduler: the verdict, each threshold against its figure, the tallies.
    clock = town.world.clock
    async with town.db.session() as session:
        found = await session.get(Vote, lift)
        assert found is not None
        clock.now = found.deadline + timedelta(minutes=1)
    assert await town.world.services.votes.run() > 0
    await sign_in(town, http, OFFICE)  # a week later: the idle session has ended
    page = await http.get(f"/console/votes/{lift}")
    closed = main(await page.text())
    assert "❌ 未通过" in closed
    assert "同意面积（平方米）：80.00 / 90.00（88.9%），要求 ≥ 3/4：达到" in closed
    assert "同意业主人数：2 / 3（66.7%），要求 ≥ 3/4：未达到" in closed
    assert "同意：2 户，80.00 平方米" in closed and "不同意：1 户，10.00 平方米" in closed
    # Never a flat, a name or a receipt beside a choice.
    for secret in ("101", "102", "103", "Auntie", "Uncle", "Granny", *await receipts(town)):
        assert secret not in closed, secret

    # The sheet: tallies and turnout per flat, never what a flat chose.
    sheet = await http.get(f"/console/votes/{lift}/export.csv")
    assert sheet.status == 200
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="vote-{lift}.csv"'
    rows = list(csv.reader(io.StringIO((await sheet.read()).decode("utf-8-sig"))))
    assert rows[0] == ["楼栋", "A1 塘中新村1栋"] and rows[1] == ["表决事项", QUESTION]
    assert ["同意", "2", "80.00"] in rows and ["不同意", "1", "10.00"] in rows
    flats = {r[0]: r for r in rows if r and r[0] in ("101", "102", "103", "104")}
    assert flats["101"] == ["101", "60.00", "是", ""] and flats["104"][2] == "否"
    book = await http.get(f"/console/votes/{lift}/export.xlsx")
    assert book.status == 200
    cells = load_workbook(io.BytesIO(await book.read())).active
    assert cells is not None
    values = [[c for c in r if c is not None] for r in cells.iter_rows(values_only=True)]
    assert ["表决事项", QUESTION] in values and ["101", "60.00", "是"] in values


async def test_a_head_sees_only_their_buildings_votes(owners: Town, http: Http) -> None:
    town = owners
    ids = await two_votes(town)
    lift, a2 = ids[QUESTION], ids[A2_QUESTION]
    await sign_in(town, http, HEAD2)  # the head of A2 (en)
    listed = main(await (await http.get("/console/votes")).text())
    assert A2_QUESTION in listed and QUESTION not in listed
    assert "Ordinary matter" in listed and ">open<" in listed
    assert (await http.get(f"/console/votes/{a2}")).status == 200
    # A1's vote by its id, its sheet, or an id that is no number: refused alike.
    forged = await http.get(f"/console/votes/{lift}")
    assert forged.status == 403 and QUESTION not in await forged.text()
    assert "not allowed" in await forged.text()
    assert (await http.get(f"/console/votes/{lift}/export.xlsx")).status == 403
    assert (await http.get("/console/votes/99/export.csv")).status == 403
    assert (await http.get("/console/votes/x1")).status == 403

    # Removed from A2 mid-session: no access at the next click.
    await town.world.services.revoke.revoke(Role.HEAD, HEAD2, "A2")
    gone = await http.get("/console/votes", headers={"Accept-Language": "en"})
    assert gone.status == 403 and A2_QUESTION not in await gone.text()
    assert (await http.get(f"/console/votes/{a2}")).status == 403
    assert (await http.get("/console/activities")).status == 403

    # An admin sees every area's votes.
    await admin_signs_in(town, town.client, http)
    everywhere = main(await (await http.get("/console/votes")).text())
    assert QUESTION in everywhere and A2_QUESTION in everywhere
    assert (await http.get(f"/console/votes/{lift}")).status == 200


async def test_a_visitor_without_a_session_sees_nothing(owners: Town) -> None:
    town = owners
    await two_votes(town)
    # A resident cannot get a console session at all; without one every page is refused.
    sent = await town.send(RESIDENT, "/web")
    assert "/console" not in one(sent, RESIDENT).text
    async with make_http(town.client) as stranger:
        for path in ("/console/votes", "/console/votes/1", "/console/votes/1/export.csv"):
            page = await stranger.get(path)
            assert page.status == 401 and QUESTION not in await page.text()
        assert (await stranger.get("/console/activities")).status == 401


async def test_the_office_and_the_heads_see_the_activities_in_numbers(
    town: Town, http: Http
) -> None:
    # A1's head announces an activity in chat; the resident signs up, checks in, the head
    # confirms the hours. The office announces one to A2.
    await organise(town)
    delivered = await town.deliver()
    for who in (RESIDENT, NEIGHBOUR):
        await town.click(who, one(delivered, who), SIGN_UP)
    services = town.world.services
    a2 = await building(town, "A2")
    office = await town.person(OFFICE)
    await services.volunteering.publish(
        office, "Stairwell clean-up\nA2 lobby\n2026-11-28 10:00\n1.5\n3", [a2.id]
    )
    qr = one(await town.send(HEAD, "/checkin"), HEAD, "SendPhoto")
    found = re.search(r"start=(v[A-Za-z0-9_-]+)", qr.text)
    assert found
    town.world.clock.now = datetime(2026, 11, 27, 1, 10, tzinfo=UTC)  # 09:10 on the day
    await town.send(RESIDENT, f"/start {found.group(1)}")
    listed = one(await town.send(HEAD, "/activities"), HEAD)
    await town.click(HEAD, listed, "✅ Confirm hours")

    await sign_in(town, http, OFFICE)
    page = main(await (await http.get("/console/activities")).text())
    rows = re.findall(r'<tr class="activity" data-activity="\d+">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    # Newest (by start) first: A2's on the 28th, then the tree planting.
    assert "Stairwell clean-up" in rows[0] and "2026-11-28 10:00" in rows[0]
    assert "<td>3</td>" in rows[0] and "<td>0</td>" in rows[0] and "进行中" in rows[0]
    cells = re.findall(r"<td>(.*?)</td>", rows[1], re.S)
    assert "Tree planting" in cells[0] and "每人 2 小时" in cells[0]
    assert cells[1:] == ["2026-11-27 09:00", "2", "2", "1", "2 小时（1 名志愿者）", "时长已确认"]
    for name in ("Auntie", "Uncle"):
        assert name not in page, name

    # A1's head sees theirs only; A2's head theirs only.
    await sign_in(town, http, HEAD)
    mine = main(await (await http.get("/console/activities")).text())
    assert "Tree planting" in mine and "Stairwell clean-up" not in mine
    assert "<td>2 h (one volunteer)</td>" in mine and "Auntie" not in mine
    await sign_in(town, http, HEAD2)
    theirs = main(await (await http.get("/console/activities")).text())
    assert "Stairwell clean-up" in theirs and "Tree planting" not in theirs
    assert FORM.split("\n")[0] not in theirs
