"""``python -m bot`` with no BOT_TOKEN, as a newcomer runs it on a fresh machine: it says in one
line that the Telegram door is off, makes the example community, prints the first poster's page
and a one-time console sign-in link, never calls Telegram; a report filed on that page over HTTP
is on the console's ticket list after signing in by the link. A database that already has a
community gets no example and no role made at start-up; ``console-link`` signs its office in."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakeapi import FakeBotAPI
from tests.test_cli import EXAMPLE, cli_env, run_cli, run_cli_async
from tests.test_e2e import HEAD, REPLY_TIMEOUT, STARTUP_TIMEOUT, BotProcess, Seeded, query, seeded
from tests.test_webhook import start as start_with_token

__all__ = ["seeded"]  # fixture

pytestmark = pytest.mark.e2e

DOOR_OFF = "Telegram door off (BOT_TOKEN unset)"
POSTER = re.compile(r"poster of (.+) \((\S+)\): (http://\S+)/b/([A-Za-z0-9_-]+)")
SIGN_IN = re.compile(r"office console: (http://\S+)(/console/sign-in/[A-Za-z0-9_-]+) ")
PLAIN_CONSOLE = re.compile(
    r"office console: (http://\S+)/console \(sign in: ./scripts/bot console-link\)"
)
EN = {"Accept-Language": "en"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.5) as api:
        yield api


async def start(fake: FakeBotAPI, db: Path, cwd: Path, **settings: str | None) -> BotProcess:
    # TELEGRAM_API_URL points at the fake: any call to Telegram would show in fake.calls.
    env = cli_env(
        db,
        BOT_TOKEN=None,
        BOT_USERNAME=None,
        TELEGRAM_API_URL=fake.base_url,
        OUTBOX_POLL_SECONDS="0.2",
        SHUTDOWN_FLUSH_SECONDS="1",
        **settings,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return BotProcess(process, fake)


async def stop(bot: BotProcess) -> int:
    if bot.process.returncode is None:
        bot.process.send_signal(signal.SIGINT)
    return await asyncio.wait_for(bot.process.wait(), STARTUP_TIMEOUT)


def hidden(html: str, field: str) -> str:
    found = re.search(rf'name="{field}" value="([^"]*)"', html)
    assert found, html
    return found[1]


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)


async def file_report(http: aiohttp.ClientSession, base: str, token: str, words: str) -> int:
    """The poster page → the form → the summary → Send, as a phone does; the ticket's id."""
    async with http.get(f"{base}/b/{token}", headers=EN) as page:
        assert page.status == 200
        html = await page.text()
    assert "塘中新村1栋" in html
    assert "Open in Telegram" not in html  # no BOT_USERNAME: no Telegram door to offer
    form = aiohttp.FormData()
    for name, value in {
        "csrf": hidden(html, "csrf"),
        "category": "repairs",
        "description": words,
        "show_name": "1",
        "name": "Wang",
    }.items():
        form.add_field(name, value)
    async with http.post(f"{base}/b/{token}", data=form, headers=EN) as summary:
        assert summary.status == 200, await summary.text()
        html = await summary.text()
    async with http.post(
        f"{base}/b/{token}/send",
        data=form_fields(html, f"/b/{token}/send"),
        headers=EN,
        allow_redirects=False,
    ) as sent:
        assert sent.status == 303, await sent.text()
        return int(sent.headers["Location"].split("/")[2].split("?")[0])


async def console_tickets(http: aiohttp.ClientSession, base: str, path: str) -> str:
    """Signs in by the one-time link like the operator's browser; the ticket list's HTML."""
    async with http.get(base + path, headers=EN) as page:
        assert page.status == 200 and 'method="post"' in await page.text()
    async with http.post(base + path, headers=EN, allow_redirects=False) as opened:
        assert opened.status == 303 and opened.headers["Location"] == "/console/tickets"
    async with http.get(base + "/console/tickets", headers=EN) as tickets:
        assert tickets.status == 200
        return await tickets.text()


