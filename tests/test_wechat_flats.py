"""Claiming a flat in WeChat, driven as the people would: a resident follows the account through
A1's poster QR and types "我的房号 101"; the head confirms in Telegram's /flats and the owner is
told in WeChat. Typing "我的房号" alone lists the building's unowned flats as msgmenu choices
(there are few); a head who linked their WeChat gets the claim with Confirm owner / Decline
choices and decides there. A flat not on the list, a flat confirmed as somebody else's, a
follower without a building, a forged or stale choice: refused in words, nothing changes
(WeChat: tests/fakewechat.py)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.services.flat_claims import FlatRow
from storage.db import Database
from storage.models import Flat, FlatClaim, Person
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import Driver, FakeWeChat
from tests.test_notice_doors import (
    HEAD_ID,
    OPENID,
    Http,
    deliver,
    fake,
    fake_url,
    http,
    joined_in_wechat,
    worker,
    world,
)
from tests.test_web_push import config, push_service
from tests.waiting import eventually
from wechat.callback import TASKS

__all__ = ["config", "fake", "fake_url", "http", "push_service", "worker", "world"]

NEIGHBOUR = "o-neighbour-2"
STRANGER = "o-stranger-9"
HEAD_OPENID = "o-head-1"


async def settled(http: Http) -> None:
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")


async def person_of(world: World, openid: str) -> Person:
    person = await world.services.wechat.person_of(openid)
    assert person is not None
    return person


async def owners(db: Database) -> dict[str, int | None]:
    async with db.session() as session:
        return {f.code: f.owner_id for f in await session.scalars(select(Flat))}


async def claims(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(FlatClaim)) or 0)


async def said(http: Http, fake: FakeWeChat, worker: TelegramDelivery, openid: str) -> str:
    """What the door answered ``openid`` since the last call (one text)."""
    await settled(http)
    before = len(fake.texts)
    await deliver(worker)
    mine = [text for to, text in fake.texts[before:] if to == openid]
    assert len(mine) == 1, mine
    return mine[0]


async def setting(http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery) -> Driver:
    """A1's flats imported (and one of A2); the resident and a neighbour follow through A1's
    poster; a stranger follows without a building."""
    await joined_in_wechat(http, fake, world)
    driver = Driver(http, fake)
    assert await driver.subscribe(NEIGHBOUR, world.payloads["A1"][1:], 2) == (200, "success")
    assert await driver.subscribe(STRANGER, "", 3) == (200, "success")
    await settled(http)
    rows = [FlatRow("A1", "101", "60"), FlatRow("A1", "102", "40"), FlatRow("A2", "201", "50")]
    assert await world.services.flats.import_flats(rows) == 3
    await deliver(worker)
    return driver


async def test_a_wechat_resident_claims_by_typing_and_the_telegram_head_confirms(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    driver = await setting(http, fake, world, worker)
    resident = await person_of(world, OPENID)

    await driver.text(OPENID, "我的房号 101", 1001)
    assert "楼长会确认您是 101 号房的业主" in await said(http, fake, worker, OPENID)
    head = world.client.user(HEAD_ID, "en", "Head")
    [card] = [s for s in await world.client.send(head, "/flats") if s.buttons]
    assert "says they own flat 101" in card.text
    await world.client.click(head, card, "✅ Confirm owner")
    assert "楼长已确认您是 塘中新村1栋 101 号房的业主" in await said(http, fake, worker, OPENID)
    assert (await owners(world.db))["101"] == resident.id

    # Bad flat, someone else's confirmed flat, a waiting claim again, one's own, a stranger.
    count = await claims(world.db)
    for openid, words, msg, reason in (
        (OPENID, "flat 999", 1002, "没有 999 号房"),
        (NEIGHBOUR, "我的房号 101", 1003, "101 号房已确认为其他业主所有"),
        (NEIGHBOUR, "房号 201", 1004, "没有 201 号房"),  # another building's
        (OPENID, "flat 101", 1005, "101 号房已确认是您的"),
        (STRANGER, "我的房号 101", 1006, "您还没有加入楼栋"),
    ):
        await driver.text(openid, words, msg)
        answer = await said(http, fake, worker, openid)
        assert answer.startswith("抱歉") and reason in answer, answer
    assert await claims(world.db) == count
    assert await owners(world.db) == {"101": resident.id, "102": None, "201": None}

    # A report that starts with "flat" is still a report (no number in it).
    await driver.text(NEIGHBOUR, "flat roof leaking", 1007)
    await settled(http)
    await deliver(worker)
    to, asked = fake.menus[-1]
    assert to == NEIGHBOUR and "flat roof leaking" not in asked["head_content"]
    assert await claims(world.db) == count


async def test_a_flat_number_far_too_long_is_refused_like_any_bad_flat(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    driver = await setting(http, fake, world, worker)
    head_before = len(world.client.session.requests)
    for msg, words in enumerate(("我的房号 " + "1" * 100, "1" * 100 + "室"), start=3001):
        await driver.text(OPENID, words, msg)
        answer = await said(http, fake, worker, OPENID)
        assert answer.startswith("抱歉") and "这看起来不像房号" in answer, answer
    assert await claims(world.db) == 0
    assert await owners(world.db) == {"101": None, "102": None, "201": None}
    # Nothing reached the head in chat (no relayed message, no claim card).
    assert len(world.client.session.requests) == head_before


async def test_a_flat_chosen_from_the_menu_and_a_wechat_head_decides_there(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    driver = await setting(http, fake, world, worker)
    head = world.client.user(HEAD_ID, "en", "Head")
    [code_message] = await world.client.send(head, "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text(HEAD_OPENID, code.group(), 2001)
    await settled(http)
    await deliver(worker)
    neighbour = await person_of(world, NEIGHBOUR)

    await driver.text(NEIGHBOUR, "我的房号", 2002)
    await settled(http)
    await deliver(worker)
    to, menu = fake.menus[-1]
    assert to == NEIGHBOUR and "请在下面选择" in menu["head_content"]
    assert [i["content"] for i in menu["list"]] == ["101", "102"]  # A1's, none of A2's
    await driver.choose(NEIGHBOUR, "102", 2003)
    assert "102 号房" in await said(http, fake, worker, NEIGHBOUR)

    to, card = fake.menus[-1]
    assert to == HEAD_OPENID and "own flat 102 in 塘中新村1栋" in card["head_content"]
    assert [i["content"] for i in card["list"]] == ["✅ Confirm owner", "❌ Decline"]
    claim_id = card["list"][0]["id"]

    # The resident cannot decide their own claim, nor claim A2's flat by a forged id.
    ids = await flat_ids(world.db)
    for openid, menu_id, msg, reason in (
        (NEIGHBOUR, claim_id, 2004, "没有权限"),
        (NEIGHBOUR, f"flat.{ids['201']}", 2005, "没有"),
        (NEIGHBOUR, "flat.99999", 2006, "没有"),
        (HEAD_OPENID, "claim.99999.yes", 2007, "not allowed"),
    ):
        await driver.text(openid, "x", msg, menu_id=menu_id)
        answer = await said(http, fake, worker, openid)
        assert reason in answer, answer
    assert await owners(world.db) == {"101": None, "102": None, "201": None}

    # "flats" lists the waiting claims again (Telegram's /flats), with the same choices;
    # a resident has none to decide.
    await driver.text(HEAD_OPENID, "flats", 2010)
    await settled(http)
    await deliver(worker)
    to, again = fake.menus[-1]
    assert to == HEAD_OPENID and again["list"] == card["list"]
    await driver.text(NEIGHBOUR, "房号认领", 2011)
    assert "没有权限" in await said(http, fake, worker, NEIGHBOUR)
    await driver.choose(HEAD_OPENID, "✅", 2008)
    answers = await settled_texts(http, fake, worker)
    assert any(to == HEAD_OPENID and "Confirmed as owner" in text for to, text in answers)
    assert any(to == NEIGHBOUR and "102 号房的业主" in text for to, text in answers)
    assert (await owners(world.db))["102"] == neighbour.id

    # Stale: the claim was decided.
    await driver.text(HEAD_OPENID, "❌ Decline", 2009, menu_id=claim_id.replace("yes", "no"))
    assert "already decided" in await said(http, fake, worker, HEAD_OPENID)
    assert (await owners(world.db))["102"] == neighbour.id


async def settled_texts(
    http: Http, fake: FakeWeChat, worker: TelegramDelivery
) -> list[tuple[str, str]]:
    await settled(http)
    before = len(fake.texts)
    await deliver(worker)
    return fake.texts[before:]


async def flat_ids(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {f.code: f.id for f in await session.scalars(select(Flat))}


async def test_many_flats_are_typed_and_the_chosen_words_vary(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    driver = await setting(http, fake, world, worker)
    rows = [FlatRow("A1", f"3-{n}", "50") for n in range(1, 10)]
    assert await world.services.flats.import_flats(rows) == 9
    menus = len(fake.menus)
    await driver.text(NEIGHBOUR, "Flat", 5001)
    assert "例如：我的房号 502" in await said(http, fake, worker, NEIGHBOUR)
    assert len(fake.menus) == menus  # eleven unowned flats: no menu, the number is typed
    await driver.text(NEIGHBOUR, "我的房号是3-7", 5002)
    assert "3-7 号房" in await said(http, fake, worker, NEIGHBOUR)
    await driver.text(NEIGHBOUR, "my flat: 3-7", 5003)
    answer = await said(http, fake, worker, NEIGHBOUR)
    assert answer.startswith("抱歉") and "正在等楼长确认" in answer, answer
    assert await claims(world.db) == 1


async def test_a_flat_typed_with_full_width_digits_or_as_502_room_is_claimed(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A Chinese keyboard's full-width digits ("房号 １０２") and the way a parcel is addressed
    ("101室", the number and "room" alone) claim the flat as "我的房号 102" does."""
    driver = await setting(http, fake, world, worker)
    await driver.text(NEIGHBOUR, "房号 １０２", 6001)
    assert "楼长会确认您是 102 号房的业主" in await said(http, fake, worker, NEIGHBOUR)
    await driver.text(OPENID, "101室", 6002)
    assert "楼长会确认您是 101 号房的业主" in await said(http, fake, worker, OPENID)
    assert await claims(world.db) == 2


