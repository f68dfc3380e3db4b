"""The join picker pages 8 buildings at a time; typing a building's number or name finds it
(issue "Trust" §7). The matching rules as a table, then the picker driven like a user."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services import Services
from bot.services.building_search import normalise, search
from bot.services.community import BuildingRow, parse_buildings_csv
from storage.db import Database
from storage.models import Building, Contact, Membership
from tests.botclient import BotClient, only, texts

EXAMPLE = Path(__file__).parent.parent / "examples" / "tangzhong.csv"
TANGZHONG = [
    (row.code, row.name) for row in parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("A-01", "a1"),
        ("ａ０１", "a1"),  # full width, as a Chinese keyboard types it
        ("１栋", "1栋"),
        ("1号楼", "1栋"),
        ("1 幢", "1栋"),
        ("TZ-A10", "tza10"),  # a zero inside a number stays
        ("B座 1203", "b座1203"),
    ],
)
def test_normalise(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("a01", ["TZ-A01"]),
        ("A-01", ["TZ-A01"]),
        ("tz-a01", ["TZ-A01"]),
        ("ＴＺ－Ａ０１", ["TZ-A01"]),
        ("b1", ["TZ-B01"]),
        ("塘中新村1栋", ["TZ-A01"]),  # a name exactly
        ("新村１栋", ["TZ-A01"]),
        ("新村1号楼", ["TZ-A01"]),
        ("1栋", ["TZ-A01", "TZ-C01", "TZ-G01"]),  # three estates have a 1栋
        ("翠湖苑", ["TZ-B01", "TZ-B02", "TZ-B03", "TZ-B04", "TZ-B05", "TZ-B06"]),
        ("南湖雅居a座", ["TZ-D01"]),
        ("8", ["TZ-A08", "TZ-C08"]),  # not "18号" of an address, not 8 inside 18
        ("99栋", []),
        ("-", []),
        ("", []),
    ],
)
def test_search_over_tangzhong(typed: str, found: list[str]) -> None:
    assert [code for code, _ in search(typed, TANGZHONG, key=lambda b: b)] == found


def test_a_number_is_not_cut_out_of_a_longer_one() -> None:
    buildings = [("X1", "东区1栋"), ("X11", "东区11栋"), ("X21", "东区21栋")]
    assert search("1栋", buildings, key=lambda b: b) == [("X1", "东区1栋")]
    assert search("11", buildings, key=lambda b: b) == [("X11", "东区11栋")]


# --------------------------------------------------------------------------- in chat


@pytest.fixture
async def tangzhong(services: Services) -> None:
    rows = parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    await services.community.import_buildings(rows)
    # The search finds the building; joining at once (not by approval) keeps these tests on it.
    await services.community.settings("塘中社区", {"join_policy": "open"})


async def joined(db: Database, user_id: int) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Building.code)
            .join(Membership, Membership.building_id == Building.id)
            .join(Contact, Contact.person_id == Membership.person_id)
            .where(Contact.channel == "telegram", Contact.address == str(user_id))
        )
        return list(rows)


async def test_typing_a_number_finds_the_building_and_joins(
    client: BotClient, db: Database, tangzhong: None
) -> None:
    resident = client.user(30, language="zh-hans")
    picker = only(await client.send(resident, "/start"))
    assert "也可以直接输入楼号或楼名" in picker.text
    found = only(await client.send(resident, "a-01"))
    assert found.text == "找到了。是这栋楼吗？"
    assert found.buttons == ["✅ 加入 塘中新村1栋 (TZ-A01)", "« 全部楼栋"]
    assert await joined(db, 30) == []  # found, not joined: the resident confirms
    sent = await client.click(resident, found, "✅ 加入 塘中新村1栋 (TZ-A01)")
    assert "您已加入 塘中社区 塘中新村1栋" in texts(sent)[-1]
    assert await joined(db, 30) == ["TZ-A01"]
    # The flat step follows as usual: a typed "3-502" is the flat, not a search.
    assert "已保存房号" in only(await client.send(resident, "3-502")).text


async def test_several_matches_are_a_page_and_none_is_a_polite_hint(
    client: BotClient, db: Database, tangzhong: None
) -> None:
    resident = client.user(31, language="en")
    picker = only(await client.send(resident, "/join"))
    several = only(await client.send(resident, "１栋"))
    assert several.text == "3 buildings match “１栋”:"
    assert several.buttons == [
        "塘中新村1栋 (TZ-A01)",
        "丽水花园1栋 (TZ-C01)",
        "碧桂苑1栋 (TZ-G01)",
        "« All buildings",
    ]
    none = only(await client.send(resident, "Building 99"))
    assert none.text.startswith("There is no building called “Building 99”.")
    assert "poster" in none.text
    assert "does not look like" in only(await client.send(resident, "x" * 500)).text
    assert "type its number" in only(await client.send(resident, None, sticker=STICKER)).text
    # Back to the whole list, and a pick from the search result still joins.
    back = only(await client.click(resident, several, "« All buildings"), "EditMessageText")
    assert back.buttons[:2] == ["塘中新村1栋 (TZ-A01)", "塘中新村2栋 (TZ-A02)"]
    await client.click(resident, several, "碧桂苑1栋 (TZ-G01)")
    assert await joined(db, 31) == ["TZ-G01"]
    assert len(picker.buttons) == 9  # the picker's own page is untouched


async def test_search_results_page_and_stale_pages_are_refused(
    client: BotClient, services: Services, tangzhong: None
) -> None:
    resident = client.user(32, language="en")
    await client.send(resident, "/start")
    many = only(await client.send(resident, "tz"))  # every one of the 36
    assert many.text == "36 buildings match “tz”:"
    assert many.buttons[-2:] == ["›", "« All buildings"]
    page2 = only(await client.click(resident, many, "›"), "EditMessageText")
    assert page2.buttons[0] == "翠湖苑1座 (TZ-B01)"  # the ninth, by code
    assert page2.buttons[-3:] == ["‹", "›", "« All buildings"]
    await client.send(resident, "/cancel")
    stale = await client.click(resident, many, "›")
    assert "no longer valid" in only(stale, "AnswerCallbackQuery").text
    # After /cancel a typed text is no search.
    assert "building called" not in only(await client.send(resident, "A01")).text


async def test_with_several_communities_the_search_covers_all_until_one_is_chosen(
    client: BotClient, services: Services, db: Database
) -> None:
    await services.community.import_buildings(
        [BuildingRow("东区社区", "E1", "东1栋", ""), BuildingRow("西区社区", "W1", "西1栋", "")]
    )
    for name in ("东区社区", "西区社区"):
        await services.community.settings(name, {"join_policy": "open"})
    resident = client.user(33, language="en")
    communities = only(await client.send(resident, "/join"))
    found = only(await client.send(resident, "1栋"))
    assert found.buttons == ["东1栋 (E1) · 东区社区", "西1栋 (W1) · 西区社区", "« All buildings"]
    west = only(await client.click(resident, communities, "西区社区"), "EditMessageText")
    assert "type its number or name" in west.text
    found = only(await client.send(resident, "1栋"))
    assert found.buttons == ["✅ Join 西1栋 (W1)", "« All buildings"]
    await client.click(resident, found, "✅ Join 西1栋 (W1)")
    assert await joined(db, 33) == ["W1"]


STICKER = {
    "file_id": "s",
    "file_unique_id": "s",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}