def _session() -> aiohttp.ClientSession:
    # The cookies of 127.0.0.1 (an address, not a name) are kept only by an "unsafe" jar.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_with_no_token_the_loop_runs_through_the_web_door_and_the_console(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "louzhang.db"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    bot = await start(fake, db, cwd)
    try:
        await bot.until(lambda: bool(SIGN_IN.search(bot.logs())), "the sign-in", STARTUP_TIMEOUT)
        logs = bot.logs()
        assert logs.count(DOOR_OFF) == 1 and "set BOT_TOKEN" in logs
        poster = POSTER.search(logs)
        signed = SIGN_IN.search(logs)
        assert poster is not None and signed is not None, logs
        assert (poster[1], poster[2]) == ("塘中新村1栋", "TZ-A01")
        base, token = poster[3], poster[4]
        assert signed[1] == base  # the port the system chose, not WEB_LISTEN's 0
        # The example community, made through the import: every building of the CSV.
        assert query(db, "SELECT name FROM communities") == [("塘中社区",)]
        assert query(db, "SELECT count(*) FROM buildings") == [(36,)]
        assert query(db, "SELECT join_token FROM buildings WHERE code = 'TZ-A01'") == [(token,)]
        # Start-up says little: the door line, the example, the poster, the console.
        ours = [line for line in logs.splitlines() if " INFO bot: " in line]
        assert len(ours) == 4, logs

        async with _session() as phone, _session() as office:
            ticket_id = await file_report(phone, base, token, "Stairwell light on floor 3 is out")
            html = await console_tickets(office, base, signed[2])
            [(number, owner)] = query(
                db, "SELECT number, owner_id FROM tickets WHERE id = ?", ticket_id
            )
            assert f"#{number}" in html and "Stairwell light on floor 3 is out" in html
            # Handled at the desk: taken, then resolved; the resident's page asks "fixed?".
            for action, fields in (("take", {}), ("resolve", {"note": "New bulb fitted."})):
                async with office.post(
                    f"{base}/console/tickets/{ticket_id}/{action}",
                    data={"csrf": hidden(html, "csrf"), **fields},
                    headers=EN,
                    allow_redirects=False,
                ) as done:
                    assert done.status == 303, await done.text()
            [(status, holder)] = query(
                db, "SELECT status, holder_id FROM tickets WHERE id = ?", ticket_id
            )
            assert (status, holder) == ("resolved", owner)
            async with phone.get(f"{base}/t/{ticket_id}", headers=EN) as page:
                resident = await page.text()
            assert page.status == 200
            assert '<span id="status">resolved, waiting for the resident</span>' in resident
            assert "The head says it is fixed. Is it?" in resident
        # The office of this computer owns it (no head yet): a real coordinator of the
        # community, reached through no messenger.
        assert query(db, "SELECT channel, address FROM contacts WHERE person_id = ?", owner) == [
            ("office", "local")
        ]
        assert query(
            db, "SELECT building_id FROM coordinator_scopes WHERE person_id = ?", owner
        ) == [(None,)]
        # The link worked once.
        async with _session() as http, http.post(base + signed[2], allow_redirects=False) as again:
            assert again.status == 410
    finally:
        code = await stop(bot)
    assert code == 0, bot.logs()
    assert fake.calls == []  # Telegram was never asked anything


