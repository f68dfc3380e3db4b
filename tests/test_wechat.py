"""The WeChat door as WeChat drives it: a resident scans the building's poster QR (a subscribe
event whose scene is the building's join token) and joins it, reports with one text, the head
gets the card in Telegram and answers, and the answer reaches the resident as a
customer-service message; once the resident's last message is 48 hours old, a template message
goes instead (also when WeChat itself refuses with 45015). Safe mode (AES) reads the same
callbacks, for this account only. A forged signature is refused and
writes nothing; a retried MsgId is handled once. WeChat's API is a local fake
(tests/fakewechat.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.config import Config, ConfigError, Secret
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from storage.models import (
    Channel,
    Contact,
    Membership,
    OutboxMessage,
    Person,
    Role,
    Ticket,
    WeChatCallback,
)
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient, Sent
from tests.conftest import FakeClock
from tests.factories import World, make_world
from tests.fakewechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    TOKEN,
    Driver,
    FakeWeChat,
    serve,
    xml,
)
from tests.test_open311 import BOTH, config
from tests.waiting import eventually
from web.server import create_web_app
from wechat import wechat_setup
from wechat.api import WeChatApi
from wechat.callback import TASKS
from wechat.protocol import SafeMode
from wechat.sender import WeChatSender

__all__ = ["config"]  # a fixture: SQLite, and PostgreSQL for the tests marked BOTH

Http = TestClient[web.Request, web.Application]
HEAD_ID = 100
OPENID = "o-resident-1"


@pytest.fixture
async def world(client: BotClient, services: Services, db: Database, clock: FakeClock) -> World:
    world = await make_world(client, services, db, clock)
    await world.appoint(client.user(HEAD_ID, "en", "Head"), Role.HEAD, "A1")
    return world


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeChat:
    return FakeWeChat(clock)


@pytest.fixture
async def fake_url(fake: FakeWeChat) -> AsyncIterator[str]:
    async for url in serve(fake):
        yield url


@pytest.fixture
async def http(world: World, translations: Translations) -> AsyncIterator[Http]:
    safe = SafeMode(AES_KEY, APP_ID)
    app = create_web_app(translations, [wechat_setup(world.services.wechat, TOKEN, safe)])
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def driver(http: Http, fake: FakeWeChat) -> Driver:
    return Driver(http, fake)


@pytest.fixture
async def worker(
    world: World, config: Config, fake_url: str, translations: Translations
) -> AsyncIterator[TelegramDelivery]:
    """The process's one delivery worker, with the WeChat door's sender beside Telegram's."""
    wechat_config = dataclasses.replace(config, wechat_template_id="TPL-TICKET")
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    sender = WeChatSender(
        api, wechat_config, world.db, translations, world.clock, cards=world.services.ticket_cards
    )
    yield TelegramDelivery(
        world.client.bot,
        world.db,
        world.clock,
        cards=world.services.ticket_cards,
        availability=world.services.availability,
        approvals=world.services.approvals,
        notices=world.services.notice_copies,
        others=[sender],
    )
    await api.close()


def token_of(world: World, code: str = "A1") -> str:
    return world.payloads[code][1:]  # the join payload is "j" + the building's token


async def handled(http: Http) -> None:
    """The callbacks acknowledged so far are handled (their background tasks are done)."""
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")


async def deliver(world: World, worker: TelegramDelivery) -> list[Sent]:
    before = len(world.client.session.requests)
    while await worker.run_once():
        pass
    return [Sent(m) for m in world.client.session.requests[before:]]


