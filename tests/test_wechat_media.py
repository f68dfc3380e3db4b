"""Photos in a ticket's conversation across doors, and the kind of problem of a WeChat report,
driven as WeChat drives the door (signed callbacks in, the fake WeChat API's sends out) and as
a phone drives the web door: a resident on WeChat sends a photo into their open ticket and the
head in Telegram gets it as a photo; a head on WeChat sends one back (in a conversation, or
after tapping Reply) and the resident gets it in WeChat, or on the web door's ticket page. A
WeChat report asks its category with a msgmenu (or a typed number); a forged or stale choice,
or a number not on the list, is answered politely and files nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, text

from bot.config import Config
from bot.i18n import Translations
from storage.db import Database
from storage.models import Community, Ticket, TicketEvent, TicketStatus, WebFile, WeChatPending
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, Driver, FakeWeChat
from tests.test_contacts_migration import _downgrade_to, _upgrade_to
from tests.test_open311 import BOTH
from tests.test_web_door import EN, file_report, page_text
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
from tests.test_wechat_work import jpeg, menu_to, the_ticket
from web.door import door_setup
from web.door.limits import DoorLimits
from web.server import create_web_app
from wechat import wechat_setup
from wechat.api import WeChatApi
from wechat.protocol import SafeMode

__all__ = ["config", "fake", "fake_url", "world", "worker"]  # fixtures

Http = TestClient[web.Request, web.Application]
HEAD_OPENID = "o-head-1"


@pytest.fixture
async def http(
    world: World, translations: Translations, fake_url: str, config: Config
) -> AsyncIterator[Http]:
    """One web server with the WeChat door (and its API, to fetch the photos people send)
    and the residents' web door."""
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    setups = [
        wechat_setup(world.services.wechat, TOKEN, SafeMode(AES_KEY, APP_ID), api),
        door_setup(config, world.services, world.clock, DoorLimits()),
    ]
    async with TestClient(TestServer(create_web_app(translations, setups))) as client:
        yield client
    await api.close()


@pytest.fixture
def driver(http: Http, fake: FakeWeChat) -> Driver:
    return Driver(http, fake)


def texts_to(fake: FakeWeChat, openid: str) -> list[str]:
    return [words for to, words in fake.texts if to == openid]


async def link_head(world: World, driver: Driver, http: Http, msg_id: int) -> None:
    """The Telegram head links a WeChat (/link's code, sent there as a text)."""
    [code_message] = await world.client.send(world.client.user(HEAD_ID, "en", "Head"), "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text(HEAD_OPENID, code.group(), msg_id)
    await handled(http)


async def conversation_photos(db: Database, ticket_id: int) -> list[tuple[str, str]]:
    """(direction, web_files key) of the photos in the ticket's conversation."""
    async with db.session() as session:
        events = (
            await session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "message")
                .order_by(TicketEvent.id)
            )
        ).all()
    return [(e.data["direction"], e.data["web_photo"]) for e in events if e.data.get("web_photo")]


