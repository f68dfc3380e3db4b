"""The real bot process (``python -m bot``) against the local fake Bot API server: the database is
seeded with the CLI, updates go through HTTP long polling, answers are read from the fake's
record of API calls and from the SQLite file. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Translations
from telegram import commands
from tests.fakeapi import ApiCall, FakeBotAPI
from tests.test_cli import EXAMPLE, cli_env, run_cli

pytestmark = pytest.mark.e2e

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"
ADMIN = 9000
RESIDENT = 101
HEAD = 202
COORDINATOR = 303
# Deadlines, not pauses: every wait ends as soon as its condition holds. On a busy machine (two
# copies of the suite on two cores) importing aiogram alone takes many seconds.
STARTUP_TIMEOUT = 120.0
REPLY_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0  # SIGTERM to exit: updates in hand, then the outbox's flush (10 s)
EVERYONE = [name for name, _ in commands.EVERYONE]
HEAD_MENU = [name for name, _ in commands.commands_for(is_head=True, is_coordinator=False)]


@dataclass(frozen=True)
class Seeded:
    cwd: Path
    db: Path
    join: str  # payload of TZ-A01's join link
    head_invite: str
    coordinator_invite: str


def _payload(link: str) -> str:
    assert link.startswith("https://t.me/louzhang_test_bot?start="), link
    return link.split("?start=", 1)[1]


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """The operator's set-up, with the CLI: import the buildings, invite a head and the office."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    db = tmp_path / "data" / "louzhang.db"
    env = cli_env(db)
    imported = run_cli("import-buildings", EXAMPLE, cwd=cwd, env=env)
    assert imported.returncode == 0, imported.stderr
    links = {line.split("\t")[1]: line.split("\t")[3] for line in imported.stdout.splitlines()}
    head = run_cli("invite", "head", "TZ-A01", cwd=cwd, env=env)
    assert head.returncode == 0, head.stderr
    office = run_cli("invite", "coordinator", "塘中社区", cwd=cwd, env=env)
    assert office.returncode == 0, office.stderr
    return Seeded(
        cwd,
        db,
        join=_payload(links["TZ-A01"]),
        head_invite=_payload(head.stdout.strip()),
        coordinator_invite=_payload(office.stdout.strip()),
    )


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read-only, next to the running bot (WAL lets a reader in while it writes)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def buttons(call: ApiCall) -> dict[str, str]:
    """Button text → callback data of a sent message's inline keyboard."""
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


def chat_scope(chat_id: int) -> str:
    return json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True)


DEFAULT_SCOPE = json.dumps({"type": "default"})


def chat_of(call: ApiCall) -> int | None:
    """The chat a call is about: ``chat_id``, or the chat of a setMyCommands scope."""
    scope = call.params.get("scope")
    if "chat_id" not in call.params and isinstance(scope, dict):
        return scope.get("chat_id")
    return call.params.get("chat_id")


class BotProcess:
    """The running bot, its stderr (drained continuously so the pipe never fills) and a way to
    talk to it through the fake."""

    def __init__(self, process: asyncio.subprocess.Process, fake: FakeBotAPI) -> None:
        self.process = process
        self.fake = fake
        self.stdout = bytearray()
        self.stderr = bytearray()
        assert process.stdout is not None and process.stderr is not None
        self._drains = [
            asyncio.create_task(self._drain(process.stdout, self.stdout)),
            asyncio.create_task(self._drain(process.stderr, self.stderr)),
        ]

    @staticmethod
    async def _drain(stream: asyncio.StreamReader, sink: bytearray) -> None:
        while chunk := await stream.read(65536):
            sink.extend(chunk)

    def logs(self) -> str:
        return (self.stdout + self.stderr).decode(errors="replace")

    async def until(self, condition: Callable[[], bool], what: str, time_limit: float) -> None:
        """Wait for ``condition``; fail early, with the bot's logs, if the bot died."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + time_limit
        while not condition():
            if self.process.returncode is not None:
                raise AssertionError(
                    f"the bot exited ({self.process.returncode}) while waiting for {what}:\n"
                    + self.logs()
                )
            if loop.time() > deadline:
                raise AssertionError(
                    f"timed out after {time_limit}s waiting for {what}:\n" + self.logs()
                )
            await asyncio.sleep(0.02)

    def calls_since(self, mark: int, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [
            call
            for call in self.fake.calls[mark:]
            if call.ok
            and call.method.lower() == method.lower()
            and (chat_id is None or chat_of(call) == chat_id)
        ]

    async def expect(
        self, mark: int, method: str, chat_id: int | None = None, count: int = 1
    ) -> list[ApiCall]:
        """The first ``count`` successful ``method`` calls (about ``chat_id``) after ``mark``."""
        await self.until(
            lambda: len(self.calls_since(mark, method, chat_id)) >= count,
            f"{count} × {method} to {chat_id}",
            REPLY_TIMEOUT,
        )
        return self.calls_since(mark, method, chat_id)[:count]

    async def send(self, user_id: int, text: str, language: str = "zh-hans") -> ApiCall:
        """A user writes; returns the bot's one answer (sendMessage to that chat)."""
        mark = len(self.fake.calls)
        update = self.fake.message_update(
            user_id, text, first_name=f"User{user_id}", language_code=language
        )
        self.fake.push_update(update)
        (answer,) = await self.expect(mark, "sendMessage", user_id)
        return answer

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"still running {STOP_TIMEOUT:.0f} s after SIGTERM:\n" + self.logs()
            ) from None

    async def close(self) -> None:
        """Always: no process and no reader left behind, whatever happened."""
        if self.process.returncode is None:
            self.process.kill()
            await asyncio.wait_for(self.process.wait(), REPLY_TIMEOUT)
        await asyncio.wait_for(asyncio.gather(*self._drains), REPLY_TIMEOUT)


