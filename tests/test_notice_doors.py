"""Notices reach residents in the door they use. A head writes a notice in Telegram; a resident
who joined through WeChat gets it as a customer-service text (and its photo as an image
message) within the 48-hour window, else as the template message that opens the notice's
page, where a correction shows and the photos are; a photo WeChat would refuse is not sent.
A web resident with a push subscription gets a notification that opens the same page; the
building page lists the notices to the building's devices and to no stranger. The author's
counts say what was delivered (WeChat: tests/fakewechat.py; Web Push: the fake push service
of tests/test_web_push.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.config import Config
from bot.delivery import DeliveryWorker
from bot.files import FileUnavailable
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from storage.models import OutboxKind, OutboxMessage, OutboxStatus, Role
from telegram.delivery import TelegramDelivery
from tests.botclient import BotClient, Sent
from tests.conftest import FakeClock
from tests.factories import World, make_world
from tests.fakewechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, Driver, FakeWeChat, serve
from tests.test_web_door import EN, file_report, open_poster
from tests.test_web_push import (
    PushService,
    browser,
    config,
    push_service,
    subscribe,
)
from tests.waiting import eventually
from web.door import door_setup
from web.push.keys import KeyHolder
from web.push.sender import WebPushSender
from web.server import create_web_app
from wechat import wechat_setup
from wechat.api import WeChatApi
from wechat.callback import TASKS
from wechat.protocol import SafeMode
from wechat.sender import WeChatSender

__all__ = ["config", "push_service"]  # fixtures

Http = TestClient[web.Request, web.Application]
HEAD_ID = 100
OPENID = "o-resident-1"
WATER = "Water cut on Thursday 09:00–12:00: please store some water."
PICTURE = b"\xff\xd8\xff\xe0 a notice's photo"


class Files:
    """Telegram's files, as the WeChat door fetches a head's photo."""

    async def fetch(self, file_id: str) -> bytes:
        if file_id != "notice-photo-1":
            raise FileUnavailable(file_id)
        return PICTURE


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
async def http(
    world: World, config: Config, translations: Translations, clock: FakeClock
) -> AsyncIterator[Http]:
    """One web server: WeChat's callback and the residents' door, as in production."""
    safe = SafeMode(AES_KEY, APP_ID)
    app = create_web_app(
        translations,
        [
            wechat_setup(world.services.wechat, TOKEN, safe),
            door_setup(config, world.services, clock, files=Files()),
        ],
    )
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def worker(
    world: World, config: Config, fake_url: str, translations: Translations
) -> AsyncIterator[TelegramDelivery]:
    """The process's delivery worker: Telegram, WeChat and Web Push, as bot/app.py wires it."""
    wechat_config = dataclasses.replace(config, wechat_template_id="TPL-NEWS")
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    services = world.services
    yield TelegramDelivery(
        world.client.bot,
        world.db,
        world.clock,
        cards=services.ticket_cards,
        availability=services.availability,
        approvals=services.approvals,
        notices=services.notice_copies,
        others=[
            WeChatSender(
                api,
                wechat_config,
                world.db,
                translations,
                world.clock,
                cards=services.ticket_cards,
                files=Files(),
                board=services.notice_board,
                ballots=services.door_ballots,
                activities=services.door_activities,
            ),
            WebPushSender(
                world.db,
                translations,
                KeyHolder(world.db, world.clock),
                config,
                services.notice_board,
            ),
        ],
    )
    await api.close()


async def deliver(worker: DeliveryWorker) -> None:
    while await worker.run_once():
        pass


async def joined_in_wechat(http: Http, fake: FakeWeChat, world: World) -> None:
    """The resident scans the poster's WeChat QR: following the account joins building A1."""
    assert await Driver(http, fake).subscribe(OPENID, world.payloads["A1"][1:], 1) == (
        200,
        "success",
    )
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")


