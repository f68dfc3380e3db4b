"""The WeChat door's second slice, driven as WeChat drives it (signed callbacks in, the fake
WeChat API's sends out): a resident reports with a photo, reads the head's answer, confirms
with the msgmenu's "Yes, fixed" and rates with its stars; a head who linked their WeChat with
/link's code takes, answers and resolves from the card's msgmenu; the resident on WeChat with
the head on Telegram and the reverse; a forged or stale choice is refused in words and changes
nothing; WeChat's 45047 (too many messages) sends the template instead."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import AsyncIterator

import pytest
from aiogram.types import PhotoSize
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.config import Config
from bot.files import FileUnavailable
from bot.i18n import Translations
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import OutboxMessage, Ticket, TicketStatus, WebFile
from storage.repositories import CommunityRepository
from telegram.delivery import TelegramDelivery
from tests.factories import World, by_telegram
from tests.fakewechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, Driver, FakeWeChat
from tests.test_open311 import BOTH
from tests.test_wechat import (
    HEAD_ID,
    OPENID,
    config,
    deliver,
    fake,
    fake_url,
    handled,
    token_of,
    wechat_person,
    worker,
    world,
)
from web.server import create_web_app
from wechat import wechat_setup
from wechat.api import WeChatApi
from wechat.protocol import SafeMode
from wechat.sender import WeChatSender

__all__ = ["config", "fake", "fake_url", "world", "worker"]  # fixtures

Http = TestClient[web.Request, web.Application]
HEAD_OPENID = "o-head-1"


@pytest.fixture
async def http(world: World, translations: Translations, fake_url: str) -> AsyncIterator[Http]:
    """The door with its API, so it can fetch the photos people send."""
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    setup = wechat_setup(world.services.wechat, TOKEN, SafeMode(AES_KEY, APP_ID), api)
    async with TestClient(TestServer(create_web_app(translations, [setup]))) as client:
        yield client
    await api.close()


@pytest.fixture
def driver(http: Http, fake: FakeWeChat) -> Driver:
    return Driver(http, fake)


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def the_ticket(db: Database) -> Ticket:
    async with db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
        return ticket


def menu_to(fake: FakeWeChat, openid: str) -> list[str]:
    """The words of the choices of the newest msgmenu sent to ``openid``."""
    menu = next(m for to, m in reversed(fake.menus) if to == openid)
    return [item["content"] for item in menu["list"]]


def texts_to(fake: FakeWeChat, openid: str) -> list[str]:
    return [text for to, text in fake.texts if to == openid]


async def link_head(world: World, driver: Driver, msg_id: int) -> None:
    """The head asks /link in Telegram and, a minute later, sends its code from WeChat."""
    head = world.client.user(HEAD_ID, "en", "Head")
    [code_message] = await world.client.send(head, "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text(HEAD_OPENID, code.group(), msg_id)


@BOTH
async def test_resident_on_wechat_reports_with_a_photo_confirms_and_rates(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    db = world.db
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    # A photo first (WeChat sends each as a message of its own), then the words.
    assert await driver.image(OPENID, jpeg(), 1001) == (200, "success")
    await handled(http)
    await deliver(world, worker)
    assert "1 张照片" in texts_to(fake, OPENID)[-1]
    await driver.report(OPENID, "楼道灯不亮", 1002)
    await handled(http)
    ticket = await the_ticket(db)
    [media] = ticket.media
    async with db.session() as session:
        stored = await session.get(WebFile, media["web_file"])
        assert stored is not None and stored.content.startswith(b"\xff\xd8")  # a JPEG

    # The head in Telegram gets the card and the photo, takes, answers and resolves.
    sent = await deliver(world, worker)
    head = world.client.user(HEAD_ID, "en", "Head")
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    assert any(type(s.method).__name__ == "SendPhoto" for s in sent)
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    await world.client.click(head, edited, "💬 Reply")
    await world.client.send(head, "I will come at five.")
    await deliver(world, worker)
    assert any("I will come at five." in text for text in texts_to(fake, OPENID))
    await world.client.click(head, edited, "✅ Resolve")
    await world.client.send(head, "New bulb fitted.")
    await deliver(world, worker)

    # The question comes as a msgmenu; the resident taps "Yes, fixed", then four stars.
    assert "New bulb fitted." in texts_to(fake, OPENID)[-1]
    assert menu_to(fake, OPENID) == ["👍 已解决", "👎 未解决"]
    await driver.choose(OPENID, "👍", 1003)
    await handled(http)
    assert (await the_ticket(db)).status is TicketStatus.CLOSED
    await deliver(world, worker)
    assert menu_to(fake, OPENID) == [f"{n}⭐" for n in range(1, 6)]
    await driver.choose(OPENID, "4⭐", 1004)
    await handled(http)
    assert (await the_ticket(db)).rating == 4
    # Tapping the stars again changes nothing, and is answered.
    before = (await the_ticket(db)).rating
    await driver.choose(OPENID, "1⭐", 1005)
    await handled(http)
    assert (await the_ticket(db)).rating == before
    await deliver(world, worker)
    assert texts_to(fake, OPENID)[-1].startswith("抱歉")
    assert fake.templates == []


async def test_forged_and_stale_choices_are_refused_in_words(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    fake.per_message = 20  # the answers all go after the last of the taps
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.report(OPENID, "电梯坏了", 2001)
    await handled(http)
    ticket = await the_ticket(world.db)
    # Not a choice the door ever sent; someone else's ticket; a head's action; a confirm of
    # a ticket that is not resolved: each answered, nothing changed.
    for number, forged in enumerate(
        ["t1.escalate", "x", "t1.rate.9", f"t{ticket.id}.take", f"t{ticket.id}.confirm"]
    ):
        await driver.text(OPENID, "是的", 2100 + number, menu_id=forged)
    await driver.text("o-stranger", "是的", 2200, menu_id=f"t{ticket.id}.reopen")
    await handled(http)
    after = await the_ticket(world.db)
    assert (after.status, after.holder_id, after.rating) == (TicketStatus.NEW, None, None)
    await deliver(world, worker)
    refusals = [text for text in texts_to(fake, OPENID) if text.startswith("抱歉")]
    assert len(refusals) == 5, texts_to(fake, OPENID)
    assert sum("不是本公众号发给您的" in text for text in refusals) == 3
    assert texts_to(fake, "o-stranger")[-1].startswith("抱歉")


async def test_each_refusal_apologises_once_in_chinese_and_in_english(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """One polite sentence with one apology: the door's own reasons follow its "Sorry, "; a
    shared reason that apologises already (``not-allowed``) goes as it is, not as "Sorry, that
    did not work: Sorry, …"; one that does not (``report-empty``) follows the "Sorry, "."""
    # Chinese (a WeChat follower's language): the door's own reason, then a shared one that
    # apologises already (a resident tapping a head's Take on their own ticket).
    await driver.text("o-stranger", "电梯坏了", 1)
    await driver.subscribe(OPENID, token_of(world), 2)
    await driver.report(OPENID, "电梯坏了", 3)
    await handled(http)
    ticket = await the_ticket(world.db)
    await driver.text(OPENID, "是的", 4, menu_id=f"t{ticket.id}.take")
    await handled(http)
    await deliver(world, worker)
    assert texts_to(fake, "o-stranger") == ["抱歉，您还没有加入楼栋，请先扫描楼栋海报上的二维码。"]
    assert texts_to(fake, OPENID)[-1] == "抱歉，您没有权限进行此操作。"

    # English (a head who linked their WeChat): the door's own reason, a shared one that
    # apologises already (a head's Yes, fixed on a resident's ticket), and one that does not.
    await link_head(world, driver, 10)
    await handled(http)
    await driver.text(HEAD_OPENID, "Yes", 11, menu_id="t1.escalate")
    await handled(http)
    await driver.text(HEAD_OPENID, "Yes", 12, menu_id=f"t{ticket.id}.confirm")
    await handled(http)
    await driver.text(HEAD_OPENID, " ", 13)
    await handled(http)
    await deliver(world, worker)
    assert texts_to(fake, HEAD_OPENID)[-3:] == [
        "Sorry, that choice is not one this account sent you, or it is too old; "
        "please open the ticket's page to act on it.",
        "Sorry, you are not allowed to do that.",
        "Sorry, please describe the problem first.",
    ]


