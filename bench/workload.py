"""The community and the update stream of bench.throughput.

Seeding goes through the operator's and the users' own paths: ``python -m bot import-buildings``
for a generated community, then the services the handlers call (join link, flat number, invitation
accepted, reports sent), so the database looks like one the bot built itself.

Per user a script of updates, ``U`` users giving ``5 U`` updates:

- 50 % reporters, one full report each (6 updates: /report, category button, description, "skip"
  the location, privacy "continue", "send"): 60 % of the updates, in the report flow;
- 30 % heads pressing buttons on ticket cards (5 presses: Take and History of existing tickets;
  three heads share a building, so some Takes lose the race and get the "already taken" path):
  30 %;
- 20 % sending commands: residents /help and /my, heads /tickets, /help and /my: 10 %.

Every user who acts is in a building where nothing else happens to them: the tickets the reporters
create go to other (passive) heads, the pressers' tickets were routed to a passive deputy. So every
API call to an acting user's chat is an answer to that user's own update, which is what lets the
benchmark attribute calls to updates without touching the bot. Reporters in one building pick
different categories, so nobody is asked "same problem as #n?" (the script would not expect it).
"""

from __future__ import annotations

import asyncio
import csv
import heapq
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import USERNAME, bot_env, checkpoint
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import Draft
from handlers.keyboards import TicketCb
from handlers.report import ReportCb, Step
from storage.db import Database
from storage.models import Person, Role, telegram_address

COMMUNITY = "基准社区"
CATEGORIES = ("repairs", "facilities", "sanitation", "elevator", "neighbours", "other")
REPORTERS_PER_BUILDING = len(CATEGORIES)
PRESSERS_PER_BUILDING = 3
TICKETS_PER_PRESSER_BUILDING = 5
COMMAND_HEADS_PER_BUILDING = 2
TICKETS_PER_COMMAND_BUILDING = 3
ACTIVE_BASE = 1_000_000
PASSIVE_BASE = 2_000_000
BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Louzhang", "username": USERNAME}
JSON = dict[str, Any]


@dataclass(frozen=True)
class Step_:
    kind: str  # message | callback
    klass: str  # report-message | report-button | card-button | command
    payload: str  # text or callback data


@dataclass
class Actor:
    telegram_id: int
    steps: list[Step_] = field(default_factory=list)
    head: int | None = None  # a reporter's: the telegram id of its building's (passive) head

    @property
    def name(self) -> str:
        return f"U{self.telegram_id}"


@dataclass
class Seeded:
    db: Path
    actors: list[Actor]
    buildings: int
    people: int
    tickets: int
    seconds: float


def _csv(path: Path, codes: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["community", "code", "name", "address"])
        for i, code in enumerate(codes, 1):
            writer.writerow([COMMUNITY, code, f"基准小区{i}栋", f"基准路{i}号"])


