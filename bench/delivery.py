"""Benchmark 2: delivery at Telegram's limit.

    .venv/bin/python -m bench.delivery                 # 3,000 notifications, 3 runs
    .venv/bin/python -m bench.delivery --quick         # 240 notifications, 1 run (< 30 s)
    .venv/bin/python -m bench.delivery --compare       # also the limiter variants below
    .venv/bin/python -m bench.delivery --per-chat 20   # 3,000 cards to 150 heads (issue 11)
    .venv/bin/python -m bench.delivery --per-chat 20 --cards --runs 1
                                # the same with real ticket cards, and CPU per card
    .venv/bin/python -m bench.delivery --shared-redis redis://127.0.0.1:6379/15
                                # also 2 workers (2 bots, 2 budgets) sharing the limits in Redis

``--count`` notifications to distinct private chats (``--per-chat N``: N to each of
count / N chats, taking turns) are written to the outbox with OutboxRepository (one
transaction, as a burst of ticket activity would leave them), then the real DeliveryWorker
(default Limits: 30 messages/s overall) sends them to bench.fakeload's server, which enforces
Telegram's overall limit strictly: at most 30 messages in any sliding 1-second window, a 429
"Too Many Requests: retry after N" past it; and Telegram's per-chat rule
(tests/fakelimits.py: a burst of 3, then one a second, with ``--chat-slack`` seconds of
tolerance).

Next to it, in the same run, a baseline: a bare sender that schedules message *i* at
``start + i / 30`` s (no database, no limiter library), through the same aiogram session and the
same fake. What it achieves is what "at the limit" can mean on this machine.

Figures: sustained rate = the least-squares slope of messages accepted over time (the steady
rate, fair to a sender that sends bursts and waits as to one that spaces its messages); its ratio
to the limit (target ≥ 0.95); end to end = messages / (last accepted − worker start), which
includes claiming the first batch; 429s received (target 0); the most attempts in any 1-second
window.

The worker's overall limiter is the bot's budget's (telegram/budget.py, shared with the handlers'
answers), bot/ratelimit.py SlidingWindow: at most 30 sends in any second (the rule the fake
enforces), each send counted from its answer. ``--compare`` also runs the worker with that
limiter swapped in memory (nothing in the repository changes):
``bucket`` = AsyncLimiter(30, 1) (a bucket of a second's worth: 30 at once, then 30/s),
``even`` = AsyncLimiter(1, 1/30) (evenly spaced, the worker's limiter before the sliding
window), ``sent+arrival`` = the window counting each send from its answer or 50 ms after it
left, whichever is sooner (``--arrival`` for another value).

``--shared-redis URL`` also runs ``--instances`` (default 2) workers at once over the same outbox,
each with its own bot, HTTP session and budget as separate instances would have, sharing the
limits through Redis (bot/shared_limits.py, keys of the run's own, deleted after): together they
must stay within the same 30 a second and the per-chat rule (unshared, they would send twice the
limit). Not a test: timing depends on the machine.

``--cards`` (issue 11, part 1: CPU per card) also runs the worker over ticket cards as a burst of
tickets leaves them: a generated community (bench/generate.py: 43,000 residents, heads of 150
buildings), ``--count`` CARD rows, ``--per-chat`` newest tickets of each head's building to that
head, delivered by the worker with the bot's TicketCards (rendered at delivery, remembered for
editing in place). Each worker run reports its process CPU time (``time.process_time``: the
worker, the database thread, and the fake server, which runs in this process too) per message
delivered; beside it, in the same run, the same worker sending plain pre-rendered texts, and the
paced sender (no worker, no database: the fake's and aiogram's share). CPU per card = the card
run's figure; what rendering adds = it minus the text run's."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiolimiter import AsyncLimiter

from bench.common import (
    TOKEN,
    Target,
    median,
    print_machine,
    progress,
    say,
    sqlite_count,
    table,
)
from bench.fakeload import LoadFakeAPI
from bench.generate import TELEGRAM_BASE, Spec, generate
from bot.config import Config, Secret
from bot.i18n import Translations
from bot.ratelimit import SlidingWindow
from bot.services import Services
from bot.shared_limits import SharedLimits
from storage.db import Database
from storage.models import OutboxKind, telegram_address
from storage.repositories import OutboxRepository
from telegram.budget import Limits, budget_of, install_budget
from telegram.delivery import TelegramDelivery
from tests.fakelimits import FloodRules

RATIO = Target("≥ 0.95", lambda v: v >= 0.95)
REJECTED = Target("0", lambda v: v == 0)
CARD_CPU = Target("≤ 2 ms", lambda v: v <= 2.0)
CHAT_BASE = 3_000_000


class Leaky:
    """An aiolimiter bucket in the place of the worker's window (whose slots are given back)."""

    def __init__(self, limiter: AsyncLimiter) -> None:
        self.limiter = limiter

    async def acquire(self, priority: int = 0) -> Leaky:
        await self.limiter.acquire()
        return self

    def finished(self) -> None:
        pass


