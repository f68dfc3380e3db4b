"""The poster's web twin: with a public WEB_BASE_URL the QR code opens ``/b/<token>`` (any phone
camera, WeChat's scanner), whose page offers the same token in Telegram when the Telegram door is
known (BOT_USERNAME); without a public address the QR keeps the Telegram deep link, since a
127.0.0.1 address on a printed poster opens nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aiogram.types import BufferedInputFile
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import parse_buildings_csv
from bot.services.links import poster_link, web_twin
from storage.models import Role
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, TOKEN, FakeClock
from tests.test_staff import EXAMPLE, FakeRenderer, appoint, photo
from web.door import door_setup
from web.server import create_web_app

PUBLIC = "https://louzhang.example.org"
JOIN = "AbCdEfGhIjKlMnOpQrStUv"
EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(
    ("public", "username", "expected"),
    [
        (PUBLIC, "louzhang_bot", f"{PUBLIC}/b/{JOIN}"),
        (PUBLIC, None, f"{PUBLIC}/b/{JOIN}"),
        (None, "louzhang_bot", f"https://t.me/louzhang_bot?start=j{JOIN}"),
        (None, None, f"http://127.0.0.1:8080/b/{JOIN}"),  # a trial on this machine
    ],
)
def test_what_the_posters_qr_holds(public: str | None, username: str | None, expected: str) -> None:
    link = poster_link(
        f"j{JOIN}", public_base=public, bot_username=username, local_base="http://127.0.0.1:8080"
    )
    assert link == expected


def test_only_a_join_payload_has_a_web_twin() -> None:
    assert web_twin(PUBLIC, f"j{JOIN}") == f"{PUBLIC}/b/{JOIN}"
    for payload in (f"i{JOIN}", "x", "j bad"):
        with pytest.raises(ValueError, match="join payload"):
            web_twin(PUBLIC, payload)


# /joinlink in chat ------------------------------------------------------------------------------


@pytest.fixture
def base_url() -> str | None:
    return PUBLIC


@pytest.fixture
def config(tmp_path: Path, base_url: str | None) -> Config:
    return Config(
        bot_token=Secret(TOKEN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        bot_username="louzhang_test_bot",
        admin_ids=frozenset({ADMIN_ID}),
        web_base_url=base_url,
    )


@pytest.fixture
def renderer(client: BotClient) -> FakeRenderer:
    fake = FakeRenderer()
    client.dp["services"].posters.renderer = fake
    return fake


@pytest.fixture
async def payloads(services: Services) -> dict[str, str]:
    rows = parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    report = await services.community.import_buildings(rows)
    return {b.code: b.payload for b in report.buildings}


async def test_with_a_public_address_the_posters_qr_opens_the_web_twin(
    client: BotClient, services: Services, payloads: dict[str, str], renderer: FakeRenderer
) -> None:
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    method = photo(await client.send(head, "/joinlink"))
    assert isinstance(method.photo, BufferedInputFile)
    token = payloads["TZ-A01"][1:]
    assert renderer.posters[-1].link == f"{PUBLIC}/b/{token}"
    # The caption keeps the Telegram link: in chat it is forwarded, not scanned.
    telegram = f"https://t.me/louzhang_test_bot?start={payloads['TZ-A01']}"
    assert method.caption is not None and telegram in method.caption


@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:8080"])
async def test_without_a_public_address_the_qr_keeps_the_telegram_link(
    client: BotClient, services: Services, payloads: dict[str, str], renderer: FakeRenderer
) -> None:
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    photo(await client.send(head, "/joinlink"))
    telegram = f"https://t.me/louzhang_test_bot?start={payloads['TZ-A01']}"
    assert renderer.posters[-1].link == telegram


# The web twin's page ----------------------------------------------------------------------------


async def open_page(
    config: Config, services: Services, translations: Translations, clock: FakeClock, token: str
) -> str:
    app = create_web_app(translations, [door_setup(config, services, clock)])
    client: TestClient[web.Request, web.Application]
    async with TestClient(TestServer(app)) as client:
        page = await client.get(f"/b/{token}", headers=EN)
        assert page.status == 200
        return await page.text()


async def test_the_web_twin_offers_telegram_only_when_the_telegram_door_is_known(
    config: Config,
    services: Services,
    translations: Translations,
    clock: FakeClock,
    payloads: dict[str, str],
) -> None:
    token = payloads["TZ-A01"][1:]
    html = await open_page(config, services, translations, clock, token)
    telegram = f"https://t.me/louzhang_test_bot?start=j{token}"
    assert f'href="{telegram}" id="open-telegram">Open in Telegram</a>' in html
    assert "塘中新村1栋" in html and 'action="/b/' in html  # the report form stays first class

    without = replace(config, bot_token=None, bot_username=None)
    html = await open_page(without, services, translations, clock, token)
    assert "Open in Telegram" not in html and "t.me" not in html
    assert 'action="/b/' in html
