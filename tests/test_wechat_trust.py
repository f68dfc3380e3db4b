"""The WeChat door tried as residents and heads use it, where trust breaks: a head's long
answer in Chinese reaches a WeChat resident whole (WeChat counts a customer-service text in
UTF-8 bytes: 2048, so about 680 Chinese characters, and refuses a longer one with 45002); a
photo sent while "Not fixed" waits for its words leaves the question waiting; a signed
callback replayed long after it was made is refused. Driven as WeChat drives the door (signed
callbacks in, the fake WeChat API's sends out)."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.scheduler import job_functions
from storage.db import Database
from storage.models import (
    OutboxMessage,
    Ticket,
    TicketStatus,
    WebFile,
    WeChatCallback,
    WeChatPending,
)
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import ACCOUNT, TOKEN, Driver, FakeWeChat, xml
from tests.test_wechat import (
    HEAD_ID,
    OPENID,
    config,
    count,
    deliver,
    fake,
    fake_url,
    handled,
    token_of,
    wechat_person,
    worker,
    world,
)
from tests.test_wechat_work import (
    HEAD_OPENID,
    Http,
    driver,
    http,
    jpeg,
    link_head,
    texts_to,
)
from wechat.protocol import signature

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures


async def tickets(db: Database) -> list[Ticket]:
    async with db.session() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def test_a_heads_long_chinese_answer_reaches_a_wechat_resident_whole(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """1,650 Chinese characters (4,950 bytes) fit one Telegram message but not one WeChat
    text: the door cut them at 2,000 characters, 6,000 bytes, which WeChat refuses (45002),
    and the resident got nothing. Now they go as three texts, each within 2,048 bytes."""
    fake.per_message = 20
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.report(OPENID, "电梯坏了", 5001)
    await handled(http)
    head = world.client.user(HEAD_ID, "en", "Head")
    sent = await deliver(world, worker)
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    await world.client.click(head, edited, "💬 Reply")
    before = len(texts_to(fake, OPENID))
    words = "师傅明天上午来修电梯。" * 150 + "🙂" * 10
    await world.client.send(head, words)
    await deliver(world, worker)
    assert fake.refused == []
    parts = texts_to(fake, OPENID)[before:]
    assert len(parts) >= 3 and all(len(part.encode()) <= 2048 for part in parts)
    said = "".join(parts)
    assert said.count("师傅明天上午来修电梯。") == 150 and said.count("🙂") == 10
    async with world.db.session() as session:
        unsent = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        ).all()
    assert unsent == []


async def test_a_photo_while_not_fixed_waits_for_its_words_leaves_the_question_waiting(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """The resident taps Not fixed, then sends a photo of the leak before the words: the
    photo was kept for a new report in the question's place, and "still leaking" then asked
    the kind of a new problem while ticket #1 stayed resolved. Now the photo is answered
    (words first), and the words reopen #1."""
    fake.per_message = 20
    await link_head(world, driver, 4001)
    await driver.subscribe(OPENID, token_of(world), 4002)
    await handled(http)
    await deliver(world, worker)
    await driver.report(OPENID, "水管漏水", 4003)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(HEAD_OPENID, "✋", 4004)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(HEAD_OPENID, "✅", 4005)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(OPENID, "👎", 4006)
    await handled(http)
    await driver.image(OPENID, jpeg(), 4007)
    await handled(http)
    await deliver(world, worker)
    assert texts_to(fake, OPENID)[-1] == "抱歉，请先用文字写下工单 #1 还有什么问题，之后再发照片。"
    assert await count(world.db, WebFile) == 0
    await driver.text(OPENID, "还在漏", 4008)
    await handled(http)
    await deliver(world, worker)
    [ticket] = await tickets(world.db)
    assert ticket.status is TicketStatus.TAKEN
    assert any("还在漏" in text for text in texts_to(fake, HEAD_OPENID))


