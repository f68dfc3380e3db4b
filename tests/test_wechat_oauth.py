"""The web door inside WeChat's browser: the template message's link opens the ticket page
after WeChat's silent web authorisation (snsapi_base) named the person, and the device is one
of that person's contacts from then on; a state that does not match is refused, a person who
never followed gets the page as any browser, and another browser is not sent to WeChat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.config import Config
from bot.i18n import Translations
from storage.models import Channel, Contact, Ticket, TicketStatus
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, Driver, FakeWeChat
from tests.test_wechat import (
    HEAD_ID,
    OPENID,
    config,
    deliver,
    fake,
    fake_url,
    handled,
    token_of,
    worker,
    world,
)
from web.console import console_setup
from web.door import door_setup
from web.server import create_web_app
from wechat import wechat_setup
from wechat.api import WeChatApi
from wechat.oauth import wechat_oauth_setup
from wechat.protocol import SafeMode

__all__ = ["config", "fake", "fake_url", "world", "worker"]  # fixtures

Http = TestClient[web.Request, web.Application]
IN_WECHAT = {"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit Mobile MicroMessenger/8.0.50"}
BASE = "http://127.0.0.1:8080"


@pytest.fixture
async def http(
    world: World, config: Config, translations: Translations, fake_url: str
) -> AsyncIterator[Http]:
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    setups = [
        door_setup(config, world.services, world.clock),
        wechat_setup(world.services.wechat, TOKEN, SafeMode(AES_KEY, APP_ID), api),
        wechat_oauth_setup(world.services.wechat, api, BASE),
    ]
    async with TestClient(TestServer(create_web_app(translations, setups))) as client:
        yield client
    await api.close()


@pytest.fixture
def driver(http: Http, fake: FakeWeChat) -> Driver:
    return Driver(http, fake)


async def reported(http: Http, driver: Driver, world: World) -> Ticket:
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.report(OPENID, "楼道灯不亮", 101)
    await handled(http)
    async with world.db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
        return ticket


def authorise_query(response: object) -> dict[str, str]:
    location = getattr(response, "headers")["Location"]  # noqa: B009
    assert location.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(location.removesuffix("#wechat_redirect")).query)
    return {key: values[0] for key, values in query.items()}


async def test_the_ticket_page_in_wechat_knows_the_person_after_the_authorisation(
    http: Http, driver: Driver, fake: FakeWeChat, world: World
) -> None:
    ticket = await reported(http, driver, world)
    first = await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False)
    assert first.status == 302
    query = authorise_query(first)
    assert query["appid"] == APP_ID and query["scope"] == "snsapi_base"
    assert query["redirect_uri"] == f"{BASE}/wechat/oauth"
    # WeChat sends the browser back with a code (the person was silently authorised).
    code = fake.authorised(OPENID)
    back = await http.get(
        "/wechat/oauth",
        params={"code": code, "state": query["state"]},
        headers=IN_WECHAT,
        allow_redirects=False,
    )
    assert back.status == 302 and back.headers["Location"] == f"/t/{ticket.id}"
    page = await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False)
    assert page.status == 200 and "楼道灯不亮" in await page.text()
    async with world.db.session() as session:
        contacts = (
            await session.scalars(select(Contact).where(Contact.person_id == ticket.author_id))
        ).all()
    assert sorted(c.channel for c in contacts) == [Channel.WEB, Channel.WECHAT]
    # The code was good once: WeChat refuses it again, and nothing more is linked.
    assert not fake.oauth_codes


async def test_a_forged_state_is_refused_and_links_nothing(
    http: Http, driver: Driver, fake: FakeWeChat, world: World
) -> None:
    ticket = await reported(http, driver, world)
    first = await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False)
    authorise_query(first)
    code = fake.authorised(OPENID)
    forged = await http.get(
        "/wechat/oauth", params={"code": code, "state": "guessed"}, allow_redirects=False
    )
    assert forged.status == 403
    page = await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False)
    assert page.status == 403  # not known (and not sent to WeChat again for a while)
    async with world.db.session() as session:
        web_contacts = (
            await session.scalars(select(Contact).where(Contact.channel == Channel.WEB))
        ).all()
    assert web_contacts == []


async def test_no_authorisation_outside_wechat_or_for_someone_who_never_followed(
    http: Http, driver: Driver, fake: FakeWeChat, world: World
) -> None:
    ticket = await reported(http, driver, world)
    other = await http.get(f"/t/{ticket.id}", allow_redirects=False)
    assert other.status == 403  # the door's own "this device is not known"
    first = await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False)
    query = authorise_query(first)
    code = fake.authorised("o-never-followed")
    back = await http.get(
        "/wechat/oauth",
        params={"code": code, "state": query["state"]},
        headers=IN_WECHAT,
        allow_redirects=False,
    )
    assert back.status == 302
    # Asked once a day: the page answers as to any unknown device, no loop through WeChat.
    again = await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False)
    assert again.status == 403


@pytest.fixture
async def office(
    world: World, config: Config, translations: Translations, fake_url: str
) -> AsyncIterator[Http]:
    """The web server with the console too, and the head's way into it from WeChat."""
    api = WeChatApi(fake_url, APP_ID, APP_SECRET, world.db, world.clock)
    services = world.services
    setups = [
        console_setup(config, services, world.clock),
        door_setup(config, services, world.clock),
        wechat_setup(services.wechat, TOKEN, SafeMode(AES_KEY, APP_ID), api),
        wechat_oauth_setup(services.wechat, api, BASE, services.console),
    ]
    async with TestClient(TestServer(create_web_app(translations, setups))) as client:
        yield client
    await api.close()


