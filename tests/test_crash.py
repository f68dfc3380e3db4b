"""The real bot process killed with SIGKILL in the middle of a stream of reports and Take presses,
then restarted on the same database (issue 4 §5): no ticket lost, none duplicated (also when
Telegram delivers updates again with their old update_id), every committed notification
delivered, and a half-written draft still there.

The users are scripted the way people behave: each step waits for the bot's answer; a step the
crash swallowed is done again from what the chat shows, i.e. from the draft in the database.
Whether the crash swallowed it is known, not guessed from a silence: the killed process had
taken the update from Telegram (the restarted one never gets it), or the restarted one skips it
as handled before. Every wait ends when its condition holds; its deadline is generous, for a
busy machine."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Translations
from tests.fakeapi import JSON, ApiCall, FakeBotAPI
from tests.test_cli import EXAMPLE, REPO, cli_env, run_cli
from tests.test_e2e import STARTUP_TIMEOUT, TOKEN, BotProcess, query

pytestmark = pytest.mark.e2e

HEAD = 202
RESIDENTS = (701, 702, 703, 704, 705)
DRAFTER = 720  # stops half-way through a report until the bot has been restarted
REPORTS_EACH = 2
KILL_AFTER_TICKETS = 4
CATEGORIES = ("repairs", "sanitation", "elevator", "facilities", "neighbours", "other")
STEP_TIMEOUT = 120.0  # one step of one user, while the bot is up (a deadline, not a pause)
SENT = re.compile(r"Your ticket number is #(\d+)\.")
EN = Translations()
# The delivery lease (1 min in production) on a short time scale in the child process. The
# restarted process takes back the killed one's claims at once (bot/instances.py; with the
# production lease: tests/test_restart.py); the short lease keeps this test independent of it.
SITECUSTOMIZE = """
from datetime import timedelta
import bot.delivery
bot.delivery.LEASE = timedelta(seconds=2)
"""


class ReplayingAPI(FakeBotAPI):
    """The fake, able to deliver updates again with their original ``update_id`` (a webhook
    redelivery, or Telegram replaying what it had sent), whatever the poller's offset."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pushed: dict[int, JSON] = {}
        self._again: list[JSON] = []

    def push_update(self, update: JSON) -> int:
        update_id = super().push_update(update)
        self.pushed[update_id] = self._pending[-1]
        return update_id

    def redeliver(self, *update_ids: int) -> None:
        self._again.extend(self.pushed[i] for i in update_ids)
        self._wake_updates()

    def unconfirmed(self) -> set[int]:
        """The updates the next getUpdates will hand out: pushed and not yet confirmed by a
        poller's offset, or to be delivered again."""
        return {u["update_id"] for u in (*self._pending, *self._again)}

    async def api_getUpdates(self, p: JSON, files: Any) -> list[JSON]:
        if not self._again:
            return await super().api_getUpdates(p, files)
        again, self._again = self._again, []
        offset = int(p.get("offset", 0))
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        # With the updates still pending, in order: the poller's next offset confirms
        # everything up to the newest it got, so leaving one out would lose it (Telegram never
        # skips an update).
        again_ids = {u["update_id"] for u in again}
        pending = [u for u in self._pending if u["update_id"] not in again_ids]
        return sorted([*again, *pending], key=lambda u: int(u["update_id"]))


def button_data(call: ApiCall) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Push:
    update_id: int
    user: int
    what: str
    mark: int  # len(fake.calls) when pushed