async def test_a_second_start_keeps_the_example_and_prints_a_fresh_link(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    db = tmp_path / "louzhang.db"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    links = []
    for _ in range(2):
        bot = await start(fake, db, cwd)

        def signed_in(b: BotProcess = bot) -> bool:
            return bool(SIGN_IN.search(b.logs()))

        try:
            await bot.until(signed_in, "start", STARTUP_TIMEOUT)
        finally:
            assert await stop(bot) == 0, bot.logs()
        found = SIGN_IN.search(bot.logs())
        assert found is not None
        links.append(found[2])
        created = "example community 塘中社区 created" in bot.logs()
        assert created is (len(links) == 1)
    assert links[0] != links[1]
    assert query(db, "SELECT count(*) FROM buildings") == [(36,)]
    assert query(db, "SELECT count(*) FROM people") == [(1,)]
    assert query(db, "SELECT count(*) FROM coordinator_scopes") == [(1,)]


async def test_a_database_with_a_community_gets_no_example_and_no_role_at_start(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """A real deployment started without its token: its own buildings, no office role made
    and no sign-in link in the log; ``console-link`` gives the operator one."""
    db = tmp_path / "louzhang.db"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    rows = "community,code,name,address\nRiverside,R-1,River House 1,1 River Road\n"
    (cwd / "mine.csv").write_text(rows, encoding="utf-8")
    imported = run_cli("import-buildings", "mine.csv", cwd=cwd, env=cli_env(db))
    assert imported.returncode == 0, imported.stderr
    bot = await start(fake, db, cwd)
    try:
        await bot.until(lambda: bool(PLAIN_CONSOLE.search(bot.logs())), "start", STARTUP_TIMEOUT)
        found = PLAIN_CONSOLE.search(bot.logs())
        assert found is not None
        base = found[1]
        assert "/console/sign-in/" not in bot.logs()
        assert "example community" not in bot.logs()
        assert query(db, "SELECT name FROM communities") == [("Riverside",)]
        assert query(db, "SELECT count(*) FROM people") == [(0,)]
        poster = POSTER.search(bot.logs())
        assert poster is not None and poster[2] == "R-1"

        env = cli_env(db, WEB_BASE_URL=base)
        code, out, err = await run_cli_async("console-link", cwd=cwd, env=env)
        assert code == 0, err
        assert re.fullmatch(rf"{re.escape(base)}/console/sign-in/[A-Za-z0-9_-]{{43}}\n", out)
        assert "coordinator of Riverside" in err
        async with _session() as http:
            ticket_id = await file_report_riverside(http, base, poster[4])
        async with _session() as office:
            html = await console_tickets(office, base, out.strip().removeprefix(base))
        [(number,)] = query(db, "SELECT number FROM tickets WHERE id = ?", ticket_id)
        assert f"#{number}" in html
    finally:
        assert await stop(bot) == 0, bot.logs()
    assert fake.calls == []


async def file_report_riverside(http: aiohttp.ClientSession, base: str, token: str) -> int:
    async with http.get(f"{base}/b/{token}", headers=EN) as page:
        html = await page.text()
    form = aiohttp.FormData()
    for name, value in {"csrf": hidden(html, "csrf"), "category": "repairs"}.items():
        form.add_field(name, value)
    form.add_field("description", "The gate is stuck")
    async with http.post(f"{base}/b/{token}", data=form, headers=EN) as summary:
        html = await summary.text()
    async with http.post(
        f"{base}/b/{token}/send",
        data=form_fields(html, f"/b/{token}/send"),
        allow_redirects=False,
    ) as sent:
        assert sent.status == 303, await sent.text()
        return int(sent.headers["Location"].split("/")[2].split("?")[0])


def test_console_link_names_an_unknown_community_and_an_empty_database(
    tmp_path: Path,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    db = tmp_path / "louzhang.db"
    empty = run_cli("console-link", cwd=cwd, env=cli_env(db))
    assert empty.returncode == 1 and empty.stdout == ""
    assert "no community yet" in empty.stderr
    assert run_cli("import-buildings", EXAMPLE, cwd=cwd, env=cli_env(db)).returncode == 0
    unknown = run_cli("console-link", "Nowhere", cwd=cwd, env=cli_env(db))
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert "There is no community called Nowhere" in unknown.stderr
    assert query(db, "SELECT count(*) FROM people") == [(0,)]
    # Twice: one office, one role, two links.
    for _ in range(2):
        signed = run_cli("console-link", "塘中社区", cwd=cwd, env=cli_env(db))
        assert signed.returncode == 0, signed.stderr
        assert re.fullmatch(
            r"http://127\.0\.0\.1:0/console/sign-in/[A-Za-z0-9_-]{43}\n", signed.stdout
        )
    assert query(db, "SELECT count(*) FROM people") == [(1,)]
    assert query(db, "SELECT count(*) FROM coordinator_scopes") == [(1,)]
    assert query(db, "SELECT count(*) FROM console_sign_ins") == [(2,)]


async def test_telegrams_messages_wait_while_the_door_is_off_and_go_when_the_token_is_set(
    fake: FakeBotAPI, seeded: Seeded
) -> None:
    """A head who joined in Telegram; the bot then runs without its token: a report from the
    web door routes to the head as always, and the card for Telegram waits in the outbox,
    neither sent nor failed, until the bot starts with the token again."""
    bot = await start_with_token(fake, seeded)
    try:
        await bot.send(HEAD, f"/start {seeded.head_invite}", language="en")
    finally:
        assert await stop(bot) == 0, bot.logs()

    # What the fake receives from now on: the token's bot has exited, but its last long poll,
    # received before, may still be held by the fake (up to its timeout) and recorded later.
    started = time.monotonic()
    web = await start(fake, seeded.db, seeded.cwd)
    try:
        await web.until(lambda: bool(POSTER.search(web.logs())), "the poster", STARTUP_TIMEOUT)
        poster = POSTER.search(web.logs())
        assert poster is not None and poster[2] == "TZ-A01"
        async with _session() as http:
            await file_report(http, poster[3], poster[4], "The lift stops between floors")
    finally:
        assert await stop(web) == 0, web.logs()
    assert [call for call in fake.calls if call.time >= started] == []
    assert "1 notification(s) left for the next start" in web.logs()
    waiting = query(seeded.db, "SELECT channel, address, status, attempts FROM outbox")
    assert waiting == [("telegram", str(HEAD), "pending", 0)]

    mark = len(fake.calls)
    bot = await start_with_token(fake, seeded)
    try:
        [card] = await bot.expect(mark, "sendMessage", HEAD)
        assert "The lift stops between floors" in card.params["text"]
        await bot.until(
            lambda: query(seeded.db, "SELECT status FROM outbox") == [("sent",)],
            "the card recorded as sent",
            REPLY_TIMEOUT,
        )
    finally:
        assert await stop(bot) == 0, bot.logs()


def test_webhook_mode_without_a_token_stops_the_start_in_one_line(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    db = tmp_path / "louzhang.db"
    env = cli_env(db, BOT_USERNAME=None, WEBHOOK_URL="https://bot.example.org/tg")
    result = run_cli(cwd=cwd, env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: WEBHOOK_URL is set but BOT_TOKEN is missing")
    assert len(result.stderr.splitlines()) == 1
    assert not db.exists()
