"""``python -m bot wechat-qr`` and ``wechat-menu`` against the fake WeChat API: a building's
permanent QR code carries its join token (scanning it joins the building), the posters PDF has
a page per building, an unknown code makes no code at all; the menu's three buttons are set
and each is answered in the door."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pypdf import PdfReader

from bot.__main__ import build_parser
from bot.config import Config, Secret
from bot.services.errors import ServiceError
from storage.models import Membership
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import APP_ID, APP_SECRET, TOKEN, Driver, FakeWeChat
from tests.test_documents_pdf import _pdf_problem
from tests.test_wechat import (
    OPENID,
    config,
    count,
    deliver,
    fake,
    fake_url,
    handled,
    token_of,
    worker,
    world,
)
from tests.test_wechat_work import driver, http, texts_to
from wechat import cli

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures

Http = TestClient[web.Request, web.Application]


def on(config: Config, fake_url: str) -> Config:
    return dataclasses.replace(
        config,
        wechat_app_id=APP_ID,
        wechat_app_secret=Secret(APP_SECRET),
        wechat_token=Secret(TOKEN),
        wechat_api_url=fake_url,
    )


async def test_wechat_qr_makes_permanent_codes_that_join_the_building(
    world: World,
    config: Config,
    fake_url: str,
    fake: FakeWeChat,
    http: Http,
    driver: Driver,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "wechat.pdf"
    args = build_parser().parse_args(["wechat-qr", "塘中社区", "A1", "B1", "--out", str(out)])
    pdf_ok = _pdf_problem() is None
    if not pdf_ok:
        args.out = None
    assert await cli.run("wechat-qr", args, on(config, fake_url), world.db) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["A1\thttp://weixin.qq.com/q/fake1", "B1\thttp://weixin.qq.com/q/fake2"]
    first = fake.qrcodes[0]
    assert first["action_name"] == "QR_LIMIT_STR_SCENE" and "expire_seconds" not in first
    assert first["action_info"]["scene"]["scene_str"] == token_of(world, "A1")
    if pdf_ok:
        assert len(PdfReader(out).pages) == 2
    # Scanning it: WeChat sends the scene back with the follow event.
    await driver.subscribe(OPENID, first["action_info"]["scene"]["scene_str"], 1)
    await handled(http)
    assert await count(world.db, Membership) == 2  # the head's and the new resident's

    # An unknown code: refused before any code is made.
    made = len(fake.qrcodes)
    args = build_parser().parse_args(["wechat-qr", "塘中社区", "A1", "ZZ9"])
    with pytest.raises(ServiceError):
        await cli.run("wechat-qr", args, on(config, fake_url), world.db)
    assert len(fake.qrcodes) == made
    # The door off: one line, exit code 2.
    assert await cli.run("wechat-qr", args, config, world.db) == 2


async def test_wechat_menu_sets_three_buttons_the_door_answers(
    world: World,
    config: Config,
    fake_url: str,
    fake: FakeWeChat,
    http: Http,
    driver: Driver,
    worker: TelegramDelivery,
) -> None:
    args = build_parser().parse_args(["wechat-menu"])
    assert await cli.run("wechat-menu", args, on(config, fake_url), world.db) == 0
    [menu] = fake.custom_menus
    assert [(b["type"], b["name"], b["key"]) for b in menu["button"]] == [
        ("click", "报修", "report"),
        ("click", "我的工单", "mine"),
        ("click", "帮助", "help"),
    ]
    await driver.subscribe(OPENID, token_of(world), 1)
    await driver.click(OPENID, "mine", 2)
    await handled(http)
    await driver.report(OPENID, "电梯坏了", 3)
    await handled(http)
    await deliver(world, worker)  # WeChat's five sends a message allows: the report's used
    await driver.click(OPENID, "mine", 4)
    await driver.click(OPENID, "help", 5)
    await handled(http)
    await deliver(world, worker)
    texts = texts_to(fake, OPENID)
    assert "您还没有工单。" in texts
    assert any(text.startswith("您的工单：\n#1：") for text in texts)
    assert "扫描楼栋海报" in texts[-1]