@dataclass
class Harness:
    """The fake Telegram, the bot process (and its successor), and the users' side."""

    fake: ReplayingAPI
    db: Path
    cwd: Path
    site: Path
    processes: list[BotProcess] = field(default_factory=list)
    up: asyncio.Event = field(default_factory=asyncio.Event)
    generation: int = 0
    restarted_at: float = 0.0
    # At the latest (re)start: the updates the new process will get from Telegram.
    unconfirmed: set[int] = field(default_factory=set)
    pushes: list[Push] = field(default_factory=list)
    lost: list[Push] = field(default_factory=list)  # steps the crash swallowed (done again)
    stream_done: bool = False
    settings: dict[str, str] = field(default_factory=dict)  # more of the bot's environment

    @property
    def bot(self) -> BotProcess:
        return self.processes[-1]

    async def start(self) -> None:
        env = cli_env(
            self.db,
            BOT_USERNAME=None,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=self.fake.base_url,
            OUTBOX_POLL_SECONDS="0.2",
            # Not a test of the rate limits: the head's cards need not come 1/s.
            DELIVERY_PRIVATE_PER_SECOND="20",
            PYTHONPATH=os.pathsep.join((str(self.site), str(REPO))),
            **self.settings,
        )
        mark = len(self.fake.calls)
        self.unconfirmed = self.fake.unconfirmed()  # nobody polls: the previous one is dead
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self.processes.append(BotProcess(process, self.fake))
        await self.bot.until(
            lambda: any(c.method == "getUpdates" for c in self.fake.calls[mark:]),
            "the first getUpdates",
            STARTUP_TIMEOUT,
        )
        self.generation += 1
        self.restarted_at = time.monotonic()
        self.up.set()

    async def kill(self) -> None:
        self.up.clear()
        self.bot.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.bot.process.wait(), STEP_TIMEOUT)
        assert self.bot.process.returncode == -signal.SIGKILL

    async def close(self) -> None:
        for process in self.processes:
            await process.close()

    # ------------------------------------------------------------------ the users' side

    def push(self, user: int, what: str, update: JSON) -> Push:
        mark = len(self.fake.calls)
        push = Push(self.fake.push_update(update), user, what, mark)
        self.pushes.append(push)
        return push

    def say(self, user: int, text: str) -> Push:
        update = self.fake.message_update(user, text, first_name=f"U{user}", language_code="en")
        return self.push(user, text, update)

    def has_button(self, user: int, data: str) -> bool:
        return any(data in button_data(call) for call in self.sent_to(user))

    def tap(self, user: int, data: str) -> Push:
        """Press the button with this callback data on the newest message that has it."""
        for call in reversed(self.sent_to(user)):
            if data in button_data(call):
                message_id = int(call.response["result"]["message_id"])
                update = self.fake.callback_update(user, data, message_id, language_code="en")
                return self.push(user, data, update)
        raise AssertionError(f"no button {data!r} was sent to {user}")

    def sent_to(self, user: int, since: int = 0) -> list[ApiCall]:
        """What ``user`` was shown: new messages, and messages edited into a new one (a report
        question after a press takes the pressed question's place, keeping its id)."""
        return [
            c for c in self.fake.calls[since:]
            if c.ok and c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == user
        ]  # fmt: skip

    async def step(self, act: Callable[[], Push], done: Callable[[Push], bool]) -> bool:
        """One user action, once the bot is up; waits until ``done``. False when the action
        was lost in the crash (the bot restarted since and will not do it)."""
        await asyncio.wait_for(self.up.wait(), STARTUP_TIMEOUT + 10)
        generation, started = self.generation, time.monotonic()
        push = act()
        while not done(push):
            now = time.monotonic()
            if self.generation != generation and self.up.is_set():
                if self.lost_in_the_crash(push, done):
                    self.lost.append(push)
                    return False
                started = max(started, self.restarted_at)  # the new process's turn
            if self.up.is_set() and now - started > STEP_TIMEOUT:
                answers = [
                    (c.method, c.params.get("text"), c.params.get("reply_markup"))
                    for c in self.sent_to(push.user, push.mark)
                ]
                raise AssertionError(f"no answer to {push}: {self.draft(push.user)} {answers}")
            await asyncio.sleep(0.03)
        return True

    def lost_in_the_crash(self, push: Push, done: Callable[[Push], bool]) -> bool:
        """A push from before the restart, not done: the killed process had taken it from
        Telegram (so the new one never gets it), or the new one is through with it (skipped
        it as seen before, or handled it as the chat stands now, e.g. a Send whose draft the
        killed process had filed: "out of date") and the step is still not done."""
        if push.update_id not in self.unconfirmed:
            return True
        logs = self.bot.logs()  # before done(): the answers precede the log line
        through = f"update {push.update_id}: seen before, skipped" in logs or bool(
            re.search(rf"update {push.update_id} \S+ user \d+ handled in", logs)
        )
        return through and not done(push)

    # ------------------------------------------------------------------ the database

    def draft(self, user: int) -> tuple[str, dict[str, Any]]:
        """The user's conversation state (without the "ReportFlow:" prefix) and data."""
        rows = query(self.db, "SELECT state, data FROM fsm_state WHERE key = ?", _key(user))
        if not rows:
            return "", {}
        state, data = rows[0]
        return (state or "").removeprefix("ReportFlow:"), json.loads(data) if data else {}

    def tickets(self) -> list[tuple[int, int, str, str]]:
        """(number, author's telegram id, description, status) of every ticket."""
        return query(
            self.db,
            "SELECT t.number, CAST(k.address AS INTEGER), t.description, t.status FROM tickets t "
            "JOIN contacts k ON k.person_id = t.author_id ORDER BY t.number",
        )

    def has_ticket(self, description: str) -> bool:
        return any(t[2] == description for t in self.tickets())