async def count(db: Database, model: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def wechat_person(db: Database, openid: str = OPENID) -> Person | None:
    async with db.session() as session:
        return await session.scalar(
            select(Person)
            .join(Contact, Contact.person_id == Person.id)
            .where(Contact.channel == Channel.WECHAT, Contact.address == openid)
        )


@BOTH
async def test_follow_report_answer_and_the_template_after_48_hours(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    db, clock = world.db, world.clock
    # The poster's QR: following the account joins the building.
    assert await driver.subscribe(OPENID, token_of(world), 1) == (200, "success")
    await handled(http)
    person = await wechat_person(db)
    assert person is not None
    async with db.session() as session:
        [membership] = (
            await session.scalars(select(Membership).where(Membership.person_id == person.id))
        ).all()
        assert membership.role is Role.RESIDENT
    await deliver(world, worker)
    [(to, welcome)] = fake.texts
    assert to == OPENID and "塘中新村1栋" in welcome

    # One text is one report; the head gets the card in Telegram.
    assert await driver.report(OPENID, "电梯坏了，卡在三楼", 1001) == (200, "success")
    await handled(http)
    async with db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
        assert ticket.author_id == person.id and ticket.description == "电梯坏了，卡在三楼"
    sent = await deliver(world, worker)
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    assert getattr(card.method, "chat_id", None) == HEAD_ID
    assert "#1" in fake.texts[-1][1]  # the resident's confirmation, with the number

    # The head takes it and answers in Telegram; the answer reaches WeChat.
    head = world.client.user(HEAD_ID, "en", "Head")
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    await world.client.click(head, edited, "💬 Reply")
    await world.client.send(head, "I will come at five.")
    await deliver(world, worker)
    assert any(to == OPENID and "I will come at five." in text for to, text in fake.texts)
    assert fake.templates == []

    # The resident's next text continues the ticket: it reaches the head in Telegram.
    await driver.text(OPENID, "谢谢，我在家", 1002)
    await handled(http)
    to_head = [s for s in await deliver(world, worker) if "谢谢，我在家" in s.text]
    assert [getattr(s.method, "chat_id", None) for s in to_head] == [HEAD_ID]
    assert await count(db, Ticket) == 1

    assert len(fake.tokens) == 1  # fetched once for every send, kept in the database

    # 49 hours later the window is closed: the head's next answer goes as a template.
    clock.advance(hours=49)
    texts_before = len(fake.texts)
    await world.client.click(head, edited, "💬 Reply")
    await world.client.send(head, "The part arrives on Monday.")
    await deliver(world, worker)
    assert len(fake.texts) == texts_before and fake.refused == []  # nothing WeChat refuses
    [template] = fake.templates
    assert template["touser"] == OPENID and template["template_id"] == "TPL-TICKET"
    assert template["url"].endswith(f"/t/{ticket.id}")
    assert "The part arrives on Monday." in template["data"]["keyword2"]["value"]
    assert template["data"]["keyword1"]["value"] == "#1"
    async with db.session() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.channel == Channel.WECHAT, OutboxMessage.sent_at.is_(None))
        )
        assert pending == 0
    assert len(fake.tokens) == 2  # the first one expired (2 hours) and was renewed once


async def test_wechat_refusing_the_window_reroutes_to_the_template(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    fake.last_message.clear()  # WeChat's window is closed though the door thinks it open
    await deliver(world, worker)
    assert fake.refused == [45015] and fake.texts == []
    [template] = fake.templates
    assert template["touser"] == OPENID


async def test_a_forged_signature_is_refused_and_writes_nothing(
    http: Http, driver: Driver, world: World
) -> None:
    people = await count(world.db, Person)
    status, _ = await driver.post(
        {"FromUserName": OPENID, "MsgType": "text", "Content": "hi", "MsgId": "7"},
        token="guessed",
    )
    assert status == 403
    unsigned = await http.post("/wechat", data=xml({"FromUserName": OPENID, "MsgType": "text"}))
    assert unsigned.status == 403
    check = await http.get("/wechat", params={**driver.query("guessed"), "echostr": "e1"})
    assert check.status == 403
    good = await http.get("/wechat", params={**driver.query(), "echostr": "e2"})
    assert (good.status, await good.text()) == (200, "e2")
    not_xml = await http.post("/wechat", params=driver.query(), data=b"<!DOCTYPE x><xml/>")
    assert not_xml.status == 400
    await handled(http)
    assert await count(world.db, Person) == people
    assert await count(world.db, WeChatCallback) == 0
    assert await count(world.db, OutboxMessage) == 0


async def test_xml_in_an_encoding_the_parser_cannot_read_is_a_bad_request(
    http: Http, driver: Driver, world: World
) -> None:
    """A body declaring GBK (expat reads no multi-byte encoding) or an unknown encoding raised
    ValueError / LookupError past the door's "not XML" check: a 500, and WeChat retries."""
    fields = xml({"FromUserName": OPENID, "MsgType": "text", "Content": "hi", "MsgId": "8"})
    for encoding in ("gbk", "no-such-encoding"):
        declared = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + fields
        response = await http.post("/wechat", params=driver.query(), data=declared)
        assert response.status == 400, encoding
    await handled(http)
    assert await count(world.db, WeChatCallback) == 0
    assert await count(world.db, OutboxMessage) == 0


@BOTH
async def test_a_retried_message_is_handled_once(http: Http, driver: Driver, world: World) -> None:
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.subscribe(OPENID, token_of(world), 1)  # WeChat's retry of the event
    await handled(http)
    for _ in range(3):  # WeChat retries a message it had no answer to, three times at most
        assert await driver.text(OPENID, "楼道灯不亮", 2001) == (200, "success")
    for _ in range(3):  # and the answer to "what kind of problem?" (its number)
        assert await driver.text(OPENID, "1", 2002) == (200, "success")
    await handled(http)
    assert await count(world.db, Ticket) == 1
    async with world.db.session() as session:
        texts = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == Channel.WECHAT)
            )
        ).all()
    assert len(texts) == 3  # one welcome, one question (the categories), one confirmation