async def write_notice(world: World, text: str = WATER, photos: tuple[str, ...] = ()) -> None:
    """The head writes a notice to their building through the whole /notice flow."""
    head = world.client.user(HEAD_ID, "en", "Head")

    def last(sent: list[Sent]) -> Sent:
        return [s for s in sent if s.buttons][-1]

    await world.client.send(head, "/notice")
    step = last(await world.client.send(head, text))
    for file_id in photos:
        from tests.test_ticket_handling import photo

        step = last(await world.client.send(head, photo=photo(file_id)))
    timing = last(await world.client.click(head, step, "Done ›" if photos else "No photos ›"))
    urgency = last(await world.client.click(head, timing, "Now"))
    summary = last(await world.client.click(head, urgency, "Not urgent"))
    sent = await world.client.click(head, summary, "✅ Send")
    assert any("is on its way to" in s.text for s in sent), [s.text for s in sent]


async def listed(world: World) -> str:
    head = world.client.user(HEAD_ID, "en", "Head")
    return "\n".join(s.text for s in await world.client.send(head, "/notices"))


async def notice_rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.notice_id.is_not(None))
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def test_wechat_gets_the_notice_and_its_photo_within_the_window(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    await deliver(worker)
    fake.wrote(OPENID)  # the resident wrote lately: the window is open
    await write_notice(world, photos=("notice-photo-1",))
    await deliver(worker)

    [(to, text)] = [(o, t) for o, t in fake.texts if WATER in t]
    assert to == OPENID
    assert text.startswith("📢 ") and "塘中新村1栋" in text
    assert fake.images == [(OPENID, PICTURE)]
    assert fake.templates == [] and fake.refused == []
    rows = await notice_rows(world.db)
    assert {(r.kind, r.status) for r in rows} == {
        (OutboxKind.NOTICE, OutboxStatus.SENT),
        (OutboxKind.NOTICE_PHOTO, OutboxStatus.SENT),
    }
    assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)


async def test_out_of_the_window_the_template_opens_the_notices_page(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    await deliver(worker)
    world.clock.advance(hours=49)  # the resident's last message is two days old
    await write_notice(world, photos=("notice-photo-1",))
    await deliver(worker)

    assert not any(WATER in t for _, t in fake.texts)
    assert fake.images == [] and fake.refused == []  # nothing WeChat would refuse was tried
    [template] = fake.templates
    assert template["touser"] == OPENID and template["template_id"] == "TPL-NEWS"
    data = {k: v["value"] for k, v in template["data"].items()}
    assert "塘中新村1栋" in data["first"] and data["keyword1"] == "塘中新村1栋"
    assert WATER in data["keyword2"]
    rows = {r.kind: r for r in await notice_rows(world.db)}
    assert rows[OutboxKind.NOTICE].status == OutboxStatus.SENT
    # The photo is not sent out of the window; the copy said how many there are.
    assert rows[OutboxKind.NOTICE_PHOTO].status == OutboxStatus.FAILED
    assert "48-hour" in (rows[OutboxKind.NOTICE_PHOTO].last_error or "")
    assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)

    # The template's page shows the notice to whoever holds the link (WeChat's browser).
    path = urlsplit(template["url"]).path
    assert path.startswith("/door/notice/")
    page = await http.get(path, headers=EN)
    html = await page.text()
    assert page.status == 200 and WATER in html and "With 1 photo" in html
    assert f'src="{path}/photo/0"' in html
    picture = await http.get(f"{path}/photo/0")
    assert picture.status == 200 and await picture.read() == PICTURE
    assert (await http.get(f"{path}/photo/1")).status == 404
    # A key that is not this reader's opens nothing.
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert (await http.get(forged, headers=EN)).status == 404
    assert (await http.get(f"{forged}/photo/0")).status == 404
    other = path.replace("/door/notice/1/", "/door/notice/2/")
    assert (await http.get(other, headers=EN)).status == 404

    # The head corrects it: the page shows the corrected text, marked.
    head = world.client.user(HEAD_ID, "en", "Head")
    shown = [s for s in await world.client.send(head, "/notices") if s.buttons][-1]
    await world.client.click(head, shown, "Correct #1")
    await world.client.send(head, "Water cut moved to Friday.")
    html = await (await http.get(path, headers=EN)).text()
    assert "Water cut moved to Friday." in html and WATER not in html
    assert "corrected by its author" in html


