"""Checking in at an activity and muting a building's notices in WeChat, driven as the people
would. Check-in: the head announces a tree planting in Telegram, the WeChat resident signs up
with its choice; at the event the organiser's /checkin shows the Telegram QR and, the WeChat
door being on, a parametric WeChat QR (``qrcode/create``, scene ``checkin.<token>``); the
resident scans it in WeChat (a SCAN event) and is checked in with the hours credited. Too early,
twice, not signed up, a forged scene, a new follower through that QR: answered in words, nothing
credited twice. Muting: a non-urgent notice comes with a "mute" msgmenu choice; a tap mutes the
building (the next notice does not come), typing "恢复通知" unmutes, "静音通知" mutes again;
a forged choice for another building and a follower without a building are refused in words
(WeChat: tests/fakewechat.py)."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import NoticeMute, ServiceHours, VolunteerActivity
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import APP_ID, APP_SECRET, Driver, FakeWeChat
from tests.test_notice_doors import (
    HEAD_ID,
    OPENID,
    WATER,
    Http,
    deliver,
    fake,
    fake_url,
    http,
    joined_in_wechat,
    worker,
    world,
    write_notice,
)
from tests.test_web_push import config, push_service
from tests.test_wechat_activities import announce
from tests.waiting import eventually
from wechat.api import WeChatApi
from wechat.callback import TASKS

__all__ = ["config", "fake", "fake_url", "http", "push_service", "worker", "world"]

NEIGHBOUR = "o-neighbour-2"
STRANGER = "o-stranger-9"
NEWCOMER = "o-newcomer-3"


async def settled(http: Http) -> None:
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")


async def said(http: Http, fake: FakeWeChat, worker: TelegramDelivery, openid: str) -> str:
    """What the door answered ``openid`` since the last call (one message)."""
    await settled(http)
    before = len(fake.texts)
    await deliver(worker)
    mine = [text for to, text in fake.texts[before:] if to == openid]
    assert len(mine) == 1, mine
    return mine[0]


async def hours(db: Database) -> list[tuple[int, float]]:
    async with db.session() as session:
        return [(h.person_id, h.hours) for h in await session.scalars(select(ServiceHours))]


async def test_a_wechat_volunteer_checks_in_by_scanning_the_organisers_wechat_qr(
    http: Http, fake: FakeWeChat, fake_url: str, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    driver = Driver(http, fake)
    assert await driver.subscribe(NEIGHBOUR, world.payloads["A1"][1:], 2) == (200, "success")
    await settled(http)
    await deliver(worker)
    await announce(world)
    await deliver(worker)
    await driver.choose(OPENID, "🙋 报名", 3001)
    assert "您已报名" in await said(http, fake, worker, OPENID)

    # WeChat failing to make its code: the organiser is told, the Telegram code still came.
    async def refused(scene: str, seconds: int | None) -> str:
        raise TimeoutError("WeChat did not answer")

    head = world.client.user(HEAD_ID, "en", "Head")
    world.client.dp["wechat_qr"] = refused
    failed = [s.text for s in await world.client.send(head, "/checkin") if s.text]
    assert "could not be made" in failed[-1] and "Tree planting" in failed[0]

    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    world.client.dp["wechat_qr"] = api.qrcode  # as bot/__main__.py does with WeChat on
    try:
        photos = [s for s in await world.client.send(head, "/checkin") if s.text]
    finally:
        await api.close()
    assert [p.text.split(":")[0] for p in photos][-1] == "For volunteers on WeChat"
    [made] = fake.qrcodes
    scene = made["action_info"]["scene"]["scene_str"]
    assert made["action_name"] == "QR_STR_SCENE" and scene.startswith("checkin.")
    assert made["expire_seconds"] == 30 * 24 * 3600

    # Too early: the check-in opens an hour before the start.
    await driver.scan(OPENID, scene, 3002)
    assert "签到时间为" in await said(http, fake, worker, OPENID)
    assert await hours(world.db) == []

    async with world.db.session() as session:
        activity = (await session.scalars(select(VolunteerActivity))).one()
    world.clock.now = activity.starts_at
    fake.wrote(OPENID)
    fake.wrote(NEIGHBOUR)
    await driver.scan(OPENID, scene, 3003)
    assert "✅ 已在“Tree planting”签到：记 2 小时" in await said(http, fake, worker, OPENID)
    resident = await world.services.wechat.person_of(OPENID)
    assert resident is not None and await hours(world.db) == [(resident.id, 2.0)]
    await driver.scan(OPENID, scene, 3004)
    assert "您已在“Tree planting”签到" in await said(http, fake, worker, OPENID)

    # Not signed up, a forged scene, a newcomer following through the check-in QR.
    for send, openid, reason in (
        (driver.scan(NEIGHBOUR, scene, 3005), NEIGHBOUR, "您没有报名“Tree planting”"),
        (driver.scan(OPENID, "checkin.forged-token", 3006), OPENID, "此签到码无效"),
        (driver.subscribe(NEWCOMER, scene, 3007), NEWCOMER, "您没有报名“Tree planting”"),
    ):
        assert await send == (200, "success")
        answer = await said(http, fake, worker, openid)
        assert answer.startswith("抱歉") and reason in answer, answer
    assert resident is not None and await hours(world.db) == [(resident.id, 2.0)]


async def mutes(db: Database) -> list[tuple[int, int]]:
    async with db.session() as session:
        return [(m.person_id, m.building_id) for m in await session.scalars(select(NoticeMute))]


async def test_a_wechat_reader_mutes_by_the_notices_choice_and_by_words(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    driver = Driver(http, fake)
    assert await driver.subscribe(STRANGER, "", 2) == (200, "success")
    await settled(http)
    await deliver(worker)
    await write_notice(world)
    await deliver(worker)
    [(to, menu)] = [(o, m) for o, m in fake.menus if WATER in m["head_content"]]
    assert to == OPENID and [i["content"] for i in menu["list"]] == ["🔕 不再接收本楼通知"]
    a1 = int(menu["list"][0]["id"].split(".")[1])

    await driver.choose(OPENID, "🔕", 4001)
    assert "已屏蔽：不再接收 塘中新村1栋 的非紧急通知" in await said(http, fake, worker, OPENID)
    resident = await world.services.wechat.person_of(OPENID)
    assert resident is not None and await mutes(world.db) == [(resident.id, a1)]
    await write_notice(world, "Lift maintenance on Friday.")
    await deliver(worker)
    assert not any("Lift maintenance" in text for _, text in fake.texts)

    for words, answer, muted in (
        ("恢复通知", "将重新接收 塘中新村1栋 的通知", []),
        ("恢复通知", "塘中新村1栋 的通知没有屏蔽", []),
        ("静音通知", "已屏蔽", [(resident.id, a1)]),
        ("mute notices", "的通知已屏蔽", [(resident.id, a1)]),
    ):
        await driver.text(OPENID, words, 4002 + len(fake.texts))
        assert answer in await said(http, fake, worker, OPENID)
        assert await mutes(world.db) == muted

    # The Help button of the custom menu says how (and how to claim a flat).
    await driver.click(OPENID, "help", 4090)
    helped = await said(http, fake, worker, OPENID)
    assert "静音通知" in helped and "我的房号 502" in helped

    # A forged choice for a building not theirs; a follower without a building.
    for openid, words, menu_id, reason in (
        (OPENID, "🔕", f"mute.{a1 + 1}.on", "只能屏蔽您所在楼栋的通知"),
        (STRANGER, "静音通知", "", "您还没有加入楼栋"),
    ):
        await driver.text(openid, words, 4100 + len(fake.texts), menu_id=menu_id)
        answer = await said(http, fake, worker, openid)
        assert answer.startswith("抱歉") and reason in answer, answer
    assert await mutes(world.db) == [(resident.id, a1)]
