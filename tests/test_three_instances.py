"""Three instances of the bot serve one token (issue 11 §3): three real ``python -m bot``
processes in webhook mode on one PostgreSQL database and one Redis, Telegram played by the fake
Bot API and a driver posting a burst of residents' reports round-robin to the three webhooks,
as a load balancer would. Some updates are delivered twice at once to two instances (Telegram
delivers again after a timeout); one instance is killed with SIGKILL mid-burst while it holds
claims on heads' cards, and its requests in flight are delivered again to the others.

Telegram's flood rules hold at the fake (tests/fakelimits.py, as Telegram's: 30 messages a
second, one a second per private chat after a burst of three); the three instances draw on one
budget in Redis (bot/shared_limits.py). The coordinators' morning digest is due when the three
start, so each one's scheduler scans for it at once (every job runs on start, then every minute).

Afterwards every report is one ticket, every head got each card once, every coordinator got one
digest, no update was handled twice, Telegram refused (429) next to nothing, and the survivors
took the killed instance's claims back and delivered them.

Needs TEST_POSTGRES_URL and TEST_REDIS_URL (a database of its own; Redis keys of a bot id and
users of its own, deleted at the end)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services, system_clock
from bot.services.community import BuildingRow
from storage.db import Database
from storage.models import Role, telegram_address
from tests.fakeapi import JSON, ApiCall, FakeBotAPI, chat_of_update
from tests.fakelimits import FloodRules
from tests.test_cli import cli_env
from tests.test_e2e import STARTUP_TIMEOUT, BotProcess

PG_URL = os.environ.get("TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL),
        reason="TEST_POSTGRES_URL and TEST_REDIS_URL are not both set (a PostgreSQL and a "
        "Redis server for the three-instance test)",
    ),
]

URL = "https://bot.example.org/telegram/hook"
PATH = "/telegram/hook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
SERVED = re.compile(r"webhook mode: Telegram posts updates to \S+, served on (http://\S+)")
HANDLED = re.compile(r"update (\d+) \S+ user \d+ handled in")
SKIPPED = re.compile(r"update (\d+): seen before, skipped")
SENT = re.compile(r"Your ticket number is #(\d+)\.")
DIGESTS = re.compile(r"scheduler job digest-daily: (\d+)")
CATEGORIES = ("repairs", "sanitation", "elevator", "facilities", "neighbours", "other")
BUILDINGS = ("TZ-A01", "TZ-A02")
RESIDENTS_EACH = 6
KILL_AFTER_TICKETS = 3
COMMUNITY = "塘中社区"
DIGEST = f"📊 {COMMUNITY} · daily report for "
# The most 429s Telegram may answer the three together (as tests/test_shared_limits.py allows:
# a loaded machine may delay one request past the fake's half-token tolerance); unshared
# budgets draw dozens.
REFUSALS_ALLOWED = 2
EVERY_NTH_TWICE = 4  # every 4th update is delivered to two instances at once
DEADLINE = 120.0  # for any one condition on a busy machine (a deadline, not a pause)
EN = Translations()


@dataclass
class Instance:
    process: BotProcess
    address: str
    alive: bool = True


@dataclass
class Cluster:
    fake: FakeBotAPI
    engine: AsyncEngine
    redis: Redis
    http: aiohttp.ClientSession
    bot_id: int
    secret: str = ""
    instances: list[Instance] = field(default_factory=list)
    next_update: int = 0
    turn: int = 0
    posted: list[int] = field(default_factory=list)
    twice: list[int] = field(default_factory=list)

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as connection:
            return list((await connection.execute(text(statement), params)).all())

    # ------------------------------------------------------------------ Telegram's side

    async def deliver(self, update: JSON) -> None:
        """Posts an update (a new update id) round-robin, as a load balancer would; every 4th
        also to the next instance at the same time. Returns once an instance answered 200."""
        self.next_update += 1
        update = {**update, "update_id": self.next_update}
        self.posted.append(self.next_update)
        if self.fake.limits is not None:  # Telegram knows who wrote: its answers are answers
            self.fake.limits.wrote(chat_of_update(update), time.monotonic())
        first = self.turn
        self.turn += 1
        if self.next_update % EVERY_NTH_TWICE == 0:
            self.twice.append(self.next_update)
            await asyncio.gather(self._post(update, first), self._post(update, first + 1))
        else:
            await self._post(update, first)

    async def _post(self, update: JSON, turn: int) -> None:
        """Like Telegram: a refused or broken delivery (503, the instance died) is made again,
        here to the next live instance."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while True:
            live = [i for i in self.instances if i.alive]
            target = live[turn % len(live)]
            turn += 1
            try:
                async with self.http.post(
                    target.address + PATH, json=update, headers={HEADER: self.secret}
                ) as response:
                    if response.status == 200:
                        return
                    assert response.status == 503, await response.text()
            except aiohttp.ClientError:
                pass  # the instance died with the request in hand
            assert loop.time() < deadline, f"update {update['update_id']} never handled"
            await asyncio.sleep(0.05)

    def say(self, user: int, words: str) -> JSON:
        return self.fake.message_update(user, words, first_name=f"U{user}", language_code="en")

    def sent_to(self, chat: int) -> list[ApiCall]:
        return [
            c for c in self.fake.calls
            if c.ok and c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == chat
        ]  # fmt: skip

    def digests_to(self, chat: int) -> tuple[int, int]:
        """How many digests (their text, their chart) reached ``chat``."""
        texts = [c for c in self.sent_to(chat) if DIGEST in str(c.params.get("text"))]
        charts = [
            c for c in self.fake.calls
            if c.ok and c.method == "sendPhoto" and c.params.get("chat_id") == chat
        ]  # fmt: skip
        return len(texts), len(charts)

    def tap(self, user: int, data: str) -> JSON | None:
        for call in reversed(self.sent_to(user)):
            markup = call.params.get("reply_markup") or {}
            buttons = [
                b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row
            ]
            if data in buttons:
                result = call.response["result"]
                message_id = int(result["message_id"] if isinstance(result, dict) else 0)
                if not message_id:
                    message_id = int(call.params["message_id"])
                return self.fake.callback_update(user, data, message_id, language_code="en")
        return None

    async def state(self, user: int) -> str:
        raw = await self.redis.get(f"fsm:{self.bot_id}:{user}:{user}:default:state")
        state = raw.decode() if isinstance(raw, bytes) else str(raw or "")
        return state.removeprefix("ReportFlow:")

    async def file_report(self, user: int, description: str, category: str) -> None:
        """A resident's whole report, each step posted once the previous one was handled
        (the webhook answers once it is), each next step as their conversation in Redis
        says."""
        skip = EN.get("en", "report-skip")
        update: JSON | None = self.say(user, "/report")
        for _ in range(30):
            assert update is not None
            await self.deliver(update)
            if any(SENT.search(str(c.params.get("text"))) for c in self.sent_to(user)):
                return
            state = await self.state(user)
            update = None
            if state == "category":
                update = self.tap(user, f"r1:c:{category}")
            elif state == "metoo":
                update = self.tap(user, "r1:n:")  # not the same problem: a new ticket
            elif state == "description":
                update = self.say(user, description)
            elif state == "location":
                update = self.say(user, skip)
            elif state == "privacy":
                update = self.tap(user, "r1:pv:")
            elif state == "summary":
                update = self.tap(user, "r1:s:")
            update = update or self.say(user, "/report")
        raise AssertionError(f"{user} never got {description!r} filed")

    # ------------------------------------------------------------------ the instances

    def logs(self) -> str:
        return "\n".join(i.process.logs() for i in self.instances)

    async def until(self, condition: Any, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while not await condition():
            for instance in self.instances:
                if instance.alive and instance.process.process.returncode is not None:
                    raise AssertionError(f"an instance exited waiting for {what}:\n{self.logs()}")
            assert loop.time() < deadline, f"timed out waiting for {what}:\n{self.logs()[-20000:]}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    assert PG_URL is not None
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def start_instance(env: dict[str, str], cwd: Path) -> Instance:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = BotProcess(process, None)  # type: ignore[arg-type]  # only its logs and process
    await bot.until(lambda: bool(SERVED.search(bot.logs())), "the webhook", STARTUP_TIMEOUT)
    match = SERVED.search(bot.logs())
    assert match is not None
    return Instance(bot, match[1])


async def test_three_instances_handle_a_burst_once_through_a_kill(
    tmp_path: Path, pg_url: str
) -> None:
    assert REDIS_URL is not None
    # A bot id and people of this run's own: runs sharing the Redis database never meet.
    bot_id = 7 * 10**9 + random.randrange(10**9)
    token = f"{bot_id}:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"
    base = 10**10 + os.getpid() % 100_000 * 1000 + random.randrange(10) * 100
    heads = {code: base + n for n, code in enumerate(BUILDINGS)}
    # The community's office (all of it) and one building's coordinator.
    coordinators = {base + 5: COMMUNITY, base + 6: BUILDINGS[0]}
    residents = {base + 10 + n: BUILDINGS[n % len(BUILDINGS)] for n in range(2 * RESIDENTS_EACH)}

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    # The community, in process (four CLI processes would take longer than the burst).
    db = Database(pg_url)
    try:
        await db.migrate()
        services = Services.create(Config(), db, Translations(), system_clock)
        buildings = [BuildingRow(COMMUNITY, code, code, "") for code in BUILDINGS]
        await services.community.import_buildings(buildings)
        joins = {code: (await services.community.join_payload(code))[1] for code in BUILDINGS}
        invites = {
            code: (await services.community.invite(Role.HEAD, code)).payload for code in BUILDINGS
        }
        for user, area in coordinators.items():
            invite = await services.community.invite(Role.COORDINATOR, area)
            person = await services.onboarding.touch(telegram_address(user), f"C{user}", "en")
            await services.onboarding.open_payload(person, invite.payload)
        # This morning's digest is due (about yesterday) whenever the three start: its hour
        # passed at midnight, there are no quiet hours to wait out, and the community and its
        # coordinators were there yesterday.
        await services.community.settings(COMMUNITY, {"digest_hour": "00:00", "quiet_hours": "off"})
        async with db.session() as session:
            for table in ("communities", "coordinator_scopes"):
                column = "created_at" if table == "communities" else "since"
                await session.execute(
                    text(f"UPDATE {table} SET {column} = {column} - interval '1 day'")
                )
            await session.commit()
    finally:
        await db.close()

    redis = Redis.from_url(REDIS_URL)
    engine = create_async_engine(pg_url)
    async with FakeBotAPI(max_poll_timeout=0.5) as fake, aiohttp.ClientSession() as http:
        fake.limits = FloodRules()  # Telegram's own
        c = Cluster(fake, engine, redis, http, bot_id)
        # The test holds the community's row until all three instances' digest scans wait to
        # lease this morning's digest (the lease, and the claim that sends it, are conditional
        # UPDATEs of that row): each instance's scan fires, the three race for it, one wins.
        held_row = await engine.connect()
        await held_row.begin()
        await held_row.execute(text("SELECT id FROM communities FOR UPDATE"))

        async def release_when_all_three_claim() -> None:
            async def three_claiming() -> bool:
                waiting = await c.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE communities SET "
                    "digest_%'"
                )
                return bool(waiting[0][0] == 3)

            await c.until(three_claiming, "the three instances claiming the digest")
            await held_row.rollback()
            await held_row.close()

        releasing = asyncio.create_task(release_when_all_three_claim())
        try:
            bot_env = cli_env(
                tmp_path / "unused.db",
                DATABASE_URL=pg_url,
                REDIS_URL=REDIS_URL,
                BOT_USERNAME=None,
                BOT_TOKEN=token,
                TELEGRAM_API_URL=fake.base_url,
                WEBHOOK_URL=URL,
                OUTBOX_POLL_SECONDS="0.2",
                SHUTDOWN_FLUSH_SECONDS="1",
            )
            c.instances = list(
                await asyncio.gather(*(start_instance(bot_env, cwd) for _ in range(3)))
            )
            c.secret = str(fake.webhook["secret_token"])
            assert {str(call.params["secret_token"]) for call in fake.calls_of("setWebhook")} == {
                c.secret
            }  # one deployment, one secret

            # Heads and residents on board, round-robin over the three, while the three race
            # for the digest.
            async def on_board() -> None:
                for code, head in heads.items():
                    await c.deliver(c.say(head, f"/start {invites[code]}"))
                await asyncio.gather(
                    *(
                        c.deliver(c.say(user, f"/start {joins[code]}"))
                        for user, code in residents.items()
                    )
                )

            async def digests_delivered() -> bool:
                # Delivered before the burst, so that the kill finds none of them in flight.
                unsent = await c.sql(
                    "SELECT count(*) FROM outbox WHERE status != 'sent' AND address = ANY(:chats)",
                    chats=[str(user) for user in coordinators],
                )
                return unsent[0][0] == 0 and all(
                    c.digests_to(user) >= (1, 1) for user in coordinators
                )

            await asyncio.gather(
                on_board(), releasing, c.until(digests_delivered, "the digests delivered")
            )
            # One instance wrote this morning's digest: one to each coordinator.
            assert [int(n) for n in DIGESTS.findall(c.logs())] == [len(coordinators)]

            # The burst, with the heads' chats hanging at Telegram: the cards are claimed and
            # in flight when an instance is killed.
            fake.stalled_chats.update(heads.values())
            killed: list[Instance] = []

            heads_addresses = [str(h) for h in heads.values()]
            held: list[int] = []  # the outbox rows the killed instance held

            async def claims_on_heads_cards() -> list[Any]:
                return await c.sql(
                    "SELECT d.pid, o.id FROM outbox o JOIN delivery_instances d "
                    "ON d.token = o.claim_token WHERE o.status = 'pending' "
                    "AND d.stopped_at IS NULL AND o.address = ANY(:heads)",
                    heads=heads_addresses,
                )

            async def kill_one_holding_claims() -> None:
                async def claims_held() -> bool:
                    tickets = await c.sql("SELECT count(*) FROM tickets")
                    return (
                        tickets[0][0] >= KILL_AFTER_TICKETS
                        and bool(fake.stalled)
                        and bool(await claims_on_heads_cards())
                    )

                await c.until(claims_held, "cards claimed and in flight")
                # The first holder: its cards hang at Telegram, so it holds them still.
                claims = await claims_on_heads_cards()
                pid = claims[0][0]
                [victim] = [i for i in c.instances if i.process.process.pid == pid]
                victim.alive = False
                victim.process.process.send_signal(signal.SIGKILL)
                assert await victim.process.process.wait() == -signal.SIGKILL
                killed.append(victim)
                held.extend(row for holder, row in claims if holder == pid)
                fake.unstall()  # Telegram answers again; what the dead one held is pending

            descriptions = {user: f"report {n} of {user}" for n, user in enumerate(residents)}
            await asyncio.gather(
                kill_one_holding_claims(),
                *(
                    c.file_report(user, descriptions[user], CATEGORIES[n % len(CATEGORIES)])
                    for n, user in enumerate(residents)
                ),
            )
            [victim] = killed

            # Every report is one ticket.
            rows = await c.sql("SELECT number, description FROM tickets ORDER BY number")
            assert sorted(d for _, d in rows) == sorted(descriptions.values())

            # The survivors took the dead instance's claims back, and every card went out once,
            # to its building's head.
            async def delivered() -> bool:
                left = await c.sql("SELECT count(*) FROM outbox WHERE status != 'sent'")
                return bool(left[0][0] == 0)

            await c.until(delivered, "the outbox delivered")
            survivors = "\n".join(i.process.logs() for i in c.instances if i.alive)
            assert f"(pid {victim.process.process.pid} on " in survivors
            assert "took back its claims" in survivors
            assert held
            # What it held went out, through the others.
            sent = await c.sql("SELECT status FROM outbox WHERE id = ANY(:held)", held=held)
            assert [status for (status,) in sent] == ["sent"] * len(held)
            by_description = {d: number for number, d in rows}
            for user, code in residents.items():
                number = by_description[descriptions[user]]
                cards = [
                    call for call in c.fake.calls
                    if call.ok and call.method == "sendMessage"
                    and f"· #{number}\n" in str(call.params.get("text"))
                ]  # fmt: skip
                assert [call.params["chat_id"] for call in cards] == [heads[code]], number

            # No update handled twice: each posted one handled by one instance (the
            # instance killed with one in hand logged nothing of it); the ones delivered twice
            # at once were skipped once.
            logs = c.logs()
            handled = Counter(int(i) for i in HANDLED.findall(logs))
            skipped = Counter(int(i) for i in SKIPPED.findall(logs))
            twice = [i for i in c.posted if handled[i] - skipped[i] > 1]
            assert twice == [], twice
            assert sum(skipped[i] for i in c.twice) >= len(c.twice) // 2
            assert set(handled) <= set(c.posted)

            # Each coordinator got this morning's digest once, through all the later scans
            # (every minute, in every instance).
            assert {user: c.digests_to(user) for user in coordinators} == {
                user: (1, 1) for user in coordinators
            }
            assert len(DIGESTS.findall(logs)) == 1
            # No 429 storm: the three kept together to Telegram's limits.
            refused = [call for call in fake.calls if call.status == 429]
            assert len(refused) <= REFUSALS_ALLOWED, [
                (call.method, call.params.get("chat_id"), call.time) for call in refused
            ]
            first = logs.find("Traceback")
            assert first < 0, logs[max(0, first - 2000) : first + 8000]
        finally:
            releasing.cancel()
            await held_row.close()
            for instance in c.instances:
                await instance.process.close()
            keys = [key async for key in redis.scan_iter(f"louzhang:{bot_id}:*")]
            keys += [key async for key in redis.scan_iter(f"fsm:{bot_id}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
            await engine.dispose()