async def test_a_signed_callback_replayed_later_is_refused_and_writes_nothing(
    http: Http, driver: Driver, world: World
) -> None:
    """In plain mode WeChat's signature covers the time and the nonce, not the message: an
    address WeChat signed yesterday (seen in a proxy's log) carried any message, as anyone.
    A callback signed more than five minutes from now is refused; WeChat's own, and its
    retries seconds later, are not."""
    message = {
        "ToUserName": ACCOUNT,
        "FromUserName": OPENID,
        "CreateTime": "1",
        "MsgType": "event",
        "Event": "subscribe",
        "EventKey": f"qrscene_{token_of(world)}",
    }
    for age in (86_400, 301, -301):
        signed_at = str(int(time.time()) - age)
        query = {
            "timestamp": signed_at,
            "nonce": "7",
            "signature": signature(TOKEN, signed_at, "7"),
        }
        response = await http.post("/wechat", params=query, data=xml(message))
        assert response.status == 403, age
    await handled(http)
    assert await count(world.db, WeChatCallback) == 0
    assert await count(world.db, OutboxMessage) == 0
    assert await wechat_person(world.db) is None
    assert await driver.post(message) == (200, "success")  # signed now
    await handled(http)
    assert await wechat_person(world.db) is not None


async def test_the_kind_of_problem_answered_after_the_question_lapsed_files_nothing(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """The report's words wait an hour for their kind of problem. A resident who answers
    "1" after two hours had the "1" taken for a new report: asked its kind again, and the
    "1" that answered that sent the head a ticket saying "1". Now the late answer is told
    the question lapsed (write the problem again), and nothing is filed or left waiting."""
    fake.per_message = 20
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.text(OPENID, "电梯坏了", 6001)
    await handled(http)
    world.clock.advance(hours=2)
    await driver.text(OPENID, "1", 6002)
    await handled(http)
    await deliver(world, worker)
    stale = "抱歉，这个列表已过期，或报修已经提交；如需报修，请重新写下遇到的问题。"
    assert texts_to(fake, OPENID)[-1] == stale
    assert await tickets(world.db) == []
    assert await count(world.db, WeChatPending) == 0


async def test_a_bare_number_with_no_question_waiting_files_nothing_however_often_sent(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """The late "1" was told the list was too old; the resident, puzzled, sent "1" again,
    and that one was taken for a report's words: the head got a ticket saying "1". A number
    alone answers a list: with no question waiting it gets the same answer every time (a
    full-width "２" and a "三" too), and a photo kept for the report stays kept."""
    fake.per_message = 20
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.text(OPENID, "电梯坏了", 6101)
    await handled(http)
    world.clock.advance(hours=2)
    await driver.image(OPENID, jpeg(), 6102)
    await handled(http)
    for msgid, number in ((6103, "1"), (6104, "1"), (6105, "２"), (6106, "三。")):
        await driver.text(OPENID, number, msgid)
        await handled(http)
        await deliver(world, worker)
        stale = "抱歉，这个列表已过期，或报修已经提交；如需报修，请重新写下遇到的问题。"
        assert texts_to(fake, OPENID)[-1] == stale, number
    assert await tickets(world.db) == []
    await driver.text(OPENID, "电梯又坏了", 6107)  # words: a report, its photo with it
    await handled(http)
    await deliver(world, worker)
    await driver.text(OPENID, "1", 6108)
    await handled(http)
    [ticket] = await tickets(world.db)
    assert ticket.description == "电梯又坏了"
    assert [item["type"] for item in ticket.media] == ["photo"]


async def test_two_menu_buttons_tapped_in_one_second_are_both_answered(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """An event has no MsgId: the door knew one by its sender, second and kind, so "My
    tickets" tapped in the second after "Help" was taken for WeChat's retry of it and never
    answered. Its button is part of the key now; WeChat's retry of either is still one."""
    fake.per_message = 20
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    await deliver(world, worker)
    before = len(texts_to(fake, OPENID))
    for key in ("help", "mine", "mine"):  # the second "mine" is WeChat's retry
        assert await driver.click(OPENID, key, 7001) == (200, "success")
    await handled(http)
    await deliver(world, worker)
    answers = texts_to(fake, OPENID)[before:]
    assert len(answers) == 2
    assert "楼长" in answers[0] and "工单" in answers[1]


async def test_forget_me_leaves_no_record_naming_the_openid(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """The door's record of the events it handled (a follow, a scan, a button) is keyed by
    the sender's OpenID: "forget me" left those keys, so the OpenID and when it followed
    stayed. They go with the person now; the records of messages (their MsgId) stay."""
    openid = "o_res%1"  # an OpenID has "_" and "-" in it: no pattern of another's
    await driver.subscribe("o_other", token_of(world), 1)
    await driver.subscribe(openid, token_of(world), 1)
    await driver.click(openid, "mine", 2)
    await driver.text(openid, "删除我的数据", 8001)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(openid, "🗑", 8002)
    await handled(http)
    assert await wechat_person(world.db, openid) is None
    async with world.db.session() as session:
        keys = (await session.scalars(select(WeChatCallback.key))).all()
    assert [key for key in keys if openid in key] == []
    assert sorted(key for key in keys if key.startswith("msg:")) == ["msg:8001", "msg:8002"]
    assert any("o_other" in key for key in keys)


async def test_the_record_of_handled_callbacks_is_pruned_after_three_days(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """Every callback the door handled left a row (kept so that WeChat's retry seconds later
    is not handled twice), and none ever went. The hourly retention job now prunes those
    older than three days; a recent one still stops a retry."""
    fake.per_message = 20
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.text(OPENID, "电梯坏了", 9001)
    await handled(http)
    world.clock.advance(days=2)
    await driver.text(OPENID, "楼道灯坏了", 9002)
    await handled(http)
    world.clock.advance(days=1, hours=1)
    await job_functions(world.services)["outbox-purge"]()
    async with world.db.session() as session:
        keys = (await session.scalars(select(WeChatCallback.key))).all()
    assert keys == ["msg:9002"]
    await deliver(world, worker)
    before = len(texts_to(fake, OPENID))
    await driver.text(OPENID, "楼道灯坏了", 9002)  # WeChat's retry of the recent one
    await handled(http)
    await deliver(world, worker)
    assert len(texts_to(fake, OPENID)) == before
    assert await count(world.db, WeChatCallback) == 1


async def test_chinese_and_emoji_heavy_texts_fit_wechats_byte_limits(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """WeChat counts bytes (a Chinese character is 3, an emoji 4). A template field was cut
    at 200 characters, up to 800 bytes; a card's menu had its head cut to 2,048 bytes and its
    choices added beyond. Every template field now goes within 200 bytes and a whole menu
    within 2,048, a visible "…" where something was cut."""
    fake.per_message = 20
    await link_head(world, driver, 5001)
    await driver.subscribe(OPENID, token_of(world), 5002)
    await handled(http)
    await deliver(world, worker)
    await driver.report(OPENID, "电梯坏了🙂" * 300, 5003)
    await handled(http)
    await deliver(world, worker)
    assert fake.refused == []
    _, card = next((to, m) for to, m in reversed(fake.menus) if to == HEAD_OPENID)
    whole = card["head_content"] + "".join(i["id"] + i["content"] for i in card["list"])
    assert len(whole.encode()) <= 2048 and "…" in card["head_content"]
    await driver.choose(HEAD_OPENID, "✋", 5004)
    await handled(http)
    await deliver(world, worker)
    world.clock.advance(hours=49)  # the resident's window is closed: the answer is a template
    await driver.choose(HEAD_OPENID, "💬", 5005)
    await handled(http)
    await deliver(world, worker)
    await driver.text(HEAD_OPENID, "师傅明天上午来修电梯🙂" * 40, 5006)
    await handled(http)
    await deliver(world, worker)
    assert fake.refused == []
    [template] = [t for t in fake.templates if t["touser"] == OPENID]
    values = [field["value"] for field in template["data"].values()]
    assert all(len(value.encode()) <= 200 for value in values)
    assert template["data"]["keyword2"]["value"].endswith("…")
    assert "师傅明天上午来修电梯🙂" in template["data"]["keyword2"]["value"]
