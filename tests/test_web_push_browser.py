"""The installable door in a real phone browser (Debian's chromium through Playwright): the
ticket page registers the service worker for the whole site under the page's CSP, offers
"Tell me when the head answers" only where the browser has push, asks for the permission only
on that tap, and says so politely when it is refused (the page stays the news)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer

from bot.config import Config
from bot.i18n import Translations
from tests.browser import browser, phone
from tests.conftest import FakeClock
from tests.factories import World
from tests.test_web_door import token_of, world
from web.door import door_setup
from web.server import create_web_app

__all__ = ["browser", "phone", "world"]  # fixtures


async def test_the_ticket_page_offers_notifications_after_a_tap(
    phone: Any, world: World, config: Config, translations: Translations, clock: FakeClock
) -> None:
    app = create_web_app(translations, [door_setup(config, world.services, clock)])
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    failed: list[str] = []
    phone.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    async with TestServer(app, host="127.0.0.1") as server:
        base = f"http://127.0.0.1:{server.port}"
        await phone.goto(f"{base}/b/{token_of(world)}")
        await phone.get_by_text("维修").click()
        await phone.locator("#description").fill("3楼楼道灯坏了")
        await phone.get_by_role("button", name="下一步：核对并发送").click()
        await phone.get_by_role("button", name="发送给楼长").click()
        await phone.wait_for_url(f"{base}/t/*")
        scope = await phone.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == f"{base}/"
        offer = phone.get_by_role("button", name="楼长回复时通知我")
        await offer.wait_for(state="visible")
        # Nothing was asked before the tap.
        assert await phone.evaluate("Notification.permission") == "default"
        await offer.click()
        await phone.locator("#push-state").get_by_text("此浏览器已禁止通知").wait_for()
    assert failed == [] and errors == [], (failed, errors)