async def test_a_text_before_joining_is_answered_politely(
    http: Http, driver: Driver, world: World
) -> None:
    await driver.text(OPENID, "楼道灯不亮", 3001)
    await handled(http)
    assert await count(world.db, Ticket) == 0
    async with world.db.session() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert row.channel == Channel.WECHAT and "海报" in row.payload["text"]


def test_the_door_is_off_without_its_settings_and_half_of_them_is_an_error() -> None:
    assert not Config.from_env({}).wechat_enabled
    on = Config.from_env(
        {"WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_TOKEN": TOKEN}
    )
    assert on.wechat_enabled and on.wechat_token == Secret(TOKEN)
    assert APP_SECRET not in repr(on)
    with pytest.raises(ConfigError, match="WECHAT_TOKEN is missing"):
        Config.from_env({"WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET})


async def test_safe_mode_reads_encrypted_callbacks_for_this_account_only(
    http: Http, driver: Driver, world: World
) -> None:
    safe = SafeMode(AES_KEY, APP_ID)
    subscribe = {
        "ToUserName": "gh_test_account",
        "FromUserName": OPENID,
        "CreateTime": "1",
        "MsgType": "event",
        "Event": "subscribe",
        "EventKey": f"qrscene_{token_of(world)}",
    }
    assert await driver.post_encrypted(subscribe, safe) == (200, "success")
    text = {"FromUserName": OPENID, "CreateTime": "2", "MsgType": "text", "MsgId": "4001"}
    assert await driver.post_encrypted({**text, "Content": "垃圾没人收"}, safe) == (200, "success")
    number = {**text, "CreateTime": "3", "MsgId": "4005", "Content": "3"}  # the kind of problem
    assert await driver.post_encrypted(number, safe) == (200, "success")
    await handled(http)
    async with world.db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
    assert ticket.description == "垃圾没人收"

    # Another account's key, or a signature over something else: refused, nothing written.
    before = await count(world.db, WeChatCallback)
    other = SafeMode(AES_KEY, "wx-another-app")
    refused = await driver.post_encrypted({**text, "MsgId": "4002", "Content": "x"}, other)
    assert refused[0] == 400
    forged = await driver.post_encrypted({**text, "MsgId": "4003"}, safe, token="guessed")
    assert forged[0] == 403
    await handled(http)
    assert await count(world.db, WeChatCallback) == before
    assert await count(world.db, Ticket) == 1


async def test_the_start_up_line_says_whether_the_door_is_on(
    world: World, config: Config, translations: Translations, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.__main__ import _wechat_door

    caplog.set_level("INFO")
    setups: list[Any] = []
    dispatcher: dict[str, Any] = {
        "services": world.services,
        "clock": world.clock,
        "translations": translations,
    }
    assert _wechat_door(config, world.db, dispatcher, setups) is None
    assert setups == [] and "door_senders" not in dispatcher
    assert "WeChat door off" in caplog.text
    on = dataclasses.replace(
        config,
        wechat_app_id=APP_ID,
        wechat_app_secret=Secret(APP_SECRET),
        wechat_token=Secret(TOKEN),
        wechat_aes_key=Secret(AES_KEY),
    )
    api = _wechat_door(on, world.db, dispatcher, setups)
    assert api is not None
    await api.close()
    assert len(setups) == 3 and [s.channel for s in dispatcher["door_senders"]] == ["wechat"]
    assert "WeChat door on: http://127.0.0.1:8080/wechat (plain and safe mode)" in caplog.text
    assert APP_SECRET not in caplog.text and TOKEN not in caplog.text


async def test_a_forged_choice_with_a_number_int_cannot_read_is_refused_in_words(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A choice's id is the door's own (``t<ticket>.take``, ``vote.…``): one forged with "²" or
    "④" where its number goes (str.isdigit() says yes, int() cannot read it) is answered as any
    unknown choice is, in the person's language, and changes nothing."""
    assert await driver.subscribe(OPENID, token_of(world), 1) == (200, "success")
    await handled(http)
    await deliver(world, worker)
    forged = ["t².take", "ballot.1.².1", "act.².join", "flat.²", "claim.④.yes", "mute.②.on"]
    forged += ["forget.².yes"]
    for n, menu_id in enumerate(forged):
        before = len(fake.texts)
        assert await driver.text(OPENID, "✋", 5000 + n, menu_id=menu_id) == (200, "success")
        await handled(http)
        await deliver(world, worker)
        [(to, said)] = fake.texts[before:]
        assert to == OPENID and said, menu_id
    assert await count(db=world.db, model=Ticket) == 0
