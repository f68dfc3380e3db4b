"""The points page of the console, as the community office uses it: the year's ranking with
its downloads, the catalogue's forms (CSRF-guarded, each change a redirect back); a head or a
resident cannot use it, a forged item or a bad number changes nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import re

from sqlalchemy import select

from storage.models import Building, RewardItem, VoteRule
from tests.test_console import Http, http, sign_in
from tests.test_points import fixed, give, redeem
from tests.test_ticket_handling import HEAD, OFFICE, RESIDENT, Town, client, one, town

__all__ = ["client", "http", "town"]  # fixtures


async def items(town: Town) -> list[tuple[str, int, int, bool]]:
    async with town.db.session() as session:
        found = await session.scalars(select(RewardItem).order_by(RewardItem.id))
        return [(i.name, i.price, i.stock, i.active) for i in found]


async def test_the_office_ranks_exports_and_keeps_the_catalogue(town: Town, http: Http) -> None:
    await fixed(town)
    await give(town, RESIDENT, 3)
    token = await sign_in(town, http, OFFICE)
    page = await http.get("/console/points")
    text = await page.text()
    assert page.status == 200 and "2026 年楼长和志愿者排名" in text
    standing = re.findall(r'<tr class="standing">(.*?)</tr>', text, re.S)
    assert "Wang 100" in standing[0] and "<td>10</td>" in standing[0]
    # A resident who earned points is counted but not named: she serves no building.
    assert any("居民（未显示姓名）" in line and "<td>3</td>" in line for line in standing)
    assert "Auntie" not in text

    download = await http.get("/console/points/ranking.csv?community=1&year=2026")
    assert download.status == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="ranking-2026.csv"'
    rows = list(csv.reader(io.StringIO((await download.read()).decode("utf-8-sig"))))
    assert rows[0][:4] == ["名次", "姓名", "角色", "获得积分"] and rows[1][1:5] == [
        "Wang 100",
        "楼长",
        "10",
        "1",
    ]
    xlsx = await http.get("/console/points/ranking.xlsx?community=1&year=2026")
    assert xlsx.status == 200 and (await xlsx.read())[:2] == b"PK"

    # The catalogue: add, restock, withdraw.
    added = await http.post(
        "/console/points/catalogue",
        data={
            "csrf": token,
            "community": "1",
            "action": "add",
            "name": "Rice 5kg",
            "price": "8",
            "stock": "2",
        },
        allow_redirects=False,
    )
    assert (
        added.status == 303 and added.headers["Location"] == "/console/points?community=1&saved=1"
    )
    assert await items(town) == [("Rice 5kg", 8, 2, True)]
    await http.post(
        "/console/points/catalogue",
        data={"csrf": token, "community": "1", "action": "stock", "item": "1", "value": "5"},
    )
    assert await items(town) == [("Rice 5kg", 8, 5, True)]
    # The head spends the fix's points on it in chat; the page shows the stock.
    await redeem(town, HEAD, "🎁 Rice 5kg · 8")
    request = one(await town.deliver(), OFFICE)
    await town.click(OFFICE, request, "✅ 批准")
    assert "Rice 5kg：8 积分（剩 4 件）" in await (await http.get("/console/points")).text()
    await http.post(
        "/console/points/catalogue",
        data={"csrf": token, "community": "1", "action": "off", "item": "1"},
    )
    assert await items(town) == [("Rice 5kg", 8, 4, False)]

    # Bad numbers, a forged action or a form without its CSRF token change nothing.
    bad = await http.post(
        "/console/points/catalogue",
        data={"csrf": token, "community": "1", "action": "price", "item": "1", "value": "-3"},
    )
    assert bad.status == 400 and "请输入整数" in await bad.text()
    forged = await http.post(
        "/console/points/catalogue",
        data={"csrf": token, "community": "1", "action": "drop", "item": "1"},
    )
    assert forged.status == 403
    no_token = await http.post(
        "/console/points/catalogue",
        data={"community": "1", "action": "on", "item": "1"},
    )
    assert no_token.status == 403
    assert await items(town) == [("Rice 5kg", 8, 4, False)]


async def test_a_head_or_resident_has_no_points_desk(town: Town, http: Http) -> None:
    token = await sign_in(town, http, HEAD)
    page = await http.get("/console/points", headers={"Accept-Language": "en"})
    assert page.status == 400 and "Only the community office" in await page.text()
    assert (await http.get("/console/points/ranking.xlsx")).status == 400
    refused = await http.post(
        "/console/points/catalogue",
        data={
            "csrf": token,
            "community": "1",
            "action": "add",
            "name": "Gift",
            "price": "1",
            "stock": "1",
        },
    )
    assert refused.status == 400 and await items(town) == []
    # A resident cannot even sign in to the console.
    sent = await town.send(RESIDENT, "/web")
    assert "/console" not in one(sent, RESIDENT).text


async def test_names_of_control_characters_are_refused_and_kept_out(town: Town, http: Http) -> None:
    """A name pasted or forged as a NUL or a bell and nothing else passed the "not empty"
    check: the catalogue offered a blank item (PostgreSQL drops the NUL), a vote rule had no
    name, an estate an invisible one. Control characters are no part of a name now."""
    token = await sign_in(town, http, OFFICE)
    async with town.db.session() as session:
        a1 = await session.scalar(select(Building).where(Building.code == "A1"))
        assert a1 is not None
    for name in ("\x00", "\x07\x01", " \x00 "):
        item = {"action": "add", "name": name, "price": "5", "stock": "1"}
        refused = await http.post(
            "/console/points/catalogue", data={"csrf": token, "community": "1", **item}
        )
        assert refused.status == 400 and "名称" in await refused.text(), repr(name)
        rule = {"action": "add", "name": name, "turnout": "1/2", "approve": "1/2"}
        refused = await http.post(
            "/console/votes/rules", data={"csrf": token, "community": "1", **rule}
        )
        assert refused.status == 400 and "简短的名称" in await refused.text(), repr(name)
    assert await items(town) == []
    async with town.db.session() as session:
        assert list(await session.scalars(select(VoteRule))) == []
    # Around other words they are left out: the name is what one sees.
    item = {"action": "add", "name": "Rice\x00 5kg\x07", "price": "5", "stock": "1"}
    added = await http.post(
        "/console/points/catalogue",
        data={"csrf": token, "community": "1", **item},
        allow_redirects=False,
    )
    assert added.status == 303 and await items(town) == [("Rice 5kg", 5, 1, True)]
    saved = await http.post(
        f"/console/buildings/{a1.id}/estate",
        data={"csrf": token, "estate": "\x01翠竹\x00苑\x07"},
        allow_redirects=False,
    )
    assert saved.status == 303
    async with town.db.session() as session:
        building = await session.get(Building, a1.id)
        assert building is not None and building.estate == "翠竹苑"


async def test_a_double_click_on_add_writes_one_item_and_a_taken_name_is_said(
    town: Town, http: Http
) -> None:
    """A double click on "Add" (or the browser sending the form again) wrote the item twice:
    the resident saw two "Rice 5kg". The form's one-time key makes its second post answer as
    the first; another form with a name the catalogue has (any case, withdrawn too) is told so."""
    token = await sign_in(town, http, OFFICE)
    page = await (await http.get("/console/points")).text()
    [once] = re.findall(r'name="once" value="([^"]+)"', page)
    add = {
        "csrf": token,
        "community": "1",
        "action": "add",
        "name": "Rice 5kg",
        "price": "8",
        "stock": "2",
        "once": once,
    }
    # Both clicks at once, then the browser's resend: each answered as the first, one item.
    answers = await asyncio.gather(
        *(http.post("/console/points/catalogue", data=add, allow_redirects=False) for _ in "ab")
    )
    again = await http.post("/console/points/catalogue", data=add, allow_redirects=False)
    for answer in (*answers, again):
        assert answer.status == 303
        assert answer.headers["Location"] == "/console/points?community=1&saved=1"
    assert await items(town) == [("Rice 5kg", 8, 2, True)]

    # A fresh form (a new key) with the same name, whatever its case: refused, in Chinese.
    page = await (await http.get("/console/points")).text()
    [fresh] = re.findall(r'name="once" value="([^"]+)"', page)
    assert fresh != once
    taken = await http.post(
        "/console/points/catalogue", data={**add, "name": " rice  5KG ", "once": fresh}
    )
    assert taken.status == 400 and "目录中已有名为“rice 5KG”的物品" in await taken.text()
    # Withdrawn, the name is still the item's (the office offers it again instead).
    await http.post(
        "/console/points/catalogue",
        data={"csrf": token, "community": "1", "action": "off", "item": "1"},
    )
    taken = await http.post("/console/points/catalogue", data={**add, "once": fresh})
    assert taken.status == 400 and "目录中已有名为“Rice 5kg”的物品" in await taken.text()
    assert await items(town) == [("Rice 5kg", 8, 2, False)]
    # A forged key (too long, cut to the kept length) is no way around the name either.
    forged = await http.post("/console/points/catalogue", data={**add, "once": "x" * 40})
    assert forged.status == 400 and await items(town) == [("Rice 5kg", 8, 2, False)]


async def test_a_year_out_of_range_is_said_not_replaced_by_this_year(
    town: Town, http: Http
) -> None:
    """``?year=0000`` showed this year's ranking as if asked for: year 0 read as "no year".
    Every year the ranking cannot cover is answered as such, in the viewer's language."""
    await fixed(town)
    await sign_in(town, http, OFFICE)
    for year in ("0000", "0", "99999", "1999", "abc", "２０２６"):
        page = await http.get(f"/console/points?year={year}")
        text = await page.text()
        assert page.status == 400, year
        assert f"“{year}”不是排名可以统计的年份" in text and "年楼长和志愿者排名" not in text
        download = await http.get(f"/console/points/ranking.csv?year={year}")
        assert download.status == 400 and "Content-Disposition" not in download.headers
    assert (await http.get("/console/points?year=2026")).status == 200