async def start_bot(fake: FakeBotAPI, seeded: Seeded) -> BotProcess:
    env = cli_env(
        seeded.db,
        BOT_USERNAME=None,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.base_url,
        ADMIN_IDS=str(ADMIN),
        OUTBOX_POLL_SECONDS="0.2",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=seeded.cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return BotProcess(process, fake)


async def test_bot_process_onboards_residents_heads_and_coordinators(seeded: Seeded) -> None:
    translations = Translations()
    async with FakeBotAPI(max_poll_timeout=0.5) as fake:
        bot = await start_bot(fake, seeded)
        try:
            # Start-up: the residents' command menu, default + one per language.
            await bot.until(
                lambda: len(bot.calls_since(0, "setMyCommands")) >= 3,
                "the start-up menus",
                STARTUP_TIMEOUT,
            )
            await bot.until(
                lambda: bool(fake.calls_of("getUpdates")), "the first getUpdates", REPLY_TIMEOUT
            )
            assert set(fake.commands) == {
                (DEFAULT_SCOPE, ""),
                (DEFAULT_SCOPE, "zh"),
                (DEFAULT_SCOPE, "en"),
            }
            for language, code in (("zh-hans", ""), ("zh-hans", "zh"), ("en", "en")):
                menu = fake.commands[(DEFAULT_SCOPE, code)]
                assert [c["command"] for c in menu] == EVERYONE
                start = next(c for c in menu if c["command"] == "start")
                assert start["description"] == translations.get(language, "cmd-start")
            assert fake.commands[(DEFAULT_SCOPE, "en")] != fake.commands[(DEFAULT_SCOPE, "zh")]

            # A newcomer without a link: the welcome and the building picker of the community.
            welcome = await bot.send(RESIDENT, "/start")
            assert welcome.params["text"].startswith(translations.get("zh-hans", "welcome"))
            assert "塘中社区" in welcome.params["text"]
            picker = buttons(welcome)
            assert len(picker) == 8 + 1 and "›" in picker
            assert "塘中新村1栋 (TZ-A01)" in picker
            assert picker["塘中新村1栋 (TZ-A01)"].startswith("pk1:b:")

            help_ = await bot.send(RESIDENT, "/help")
            assert translations.get("zh-hans", "help-commands") in help_.params["text"]
            assert "/language" in help_.params["text"] and "/joinlink" not in help_.params["text"]

            # /language, then the English button on the message the bot sent.
            chooser = await bot.send(RESIDENT, "/language")
            choices = buttons(chooser)
            assert set(choices) == {"简体中文", "English"}
            message_id = chooser.response["result"]["message_id"]
            mark = len(fake.calls)
            fake.push_update(fake.callback_update(RESIDENT, choices["English"], message_id))
            (answered,) = await bot.expect(mark, "answerCallbackQuery")
            assert answered.params["text"] == "Language set: English."
            (edited,) = await bot.expect(mark, "editMessageText", RESIDENT)
            assert edited.params["message_id"] == message_id
            assert edited.params["text"] == "Language set: English."
            await bot.until(
                lambda: (chat_scope(RESIDENT), "") in fake.commands,
                "the resident's own menu",
                REPLY_TIMEOUT,
            )
            own_menu = {
                c["command"]: c["description"] for c in fake.commands[(chat_scope(RESIDENT), "")]
            }
            assert list(own_menu) == EVERYONE
            assert own_menu["start"] == translations.get("en", "cmd-start")

            # The building's join link, then the flat number: now in English.
            joined = await bot.send(RESIDENT, f"/start {seeded.join}")
            assert joined.params["text"].startswith("You have joined 塘中新村1栋 (塘中社区).")
            assert list(buttons(joined)) == ["Skip"]
            saved = await bot.send(RESIDENT, "3-502")
            assert saved.params["text"].startswith("Saved: flat 3-502.")
            assert saved.params["reply_markup"]["keyboard"]  # the persistent menu

            # The community office accepts its invitation; the admin hears of it (outbox).
            mark = len(fake.calls)
            office = await bot.send(COORDINATOR, f"/start {seeded.coordinator_invite}", "en")
            assert office.params["text"].startswith("You are now coordinator of 塘中社区")
            (to_admin,) = await bot.expect(mark, "sendMessage", ADMIN)
            assert "User303" in to_admin.params["text"]
            assert "塘中社区" in to_admin.params["text"]

            # A second user opens the head invitation: head of TZ-A01 with their own menu, and
            # the coordinator is told.
            mark = len(fake.calls)
            head = await bot.send(HEAD, f"/start {seeded.head_invite}", "en")
            assert head.params["text"].startswith("You are now building head of 塘中新村1栋")
            (menu_call,) = await bot.expect(mark, "setMyCommands", HEAD)
            assert menu_call.params["scope"] == {"type": "chat", "chat_id": HEAD}
            head_menu = [c["command"] for c in fake.commands[(chat_scope(HEAD), "")]]
            assert head_menu == HEAD_MENU and "joinlink" in head_menu
            (to_office,) = await bot.expect(mark, "sendMessage", COORDINATOR)
            assert to_office.params["text"] == (
                "User202 is now building head of 塘中新村1栋 (塘中社区)."
            )

            admin_help = await bot.send(ADMIN, "/help", "en")
            assert "Administrator" in admin_help.params["text"]

            # Every update was answered once: no duplicates, nothing lost.
            to_resident = [
                c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == RESIDENT
            ]
            assert len(to_resident) == 5

            # Database: what the conversation did, and the outbox delivered.
            await bot.until(
                lambda: query(seeded.db, "SELECT DISTINCT status FROM outbox") == [("sent",)],
                "the outbox to be delivered",
                REPLY_TIMEOUT,
            )

            # SIGTERM: aiogram's start_polling stops gracefully and `python -m bot` returns 0.
            stopped = await bot.stop()
        finally:
            await bot.close()  # kills it if anything above failed
        assert stopped == 0, bot.logs()

    people = dict(
        query(
            seeded.db,
            "SELECT CAST(k.address AS INTEGER), p.language FROM people p "
            "JOIN contacts k ON k.person_id = p.id",
        )
    )
    assert people == {RESIDENT: "en", COORDINATOR: "en", HEAD: "en", ADMIN: "en"}
    memberships = query(
        seeded.db,
        "SELECT CAST(k.address AS INTEGER) AS tg, b.code, m.role, m.flat FROM memberships m "
        "JOIN contacts k ON k.person_id = m.person_id "
        "JOIN buildings b ON b.id = m.building_id ORDER BY tg",
    )
    assert memberships == [
        (RESIDENT, "TZ-A01", "resident", "3-502"),
        (HEAD, "TZ-A01", "head", None),
    ]
    scopes = query(
        seeded.db,
        "SELECT CAST(k.address AS INTEGER), c.name, s.building_id FROM coordinator_scopes s "
        "JOIN contacts k ON k.person_id = s.person_id JOIN communities c ON c.id = s.community_id",
    )
    assert scopes == [(COORDINATOR, "塘中社区", None)]
    invitations = query(
        seeded.db,
        "SELECT i.role, CAST(k.address AS INTEGER), i.used_at IS NOT NULL FROM invitations i "
        "LEFT JOIN contacts k ON k.person_id = i.used_by ORDER BY i.id",
    )
    assert invitations == [("head", HEAD, 1), ("coordinator", COORDINATOR, 1)]
    outbox = query(seeded.db, "SELECT CAST(address AS INTEGER), status FROM outbox ORDER BY id")
    assert outbox == [(ADMIN, "sent"), (COORDINATOR, "sent")]
    assert query(seeded.db, "SELECT count(*) FROM fsm_state WHERE state IS NOT NULL") == [(0,)]
    assert query(seeded.db, "PRAGMA journal_mode") == [("wal",)]

    logs = bot.logs()
    assert "Traceback" not in logs, logs
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
    assert "bot @louzhang_test_bot (id 424242) starting" in logs
