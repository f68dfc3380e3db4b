"""The Buildings, Numbers and Settings pages in a real browser (Debian's chromium through
Playwright), at a desk's width and at a phone's: they load with no script error and no CSP
violation, fit the phone's width (tables scroll in their own box), the Numbers charts are drawn
from the page's figures by web/static/numbers.js, and a screenshot of each page is kept, in docs/
for the README with ``SCREENSHOTS=docs`` (``console-<page>.png``, ``console-<page>-phone.png``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.config import Config
from tests.botclient import BotClient
from tests.browser import PHONE, browser, screenshots
from tests.conftest import FakeClock
from tests.test_console import link_for
from tests.test_console_browser import free_port
from tests.test_console_desk import some_history
from tests.test_ticket_handling import OFFICE, Town, client, town
from web.console import console_setup
from web.server import create_web_app

__all__ = ["browser", "client", "screenshots", "town"]  # fixtures

DESK: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}


async def test_the_desk_pages_at_a_desk_and_on_a_phone(
    browser: Any,
    town: Town,
    client: BotClient,
    config: Config,
    clock: FakeClock,
    screenshots: Path,
) -> None:
    await some_history(town, clock)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = replace(config, web_base_url=base)
    dp = client.dp
    app = create_web_app(dp["translations"], [console_setup(served, dp["services"], dp["clock"])])
    async with TestServer(app, host="127.0.0.1", port=port):
        for size, suffix in ((DESK, ""), (PHONE, "-phone")):
            context = await browser.new_context(**size, locale="zh-CN")
            page = await context.new_page()
            errors: list[str] = []
            failed: list[str] = []
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r, f=failed: f.append(r.url) if r.status >= 400 else None)
            try:
                await page.goto(base + await link_for(town, OFFICE))
                await page.get_by_role("button").first.click()
                await page.wait_for_url(base + "/console/tickets")
                for name in ("buildings", "numbers", "settings"):
                    await (
                        page.get_by_role("navigation")
                        .get_by_role("link", name=NAV[name], exact=True)
                        .click()
                    )
                    await page.wait_for_url(f"{base}/console/{name}")
                    if name == "numbers":
                        # Drawn by the script from the JSON block: one chart per group.
                        await page.locator("#numbers-charts svg").first.wait_for()
                        assert await page.locator("#numbers-charts figure").count() == 3
                        assert await page.locator("#numbers-charts rect").count() > 3
                    if name == "buildings":
                        assert await page.locator("tr.headless").count() == 1
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= size["viewport"]["width"], (name, width)
                    picture = screenshots / f"console-{name}{suffix}.png"
                    await page.screenshot(path=str(picture), full_page=name != "settings")
                assert failed == []
                assert [e for e in errors if "status of 404" not in e] == [], errors
            finally:
                await context.close()


NAV = {"buildings": "楼栋", "numbers": "数据", "settings": "设置"}


async def test_the_office_downloads_the_list_and_prints_posters_in_the_browser(
    browser: Any, town: Town, client: BotClient, config: Config, clock: FakeClock, tmp_path: Path
) -> None:
    """What a clerk does at the desk: the tickets list as Excel, then the posters of two ticked
    buildings; the files the browser saved are opened as the office would open them."""
    await some_history(town, clock)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = replace(config, web_base_url=base, bot_username="louzhang_test_bot")
    dp = client.dp
    app = create_web_app(dp["translations"], [console_setup(served, dp["services"], dp["clock"])])
    async with TestServer(app, host="127.0.0.1", port=port):
        context = await browser.new_context(**DESK, locale="zh-CN", accept_downloads=True)
        page = await context.new_page()
        try:
            await page.goto(base + await link_for(town, OFFICE))
            await page.get_by_role("button").first.click()
            await page.wait_for_url(base + "/console/tickets")
            async with page.expect_download() as sheet:
                await page.locator('a[href^="/console/export/tickets.xlsx"]').click()
            saved = tmp_path / "tickets.xlsx"
            await (await sheet.value).save_as(saved)
            worksheet = load_workbook(saved).active
            assert worksheet is not None
            rows = list(worksheet.values)
            assert len(rows) == 1 + 4  # the header and the four reports the office covers

            await (
                page.get_by_role("navigation")
                .get_by_role("link", name=NAV["buildings"], exact=True)
                .click()
            )
            await page.wait_for_url(f"{base}/console/buildings")
            for code in ("A2", "A1"):
                await page.locator(f'tr[data-code="{code}"] input[name="b"]').check()
            async with page.expect_download() as posters:
                await page.locator('#posters button[type="submit"]').click()
            download = await posters.value
            if await download.failure() is not None:  # 503: no Pango on this machine
                pytest.skip("PDFs cannot be made here (Debian: libpango-1.0-0)")
            pdf = tmp_path / "posters.pdf"
            await download.save_as(pdf)
            texts = [p.extract_text() for p in PdfReader(pdf).pages]
            assert len(texts) == 2  # one A4 page per ticked building
            assert all("t.me/louzhang_test_bot?start=" in text for text in texts)
        finally:
            await context.close()


async def test_a_refused_click_shows_why_in_the_browser(
    browser: Any, town: Town, client: BotClient, config: Config
) -> None:
    """htmx swaps no 4xx by its defaults: a refused estate save did nothing a clerk could see.
    The estate form of a building the clerk may not set (an id forged into the page) now puts
    the refusal, in their language, in the flash area under the header; the form stays. The
    next click that goes through empties the flash area."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = replace(config, web_base_url=base)
    dp = client.dp
    app = create_web_app(dp["translations"], [console_setup(served, dp["services"], dp["clock"])])
    async with TestServer(app, host="127.0.0.1", port=port):
        context = await browser.new_context(**DESK, locale="zh-CN")
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        try:
            await page.goto(base + await link_for(town, OFFICE))
            await page.get_by_role("button").first.click()
            await page.wait_for_url(base + "/console/tickets")
            await page.goto(base + "/console/buildings")
            flash = page.locator("#console-flash")
            assert await flash.inner_text() == ""
            form = page.locator("form.estate").first
            await form.evaluate(
                "f => { f.setAttribute('hx-post', '/console/buildings/99999/estate');"
                " htmx.process(f); }"
            )
            await form.locator('input[name="estate"]').fill("翠竹苑")
            await form.get_by_role("button").click()
            await flash.get_by_role("alert").wait_for(timeout=5000)
            assert await flash.inner_text() == "抱歉，您没有权限进行此操作。未做任何更改。"
            assert page.url == base + "/console/buildings"  # the page stays, and its form
            assert await page.locator("form.estate").count() >= 1
            # The next click that goes through takes the notice away.
            form = page.locator("form.estate").first
            await form.evaluate(
                "f => { f.setAttribute('hx-post', f.getAttribute('action')); htmx.process(f); }"
            )
            await form.locator('input[name="estate"]').fill("翠竹苑")
            await form.get_by_role("button").click()
            await flash.get_by_role("alert").wait_for(state="detached", timeout=5000)
            assert await flash.inner_text() == ""
            # The browser logs the 403 (and the favicon's 404); nothing else went wrong.
            assert [e for e in errors if "403" not in e and "404" not in e] == [], errors
        finally:
            await context.close()
