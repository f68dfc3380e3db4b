"""The web server every HTTP part shares: health for the proxy, headers that keep pages from
being framed or sniffed, static files from the package, a body limit, and a wrong link answered
with a page a resident can read in their language (in a real browser at a phone's width)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.i18n import Translations
from tests.browser import browser, phone
from web.server import MAX_BODY, WebServer, create_web_app

__all__ = ["browser", "phone"]  # fixtures


def echo(app: web.Application) -> None:
    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app.router.add_post("/echo", upload)


@pytest.fixture
async def http() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = create_web_app(Translations(default="zh-hans"), [echo])
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_health_answers_for_the_proxy(http: TestClient[web.Request, web.Application]) -> None:
    response = await http.get("/healthz")
    assert response.status == 200 and (await response.json()) == {"ok": True}


async def test_every_page_carries_the_headers_that_protect_it(
    http: TestClient[web.Request, web.Application],
) -> None:
    response = await http.get("/no-such-page")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        ("zh-CN,zh;q=0.9", "", "找不到这个页面"),
        ("en-GB,en;q=0.8", "", "Page not found"),
        ("fr-FR", "", "找不到这个页面"),  # neither: the community's default
        ("zh-CN", "?lang=en", "Page not found"),
    ],
)
async def test_a_wrong_link_is_a_page_in_the_visitors_language(
    http: TestClient[web.Request, web.Application], accept: str, query: str, expected: str
) -> None:
    response = await http.get("/poster/typo" + query, headers={"Accept-Language": accept})
    assert response.status == 404
    assert expected in await response.text()


async def test_static_files_come_from_the_package_with_their_version(
    http: TestClient[web.Request, web.Application],
) -> None:
    page = await (await http.get("/nowhere")).text()
    assert "/static/site.css?v=" in page
    css = await http.get("/static/site.css")
    assert css.status == 200 and "font-family" in await css.text()
    assert (await http.get("/static/../bot/config.py")).status in (403, 404)


async def test_a_body_over_the_limit_is_refused(
    http: TestClient[web.Request, web.Application],
) -> None:
    assert await (await http.post("/echo", data=b"x" * 1000)).text() == "1000"
    too_big = io.BytesIO(b"x" * (MAX_BODY + 1))
    assert (await http.post("/echo", data=too_big)).status == 413


async def test_the_server_listens_where_it_is_told(tmp_path: Path) -> None:
    server = WebServer(create_web_app(Translations()), "127.0.0.1", 0)
    url = await server.start()
    try:
        assert url.startswith("http://127.0.0.1:") and server.port > 0
    finally:
        await server.stop()


async def test_a_wrong_link_reads_well_on_a_small_phone(phone: Any) -> None:
    server = WebServer(create_web_app(Translations()), "127.0.0.1", 0)
    url = await server.start()
    try:
        response = await phone.goto(url + "/join/nothing")
        assert response is not None and response.status == 404
        assert await phone.inner_text("h1") == "找不到这个页面"
        # Nothing overflows the phone's width (no sideways scrolling for an elderly reader).
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
    finally:
        await server.stop()