async def test_a_head_silent_for_three_days_gets_the_template_and_acts_in_the_console(
    office: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    driver = Driver(office, fake)
    head = world.client.user(HEAD_ID, "en", "Head")
    [code_message] = await world.client.send(head, "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text("o-head-1", code.group(), 1)
    await handled(office)
    await deliver(world, worker)

    # Three days later a resident on WeChat reports: the head's card goes as the template.
    world.clock.advance(days=3)
    await driver.subscribe(OPENID, token_of(world), 2)
    await driver.report(OPENID, "垃圾三天没人收", 3)
    await handled(office)
    await deliver(world, worker)
    ticket = await reported_ticket(world)
    [template] = [t for t in fake.templates if t["touser"] == "o-head-1"]
    assert template["url"] == f"{BASE}/wechat/console/{ticket.id}"

    # The head opens it in WeChat: named by the authorisation, signed in to the console.
    path = urlsplit(template["url"]).path
    first = await office.get(path, headers=IN_WECHAT, allow_redirects=False)
    query = authorise_query(first)
    back = await office.get(
        "/wechat/oauth",
        params={"code": fake.authorised("o-head-1"), "state": query["state"]},
        headers=IN_WECHAT,
        allow_redirects=False,
    )
    link = urlsplit(back.headers["Location"])
    assert link.path.startswith("/console/sign-in/")
    opened = await office.post(link.path, allow_redirects=False)
    assert opened.status == 303
    page = await (await office.get(f"/console/tickets/{ticket.id}")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None and "垃圾三天没人收" in page
    took = await office.post(
        f"/console/tickets/{ticket.id}/take", data={"csrf": csrf.group(1)}, allow_redirects=False
    )
    assert took.status == 303
    taken = await reported_ticket(world)
    assert taken.status is TicketStatus.TAKEN and taken.holder_id is not None


async def test_a_residents_template_link_never_signs_them_in_to_the_console(
    office: Http, fake: FakeWeChat, world: World
) -> None:
    driver = Driver(office, fake)
    await driver.subscribe(OPENID, token_of(world), 1)
    await handled(office)
    first = await office.get("/wechat/console/1", headers=IN_WECHAT, allow_redirects=False)
    query = authorise_query(first)
    back = await office.get(
        "/wechat/oauth",
        params={"code": fake.authorised(OPENID), "state": query["state"]},
        headers=IN_WECHAT,
        allow_redirects=False,
    )
    assert back.headers["Location"] == "/console"
    outside = await office.get("/wechat/console/1", allow_redirects=False)
    assert outside.headers["Location"] == "/console/tickets/1"


async def reported_ticket(world: World) -> Ticket:
    async with world.db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
        return ticket


async def test_a_forged_secret_with_chinese_in_it_is_refused_not_a_server_error(
    http: Http, driver: Driver, world: World
) -> None:
    """Every secret a request brings (WeChat's signature, the authorisation's state, the
    door's CSRF token, a reader's link key) is compared as bytes: one with a non-ASCII
    character (a forged one, or a link pasted with a "。" after it) is refused like any
    other wrong one; compare_digest raised on it and the server answered 500."""
    forged = {"timestamp": "1", "nonce": "1", "signature": "签名"}
    assert (await http.get("/wechat", params={**forged, "echostr": "x"})).status == 403
    assert (await http.post("/wechat", params=forged, data=b"<xml/>")).status == 403

    ticket = await reported(http, driver, world)
    authorise_query(await http.get(f"/t/{ticket.id}", headers=IN_WECHAT, allow_redirects=False))
    state = await http.get("/wechat/oauth", params={"code": "c", "state": "状态"})
    assert state.status == 403

    page = await http.get(f"/b/{token_of(world)}", headers={"Accept-Language": "zh-CN"})
    assert page.status == 200
    form = {"csrf": "令牌", "category": "repairs", "description": "楼道灯不亮"}
    post = await http.post(f"/b/{token_of(world)}", data=form, headers={"Accept-Language": "zh"})
    assert post.status == 403 and "安全令牌" in await post.text()

    for kind, words in (("notice", "这条通知"), ("ballot", "投票页面"), ("activity", "活动页面")):
        link = await http.get(f"/door/{kind}/1/1/钥匙。", headers={"Accept-Language": "zh"})
        assert link.status == 404 and words in await link.text(), kind
    async with world.db.session() as session:
        assert len((await session.scalars(select(Ticket))).all()) == 1
