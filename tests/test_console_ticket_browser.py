"""The ticket page in a real browser (Debian's chromium through Playwright): a head signs in by
the /web link, opens a ticket from the list, takes it, replies (the resident's chat receives the
reply) and resolves it, each through htmx without a page load; the page is kept as
docs/console-ticket.png for the README (``SCREENSHOTS=docs``, tests/browser.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from bot.config import Config
from storage.models import TicketStatus
from tests.botclient import BotClient
from tests.browser import browser, screenshots
from tests.test_console import link_for
from tests.test_console_browser import free_port
from tests.test_ticket_handling import (
    HEAD,
    RESIDENT,
    Town,
    client,
    one,
    ticket,
    to,
    town,
)
from web.console import console_setup
from web.server import create_web_app

__all__ = ["browser", "client", "screenshots", "town"]  # fixtures


async def test_a_head_replies_and_resolves_in_the_browser(
    browser: Any, town: Town, client: BotClient, config: Config, screenshots: Path
) -> None:
    filed = await town.report(text="The stair light on floor 3 is broken, it is dark at night")
    await town.report(text="The lift door squeaks")
    await town.deliver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = replace(config, web_base_url=base)  # the browser's Origin is the console's own
    dp = client.dp
    app = create_web_app(dp["translations"], [console_setup(served, dp["services"], dp["clock"])])
    path = await link_for(town, HEAD)
    async with TestServer(app, host="127.0.0.1", port=port):
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            await page.goto(base + path)
            await page.get_by_role("button", name="Continue").click()
            await page.wait_for_url(base + "/console/tickets")
            await page.get_by_role("link", name=f"#{filed.number}", exact=True).click()
            await page.wait_for_url(f"{base}/console/tickets/{filed.id}")
            await page.get_by_role("button", name="✋ Take").click()
            await page.get_by_text("You have taken the ticket.").wait_for()

            await page.get_by_label("Reply to the resident").fill("An electrician comes at 3 pm.")
            await page.get_by_role("button", name="Send reply").click()
            await page.get_by_text("Your reply has been sent to the resident.").wait_for()
            sent = await town.deliver()
            assert to(sent, RESIDENT)[-1].text.endswith("\nAn electrician comes at 3 pm.")
            await page.screenshot(path=str(screenshots / "console-ticket.png"), full_page=True)

            await page.get_by_label("Resolve").fill("New bulb fitted.")
            await page.get_by_role("button", name="✅ Resolve").click()
            await page.get_by_text("The ticket is resolved").wait_for()
            assert page.url == f"{base}/console/tickets/{filed.id}"  # htmx: no page load
            assert (await ticket(town.db, filed.number)).status is TicketStatus.RESOLVED
            assert "New bulb fitted." in one(await town.deliver(), RESIDENT).text
            assert await page.locator(".timeline li", has_text="(web)").count() == 3
            assert [e for e in errors if "status of 404" not in e] == [], errors
        finally:
            await context.close()
