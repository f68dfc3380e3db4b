"""Volunteering in WeChat, driven as the people would: a resident follows the account through
A1's poster QR; the head announces a tree planting in Telegram's /activity; the WeChat resident
gets the announcement with a "Sign up" msgmenu choice, taps it, is signed up and gets a
"Cancel my sign-up" choice, taps that and the place is free again. A forged id (an activity that
does not exist), a stale one (cancelling twice) and a stranger's tap (following without a
building) are refused in words and change nothing. Out of the 48-hour window the announcement
is the template message opening the resident's own activity page, where they sign up and
cancel (WeChat: tests/fakewechat.py)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from sqlalchemy import select

from storage.db import Database
from storage.models import VolunteerSignup
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
from tests.test_web_door import EN, form_fields
from tests.test_web_push import config, push_service
from tests.waiting import eventually
from wechat.callback import TASKS

__all__ = ["config", "fake", "fake_url", "http", "push_service", "worker", "world"]

STRANGER = "o-stranger-9"


async def signups(db: Database) -> list[tuple[int, bool]]:
    async with db.session() as session:
        found = await session.scalars(select(VolunteerSignup).order_by(VolunteerSignup.id))
        return [(s.activity_id, s.cancelled_at is None) for s in found]


async def settled(http: Http) -> None:
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")


async def announce(world: World) -> None:
    head = world.client.user(HEAD_ID, "en", "Head")
    await world.client.send(head, "/activity")
    form = "Tree planting\nGarden behind A1\n2026-12-05 09:00\n2\n2"
    summary = [s for s in await world.client.send(head, form) if s.buttons][-1]
    await world.client.click(head, summary, "✅ Announce")


async def test_a_wechat_resident_signs_up_and_cancels_with_choices(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    driver = Driver(http, fake)
    assert await driver.subscribe(STRANGER, "", 2) == (200, "success")  # no building
    await settled(http)
    await deliver(worker)
    fake.wrote(OPENID)
    await announce(world)
    await deliver(worker)

    [(to, menu)] = [(o, m) for o, m in fake.menus if "Tree planting" in m["head_content"]]
    assert to == OPENID and [i["content"] for i in menu["list"]] == ["🙋 报名"]
    await driver.choose(OPENID, "🙋 报名", 2001)
    await settled(http)
    await deliver(worker)
    assert await signups(world.db) == [(1, True)]
    to, signed = fake.menus[-1]
    assert to == OPENID and "您已报名" in signed["head_content"]
    assert [i["id"] for i in signed["list"]] == ["act.1.leave"]

    # Signing up twice changes nothing.
    before = len(fake.texts)
    await driver.text(OPENID, "🙋 报名", 2002, menu_id="act.1.join")
    await settled(http)
    await deliver(worker)
    [(_, said)] = fake.texts[before:]
    assert said.startswith("抱歉") and "您已报名“Tree planting”" in said, said
    assert await signups(world.db) == [(1, True)]

    await driver.choose(OPENID, signed["list"][0]["content"], 2003)
    await settled(http)
    await deliver(worker)
    assert await signups(world.db) == [(1, False)]
    assert "您已取消" in fake.texts[-1][1]

    # Forged, stale and a stranger's: refused in words, nothing changes.
    for openid, menu_id, msg, reason in (
        (OPENID, "act.99.join", 2004, "此活动面向其他楼栋"),
        (OPENID, "act.1.leave", 2005, "您没有报名此活动"),
        (STRANGER, "act.1.join", 2006, "此活动面向其他楼栋"),
    ):
        before = len(fake.texts)
        await driver.text(openid, "🙋 报名", msg, menu_id=menu_id)
        await settled(http)
        await deliver(worker)
        [(to, said)] = fake.texts[before:]
        assert to == openid and said.startswith("抱歉") and reason in said, said
        assert await signups(world.db) == [(1, False)]


async def page_path(http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery) -> str:
    """The resident (and a stranger) follow in WeChat; the activity is announced after the
    resident's 48-hour window closed: the path of the page its template opens."""
    await joined_in_wechat(http, fake, world)
    driver = Driver(http, fake)
    assert await driver.subscribe(STRANGER, "", 2) == (200, "success")
    await settled(http)
    await deliver(worker)
    world.clock.advance(hours=49)  # the resident's window has closed
    await announce(world)
    await deliver(worker)
    assert fake.refused == []
    [template] = [t for t in fake.templates if t["touser"] == OPENID]
    path = str(urlsplit(template["url"]).path)
    assert path.startswith("/door/activity/1/")
    return path


async def test_out_of_the_window_the_template_opens_the_activitys_page(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    path = await page_path(http, fake, world, worker)

    page = await http.get(path, headers=EN)
    html = await page.text()
    assert page.status == 200 and "Tree planting" in html and "Places left: 2" in html
    joined = await http.post(path, data=dict(form_fields(html, path)), headers=EN)
    html = await joined.text()
    assert joined.status == 200 and "You are signed up for “Tree planting”" in html
    assert await signups(world.db) == [(1, True)]
    assert "Places left: 1" in html and "Cancel my sign-up" in html
    left = await http.post(path, data=dict(form_fields(html, path)), headers=EN)
    assert "is cancelled" in await left.text()
    assert await signups(world.db) == [(1, False)]

    # A forged action, no CSRF token, a wrong key, a stranger's own link: nothing changes.
    fields = dict(form_fields(html, path))
    assert (await http.post(path, data={**fields, "action": "x"}, headers=EN)).status == 400
    assert (await http.post(path, data={"action": "join"}, headers=EN)).status == 403
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert (await http.get(forged, headers=EN)).status == 404
    assert (await http.post(forged, data={**fields, "action": "join"}, headers=EN)).status == 404
    stranger = await world.services.wechat.person_of(STRANGER)
    assert stranger is not None
    theirs = await world.services.door_activities.path(1, stranger.id)
    refused = await http.get(theirs, headers=EN)
    assert refused.status == 403 and "for other buildings" in await refused.text()
    assert await signups(world.db) == [(1, False)]


async def test_sign_up_sent_twice_is_answered_as_the_first_and_signs_up_once(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A double tap, or the browser sending the form again after a slow answer: the second
    "Sign up" gets the page the first got, not "already signed up"; one sign-up, one place."""
    path = await page_path(http, fake, world, worker)
    fields = dict(form_fields(await (await http.get(path, headers=EN)).text(), path))
    assert fields["action"] == "join"
    first = await http.post(path, data=fields, headers=EN)
    again = await http.post(path, data=fields, headers=EN)
    for answer in (first, again):
        html = await answer.text()
        assert answer.status == 200, html
        assert "You are signed up for “Tree planting”" in html and "already" not in html
        assert "Places left: 1" in html and "Cancel my sign-up" in html
    assert await signups(world.db) == [(1, True)]
    # Both at once: the same answer twice, still one sign-up.
    leave = dict(form_fields(await again.text(), path))
    assert leave["action"] == "leave"
    for _ in range(2):  # "Cancel my sign-up" sent twice: the first answer twice, no 409
        left = await http.post(path, data=leave, headers=EN)
        assert left.status == 200 and "is cancelled" in await left.text()
        assert await signups(world.db) == [(1, False)]
    answers = await asyncio.gather(*(http.post(path, data=fields, headers=EN) for _ in range(2)))
    for answer in answers:
        html = await answer.text()
        assert answer.status == 200 and "You are signed up for “Tree planting”" in html
        assert "Places left: 1" in html
    assert await signups(world.db) == [(1, True)]