async def test_a_wechat_heads_flats_come_a_page_at_a_time_with_show_more(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """Nine neighbours claim their flats at once. "flats" sent the head every waiting claim in
    a row, and WeChat refuses a sixth message after one of the person's (45047): the rest went
    as templates with no choices. Now it sends four, then a "Show more" choice (five messages),
    and each tap the next four; a claim decided on an earlier page skips nothing, and a Show
    more tapped when none are left says so."""
    await joined_in_wechat(http, fake, world)
    driver = Driver(http, fake)
    codes = [f"{1001 + n}" for n in range(9)]
    rows = [FlatRow("A1", code, "50") for code in codes]
    assert await world.services.flats.import_flats(rows) == 9
    head = world.client.user(HEAD_ID, "en", "Head")
    [code_message] = await world.client.send(head, "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text(HEAD_OPENID, code.group(), 3001)
    for n, flat in enumerate(codes):
        await driver.subscribe(f"o-claimant-{n}", world.payloads["A1"][1:], 10 + n)
        await driver.text(f"o-claimant-{n}", f"我的房号 {flat}", 3100 + n)
    await settled(http)
    await deliver(worker)

    async def page(msg_id: int, menu_id: str = "") -> list[dict[str, object]]:
        refused, menus = len(fake.refused), len(fake.menus)
        await driver.text(
            HEAD_OPENID, "flats" if not menu_id else "Show more ›", msg_id, menu_id=menu_id
        )
        await settled(http)
        await deliver(worker)
        assert fake.refused[refused:] == []
        return [menu for to, menu in fake.menus[menus:] if to == HEAD_OPENID]

    def flats_of(menus: list[dict[str, object]]) -> list[str]:
        return [str(m["head_content"]).split("own flat ")[1].split(" ")[0] for m in menus]

    first = await page(3201)
    assert len(first) == 5 and flats_of(first[:4]) == codes[:4]
    more = first[-1]
    assert "More claims are waiting" in str(more["head_content"])
    [(more_id, label)] = [(i["id"], i["content"]) for i in more["list"]]  # type: ignore[attr-defined]
    assert label == "Show more ›"
    # The page's first claim confirmed before turning the page: nothing after it is skipped.
    confirm = first[0]["list"][0]["id"]  # type: ignore[index]
    await driver.text(HEAD_OPENID, "✅ Confirm owner", 3202, menu_id=confirm)
    assert "Confirmed as owner" in await said(http, fake, worker, HEAD_OPENID)
    second = await page(3203, more_id)
    assert len(second) == 5 and flats_of(second[:4]) == codes[4:8]
    third = await page(3204, second[-1]["list"][0]["id"])  # type: ignore[index]
    assert flats_of(third) == codes[8:]  # the last page: no Show more
    async with world.db.session() as session:
        query = select(func.count()).select_from(FlatClaim).where(FlatClaim.status == "pending")
        assert await session.scalar(query) == 8
    # A Show more after the last claim (a forged one too): said, nothing sent.
    await driver.text(HEAD_OPENID, "Show more ›", 3205, menu_id=f"claims.{10**9}")
    assert "No more claims are waiting" in await said(http, fake, worker, HEAD_OPENID)
