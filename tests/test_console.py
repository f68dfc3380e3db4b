"""The office console's door: /web in chat gives a staff member a one-time link, the link (after
a "Continue" press) opens a browser session, and every request sees what the person's *current*
roles allow. Forms carry the session's CSRF token; a foreign site's post changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.config import Config
from bot.services import Services
from storage.models import Building, ConsoleSession, ConsoleSignIn, Role
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, FakeClock
from tests.test_ticket_handling import (
    HEAD,
    HEAD2,
    OFFICE,
    RESIDENT,
    Town,
    client,
    one,
    town,
)
from web.console import console_setup
from web.console.guard import COOKIE
from web.server import create_web_app

__all__ = ["client", "town"]  # fixtures

Http = TestClient[web.Request, web.Application]
LINK = re.compile(r"http://127\.0\.0\.1:8080(/console/sign-in/[A-Za-z0-9_-]+)")


def make_http(client: BotClient) -> TestClient[web.Request, web.Application]:
    dp = client.dp
    app = create_web_app(
        dp["translations"], [console_setup(dp["config"], dp["services"], dp["clock"])]
    )
    return TestClient(TestServer(app))


@pytest.fixture
async def http(client: BotClient) -> AsyncIterator[Http]:
    async with make_http(client) as browser:
        yield browser


async def link_for(town: Town, who: int) -> str:
    """/web in chat → the path of the sign-in link the bot answered with."""
    sent = await town.send(who, "/web")
    found = LINK.search(one(sent, who).text)
    assert found, one(sent, who).text
    return found.group(1)


async def sign_in(town: Town, http: Http, who: int) -> str:
    """Signs ``who`` in on ``http`` like a person does; returns their CSRF token."""
    path = await link_for(town, who)
    page = await http.get(path)
    assert page.status == 200 and 'method="post"' in await page.text()
    opened = await http.post(path, allow_redirects=False)
    assert opened.status == 303 and opened.headers["Location"] == "/console/tickets"
    tickets = await http.get("/console/tickets")
    assert tickets.status == 200
    found = re.search(r'name="csrf" value="([^"]+)"', await tickets.text())
    assert found
    return found.group(1)


async def count(town: Town, model: type) -> int:
    async with town.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_head_signs_in_by_the_link_from_chat(town: Town, http: Http) -> None:
    path = await link_for(town, HEAD)
    # Only the hash is kept.
    async with town.db.session() as session:
        stored = await session.scalar(select(ConsoleSignIn.token_hash))
    assert stored is not None and stored not in path
    # Opening the link (a link preview, a scanner) uses nothing up.
    assert (await http.get(path)).status == 200
    assert (await http.get(path)).status == 200
    assert await count(town, ConsoleSignIn) == 1
    opened = await http.post(path, allow_redirects=False)
    assert opened.status == 303
    cookie = opened.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert cookie["path"] == "/console"
    page = await http.get("/console/tickets")
    text = await page.text()
    assert page.status == 200 and "Wang" in text and "Sign out" in text  # the head's English
    assert page.headers["Cache-Control"] == "no-store"
    assert await count(town, ConsoleSignIn) == 0 and await count(town, ConsoleSession) == 1
    async with town.db.session() as session:
        stored = await session.scalar(select(ConsoleSession.token_hash))
    assert stored is not None and stored != cookie.value


async def test_a_link_works_once(town: Town, http: Http, client: BotClient) -> None:
    path = await link_for(town, HEAD)
    assert (await http.post(path, allow_redirects=False)).status == 303
    async with make_http(client) as other:
        again = await other.post(path, headers={"Accept-Language": "zh-CN"})
        assert again.status == 410 and "这个登录链接无法使用" in await again.text()
        assert (await other.get("/console/tickets")).status == 401
    assert await count(town, ConsoleSession) == 1


async def test_an_expired_or_forged_link_changes_nothing(
    town: Town, http: Http, clock: FakeClock
) -> None:
    path = await link_for(town, HEAD)
    clock.advance(minutes=10, seconds=1)
    late = await http.post(path, headers={"Accept-Language": "en"})
    assert late.status == 410 and "does not work" in await late.text()
    forged = await http.post("/console/sign-in/" + "A" * 43, headers={"Accept-Language": "en"})
    assert forged.status == 410
    assert await count(town, ConsoleSession) == 0
    assert (await http.get("/console/tickets")).status == 401


async def test_a_resident_is_refused_in_chat_and_on_the_web(town: Town, http: Http) -> None:
    sent = await town.send(RESIDENT, "/web")
    assert "for building heads" in one(sent, RESIDENT).text
    assert await count(town, ConsoleSignIn) == 0
    page = await http.get("/console/tickets", headers={"Accept-Language": "en"})
    assert page.status == 401 and "send /web to the bot" in await page.text()


async def test_the_web_command_is_in_the_staff_menus() -> None:
    from telegram.commands import COORDINATOR, commands_for
    from telegram.commands import HEAD as HEAD_MENU

    assert ("web", "cmd-web") in HEAD_MENU and ("web", "cmd-web") in COORDINATOR
    assert ("web", "cmd-web") not in commands_for(is_head=False, is_coordinator=False)


async def test_a_head_removed_mid_session_loses_access_on_the_next_click(
    town: Town, http: Http
) -> None:
    await sign_in(town, http, HEAD)
    await town.world.services.revoke.revoke(Role.HEAD, HEAD, "A1")
    page = await http.get("/console/tickets", headers={"Accept-Language": "en"})
    assert page.status == 403 and "No access" in await page.text()


async def test_sessions_end_after_twelve_idle_hours(
    town: Town, http: Http, clock: FakeClock
) -> None:
    await sign_in(town, http, HEAD)
    clock.advance(hours=11)
    assert (await http.get("/console/tickets")).status == 200  # a request keeps it alive
    clock.advance(hours=11, minutes=59)
    assert (await http.get("/console/tickets")).status == 200
    clock.advance(hours=12)
    assert (await http.get("/console/tickets")).status == 401
    assert await count(town, ConsoleSession) == 0


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    town: Town, http: Http
) -> None:
    token = await sign_in(town, http, HEAD)
    refused = await http.post("/console/sign-out", data={}, headers={"Accept-Language": "en"})
    assert refused.status == 403 and "security token" in await refused.text()
    wrong = await http.post("/console/sign-out", data={"csrf": token[:-1] + "x"})
    assert wrong.status == 403
    foreign = await http.post(
        "/console/sign-out", data={"csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status == 403
    assert await count(town, ConsoleSession) == 1
    assert (await http.get("/console/tickets")).status == 200
    # The header htmx sends works like the field; the console's own origin is welcome.
    done = await http.post(
        "/console/sign-out",
        headers={"X-CSRF-Token": token, "Origin": "http://127.0.0.1:8080"},
        allow_redirects=False,
    )
    assert done.status == 303 and await count(town, ConsoleSession) == 0
    assert (await http.get("/console/tickets")).status == 401


async def test_a_form_that_is_not_utf8_is_refused_politely_and_changes_nothing(
    town: Town, http: Http
) -> None:
    token = await sign_in(town, http, HEAD)
    for headers in ({}, {"X-CSRF-Token": token}):  # the plain form, and htmx's header
        refused = await http.post(
            "/console/sign-out",
            data=b"csrf=" + token.encode() + b"&everywhere=\xff\xfe",
            headers={
                "Accept-Language": "en",
                "Content-Type": "application/x-www-form-urlencoded",
                **headers,
            },
        )
        assert refused.status == 400 and "could not be read" in await refused.text()
    assert await count(town, ConsoleSession) == 1
    assert (await http.get("/console/tickets")).status == 200


async def test_a_file_sent_where_a_field_belongs_is_refused_politely_and_changes_nothing(
    town: Town, http: Http
) -> None:
    """No console form sends a file: a script's file part in the estate's place never became
    the estate "FileField(...)"; the office reads why in its own language, with or without htmx."""
    token = await sign_in(town, http, OFFICE)
    async with town.db.session() as session:
        building = await session.scalar(select(Building).order_by(Building.id))
    assert building is not None
    path, estate = f"/console/buildings/{building.id}/estate", building.estate
    for headers in ({}, {"HX-Request": "true", "X-CSRF-Token": token}):
        form = FormData()
        form.add_field("csrf", token)
        form.add_field("estate", b"Lakeside", filename="estate.txt", content_type="text/plain")
        refused = await http.post(path, data=form, headers={"Accept-Language": "en", **headers})
        text = await refused.text()
        # In the office's own language (its chat's), not the browser's.
        assert refused.status == 400 and "附带了文件" in text and "FileField" not in text
    async with town.db.session() as session:
        assert await session.scalar(select(Building.estate).where(Building.id == building.id)) == (
            estate
        )
    saved = await http.post(path, data={"csrf": token, "estate": "Lakeside"}, allow_redirects=False)
    assert saved.status == 303  # the same form with words is welcome


async def test_sign_out_everywhere_ends_the_other_browsers_session(
    town: Town, http: Http, client: BotClient
) -> None:
    await sign_in(town, http, HEAD)
    async with make_http(client) as office_pc, make_http(client) as other_head:
        token = await sign_in(town, office_pc, HEAD)
        await sign_in(town, other_head, HEAD2)
        ended = await office_pc.post(
            "/console/sign-out-everywhere", data={"csrf": token}, allow_redirects=False
        )
        assert ended.status == 303
        assert (await office_pc.get("/console/tickets")).status == 401
        assert (await http.get("/console/tickets")).status == 401
        assert (await other_head.get("/console/tickets")).status == 200  # somebody else's


async def test_a_coordinator_and_an_admin_sign_in(
    town: Town, http: Http, client: BotClient
) -> None:
    await sign_in(town, http, OFFICE)
    page = await (await http.get("/console/tickets")).text()
    assert "当前登录" in page  # the coordinator's own language, Chinese
    admin = client.user(ADMIN_ID, "en", "Boss")
    town.users[ADMIN_ID] = admin
    async with make_http(client) as desk:
        await sign_in(town, desk, ADMIN_ID)


async def test_the_secure_flag_follows_an_https_base_url(
    town: Town, config: Config, services: Services, clock: FakeClock
) -> None:
    from dataclasses import replace

    secure = replace(config, web_base_url="https://office.example.org")
    app = create_web_app(town.client.dp["translations"], [console_setup(secure, services, clock)])
    person = await town.person(HEAD)
    link = await services.console.issue_link(person)  # the fixture's base: http
    path = link.split("8080", 1)[1]
    async with TestClient(TestServer(app)) as browser:
        opened = await browser.post(path, allow_redirects=False)
        assert opened.status == 303 and opened.cookies[COOKIE]["secure"]