async def test_head_links_wechat_and_works_a_telegram_residents_ticket_there(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    db, client = world.db, world.client
    await link_head(world, driver, 3001)
    await handled(http)
    linked = await wechat_person(db, HEAD_OPENID)
    async with db.session() as session:
        telegram_head = await session.scalar(by_telegram(HEAD_ID))
    assert linked is not None and telegram_head is not None and linked.id == telegram_head.id
    await deliver(world, worker)
    assert "Linked" in texts_to(fake, HEAD_OPENID)[-1]

    # A resident in Telegram reports; the head's card reaches WeChat with its choices.
    resident = await world.join(client.user(200, "en", "Ann"), "A1")
    person = await world.person(resident)
    async with db.session() as session:
        building = await CommunityRepository(session).building_by_token(token_of(world))
    assert building is not None
    await world.services.reporting.report(
        person, Draft(building_id=building.id, category="other", description="Lift stuck")
    )
    await deliver(world, worker)
    assert "Lift stuck" in texts_to(fake, HEAD_OPENID)[-1]
    assert menu_to(fake, HEAD_OPENID) == ["✋ Take", "💬 Reply"]
    await driver.choose(HEAD_OPENID, "✋", 3002)
    await handled(http)
    ticket = await the_ticket(db)
    assert ticket.status is TicketStatus.TAKEN and ticket.holder_id == linked.id
    await deliver(world, worker)
    assert menu_to(fake, HEAD_OPENID) == ["💬 Reply", "✅ Resolve"]

    # Reply: the head's next text is the answer; it reaches the resident in Telegram.
    await driver.choose(HEAD_OPENID, "💬", 3003)
    await handled(http)
    await driver.text(HEAD_OPENID, "Coming at five.", 3004)
    await handled(http)
    sent = await deliver(world, worker)
    assert any(
        "Coming at five." in s.text and getattr(s.method, "chat_id", None) == 200 for s in sent
    )
    assert "ticket #1" in texts_to(fake, HEAD_OPENID)[-1]
    # The head's next text is no reply any more: nothing else reaches the resident.
    await driver.choose(HEAD_OPENID, "✅", 3005)
    await handled(http)
    sent = await deliver(world, worker)
    question = next(s for s in sent if s.buttons and getattr(s.method, "chat_id", None) == 200)
    assert (await the_ticket(db)).status is TicketStatus.RESOLVED
    rate = await client.click(resident, question, "👍 Yes, fixed")
    assert (await the_ticket(db)).status is TicketStatus.CLOSED
    assert any("⭐" in str(s.buttons) for s in rate)


async def test_a_head_on_wechat_answers_a_resident_on_wechat(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await link_head(world, driver, 4001)
    await driver.subscribe(OPENID, token_of(world), 4002)
    await handled(http)
    await deliver(world, worker)  # the welcome, before the report's sends
    await driver.report(OPENID, "水管漏水", 4003)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(HEAD_OPENID, "✋", 4004)
    await driver.choose(HEAD_OPENID, "💬", 4005)
    await handled(http)
    await driver.text(HEAD_OPENID, "Plumber tomorrow.", 4006)
    await handled(http)
    await deliver(world, worker)
    assert "Plumber tomorrow." in texts_to(fake, OPENID)[-1]
    await driver.choose(HEAD_OPENID, "✅", 4007)
    await handled(http)
    await deliver(world, worker)
    assert len(menu_to(fake, OPENID)) == 2
    # "Not fixed": the resident's next text is the reason, and the head reads it in WeChat.
    await driver.choose(OPENID, "👎", 4008)
    await handled(http)
    await driver.text(OPENID, "还在漏", 4009)
    await handled(http)
    assert (await the_ticket(world.db)).status is TicketStatus.TAKEN
    await deliver(world, worker)
    assert any("还在漏" in text for text in texts_to(fake, HEAD_OPENID))


async def test_too_many_messages_in_the_window_go_as_the_template(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    fake.per_message = 1
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.report(OPENID, "电梯坏了", 5001)
    await handled(http)
    head = world.client.user(HEAD_ID, "en", "Head")
    sent = await deliver(world, worker)
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    await world.client.click(head, edited, "💬 Reply")
    await world.client.send(head, "On my way.")
    await deliver(world, worker)
    assert 45047 in fake.refused
    assert any("On my way." in t["data"]["keyword2"]["value"] for t in fake.templates)
    async with world.db.session() as session:
        failed = await session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        assert failed.all() == []


async def test_a_voice_message_reports_by_its_transcript_or_is_answered(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.voice(OPENID, 6001)  # no transcript: nothing to pass on
    await handled(http)
    async with world.db.session() as session:
        assert (await session.scalars(select(Ticket))).all() == []
    await deliver(world, worker)
    assert "转文字" in texts_to(fake, OPENID)[-1]
    await driver.voice(OPENID, 6002, heard="楼下的路灯坏了")
    await driver.voice(OPENID, 6003, heard="一。")  # the kind of problem, said
    await handled(http)
    ticket = await the_ticket(world.db)
    assert (ticket.description, ticket.category) == ("楼下的路灯坏了", "repairs")


class TelegramPhotos:
    """The Telegram door's files as the WeChat sender asks for them (tests/test_console_media.py
    tests the real download through getFile)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    async def fetch(self, file_id: str) -> bytes:
        if file_id not in self.files:
            raise FileUnavailable(file_id)
        return self.files[file_id]


async def test_a_heads_photo_reaches_wechat_as_an_image_and_a_wechat_photo_reaches_a_wechat_head(
    http: Http,
    driver: Driver,
    fake: FakeWeChat,
    world: World,
    config: Config,
    fake_url: str,
    translations: Translations,
) -> None:
    head_photo = jpeg()
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    sender = WeChatSender(
        api,
        dataclasses.replace(config, wechat_template_id="TPL"),
        world.db,
        translations,
        world.clock,
        cards=world.services.ticket_cards,
        files=TelegramPhotos({"HEAD-PHOTO": head_photo}),
    )
    worker = TelegramDelivery(
        world.client.bot,
        world.db,
        world.clock,
        cards=world.services.ticket_cards,
        availability=world.services.availability,
        approvals=world.services.approvals,
        notices=world.services.notice_copies,
        others=[sender],
    )
    try:
        await driver.subscribe(OPENID, token_of(world), 1)
        await handled(http)
        await deliver(world, worker)  # the welcome, before the report's sends
        await driver.report(OPENID, "窗户玻璃碎了", 8001)
        await handled(http)
        sent = await deliver(world, worker)
        head = world.client.user(HEAD_ID, "en", "Head")
        card = next(s for s in sent if "#1" in s.text and s.buttons)
        taken = await world.client.click(head, card, "✋ Take")
        edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
        await world.client.click(head, edited, "💬 Reply")
        size = PhotoSize(file_id="HEAD-PHOTO", file_unique_id="hp", width=40, height=30)
        await world.client.send(head, None, photo=[size], caption="The new pane")
        await deliver(world, worker)
        assert fake.images == [(OPENID, head_photo)]
        assert "The new pane" in texts_to(fake, OPENID)[-1]
    finally:
        await api.close()
