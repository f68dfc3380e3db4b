"""The web door in a real phone browser (Debian's chromium through Playwright, at a phone's
size, in Chinese): a resident opens the poster's link, picks a category chip, writes, attaches
a photo (resized by the page's script before upload), sends, and lands on the ticket page; the
head's card is queued for Telegram with the photo."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from PIL import Image
from sqlalchemy import select

from bot.config import Config
from bot.i18n import Translations
from storage.db import Database
from storage.models import OutboxMessage, Ticket, WebFile
from tests.browser import browser, phone
from tests.conftest import FakeClock
from tests.factories import World
from tests.test_web_door import HEAD_ID, token_of, world
from web.door import door_setup
from web.server import create_web_app

__all__ = ["browser", "phone", "world"]  # fixtures


async def test_a_resident_reports_from_a_phone(
    phone: Any,
    world: World,
    config: Config,
    translations: Translations,
    clock: FakeClock,
    db: Database,
    tmp_path: Path,
) -> None:
    app = create_web_app(translations, [door_setup(config, world.services, clock)])
    picture = tmp_path / "IMG_0001.jpg"
    Image.new("RGB", (3000, 2000), (30, 90, 160)).save(picture, "JPEG")
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    failed: list[str] = []
    phone.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    async with TestServer(app, host="127.0.0.1") as server:
        base = f"http://127.0.0.1:{server.port}"
        await phone.goto(f"{base}/b/{token_of(world)}")
        assert await phone.get_by_role("heading", name="塘中新村1栋").count() == 1
        await phone.get_by_text("维修").click()  # a chip: the radio behind it is hidden
        await phone.locator("#description").fill("3楼楼道灯坏了")
        await phone.locator("#photo").set_input_files(str(picture))
        await phone.locator("#photo-state").get_by_text("1 / 5").wait_for()
        # The script put a smaller JPEG in the field before upload.
        size = await phone.evaluate("document.getElementById('photo').files[0].size")
        assert 0 < size < picture.stat().st_size
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360  # nothing wider than the phone
        await phone.get_by_role("button", name="下一步：核对并发送").click()
        await phone.get_by_role("button", name="发送给楼长").click()
        await phone.wait_for_url(f"{base}/t/*")
        assert await phone.get_by_text("已发送，工单号 #1").count() == 1
        assert await phone.locator(".photos img").count() == 1
    assert failed == [] and errors == [], (failed, errors)
    async with db.session() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.description == "3楼楼道灯坏了"
        [item] = ticket.media
        stored = await session.get(WebFile, item["web_file"])
        assert stored is not None
        with Image.open(io.BytesIO(stored.content)) as image:
            assert max(image.size) <= 1600
        rows = (await session.scalars(select(OutboxMessage))).all()
        to_head = [r for r in rows if r.address == str(HEAD_ID) and r.ticket_id == ticket.id]
        assert [r.kind for r in to_head][:2] == ["card", "media"]
        assert to_head[1].payload["web_photo"] == item["web_file"]