@BOTH
async def test_photos_go_both_ways_between_a_wechat_resident_and_the_head(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    db, client = world.db, world.client
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    await deliver(world, worker)
    await driver.report(OPENID, "窗户玻璃碎了", 101)
    await handled(http)
    sent = await deliver(world, worker)
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    head = client.user(HEAD_ID, "en", "Head")
    await client.click(head, card, "✋ Take")

    # The resident's photo, with the ticket open: it reaches the head in Telegram as a photo.
    await driver.image(OPENID, jpeg(), 102)
    await handled(http)
    sent = await deliver(world, worker)
    [photo] = [s for s in sent if type(s.method).__name__ == "SendPhoto"]
    assert photo.method.chat_id == HEAD_ID  # type: ignore[attr-defined]
    assert "#1" in str(photo.method.caption)  # type: ignore[attr-defined]
    ticket = await the_ticket(db)
    [(direction, key)] = await conversation_photos(db, ticket.id)
    async with db.session() as session:
        stored = await session.get(WebFile, key)
        assert direction == "to-staff" and stored is not None
        assert stored.content.startswith(b"\xff\xd8")  # kept as a JPEG, its metadata dropped
    assert ticket.media == []  # a message's photo, not the report's
    assert "#1" in texts_to(fake, OPENID)[-1]

    # The head links WeChat and answers there with a photo: the conversation they are in.
    await link_head(world, driver, http, 103)
    await driver.image(HEAD_OPENID, jpeg(), 104)
    await handled(http)
    await deliver(world, worker)
    assert [to for to, _ in fake.images] == [OPENID]
    assert fake.images[0][1].startswith(b"\xff\xd8")
    assert "#1" in texts_to(fake, OPENID)[-1]  # the photo's caption: who sent it, for which
    assert [d for d, _ in await conversation_photos(db, ticket.id)] == ["to-staff", "to-resident"]
    assert "#1" in texts_to(fake, HEAD_OPENID)[-1]  # "passed on"
    # The head's words follow without tapping Reply: a head reports nothing, so a text is an
    # answer in the conversation they are in.
    await driver.text(HEAD_OPENID, "Glass fitted, look.", 105)
    await handled(http)
    await deliver(world, worker)
    assert "Glass fitted, look." in texts_to(fake, OPENID)[-1]
    assert (await the_ticket(db)).status is TicketStatus.TAKEN


async def test_a_wechat_heads_photo_after_reply_shows_on_the_web_residents_page(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await link_head(world, driver, http, 201)
    await deliver(world, worker)
    ticket_id, _ = await file_report(http, token_of(world))  # a phone's browser reports
    await deliver(world, worker)
    assert menu_to(fake, HEAD_OPENID) == ["✋ Take", "💬 Reply"]
    await driver.choose(HEAD_OPENID, "✋", 202)
    await driver.choose(HEAD_OPENID, "💬", 203)
    await driver.image(HEAD_OPENID, jpeg(), 204)  # the photo first, then the words
    await driver.text(HEAD_OPENID, "The new pane is in.", 205)
    await handled(http)
    [(direction, key)] = await conversation_photos(world.db, ticket_id)
    assert direction == "to-resident"

    page = await page_text(http, ticket_id)
    assert f'<img src="/t/{ticket_id}/photo/{key}"' in page
    assert "The new pane is in." in page
    got = await http.get(f"/t/{ticket_id}/photo/{key}", headers=EN)
    assert got.status == 200 and got.content_type == "image/jpeg"
    assert (await got.read()).startswith(b"\xff\xd8")
    # Not under another ticket's address, not a key that is not the ticket's, not for
    # another phone.
    assert (await http.get(f"/t/{ticket_id + 1}/photo/{key}", headers=EN)).status == 404
    assert (await http.get(f"/t/{ticket_id}/photo/guessed", headers=EN)).status == 404
    http.session.cookie_jar.clear()
    assert (await http.get(f"/t/{ticket_id}/photo/{key}", headers=EN)).status == 403


async def test_a_photo_for_a_ticket_closed_meanwhile_is_not_kept(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A head's Reply waiting for its words while the resident withdrew the ticket: the photo
    is refused in words and nothing of it is kept."""
    await link_head(world, driver, http, 301)
    await driver.subscribe(OPENID, token_of(world), 302)
    await driver.report(OPENID, "水管漏水", 303)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(HEAD_OPENID, "💬", 304)
    await handled(http)
    ticket = await the_ticket(world.db)
    resident = await wechat_person(world.db)
    assert resident is not None
    await world.services.ticket_actions.withdraw(resident, ticket.id)
    await driver.image(HEAD_OPENID, jpeg(), 305)
    await handled(http)
    async with world.db.session() as session:
        assert (await session.scalars(select(WebFile))).all() == []
    assert await conversation_photos(world.db, ticket.id) == []
    await deliver(world, worker)
    assert texts_to(fake, HEAD_OPENID)[-1].startswith("Sorry")


@BOTH
async def test_a_wechat_report_asks_its_category_and_refuses_bad_answers_politely(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    db = world.db
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    await deliver(world, worker)
    await driver.image(OPENID, jpeg(), 2)
    await driver.text(OPENID, "电梯门关不上", 3)
    await handled(http)
    await deliver(world, worker)
    labels = menu_to(fake, OPENID)
    assert labels[0] == "1. 🔧 维修" and labels[3] == "4. 🛗 电梯" and len(labels) == 7
    assert await count_tickets(db) == 0

    # A forged id, a number not on the list, words that name no category: answered, nothing
    # filed, the report still waiting.
    await driver.text(OPENID, "电梯", 4, menu_id="cat.nosuchthing")
    await driver.text(OPENID, "电梯", 5, menu_id="cat.Bad/Id")
    await driver.text(OPENID, "9", 6)
    await driver.text(OPENID, "不知道", 7)
    await handled(http)
    assert await count_tickets(db) == 0
    await deliver(world, worker)
    refusals = [t for t in texts_to(fake, OPENID) if t.startswith("抱歉")]
    assert len(refusals) == 4, texts_to(fake, OPENID)
    assert sum("1 到 7" in t for t in refusals) == 2
    # A photo while the question waits goes with the report.
    await driver.image(OPENID, jpeg(), 8)
    await handled(http)
    await deliver(world, worker)
    assert "2 张照片" in texts_to(fake, OPENID)[-1]

    # The tap files it, in that category, with both photos.
    await driver.choose(OPENID, "4.", 9)
    await handled(http)
    ticket = await the_ticket(db)
    assert (ticket.category, ticket.description) == ("elevator", "电梯门关不上")
    assert len(ticket.media) == 2
    async with db.session() as session:
        assert (await session.scalars(select(WeChatPending))).all() == []
    await deliver(world, worker)
    assert "#1" in texts_to(fake, OPENID)[-1]

    # The same list tapped again: the report went already; answered, nothing filed.
    await driver.choose(OPENID, "1.", 10)
    await handled(http)
    assert await count_tickets(db) == 1
    await deliver(world, worker)
    assert texts_to(fake, OPENID)[-1].startswith("抱歉")


async def test_a_circled_number_answers_the_category_question(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A phone's keyboard offers "④" for 4: the report is filed in that category (it was lost,
    unanswered: int() reads no circled digit); a circled number not on the list is answered
    as any number not on the list is, and the report still waits."""
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.text(OPENID, "电梯门关不上", 2)
    await driver.text(OPENID, "⑨", 3)
    await handled(http)
    assert await count_tickets(world.db) == 0
    await deliver(world, worker)
    assert "1 到 7" in texts_to(fake, OPENID)[-1]
    await driver.text(OPENID, "④", 4)
    await handled(http)
    ticket = await the_ticket(world.db)
    assert (ticket.category, ticket.description) == ("elevator", "电梯门关不上")
    await deliver(world, worker)
    assert "#1" in texts_to(fake, OPENID)[-1]


async def test_a_community_with_one_category_is_not_asked(
    http: Http, driver: Driver, fake: FakeWeChat, world: World
) -> None:
    async with world.db.session() as session:
        [ticket_community] = (await session.scalars(select(Community))).all()
        ticket_community.settings = {
            **ticket_community.settings,
            "categories": [{"code": "repairs", "emoji": "🔧"}],
        }
        await session.commit()
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.text(OPENID, "楼道灯不亮", 2)
    await handled(http)
    ticket = await the_ticket(world.db)
    assert ticket.category == "repairs"


async def count_tickets(db: Database) -> int:
    async with db.session() as session:
        return len((await session.scalars(select(Ticket))).all())


async def test_migration_0027_up_and_down(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await db.migrate()
        async with db.engine.begin() as connection:
            columns = await connection.execute(text("PRAGMA table_info(wechat_pending)"))
            assert "text" in {row[1] for row in columns}
            await connection.run_sync(_downgrade_to("0026"))  # type: ignore[arg-type]
            columns = await connection.execute(text("PRAGMA table_info(wechat_pending)"))
            assert "text" not in {row[1] for row in columns}
            await connection.run_sync(_upgrade_to("head"))  # type: ignore[arg-type]
            columns = await connection.execute(text("PRAGMA table_info(wechat_pending)"))
            assert "text" in {row[1] for row in columns}
    finally:
        await db.close()


async def test_a_residents_conversation_photo_goes_with_forget_me(
    http: Http,
    driver: Driver,
    fake: FakeWeChat,
    world: World,
    worker: TelegramDelivery,
    translations: Translations,
) -> None:
    """/forgetme removes what a resident said to the head, their photos too: one sent from
    WeChat (kept in web_files) is no longer among the ticket's attachments in the console,
    and its bytes are gone. The report itself (its words and photos) stays, anonymised."""
    db = world.db
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    await driver.report(OPENID, "窗户玻璃碎了", 2)
    await handled(http)
    await deliver(world, worker)
    await driver.image(OPENID, jpeg(), 3)  # into the conversation with the head
    await handled(http)
    await deliver(world, worker)
    ticket = await the_ticket(db)
    [(_, key)] = await conversation_photos(db, ticket.id)
    head = await world.person(world.client.user(HEAD_ID, "en", "Head"))
    details = world.services.ticket_details
    assert [a.stored for a in (await details.detail(head, ticket.id)).attachments] == [key]

    await driver.text(OPENID, "删除我的数据", 4)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(OPENID, translations.bind("zh-hans")("forget-yes"), 5)
    await handled(http)
    assert await wechat_person(db) is None
    assert await conversation_photos(db, ticket.id) == []
    assert (await details.detail(head, ticket.id)).attachments == []
    async with db.session() as session:
        assert await session.get(WebFile, key) is None


async def test_photos_kept_for_a_report_never_written_go_with_forget_me(
    http: Http,
    driver: Driver,
    fake: FakeWeChat,
    world: World,
    worker: TelegramDelivery,
    translations: Translations,
) -> None:
    """A photo sent before the words of a report waits for them (an hour); a resident who then
    deletes their data leaves no photo of theirs behind, on no ticket and of nobody's."""
    db = world.db
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(http)
    await driver.image(OPENID, jpeg(), 2)
    await handled(http)
    await deliver(world, worker)
    async with db.session() as session:
        assert len((await session.scalars(select(WebFile))).all()) == 1

    await driver.text(OPENID, "删除我的数据", 3)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(OPENID, translations.bind("zh-hans")("forget-yes"), 4)
    await handled(http)
    assert await wechat_person(db) is None
    async with db.session() as session:
        assert (await session.scalars(select(WebFile))).all() == []
