"""What a WeChat user sends besides words and photos, at each step of a report, as an elderly
neighbour does: a voice message without WeChat's transcript (the account's speech recognition
off), a video, a location, a link, a file. Each is answered in the person's language (type it,
or send a photo) and changes nothing: the question waiting (the kind of problem, "same
problem?") still waits, with the words and photos given before, and the next answer files the
report as it would have."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from storage.models import Person, TicketEvent, TicketFollower
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import ACCOUNT, Driver, FakeWeChat
from tests.test_wechat import (
    OPENID,
    config,
    fake,
    fake_url,
    token_of,
    wechat_person,
    worker,
    world,
)
from tests.test_wechat_media import Http, driver, http
from tests.test_wechat_metoo import NEIGHBOUR, settle, tickets
from tests.test_wechat_work import jpeg, texts_to

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures

# What each kind of message carries besides its sender (WeChat's callback formats).
KINDS: dict[str, dict[str, str]] = {
    "voice": {"MediaId": "VOICE-1", "Format": "amr"},  # no Recognition
    "video": {"MediaId": "VIDEO-1", "ThumbMediaId": "THUMB-1"},
    "shortvideo": {"MediaId": "VIDEO-2", "ThumbMediaId": "THUMB-2"},
    "location": {
        "Location_X": "23.0215",
        "Location_Y": "113.0321",
        "Scale": "15",
        "Label": "塘中新村1栋",
    },
    "link": {"Title": "看看", "Description": "", "Url": "https://example.com/"},
    "file": {"Title": "照片.zip", "FileKey": "k", "FileMd5": "m", "FileTotalLen": "10"},
}


async def send_kind(driver: Driver, openid: str, kind: str, msg_id: int) -> None:
    fields = {
        "ToUserName": ACCOUNT,
        "FromUserName": openid,
        "CreateTime": str(msg_id),
        "MsgType": kind,
        "MsgId": str(msg_id),
        **KINDS[kind],
    }
    assert await driver.post(fields) == (200, "success")


@pytest.mark.parametrize("kind", list(KINDS))
async def test_what_the_door_cannot_read_is_answered_mid_report_and_changes_nothing(
    kind: str,
    http: Http,
    driver: Driver,
    fake: FakeWeChat,
    world: World,
    worker: TelegramDelivery,
) -> None:
    await driver.subscribe(OPENID, token_of(world), 1)
    await settle(http, world, worker)

    # Before any report: answered, nothing filed.
    told = len(texts_to(fake, OPENID))
    await send_kind(driver, OPENID, kind, 10)
    await settle(http, world, worker)
    assert len(texts_to(fake, OPENID)) == told + 1
    assert "文字" in texts_to(fake, OPENID)[-1] and "照片" in texts_to(fake, OPENID)[-1]
    assert await tickets(world) == []

    # While the kind of problem is asked: answered, the words and the photo still wait.
    await driver.image(OPENID, jpeg(), 11)
    await driver.text(OPENID, "楼道灯坏了", 12)
    await settle(http, world, worker)
    await send_kind(driver, OPENID, kind, 13)
    await settle(http, world, worker)
    assert "照片" in texts_to(fake, OPENID)[-1]
    assert await tickets(world) == []
    await driver.text(OPENID, "1", 14)
    await settle(http, world, worker)
    [first] = await tickets(world)
    assert first.description == "楼道灯坏了" and len(first.media) == 1

    # A neighbour reading English, while "same problem?" is asked: answered in English,
    # nothing followed, and the answer that comes next still counts.
    await driver.subscribe(NEIGHBOUR, token_of(world), 2)
    await settle(http, world, worker)
    async with world.db.session() as session:
        await session.execute(
            update(Person).values(language="en").where(Person.id != first.author_id)
        )
        await session.commit()
    neighbour = await wechat_person(world.db, NEIGHBOUR)
    assert neighbour is not None and neighbour.language == "en"
    await driver.report(NEIGHBOUR, "The stair light is out", 20)
    await settle(http, world, worker)
    await send_kind(driver, NEIGHBOUR, kind, 21)
    await settle(http, world, worker)
    answer = texts_to(fake, NEIGHBOUR)[-1]
    assert answer.startswith("Sorry") and "photo" in answer, answer
    async with world.db.session() as session:
        assert (await session.scalars(select(TicketFollower))).all() == []
    await driver.text(NEIGHBOUR, "1", 22)
    await settle(http, world, worker)
    async with world.db.session() as session:
        [follow] = (await session.scalars(select(TicketFollower))).all()
    assert follow.ticket_id == first.id and len(await tickets(world)) == 1


async def test_the_position_wechat_reports_by_itself_is_not_answered(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """An account that asks for its followers' position gets a LOCATION *event* every few
    seconds, sent by WeChat, not by the person: unlike a location message, nothing to answer."""
    await driver.subscribe(OPENID, token_of(world), 1)
    await settle(http, world, worker)
    told = len(texts_to(fake, OPENID))
    event = {
        "ToUserName": ACCOUNT,
        "FromUserName": OPENID,
        "CreateTime": "5",
        "MsgType": "event",
        "Event": "LOCATION",
        "Latitude": "23.0215",
        "Longitude": "113.0321",
        "Precision": "30",
    }
    assert await driver.post(event) == (200, "success")
    await settle(http, world, worker)
    assert len(texts_to(fake, OPENID)) == told


async def test_words_too_long_are_refused_without_the_chats_cancel(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A message about one's open ticket longer than a message holds: refused with the limit,
    and with what WeChat can do (send it in parts), not the chat's /cancel; nothing passed on."""
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.report(OPENID, "楼道灯坏了", 10)
    await settle(http, world, worker)
    [ticket] = await tickets(world)
    async with world.db.session() as session:
        events = len((await session.scalars(select(TicketEvent))).all())
    await driver.text(OPENID, "灯" * 5000, 11)
    await settle(http, world, worker)
    answer = texts_to(fake, OPENID)[-1]
    assert answer.startswith("抱歉") and "4,096" in answer and "/cancel" not in answer, answer
    async with world.db.session() as session:
        assert len((await session.scalars(select(TicketEvent))).all()) == events
    assert [t.id for t in await tickets(world)] == [ticket.id]