async def seed(workdir: Path, users: int, *, rng_seed: int = 6) -> Seeded:
    """Builds the community for ``users`` acting users in ``workdir/template.db``."""
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    n_reporters = users // 2
    n_pressers = users * 3 // 10
    n_commanders = users - n_reporters - n_pressers
    n_command_heads = n_commanders // 2
    rb = -(-n_reporters // REPORTERS_PER_BUILDING)
    sb = -(-n_pressers // PRESSERS_PER_BUILDING)
    qb = max(1, -(-n_command_heads // COMMAND_HEADS_PER_BUILDING))
    codes = [f"R{i:03d}" for i in range(rb)] + [f"S{i:03d}" for i in range(sb)]
    codes += [f"Q{i:03d}" for i in range(qb)]

    db_path = workdir / "template.db"
    csv_path = workdir / "buildings.csv"
    _csv(csv_path, codes)
    imported = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "import-buildings", str(csv_path)],
        cwd=workdir,
        env=bot_env(db_path, None, BOT_TOKEN=None),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if imported.returncode != 0:
        raise RuntimeError(f"import-buildings failed:\n{imported.stderr}")

    url = f"sqlite+aiosqlite:///{db_path}"
    config = Config(database_url=url, bot_username=USERNAME)
    db = Database(url)
    services = Services.create(config, db, Translations(default=config.default_language))
    active = iter(range(ACTIVE_BASE + 1, ACTIVE_BASE + 10**6))
    passive = iter(range(PASSIVE_BASE + 1, PASSIVE_BASE + 10**6))
    counts = {"people": 0, "tickets": 0}

    async def person(telegram_id: int) -> Person:
        counts["people"] += 1
        return await services.onboarding.touch(
            telegram_address(telegram_id), f"U{telegram_id}", "zh-hans"
        )

    async def resident(telegram_id: int, building_id: int) -> Person:
        p = await person(telegram_id)
        await services.onboarding.join_building(p, building_id)
        await services.onboarding.set_flat(
            p, building_id, f"{rng.randint(1, 30)}-{rng.randint(101, 2802)}"
        )
        return p

    async def appoint(telegram_id: int, role: Role, target: str) -> Person:
        p = await person(telegram_id)
        issued = await services.community.invite(role, target, community=COMMUNITY)
        await services.onboarding.open_payload(p, issued.payload)
        return p

    async def report(author: Person, building_id: int, category: str) -> int:
        counts["tickets"] += 1
        draft = Draft(
            building_id=building_id, category=category, description="楼道灯坏了，麻烦看看"
        )
        return (await services.reporting.report(author, draft)).ticket.id

    try:
        buildings = {b.code: b.id for b in await _buildings(db)}
        await appoint(next(passive), Role.COORDINATOR, COMMUNITY)

        reporters: list[Actor] = []
        for i in range(rb):
            code = f"R{i:03d}"
            head = next(passive)
            await appoint(head, Role.HEAD, code)
            for category in CATEGORIES:
                if len(reporters) == n_reporters:
                    break
                actor = Actor(next(active), head=head)
                await resident(actor.telegram_id, buildings[code])
                actor.steps = _report_script(category)
                reporters.append(actor)

        pressers: list[Actor] = []
        for i in range(sb):
            code = f"S{i:03d}"
            await appoint(next(passive), Role.DEPUTY, code)
            authors = [await resident(next(passive), buildings[code]) for _ in range(2)]
            tickets = [
                await report(authors[k % 2], buildings[code], CATEGORIES[k % len(CATEGORIES)])
                for k in range(TICKETS_PER_PRESSER_BUILDING)
            ]
            for j in range(PRESSERS_PER_BUILDING):
                if len(pressers) == n_pressers:
                    break
                actor = Actor(next(active))
                await appoint(actor.telegram_id, Role.HEAD, code)
                actor.steps = _presser_script(tickets, j)
                pressers.append(actor)

        commanders: list[Actor] = []
        for i in range(qb):
            code = f"Q{i:03d}"
            author = await resident(next(passive), buildings[code])
            for k in range(TICKETS_PER_COMMAND_BUILDING):
                await report(author, buildings[code], CATEGORIES[k])
            for _ in range(COMMAND_HEADS_PER_BUILDING):
                if len(commanders) == n_command_heads:
                    break
                actor = Actor(next(active))
                await appoint(actor.telegram_id, Role.HEAD, code)
                actor.steps = _commands("/tickets", "/help", "/my")
                commanders.append(actor)
        for k in range(n_commanders - n_command_heads):
            actor = Actor(next(active))
            await resident(actor.telegram_id, buildings[f"Q{k % qb:03d}"])
            actor.steps = _commands("/help", "/my")
            commanders.append(actor)

        async with db.engine.begin() as connection:
            # The seeding's notifications (cards to the heads, "X is now head" notices) count
            # as delivered: the run starts with an empty outbox.
            await connection.execute(
                text("UPDATE outbox SET status = 'sent' WHERE status = 'pending'")
            )
    finally:
        await db.close()
    checkpoint(db_path)
    actors = [*reporters, *pressers, *commanders]
    return Seeded(
        db_path,
        actors,
        buildings=len(codes),
        people=counts["people"],
        tickets=counts["tickets"],
        seconds=time.perf_counter() - started,
    )


async def _buildings(db: Database) -> list[Any]:
    async with db.engine.connect() as connection:
        return list((await connection.execute(text("SELECT id, code FROM buildings"))).all())


SEND = ReportCb(step=Step.SEND).pack()  # a report's last press, which files the ticket


def _report_script(category: str) -> list[Step_]:
    return [
        Step_("message", "report-message", "/report"),
        Step_("callback", "report-button", ReportCb(step=Step.CATEGORY, value=category).pack()),
        Step_("message", "report-message", "三楼楼道的灯坏了一个星期，晚上很黑，请尽快修理。"),
        Step_("message", "report-message", "跳过"),
        Step_("callback", "report-button", ReportCb(step=Step.PRIVACY_DONE).pack()),
        Step_("callback", "report-button", SEND),
    ]


def _presser_script(tickets: list[int], j: int) -> list[Step_]:
    n = len(tickets)

    def press(action: Action, index: int) -> Step_:
        data = TicketCb(action=action, ticket_id=tickets[index % n]).pack()
        return Step_("callback", "card-button", data)

    return [
        press(Action.TAKE, j),
        press(Action.HISTORY, j),
        press(Action.HISTORY, j + 1),
        press(Action.TAKE, j + 3),
        press(Action.HISTORY, j + 4),
    ]


def _commands(*commands: str) -> list[Step_]:
    return [Step_("message", "command", c) for c in commands]


# ----------------------------------------------------------------------------- the stream


@dataclass(frozen=True)
class Item:
    """One update of the stream and who sent it."""

    actor: int  # telegram id
    step: Step_
    update: JSON
    head: int | None = None  # a reporter's: its building's head (who gets the ticket's card)


def stream(actors: list[Actor], *, min_gap: int, rng_seed: int = 7) -> list[Item]:
    """Every actor's script in order, actors interleaved at random, and one actor's consecutive
    updates at least ``min_gap`` positions apart where possible (at 100 updates/s, 200 positions
    are two seconds: a user answering the bot, not a replayed burst)."""
    rng = random.Random(rng_seed)
    remaining = {a.telegram_id: list(a.steps) for a in actors}
    heads = {a.telegram_id: a.head for a in actors}
    ready = [a.telegram_id for a in actors]
    rng.shuffle(ready)
    waiting: list[tuple[int, int, int]] = []  # (allowed position, tie-break, actor)
    out: list[Item] = []
    message_ids = iter(range(10_000_000, 10**9))
    callback_ids = iter(range(5 * 10**12, 6 * 10**12))
    total = sum(len(s) for s in remaining.values())
    tie = 0
    while len(out) < total:
        position = len(out)
        while waiting and waiting[0][0] <= position:
            ready.append(heapq.heappop(waiting)[2])
        if ready:
            # Weighted towards actors with more left, so long scripts do not pile up at the end.
            index = rng.randrange(len(ready))
            other = rng.randrange(len(ready))
            if len(remaining[ready[other]]) > len(remaining[ready[index]]):
                index = other
            actor = ready.pop(index)
        else:
            actor = heapq.heappop(waiting)[2]
        step = remaining[actor].pop(0)
        update = _update(actor, step, message_ids, callback_ids)
        out.append(Item(actor, step, update, heads[actor]))
        if remaining[actor]:
            tie += 1
            heapq.heappush(waiting, (position + min_gap, tie, actor))
    return out


def _update(actor: int, step: Step_, message_ids: Any, callback_ids: Any) -> JSON:
    user = {"id": actor, "is_bot": False, "first_name": f"U{actor}", "language_code": "zh-hans"}
    chat = {"id": actor, "type": "private", "first_name": f"U{actor}"}
    now = int(time.time())
    if step.kind == "message":
        message: JSON = {
            "message_id": next(message_ids),
            "date": now,
            "chat": chat,
            "from": user,
            "text": step.payload,
        }
        if step.payload.startswith("/"):
            length = len(step.payload.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"message": message}
    shown = {"message_id": next(message_ids), "date": now, "chat": chat, "from": BOT_USER}
    shown["text"] = "…"
    return {
        "callback_query": {
            "id": str(next(callback_ids)),
            "from": user,
            "chat_instance": str(-actor),
            "message": shown,
            "data": step.payload,
        }
    }


__all__ = ["SEND", "Actor", "Item", "Seeded", "Step_", "seed", "stream"]