def _key(user: int) -> str:
    bot_id = TOKEN.split(":", 1)[0]
    return f"fsm:{bot_id}:{user}:{user}:default"  # telegram/fsm.py FSM_KEYS


# --------------------------------------------------------------------------- the users

# A step is done when the draft is in the next state and the bot's question for that state was
# sent: the buttons it must carry (their callback data's start), by state.
NEXT = {
    "category": "r1:c:",
    "metoo": "r1:n:",
    "privacy": "r1:pv:",
    "summary": "r1:s:",
    "description": None,
    "location": None,
}


async def file_report(
    h: Harness,
    user: int,
    description: str,
    category: str,
    *,
    pause_at: str | None = None,
    resume: bool = False,
) -> None:
    """A whole report: "/report" (a new report always starts there), then each next step as
    the draft in the database says (so a step the crash swallowed is simply done again).
    Returns early when the draft reaches ``pause_at``."""
    skip, loop = EN.get("en", "report-skip"), asyncio.get_running_loop()
    deadline = loop.time() + 5 * STEP_TIMEOUT
    started = resume
    while not h.has_ticket(description):
        assert loop.time() < deadline, f"{user} never got {description!r} filed"
        state, _ = h.draft(user)
        if state == pause_at:
            return
        act: Callable[[], Push]
        if not started or state not in NEXT:
            act = partial(h.say, user, "/report")
        elif state == "category":
            act = partial(h.tap, user, f"r1:c:{category}")
        elif state == "metoo":
            act = partial(h.tap, user, "r1:n:")  # not the same problem: a new ticket
        elif state == "description":
            act = partial(h.say, user, description)
        elif state == "location":
            act = partial(h.say, user, skip)
        elif state == "privacy":
            act = partial(h.tap, user, "r1:pv:")
        else:
            act = partial(h.tap, user, "r1:s:")
        if act.func == h.tap and not h.has_button(user, act.args[-1]):
            # The crash took the step's answer with it (the draft moved on, the message with
            # its buttons never went out): a person with no button to press starts again.
            act = partial(h.say, user, "/report")

        def moved(push: Push, before: str = state) -> bool:
            now, _ = h.draft(user)
            answers = h.sent_to(user, push.mark)
            if push.what == "/report":  # a new draft, whatever the state was
                return now in NEXT and any(
                    d.startswith(NEXT[now] or "-") for c in answers for d in button_data(c)
                )
            if now == before or not answers:
                return False
            if now in NEXT:
                button = NEXT[now]
                return button is None or any(
                    d.startswith(button) for c in answers for d in button_data(c)
                )
            return not h.has_ticket(description) or any(
                SENT.search(str(c.params.get("text"))) for c in answers
            )

        if await h.step(act, moved):
            started = True


