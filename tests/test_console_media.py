"""A ticket's photos and voice notes in the console: fetched from the (fake) Bot API through
getFile and its file endpoint, kept on disk (readable by the bot's user only), fetched once,
and served only to staff who cover the ticket, never at a public URL."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.services.ticket_core import Content, Draft
from storage.models import Ticket
from telegram.files import TelegramFiles
from tests.botclient import BotClient
from tests.conftest import TOKEN
from tests.fakeapi import FakeBotAPI
from tests.test_console import sign_in
from tests.test_ticket_handling import HEAD, HEAD2, RESIDENT, Town, client, town
from web.console import console_setup
from web.server import create_web_app

__all__ = ["client", "town"]  # fixtures

Http = TestClient[web.Request, web.Application]
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 100
OGG = b"OggS" + b"voice" * 100
REPLY_JPEG = b"\xff\xd8\xff\xe0" + b"reply" * 50


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.files.update({"PHOTO-A": JPEG, "VOICE-B": OGG, "PHOTO-C": REPLY_JPEG})
        yield server


@pytest.fixture
async def api_bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    yield bot
    await bot.session.close()


def console(client: BotClient, api_bot: Bot, cache: Path) -> Http:
    dp = client.dp
    config = replace(dp["config"], media_cache_dir=str(cache))
    setup = console_setup(config, dp["services"], dp["clock"], TelegramFiles(api_bot))
    return TestClient(TestServer(create_web_app(dp["translations"], [setup])))


async def with_media(town: Town) -> Ticket:
    resident = await town.person(RESIDENT)
    [building] = await town.world.services.reporting.resident_buildings(resident)
    media = [{"type": "photo", "file_id": "PHOTO-A"}, {"type": "voice", "file_id": "VOICE-B"}]
    draft = Draft(building.building_id, "repairs", "Look at this", media=media)
    filed = (await town.world.services.reporting.report(resident, draft)).ticket
    # A photo the resident sends later, relayed to the staff, is the ticket's too.
    await town.world.services.ticket_actions.message(resident, filed.id, Content(photo="PHOTO-C"))
    return filed


def get_files(fake: FakeBotAPI) -> list[str]:
    return [str(c.params["file_id"]) for c in fake.calls if c.method == "getFile"]


async def test_staff_see_photos_and_hear_voice_notes(
    town: Town, client: BotClient, api_bot: Bot, fake: FakeBotAPI, tmp_path: Path
) -> None:
    filed = await with_media(town)
    cache = tmp_path / "media"
    async with console(client, api_bot, cache) as http:
        await sign_in(town, http, HEAD)
        page = await (await http.get(f"/console/tickets/{filed.id}")).text()
        base = f"/console/tickets/{filed.id}/files/"
        assert (
            f'<img src="{base}0"' in page
            and f'<audio controls preload="none" src="{base}1"' in page
        )
        assert f'src="{base}2"' in page
        photo = await http.get(base + "0")
        assert photo.status == 200 and photo.content_type == "image/jpeg"
        assert await photo.read() == JPEG
        assert photo.headers["Cache-Control"] == "no-store"
        voice = await http.get(base + "1")
        assert voice.content_type == "audio/ogg" and await voice.read() == OGG
        assert await (await http.get(base + "2")).read() == REPLY_JPEG
        # Fetched once: a second look is served from the disk.
        assert await (await http.get(base + "0")).read() == JPEG
        assert get_files(fake) == ["PHOTO-A", "VOICE-B", "PHOTO-C"] and len(fake.downloads) == 3
        kept = sorted(cache.iterdir())
        assert len(kept) == 3
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in kept)
        assert not any("PHOTO" in f.name for f in kept)
        assert (await http.get(base + "3")).status == 404
        assert (await http.get(base + "x")).status == 404


async def test_no_file_for_another_building_or_a_stranger(
    town: Town, client: BotClient, api_bot: Bot, fake: FakeBotAPI, tmp_path: Path
) -> None:
    filed = await with_media(town)
    cache = tmp_path / "media"
    async with console(client, api_bot, cache) as http:
        assert (await http.get(f"/console/tickets/{filed.id}/files/0")).status == 401
        await sign_in(town, http, HEAD2)  # head of another building
        assert (await http.get(f"/console/tickets/{filed.id}/files/0")).status == 404
    assert get_files(fake) == [] and not cache.exists()


async def test_a_file_telegram_refuses_is_a_bad_gateway_and_not_kept(
    town: Town, client: BotClient, api_bot: Bot, fake: FakeBotAPI, tmp_path: Path
) -> None:
    filed = await with_media(town)
    del fake.files["PHOTO-A"]
    fake.files["PLACEHOLDER"] = b""  # keeps the others' paths
    async with console(client, api_bot, tmp_path / "c") as http:
        await sign_in(town, http, HEAD)
        response = await http.get(f"/console/tickets/{filed.id}/files/0")
        assert response.status == 502
        assert (await http.get(f"/console/tickets/{filed.id}/files/1")).status == 200
    assert len(list((tmp_path / "c").iterdir())) == 1