async def test_a_web_resident_is_pushed_and_reads_it_on_the_building_page(
    config: Config,
    translations: Translations,
    clock: FakeClock,
    world: World,
    worker: TelegramDelivery,
    push_service: PushService,
) -> None:
    app = create_web_app(translations, [door_setup(config, world.services, clock)])
    token = world.payloads["A1"][1:]
    async with TestClient(TestServer(app)) as resident, TestClient(TestServer(app)) as stranger:
        ticket_id, _ = await file_report(resident, token)  # the device joined A1 by reporting
        phone = browser(push_service)
        status, _ = await subscribe(resident, ticket_id, phone)
        assert status == 200
        await deliver(worker)
        before = len(push_service.received)

        await write_notice(world)
        await deliver(worker)
        [note] = [phone.read(r.body) for r in push_service.received[before:]]
        assert note["title"] == "📢 Notice for 塘中新村1栋" and note["body"] == WATER
        assert note["url"].startswith("/door/notice/1/")
        assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)

        # The notice's page, from the push; the building page lists it to this device.
        assert WATER in await (await resident.get(note["url"], headers=EN)).text()
        html, _ = await open_poster(resident, token)
        assert 'id="notices"' in html and WATER in html
        # A stranger with the poster's token sees the form, and no notice.
        html, _ = await open_poster(stranger, token)
        assert "notices" not in html and WATER not in html

        # Withdrawn: gone from the building page; its page says it was withdrawn.
        head = world.client.user(HEAD_ID, "en", "Head")
        shown = [s for s in await world.client.send(head, "/notices") if s.buttons][-1]
        await world.client.click(head, shown, "Withdraw #1")
        html, _ = await open_poster(resident, token)
        assert WATER not in html
        html = await (await resident.get(note["url"], headers=EN)).text()
        assert "was withdrawn by its author" in html and WATER not in html


async def test_a_plain_announcement_out_of_the_window_is_not_called_a_ticket(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """A volunteering announcement (a plain message, no ticket) to a WeChat resident whose
    window has closed: the template says what fits of it, and names no ticket."""
    await joined_in_wechat(http, fake, world)
    await deliver(worker)
    world.clock.advance(hours=49)
    head = world.client.user(HEAD_ID, "en", "Head")
    await world.client.send(head, "/activity")
    form = "Tree planting\nGarden behind A1\n2026-12-05 09:00\n2\n2"
    summary = [s for s in await world.client.send(head, form) if s.buttons][-1]
    assert "Reaches one person." in summary.text  # the WeChat resident: a reader now
    await world.client.click(head, summary, "✅ Announce")
    await deliver(worker)

    [template] = fake.templates
    data = {k: v["value"] for k, v in template["data"].items()}
    assert data["first"] == "来自您所在楼栋的消息" and data["keyword1"] == ""
    assert "Tree planting" in data["keyword2"] and "#" not in data["keyword1"]
    assert fake.refused == []


async def test_a_photo_past_wechats_count_rule_is_failed_not_sent(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    await deliver(worker)
    fake.wrote(OPENID)
    fake.per_message = 1  # WeChat takes one message per message of the person: the text
    await write_notice(world, photos=("notice-photo-1",))
    await deliver(worker)
    assert any(WATER in t for _, t in fake.texts) and fake.images == []
    rows = {r.kind: r for r in await notice_rows(world.db)}
    assert rows[OutboxKind.NOTICE].status == OutboxStatus.SENT
    assert rows[OutboxKind.NOTICE_PHOTO].status == OutboxStatus.FAILED
    assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)


OTHER = "o-resident-2"


async def correct_notice(world: World, text: str) -> None:
    head = world.client.user(HEAD_ID, "en", "Head")
    shown = [s for s in await world.client.send(head, "/notices") if s.buttons][-1]
    await world.client.click(head, shown, "Correct #1")
    sent = await world.client.send(head, text)
    assert any("corrected" in s.text for s in sent), [s.text for s in sent]


async def withdraw_notice(world: World) -> None:
    head = world.client.user(HEAD_ID, "en", "Head")
    shown = [s for s in await world.client.send(head, "/notices") if s.buttons][-1]
    await world.client.click(head, shown, "Withdraw #1")


async def test_a_correction_and_a_withdrawal_reach_the_wechat_reader_who_got_it(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """WeChat edits and deletes nothing: the reader who got the notice is told, in a text
    within the window; a follower who joined after it went gets nothing; counts stay."""
    await joined_in_wechat(http, fake, world)
    await deliver(worker)
    fake.wrote(OPENID)
    await write_notice(world)
    await deliver(worker)
    # A second resident joins after the notice went: they never got it.
    assert await Driver(http, fake).subscribe(OTHER, world.payloads["A1"][1:], 2) == (
        200,
        "success",
    )
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")
    await deliver(worker)
    fake.wrote(OTHER)
    before = len(fake.texts)

    await correct_notice(world, "Water cut moved to Friday 09:00.")
    await deliver(worker)
    told = fake.texts[before:]
    assert [to for to, _ in told] == [OPENID], told
    [(_, text)] = told
    assert text.startswith("✏️ 对 ") and "通知的更正" in text  # the reader's language: Chinese
    assert "Water cut moved to Friday 09:00." in text and WATER not in text
    assert fake.templates == [] and fake.refused == []
    assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)

    before = len(fake.texts)
    await withdraw_notice(world)
    await deliver(worker)
    [(to, text)] = fake.texts[before:]
    assert to == OPENID and "的通知已被发布人撤回" in text and "Friday" not in text
    assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)
    edits = [r for r in await notice_rows(world.db) if r.kind == OutboxKind.NOTICE_EDIT]
    assert [r.payload["change"] for r in edits] == ["corrected", "withdrawn"]
    assert all(r.status == OutboxStatus.SENT for r in edits)