async def resident(h: Harness, user: int, index: int) -> None:
    for n in range(REPORTS_EACH):
        category = CATEGORIES[(index + n) % len(CATEGORIES)]
        await file_report(h, user, f"report {n + 1} of {user}", category)


async def head(h: Harness) -> None:
    """Takes every ticket from its card as the cards arrive, until the stream is over."""
    while not (h.stream_done and all(t[3] != "new" for t in h.tickets())):
        for number, *_ in [t for t in h.tickets() if t[3] == "new"]:
            cards = [c for c in h.sent_to(HEAD) if f"· #{number}\n" in str(c.params["text"])]
            takes = [d for c in cards for d in button_data(c) if d.startswith("t1:take:")]
            if not takes:
                continue  # not delivered yet

            def taken(_: Push, number: int = number) -> bool:
                return next(t for t in h.tickets() if t[0] == number)[3] != "new"

            await h.step(partial(h.tap, HEAD, takes[-1]), taken)
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class Seeded:
    cwd: Path
    db: Path
    site: Path
    join: str
    head_invite: str


@pytest.fixture(scope="module")
def operator_set_up(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The operator's set-up with the CLI, once for the module: the buildings, and a one-time
    invitation for TZ-A01's head (each test starts from a copy, so each may use it)."""
    base = tmp_path_factory.mktemp("crash-seed")
    cwd, site = base / "cwd", base / "site"
    cwd.mkdir()
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    db = base / "data" / "louzhang.db"
    env = cli_env(db)
    imported = run_cli("import-buildings", EXAMPLE, cwd=cwd, env=env)
    assert imported.returncode == 0, imported.stderr
    [join] = [line.split("\t")[3] for line in imported.stdout.splitlines() if "\tTZ-A01\t" in line]
    invited = run_cli("invite", "head", "TZ-A01", cwd=cwd, env=env)
    assert invited.returncode == 0, invited.stderr
    payload = invited.stdout.strip().split("?start=")[1]
    return Seeded(cwd, db, site, join.split("?start=")[1], payload)


@pytest.fixture
def seeded(operator_set_up: Seeded, tmp_path: Path) -> Seeded:
    """A copy of the seeded database for one test (SQLite's backup API: consistent)."""
    db = tmp_path / "louzhang.db"
    source, target = sqlite3.connect(operator_set_up.db), sqlite3.connect(db)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Seeded(operator_set_up.cwd, db, operator_set_up.site, operator_set_up.join,
                  operator_set_up.head_invite)  # fmt: skip


@pytest.fixture
async def harness(seeded: Seeded) -> AsyncIterator[Harness]:
    """The bot running with the head and the residents on board (their links opened in chat).
    Every process is killed at the end, whatever happened."""
    async with ReplayingAPI(max_poll_timeout=0.5) as fake:
        h = Harness(fake, seeded.db, seeded.cwd, seeded.site)
        try:
            await h.start()
            joins = [(u, f"/start {seeded.join}") for u in (*RESIDENTS, DRAFTER)]
            for user, text in [(HEAD, f"/start {seeded.head_invite}"), *joins]:
                answered = await h.step(
                    partial(h.say, user, text), lambda p: bool(h.sent_to(p.user, p.mark))
                )
                assert answered
            members = query(seeded.db, "SELECT count(*) FROM memberships")
            assert members == [(len(RESIDENTS) + 2,)]
            yield h
        finally:
            await h.close()


def answered_sent(h: Harness, push: Push) -> int | None:
    """The ticket number a Send press was answered with, if it was."""
    for call in h.sent_to(push.user, push.mark):
        if found := SENT.search(str(call.params.get("text"))):
            return int(found[1])
    return None


# --------------------------------------------------------------------------- the tests


async def test_sigkill_mid_stream_loses_and_duplicates_nothing(harness: Harness) -> None:
    h, fake, db = harness, harness.fake, harness.db
    began = time.monotonic()

    # The stream: one resident stops half-way through a report; the others report at once and
    # the head takes what arrives. SIGKILL in the middle of it.
    drafter_text = "half-written: the basement door lock"
    await file_report(h, DRAFTER, drafter_text, "repairs", pause_at="privacy")
    residents = [asyncio.create_task(resident(h, u, i)) for i, u in enumerate(RESIDENTS)]
    taker = asyncio.create_task(head(h))
    try:
        await h.bot.until(lambda: len(h.tickets()) >= KILL_AFTER_TICKETS, "tickets", STEP_TIMEOUT)
        await h.kill()
        at_kill = len(h.tickets())

        # While the bot is down, Telegram still has (and delivers again) Send and Take presses
        # the bot had handled: the restarted bot must skip them.
        claimed = {i for (i,) in query(db, "SELECT update_id FROM processed_updates")}
        presses = [p.update_id for p in h.pushes if p.what.startswith(("r1:s:", "t1:take:"))]
        fake.redeliver(*presses)
        await h.start()

        # The half-written draft survived: the drafter goes on from there and sends it.
        state, data = h.draft(DRAFTER)
        assert (state, data.get("description"), data.get("category")) == (
            "privacy",
            drafter_text,
            "repairs",
        )
        await file_report(h, DRAFTER, drafter_text, "repairs", resume=True)
        await asyncio.wait_for(asyncio.gather(*residents), 5 * STEP_TIMEOUT)
        h.stream_done = True
        await asyncio.wait_for(taker, 5 * STEP_TIMEOUT)
    finally:
        for task in (*residents, taker):
            task.cancel()

    # Every committed notification is delivered (rows the killed worker had claimed after
    # their lease).
    streamed = time.monotonic() - began
    await h.bot.until(
        lambda: query(db, "SELECT count(*) FROM outbox WHERE status != 'sent'") == [(0,)],
        "the outbox to be delivered",
        STEP_TIMEOUT,
    )

    # Webhook-style redelivery of the last updates and of an early Send press, with their
    # original update ids: nothing happens.
    tickets, events = h.tickets(), query(db, "SELECT count(*) FROM ticket_events")
    mark = len(fake.calls)
    again = [p.update_id for p in h.pushes[-3:]] + presses[:1]
    fake.redeliver(*again)
    # Each of them is skipped: those handled before the crash, and these (the bot logs each).
    expected = sorted([i for i in presses if i in claimed] + again)

    def skipped() -> list[int]:
        logged = re.findall(r"update (\d+): seen before, skipped", h.bot.logs())
        return sorted(int(i) for i in logged)

    await h.bot.until(
        lambda: len(skipped()) >= len(expected), "the redelivered updates", STEP_TIMEOUT
    )
    assert skipped() == expected
    assert h.tickets() == tickets
    assert query(db, "SELECT count(*) FROM ticket_events") == events
    reactions = [(c.method, c.params) for c in fake.calls[mark:] if c.method != "getUpdates"]
    assert reactions == []

    # SIGTERM with a backlog of updates in hand: they are finished, the outbox flushed, and the
    # process exits 0 (within the time BotProcess.stop allows).
    mark = len(fake.calls)
    for _ in range(20):
        for user in RESIDENTS:
            h.say(user, "/my")
    await h.bot.until(lambda: len(fake.calls) > mark, "the backlog to be taken up", STEP_TIMEOUT)
    assert await h.bot.stop() == 0
    assert "outbox flushed" in h.bot.logs()

    # No ticket lost and none twice: every planned report exactly once, by its author, numbered
    # without gaps.
    planned = {(u, f"report {n + 1} of {u}") for u in RESIDENTS for n in range(REPORTS_EACH)}
    planned.add((DRAFTER, drafter_text))
    tickets = h.tickets()
    assert sorted((t[1], t[2]) for t in tickets) == sorted(planned)
    assert [t[0] for t in tickets] == list(range(1, len(planned) + 1))
    # Every Send press answered with "#N" has ticket N, the presser's.
    by_number = {t[0]: t for t in tickets}
    for push in h.pushes:
        if push.what == "r1:s:" and (number := answered_sent(h, push)) is not None:
            assert by_number[number][1] == push.user
    # Each ticket was created once and taken once (one transition, whatever was pressed twice).
    kinds = query(db, "SELECT ticket_id, kind, count(*) FROM ticket_events GROUP BY 1, 2")
    counted = {(ticket, kind): n for ticket, kind, n in kinds}
    assert {counted[(t, "created")] for t, _, _ in kinds} == {1}
    assert {counted[(t, "taken")] for t, _, _ in kinds} == {1}
    assert {t[3] for t in tickets} == {"taken"}
    # Nobody is left in a flow, and nothing failed on the way.
    assert query(db, "SELECT count(*) FROM fsm_state WHERE state IS NOT NULL") == [(0,)]
    error = EN.get("en", "error-generic")
    assert [c for c in fake.calls if error in str(c.params.get("text", ""))] == []
    logs = h.bot.logs()
    assert "Traceback" not in logs, logs[logs.find("Traceback") - 3000 :]
    print(  # noqa: T201
        f"\nstream {streamed:.1f}s, all {time.monotonic() - began:.1f}s; "
        f"{len(h.pushes)} updates; killed with {at_kill} tickets; {len(h.lost)} steps lost "
        f"in the crash and done again: {[p.what for p in h.lost]}; {len(skipped())} skipped as "
        "seen"
    )


async def test_a_crash_after_the_ticket_before_the_draft_is_cleared_files_it_once(
    harness: Harness,
) -> None:
    """The crash lands exactly between the ticket's commit and the draft's: a trigger makes the
    draft's clearing fail for this one user (so it never commits), then SIGKILL."""
    h, db = harness, harness.db
    text = "crash right after the ticket"
    await file_report(h, RESIDENTS[0], text, "repairs", pause_at="summary")
    with sqlite3.connect(db) as connection:
        # A cleared conversation is deleted (storage/repositories/fsm.py): that is the write
        # that must never commit. (The update of the state to NULL too, should it ever be one.)
        connection.execute(
            "CREATE TRIGGER crash_here BEFORE DELETE ON fsm_state "
            f"WHEN old.key = '{_key(RESIDENTS[0])}' "
            "BEGIN SELECT RAISE(ABORT, 'the process died here'); END"
        )
        connection.execute(
            "CREATE TRIGGER crash_here_too BEFORE UPDATE OF state ON fsm_state "
            f"WHEN old.key = '{_key(RESIDENTS[0])}' AND new.state IS NULL "
            "BEGIN SELECT RAISE(ABORT, 'the process died here'); END"
        )
    h.tap(RESIDENTS[0], "r1:s:")
    await h.bot.until(lambda: h.has_ticket(text), "the ticket", STEP_TIMEOUT)
    await h.kill()
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TRIGGER crash_here")
        connection.execute("DROP TRIGGER crash_here_too")
    restarted = len(h.fake.calls)
    await h.start()

    # The draft is cleared last, once the resident has been told the number: the kill may come
    # before or after that answer (it is not waited for). Either way the draft still shows the
    # summary, and pressing Send again files nothing new. Unless the kill came before the
    # Send's update was confirmed: Telegram hands it out again, and the new process may have
    # handled it already, filing nothing new, telling the number and clearing the draft.
    state = h.draft(RESIDENTS[0])[0]
    if state != "summary":
        assert state == ""
        number = h.tickets()[0][0]
        told = [str(c.params.get("text")) for c in h.sent_to(RESIDENTS[0], since=restarted)]
        assert [t for t in told if f"#{number}" in t]
    await file_report(h, RESIDENTS[0], text + " (again)", "repairs", resume=True, pause_at="")
    assert [t[2] for t in h.tickets()] == [text]