LIMITERS: dict[str, Callable[[float, float], object]] = {
    "bucket": lambda per_second, _: Leaky(AsyncLimiter(per_second, 1)),
    "even": lambda per_second, _: Leaky(AsyncLimiter(1, 1 / per_second)),
    "sent+arrival": lambda per_second, arrival: SlidingWindow.per_second(
        per_second, arrival_within=arrival
    ),
}


@dataclass
class Result:
    sender: str
    count: int
    written_s: float = 0.0
    sent: int = 0
    rejected: int = 0
    first: float = 0.0
    last: float = 0.0
    slope: float = 0.0
    started: float = 0.0
    peak_attempts: int = 0
    left: int = 0
    cpu_s: float = 0.0  # process CPU time from the worker's start to the last row handled
    errors: list[str] = field(default_factory=list)

    @property
    def sustained(self) -> float:
        return self.slope

    @property
    def cpu_ms_per_message(self) -> float:
        return self.cpu_s * 1000 / self.sent if self.sent else 0.0

    @property
    def end_to_end(self) -> float:
        return self.sent / (self.last - self.started) if self.last > self.started else 0.0


def _bot(fake: LoadFakeAPI) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))


def _peak(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _slope(times: list[float]) -> float:
    """Messages per second as the least-squares slope of the cumulative count over time: the
    steady rate, whether a sender spaces its messages evenly or sends bursts and waits (the
    first-to-last quotient would credit a burst sender with one window too many)."""
    n = len(times)
    if n < 2:
        return 0.0
    mean_t = sum(times) / n
    mean_i = (n - 1) / 2
    cov = sum((t - mean_t) * (i - mean_i) for i, t in enumerate(times))
    var = sum((t - mean_t) ** 2 for t in times)
    return cov / var if var else 0.0


def _finish(result: Result, fake: LoadFakeAPI) -> Result:
    accepted = fake.accepted_messages
    result.sent = len(accepted)
    result.rejected = sum(1 for c in fake.calls if c.status == 429)
    if accepted:
        result.first, result.last = accepted[0], accepted[-1]
        result.slope = _slope(accepted)
    attempts = [c.time for c in fake.calls if c.method.startswith("send")]
    result.peak_attempts = _peak(attempts)
    return result


def chat_of(i: int, count: int, per_chat: int) -> int:
    """Row ``i``'s chat: ``count / per_chat`` chats taking turns, as a burst of tickets in
    many buildings leaves cards for their heads."""
    return CHAT_BASE + i % max(1, count // per_chat)


async def run_worker(
    count: int,
    limit: int,
    workdir: Path,
    limiter: str | None,
    arrival: float = 0.05,
    per_chat: int = 1,
    slack: float = 0.5,
    instances: int = 1,
    redis_url: str | None = None,
    cards: bool = False,
) -> Result:
    """The real DeliveryWorker over ``count`` outbox rows, ``per_chat`` to each chat;
    ``redis_url``: ``instances`` workers sharing the limits in Redis; ``cards``: ticket cards
    of a generated community to its heads (else plain texts)."""
    name = "DeliveryWorker" + (f" ({limiter})" if limiter else "")
    if redis_url is not None:
        name = f"{instances} × DeliveryWorker sharing Redis"
    if cards:
        name = "DeliveryWorker, ticket cards"
    result = Result(name, count)
    run_dir = Path(tempfile.mkdtemp(prefix="delivery-", dir=workdir))
    db_path = run_dir / "louzhang.db"
    db_url = f"sqlite+aiosqlite:///{db_path}"
    if cards:
        await generate(db_path, Spec(tickets=20_000))
    db = Database(db_url)
    await db.migrate()
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with db.session() as session:
        outbox = OutboxRepository(session)
        if cards:
            for person_id, ticket_id in card_rows(db_path, count, per_chat):
                await outbox.add(
                    to=telegram_address(TELEGRAM_BASE + person_id),
                    person_id=person_id,
                    payload={},
                    now=now,
                    kind=OutboxKind.CARD,
                    ticket_id=ticket_id,
                )
        else:
            for i in range(count):
                await outbox.add(
                    to=telegram_address(chat_of(i, count, per_chat)),
                    person_id=None,
                    payload={"text": f"#{i + 1} 您的报修已受理，楼长正在处理。"},
                    now=now,
                )
        await session.commit()
    result.written_s = time.perf_counter() - started
    services = None
    if cards:
        config = Config(bot_token=Secret(TOKEN), database_url=db_url, bot_username="bench_bot")
        services = Services.create(config, db, Translations(default=config.default_language))
    fake = LoadFakeAPI(message_limit=limit)
    fake.limits = FloodRules(per_second=limit, slack=slack)  # Telegram's per-chat rules too
    await fake.start()
    prefix = f"bench:limits:{secrets.token_hex(4)}"
    bots, workers = [], []
    for _ in range(instances if redis_url else 1):
        bot = _bot(fake)
        shared = None
        if redis_url is not None:
            limits = Limits()
            shared = SharedLimits.from_url(
                redis_url,
                prefix,
                per_second=limits.per_second,
                private_per_second=limits.private_per_second,
                private_burst=limits.private_burst,
                group_per_minute=limits.group_per_minute,
            )
        budget = install_budget(bot, shared=shared)  # the default limits: 30 a second overall
        bots.append(bot)
        workers.append(
            TelegramDelivery(
                bot,
                db,
                lambda: datetime.now(UTC),
                cards=services.ticket_cards if services else None,
                availability=services.availability if services else None,
            )
        )
        if limiter is not None:
            swapped = LIMITERS[limiter](budget.limits.per_second, arrival)
            budget.overall = swapped  # type: ignore[assignment]
    try:
        result.started = time.monotonic()
        cpu = time.process_time()
        for worker in workers:
            worker.start()
        deadline = result.started + count / limit * 3 + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            pending = sqlite_count(db_path, "SELECT count(*) FROM outbox WHERE status = 'pending'")
            if pending == 0:
                break
        result.cpu_s = time.process_time() - cpu
        result.left = sqlite_count(db_path, "SELECT count(*) FROM outbox WHERE status != 'sent'")
    finally:
        for worker in workers:
            await worker.stop()
        for bot in bots:
            shared = budget_of(bot).shared
            if shared is not None:
                await shared.settled()
                await shared.forget_all()
            await budget_of(bot).close()
            await bot.session.close()
        await fake.stop()
        await db.close()
        shutil.rmtree(run_dir, ignore_errors=True)
    return _finish(result, fake)


def card_rows(db_path: Path, count: int, per_chat: int) -> list[tuple[int, int]]:
    """(head, ticket) for ``count`` cards: the newest ``per_chat`` tickets of each head's
    building to that head, the heads taking turns as a burst of tickets leaves them."""
    heads = sqlite_rows(
        db_path,
        "SELECT person_id, building_id FROM memberships WHERE role = 'head' "
        "ORDER BY building_id LIMIT ?",
        max(1, count // per_chat),
    )
    lists = [
        [
            (person_id, ticket_id)
            for (ticket_id,) in sqlite_rows(
                db_path,
                "SELECT id FROM tickets WHERE building_id = ? ORDER BY id DESC LIMIT ?",
                building_id,
                per_chat,
            )
        ]
        for person_id, building_id in heads
    ]
    turns = [row for i in range(per_chat) for rows in lists if i < len(rows) for row in [rows[i]]]
    return turns[:count]


def sqlite_rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute(sql, params).fetchall()


async def run_paced(count: int, limit: int, per_chat: int = 1, slack: float = 0.5) -> Result:
    """The baseline: message i sent at start + i / limit, nothing else."""
    result = Result(f"baseline: paced sender, 1/{limit} s apart", count)
    fake = LoadFakeAPI(message_limit=limit)
    fake.limits = FloodRules(per_second=limit, slack=slack)
    await fake.start()
    bot = _bot(fake)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[Any]] = set()

    async def send(i: int) -> None:
        with contextlib.suppress(TelegramRetryAfter):
            await bot.send_message(
                chat_of(i, count, per_chat), f"#{i + 1} 您的报修已受理，楼长正在处理。"
            )

    try:
        result.started = time.monotonic()
        cpu = time.process_time()
        start = loop.time()
        for i in range(count):
            delay = start + i / limit - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(send(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        result.cpu_s = time.process_time() - cpu
    finally:
        await bot.session.close()
        await fake.stop()
    result = _finish(result, fake)
    result.left = count - result.sent  # a 429 is not retried here
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery",
        description="Outbox delivery through the real DeliveryWorker against a fake Bot API "
        "server enforcing 30 messages/s (issue 6, benchmark 2).",
    )
    parser.add_argument("--count", type=int, default=3000, help="notifications (distinct chats)")
    parser.add_argument("--limit", type=int, default=30, help="the fake's messages per second")
    parser.add_argument(
        "--per-chat",
        type=int,
        default=1,
        help="notifications to each chat (default 1: distinct chats; 20: the issue's 3,000 "
        "cards to 150 heads); the fake enforces Telegram's per-chat rules either way",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each sender (median)")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also the worker with other global limiters (bucket, even, sent+arrival)",
    )
    parser.add_argument(
        "--arrival",
        type=float,
        default=0.05,
        help="for --compare sent+arrival: seconds after it left by which a send is assumed to "
        "have arrived (default 0.05)",
    )
    parser.add_argument(
        "--chat-slack",
        type=float,
        default=0.5,
        help="seconds of tolerance of the fake's per-chat rule (tests/fakelimits.py; 0: strict)",
    )
    parser.add_argument("--paced", action=argparse.BooleanOptionalAction, default=True,
                        help="also the paced baseline sender (default yes)")  # fmt: skip
    parser.add_argument(
        "--shared-redis",
        metavar="URL",
        help="also --instances workers sharing the limits through this Redis (keys of the "
        "run's own, deleted after), beside the single worker",
    )
    parser.add_argument("--instances", type=int, default=2, help="for --shared-redis (default 2)")
    parser.add_argument(
        "--cards",
        action="store_true",
        help="also the worker over ticket cards of a generated community, and CPU per message",
    )
    parser.add_argument("--quick", action="store_true", help="240 notifications, 1 run")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser


async def main_async(args: argparse.Namespace) -> None:
    if args.quick:
        args.count, args.runs = 240, 1
    print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    senders: list[str | None] = ["paced", None] if args.paced else [None]
    if args.compare:
        senders += list(LIMITERS)
    if args.shared_redis:
        senders.append("shared")
    if args.cards:
        senders.append("cards")
    results: dict[str, list[Result]] = {}
    try:
        for run in range(args.runs):
            for sender in senders if run % 2 == 0 else list(reversed(senders)):
                progress(f"run {run + 1}/{args.runs}: {sender or 'DeliveryWorker'} …")
                if sender == "paced":
                    result = await run_paced(args.count, args.limit, args.per_chat, args.chat_slack)
                elif sender == "cards":
                    result = await run_worker(
                        args.count,
                        args.limit,
                        workdir,
                        None,
                        per_chat=args.per_chat,
                        slack=args.chat_slack,
                        cards=True,
                    )
                elif sender == "shared":
                    result = await run_worker(
                        args.count,
                        args.limit,
                        workdir,
                        None,
                        per_chat=args.per_chat,
                        slack=args.chat_slack,
                        instances=args.instances,
                        redis_url=args.shared_redis,
                    )
                else:
                    result = await run_worker(
                        args.count,
                        args.limit,
                        workdir,
                        sender,
                        args.arrival,
                        args.per_chat,
                        args.chat_slack,
                    )
                progress(
                    f"  {result.sustained:.2f}/s, {result.rejected} × 429, "
                    f"{result.cpu_ms_per_message:.2f} ms CPU per message"
                )
                results.setdefault(result.sender, []).append(result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = []
    for sender, runs in results.items():
        ratio = median([r.sustained / args.limit for r in runs])
        rejected = median([r.rejected for r in runs])
        worker = "DeliveryWorker" in sender
        rows.append([
            sender, median([r.sustained for r in runs]),
            " / ".join(f"{r.sustained:.2f}" for r in runs), ratio,
            median([r.end_to_end for r in runs]), rejected,
            " / ".join(str(r.rejected) for r in runs),
            max(r.peak_attempts for r in runs), max(r.left for r in runs),
            median([r.cpu_ms_per_message for r in runs]),
            RATIO.judge(ratio) if worker else "", REJECTED.judge(rejected) if worker else "",
        ])  # fmt: skip
    say(
        table(
            ["sender", "sustained msg/s (median)", "runs", "rate / limit", "end-to-end msg/s",
             "429s (median)", "429s per run", "most attempts in 1 s", "not sent",
             "CPU ms / message", "target ≥ 0.95", "target 0 × 429"],
            rows,
            title=f"## Delivery of {args.count:,} notifications, {args.per_chat} per chat, limit "
            f"{args.limit} messages in any 1 s and Telegram's per-chat rule",
        )
    )  # fmt: skip
    written = [r.written_s for runs in results.values() for r in runs if r.written_s]
    if written:
        say(f"\noutbox rows written with OutboxRepository.add in one transaction: "
            f"{median(written):.2f} s for {args.count:,} (median)")  # fmt: skip
    if args.cards:
        cpu = {s: median([r.cpu_ms_per_message for r in runs]) for s, runs in results.items()}
        card = cpu.get("DeliveryWorker, ticket cards", 0.0)
        text = cpu.get("DeliveryWorker", 0.0)
        say(f"\nCPU per card: {card:.2f} ms (target ≤ 2 ms: {CARD_CPU.judge(card)}); the same "
            f"worker with plain texts {text:.2f} ms per message, so a card's rendering and "
            f"remembering add {card - text:.2f} ms")  # fmt: skip
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    s: [r.__dict__ | {"sustained": r.sustained} for r in runs]
                    for s, runs in results.items()
                },
                indent=1,
                default=str,
            )  # fmt: skip
        )


def main() -> None:
    asyncio.run(main_async(build_parser().parse_args()))


if __name__ == "__main__":
    main()
