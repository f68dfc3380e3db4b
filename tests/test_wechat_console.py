"""A photo a resident sends on WeChat is the ticket's: the head sees it in the console (from
the database, as the web door's photos; no Telegram file source needed) and in Telegram."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pypdf import PdfReader

from storage.models import Ticket
from tests.botclient import BotClient
from tests.fakewechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, Driver, FakeWeChat, serve
from tests.test_console import sign_in
from tests.test_documents_pdf import _pdf_problem
from tests.test_ticket_handling import HEAD, HEAD2, Town, client, town
from tests.test_wechat import handled
from tests.test_wechat_work import jpeg, the_ticket
from web.console import console_setup
from web.console.guard import WECHAT_QR, QrMaker
from web.server import create_web_app
from wechat import wechat_setup
from wechat.api import WeChatApi
from wechat.protocol import SafeMode

__all__ = ["client", "town"]  # fixtures

Http = TestClient[web.Request, web.Application]
OPENID = "o-console-1"


@pytest.fixture
async def http(town: Town, client: BotClient) -> AsyncIterator[tuple[Http, Driver]]:
    """One web server with the WeChat door and the console, as the bot runs them (the
    console offering WeChat's posters as bot/__main__.py wires it)."""
    fake = FakeWeChat(town.world.clock)
    async for url in serve(fake):
        dp = client.dp
        api = WeChatApi(url, APP_ID, APP_SECRET, town.db, town.world.clock)
        door = wechat_setup(dp["services"].wechat, TOKEN, SafeMode(AES_KEY, APP_ID), api)
        console = console_setup(dp["config"], dp["services"], dp["clock"])

        def posters(app: web.Application, qrcode: QrMaker = api.qrcode) -> None:
            app[WECHAT_QR] = qrcode

        app = create_web_app(dp["translations"], [door, console, posters])
        async with TestClient(TestServer(app)) as web_client:
            yield web_client, Driver(web_client, fake)
        await api.close()


async def test_the_console_prints_wechat_posters_when_the_door_is_on(
    town: Town, http: tuple[Http, Driver], client: BotClient
) -> None:
    web_client, driver = http
    await sign_in(town, web_client, HEAD)
    page = await (await web_client.get("/console/buildings")).text()
    assert 'name="door" value="wechat"' in page
    building = re.search(r'name="b" value="(\d+)"', page)
    assert building is not None
    if (problem := _pdf_problem()) is not None:
        pytest.skip(f"PDFs cannot be made here: {problem}")
    got = await web_client.get(
        "/console/export/posters.pdf", params={"b": building.group(1), "door": "wechat"}
    )
    assert got.status == 200 and got.content_type == "application/pdf"
    assert len(PdfReader(io.BytesIO(await got.read())).pages) == 1
    [made] = driver.fake.qrcodes
    assert made["action_info"]["scene"]["scene_str"] == town.world.payloads["A1"][1:]
    assert made["action_name"] == "QR_LIMIT_STR_SCENE"

    # Without the WeChat door: no such button, and no such posters.
    dp = client.dp
    plain = create_web_app(
        dp["translations"], [console_setup(dp["config"], dp["services"], dp["clock"])]
    )
    async with TestClient(TestServer(plain)) as other:
        await sign_in(town, other, HEAD)
        assert 'value="wechat"' not in await (await other.get("/console/buildings")).text()
        refused = await other.get("/console/export/posters.pdf", params={"door": "wechat"})
        assert refused.status == 404


async def test_the_head_sees_a_wechat_photo_in_the_console(
    town: Town, http: tuple[Http, Driver]
) -> None:
    web_client, driver = http
    photo = jpeg()
    await driver.subscribe(OPENID, town.world.payloads["A1"][1:], 1)
    await driver.image(OPENID, photo, 11)
    await driver.report(OPENID, "门禁坏了", 12)
    await handled(web_client)
    ticket: Ticket = await the_ticket(town.db)
    await sign_in(town, web_client, HEAD)
    page = await (await web_client.get(f"/console/tickets/{ticket.id}")).text()
    base = f"/console/tickets/{ticket.id}/files/"
    assert f'<img src="{base}0"' in page
    got = await web_client.get(base + "0")
    assert got.status == 200 and got.content_type == "image/jpeg"
    assert (await got.read()).startswith(b"\xff\xd8")
    assert (await web_client.get(base + "1")).status == 404


async def test_another_buildings_head_gets_no_wechat_photo(
    town: Town, http: tuple[Http, Driver]
) -> None:
    web_client, driver = http
    await driver.subscribe(OPENID, town.world.payloads["A1"][1:], 1)
    await driver.image(OPENID, jpeg(), 11)
    await driver.report(OPENID, "门禁坏了", 12)
    await handled(web_client)
    ticket = await the_ticket(town.db)
    await sign_in(town, web_client, HEAD2)
    assert (await web_client.get(f"/console/tickets/{ticket.id}/files/0")).status == 404


async def test_a_wechat_photo_in_the_conversation_is_in_the_console_too(
    town: Town, http: tuple[Http, Driver]
) -> None:
    web_client, driver = http
    await driver.subscribe(OPENID, town.world.payloads["A1"][1:], 1)
    await driver.report(OPENID, "门禁坏了", 12)
    await driver.image(OPENID, jpeg(), 13)  # the ticket is open: a message to the head
    await handled(web_client)
    ticket = await the_ticket(town.db)
    assert ticket.media == []
    await sign_in(town, web_client, HEAD)
    page = await (await web_client.get(f"/console/tickets/{ticket.id}")).text()
    base = f"/console/tickets/{ticket.id}/files/"
    assert f'<img src="{base}0"' in page
    got = await web_client.get(base + "0")
    assert got.status == 200 and got.content_type == "image/jpeg"
    assert (await got.read()).startswith(b"\xff\xd8")