async def test_out_of_the_window_the_correction_is_a_template_opening_the_page(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await joined_in_wechat(http, fake, world)
    await deliver(worker)
    fake.wrote(OPENID)
    await write_notice(world)
    await deliver(worker)
    world.clock.advance(hours=49)  # two days on: the window has closed
    before = len(fake.texts)

    await correct_notice(world, "Water cut moved to Friday 09:00.")
    await deliver(worker)
    assert fake.texts[before:] == [] and fake.refused == []
    [template] = fake.templates
    data = {k: v["value"] for k, v in template["data"].items()}
    assert "通知的更正" in data["first"] and "Friday" in data["keyword2"]
    path = urlsplit(template["url"]).path
    html = await (await http.get(path, headers=EN)).text()
    assert "Water cut moved to Friday 09:00." in html and WATER not in html

    await withdraw_notice(world)
    await deliver(worker)
    withdrawn = {k: v["value"] for k, v in fake.templates[-1]["data"].items()}
    assert len(fake.templates) == 2 and "撤回" in withdrawn["first"]
    html = await (await http.get(path, headers=EN)).text()
    assert "was withdrawn by its author" in html


async def test_a_web_reader_is_pushed_the_correction_and_the_withdrawal(
    config: Config,
    translations: Translations,
    clock: FakeClock,
    world: World,
    worker: TelegramDelivery,
    push_service: PushService,
) -> None:
    app = create_web_app(translations, [door_setup(config, world.services, clock)])
    token = world.payloads["A1"][1:]
    async with TestClient(TestServer(app)) as resident:
        ticket_id, _ = await file_report(resident, token)
        phone = browser(push_service)
        status, _ = await subscribe(resident, ticket_id, phone)
        assert status == 200
        await deliver(worker)
        await write_notice(world)
        await deliver(worker)
        before = len(push_service.received)

        await correct_notice(world, "Water cut moved to Friday 09:00.")
        await deliver(worker)
        [note] = [phone.read(r.body) for r in push_service.received[before:]]
        assert note["title"] == "✏️ Notice corrected"
        assert "Correction to the notice of" in note["body"] and "Friday" in note["body"]
        assert note["url"].startswith("/door/notice/1/")

        await withdraw_notice(world)
        await deliver(worker)
        [note] = [phone.read(r.body) for r in push_service.received[before + 1 :]]
        assert note["title"] == "🚫 Notice withdrawn" and "was withdrawn" in note["body"]
        assert "Reached 1, blocked 0, pending 0, cancelled 0" in await listed(world)
