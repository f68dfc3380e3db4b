"""The console in a real browser (Debian's chromium through Playwright): a head signs in by the
link /web gave them, sees their tickets, and a filter change swaps the table through htmx (the
URL follows, so the view can be bookmarked), at a desk's width and at a phone's."""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any

from aiohttp.test_utils import TestServer

from bot.config import Config
from storage.models import Ticket
from tests.botclient import BotClient
from tests.browser import PHONE, browser
from tests.test_console import link_for
from tests.test_console_tickets import client, filed, town
from tests.test_ticket_handling import HEAD, Town
from web.console import console_setup
from web.server import create_web_app

__all__ = ["browser", "client", "filed", "town"]  # fixtures


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_head_signs_in_by_link_and_filters_the_list(
    browser: Any, town: Town, client: BotClient, config: Config, filed: dict[str, Ticket]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The browser's Origin must be the console's own: WEB_BASE_URL is this server.
    served = replace(config, web_base_url=base)
    dp = client.dp
    app = create_web_app(dp["translations"], [console_setup(served, dp["services"], dp["clock"])])
    path = await link_for(town, HEAD)
    async with TestServer(app, host="127.0.0.1", port=port):
        for size in ({"viewport": {"width": 1280, "height": 800}}, PHONE):
            context = await browser.new_context(**size, locale="en-GB")
            page = await context.new_page()
            errors: list[str] = []
            failed: list[str] = []
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r, f=failed: f.append(r.url) if r.status >= 400 else None)
            try:
                if size is PHONE:  # a second link for the second browser
                    await page.goto(base + await link_for(town, HEAD))
                else:
                    await page.goto(base + path)
                await page.get_by_role("button", name="Continue").click()
                await page.wait_for_url(base + "/console/tickets")
                rows = page.locator("tr.ticket")
                assert await rows.count() == 2
                assert await page.get_by_text("Signed in as").count() == 1
                # The page fits the phone's width (the table scrolls inside its own box).
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= size["viewport"]["width"]
                await page.select_option("select[name=hidden]", "1")
                await page.wait_for_url("**/console/tickets?*hidden=1*")
                await page.locator("tr.ticket").first.wait_for()
                assert await rows.count() == 1
                number = filed["a1-hidden"].number
                assert await rows.first.get_attribute("data-number") == str(number)
                # No CSP violation, no script error; every request of the page answered (the
                # browser's own favicon request, not the page's, is the one 404 it logs).
                assert failed == []
                assert [e for e in errors if "status of 404" not in e] == [], errors
            finally:
                await context.close()
