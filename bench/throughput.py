"""Benchmark 1: update throughput and latency of the real bot against bare aiogram.

    .venv/bin/python -m bench.throughput            # 5,000 updates from 1,000 users, 3 runs each
    .venv/bin/python -m bench.throughput --quick    # 300 updates from 60 users, 1 run (< 30 s)
    .venv/bin/python -m bench.throughput --profile  # plus one py-spy profile of the bot

What runs: ``python -m bot`` (a child process, SQLite in a temporary directory, seeded as
bench/workload.py describes) polls bench.fakeload's server over HTTP on 127.0.0.1; so does
bench/echo_bot.py, a bare aiogram bot, on the same server with the same updates, alternating
with the bot run by run. Each run starts from a copy of the same seeded database.

- Throughput ("burst"): the whole queue is available at once and served in Telegram's batches
  of up to 100 as fast as the bot asks; updates/s = updates / (last answer − feed start).
- Latency ("paced"): update *i* becomes available at ``i / rate``; latency = arrival of the bot's
  first API call caused by an update − the moment the fake served that update in getUpdates
  (both read from one clock, in the fake).
- Card latency ("Send → head's card", issue 11's burst target: within 5 s p99), in burst and paced
  runs of the bot: for each resident's last press of a report ("Send", bench/workload.py's
  ``SEND``), the first message the building's head receives with that report's ticket − the
  moment the fake served the press. Matching (``card_latencies``): the ticket's number is read
  from the bot's answer to the resident, the first sendMessage/editMessageText to the resident's
  chat served no earlier than the press whose text is the Fluent message ``report-sent`` in either
  language (``SENT``: the message rendered with marker arguments and turned into a pattern; Fluent
  groups the number's digits, "#1,234", which are joined again). The card is the first
  sendMessage/editMessageText, no earlier than the press, to the chat of that resident's building's
  head (a passive person whom nothing else reaches, bench/workload.py) whose first line is a
  card's title, "<category> · #<number>" (bot/services/cards.py render_card), with that number.
  A press with no numbered answer, or no such card, counts as "not arrived". A run of the bot
  ends only once every expected card came, or ``CARD_WAIT`` seconds passed with none arriving
  after the steps were all answered. The echo bot files nothing: "-".
- The fake's own cost is measured too: its CPU share during each run, and on its own with
  bench.fakeclient (another process calling it as fast as it answers).

Targets (issue 6): bot/echo ≥ 0.7; p99 < 50 ms at 100 updates/s; (issue 11) cards within 5 s
p99 of Send. Figures depend on the machine:
compare the ratio, not the absolute numbers. Not a test."""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import workload
from bench.common import (
    Child,
    Target,
    bot_env,
    log_problems,
    median,
    percentile,
    print_machine,
    progress,
    say,
    sqlite_count,
    table,
)
from bench.fakeload import LoadFakeAPI
from bot.i18n import SUPPORTED_LANGUAGES, Translations

RATIO = Target("≥ 0.7", lambda v: v >= 0.7)
P99 = Target("< 50 ms", lambda v: v < 50)
STARTUP_LIMIT = 90.0
QUIET = 0.5  # seconds without an answer after which a run whose updates are all answered ends
CARD_WAIT = 30.0  # seconds without a new card, once every step is answered, before giving up
CARD_P99 = Target("≤ 5 s", lambda v: v <= 5000)
CARD_METHODS = ("sendMessage", "editMessageText")
CARD_TITLE = re.compile(r"[^\n]* · #(\d+)(?![\d,])")  # a card's first line (render_card)


def _sent_pattern() -> re.Pattern[str]:
    """The bot's answer to Send (``report-sent``) in every language, its number captured:
    rendered with markers for the arguments, which become wildcards (the number's digits, with
    Fluent's grouping)."""
    translations = Translations()
    marker = 9_876_543
    shown = {str(marker), f"{marker:,}"}
    alternatives = []
    for language in SUPPORTED_LANGUAGES:
        text = translations.get(language, "report-sent", number=marker, building="\0", who="\0")
        number = next(n for n in shown if n in text)
        before, _, after = text.partition(number)
        parts = [re.escape(p) for p in before.split("\0")]
        pattern = ".+?".join(parts) + r"(\d[\d,.\u00a0\u202f]*\d|\d)"
        pattern += ".+?".join(re.escape(p) for p in after.split("\0"))
        alternatives.append(pattern)
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.S)


SENT = _sent_pattern()


def sent_number(text: str) -> int | None:
    """The ticket number in the bot's answer to Send, or None for any other text."""
    m = SENT.fullmatch(text)
    if m is None:
        return None
    digits = next(g for g in m.groups() if g is not None)
    return int(re.sub(r"\D", "", digits))


def card_number(text: str) -> int | None:
    """The ticket number of a card (its title, the first line), or None for any other text."""
    m = CARD_TITLE.match(text.split("\n", 1)[0])
    return int(m.group(1)) if m else None


@dataclass
class Cards:
    """Send → the head's card, for one run."""

    expected: int = 0  # Send presses in the run
    numbered: int = 0  # of which the resident was told a ticket number
    latencies: dict[int, float] = field(default_factory=dict)  # item index of the Send -> ms

    @property
    def not_arrived(self) -> int:
        return self.expected - len(self.latencies)

    def pct(self, q: float) -> float:
        return percentile(list(self.latencies.values()), q)


def card_latencies(
    items: list[workload.Item], ids: list[int], served_at: dict[int, float], calls: list[Any]
) -> Cards:
    """Per Send press: its ticket's number from the bot's answer to the resident, then the first
    card with that number in the chat of the building's head, both no earlier than the press was
    served (the module's docstring)."""
    texts: dict[int, list[tuple[float, str]]] = defaultdict(list)  # chat -> (time, text)
    for call in calls:
        chat, text = call.params.get("chat_id"), call.params.get("text")
        if call.method in CARD_METHODS and isinstance(chat, int) and isinstance(text, str):
            texts[chat].append((call.time, text))
    out = Cards()
    for i, item in enumerate(items):
        if item.step.payload != workload.SEND or item.head is None:
            continue
        out.expected += 1
        served = served_at.get(ids[i])
        if served is None:
            continue
        told = [(t, sent_number(text)) for t, text in texts[item.actor] if t >= served]
        number = next((n for _, n in told if n is not None), None)
        if number is None:
            continue
        out.numbered += 1
        for t, text in texts[item.head]:
            if t >= served and card_number(text) == number:
                out.latencies[i] = (t - served) * 1000
                break
    return out


@dataclass
class RunResult:
    kind: str  # bot | echo
    mode: str  # burst | paced
    updates: int
    seconds: float = 0.0
    answered: int = 0
    latencies: dict[int, float] = field(default_factory=dict)  # update index -> ms
    classes: dict[int, str] = field(default_factory=dict)
    child_cpu: float = 0.0
    child_sys: float = 0.0  # of which in the kernel (thread hand-overs show here)
    fake_cpu: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    batches: float = 0.0
    problems: list[str] = field(default_factory=list)
    rss_kb: int = 0
    counts: str = ""
    cards: Cards | None = None  # None: the echo bot (it files nothing)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def pct(self, q: float, klass: str | None = None) -> float:
        values = [
            ms for i, ms in self.latencies.items() if klass is None or self.classes[i] == klass
        ]
        return percentile(values, q)


class Tracker:
    """Follows the answers as they arrive (the fake's ``on_call`` hook): the time of the last
    one, the callback queries answered, the calls to each acting user's chat."""

    def __init__(self, items: list[workload.Item]) -> None:
        self.actors = {item.actor for item in items}
        self.callbacks = {
            item.update["callback_query"]["id"] for item in items if item.step.kind == "callback"
        }
        self.answered: set[str] = set()
        self.per_chat: Counter[int] = Counter()
        self.expected_per_chat = Counter(i.actor for i in items if i.step.kind == "message")
        self.last = 0.0
        self.active = False
        # Cards (card_latencies matches them exactly afterwards; this only says when to stop).
        self.sends = {i.actor: i.head for i in items if i.step.payload == workload.SEND and i.head}
        self.heads = set(self.sends.values())
        self.numbers: dict[int, int] = {}  # reporter -> the number it was told
        self.cards: defaultdict[int, set[int]] = defaultdict(set)  # head -> numbers carded
        self.last_card = 0.0

    def __call__(self, method: str, params: dict[str, Any], now: float) -> None:
        if not self.active or method == "getUpdates":
            return
        chat, text = params.get("chat_id"), params.get("text")
        if method in CARD_METHODS and isinstance(text, str):
            if chat in self.sends and (number := sent_number(text)) is not None:
                self.numbers[chat] = number
            elif chat in self.heads and (number := card_number(text)) is not None:
                self.cards[chat].add(number)
                self.last_card = now
        if method == "answerCallbackQuery":
            if params.get("callback_query_id") in self.callbacks:
                self.answered.add(params["callback_query_id"])
                self.last = now
            return
        chat = params.get("chat_id")
        if chat in self.actors:
            self.per_chat[chat] += 1
            self.last = now

    def complete(self) -> bool:
        return len(self.answered) == len(self.callbacks) and all(
            self.per_chat[chat] >= n for chat, n in self.expected_per_chat.items()
        )

    def cards_complete(self) -> bool:
        return all(
            self.numbers.get(actor) in self.cards[head] for actor, head in self.sends.items()
        )


async def run_once(
    kind: str,
    template: Path,
    items: list[workload.Item],
    workdir: Path,
    *,
    rate: float | None,
    profile: Path | None = None,
    keep: bool = False,
) -> RunResult:
    mode = "burst" if rate is None else "paced"
    result = RunResult(kind, mode, len(items))
    run_dir = Path(tempfile.mkdtemp(prefix=f"{kind}-{mode}-", dir=workdir))
    db = run_dir / "louzhang.db"
    shutil.copy(template, db)
    fake = LoadFakeAPI(max_poll_timeout=1.0)
    await fake.start()
    tracker = Tracker(items)
    fake.on_call = tracker
    ids = fake.load([item.update for item in items])
    env = bot_env(db, fake.base_url)
    if kind == "echo":
        args = [sys.executable, "-m", "bench.echo_bot"]
    elif kind == "bot":
        args = [sys.executable, "-m", "bot"]
    else:  # "bot+variant,variant": bench/variants.py
        args = [sys.executable, "-m", "bench.variants"]
        env["BENCH_VARIANT"] = kind.split("+", 1)[1]
    child = await Child.start(args, env, run_dir, run_dir / "child.log")
    spies: list[subprocess.Popen[bytes]] = []
    try:
        await child.until(lambda: bool(fake.calls_of("getUpdates")), "polling", STARTUP_LIMIT)
        if kind != "echo":
            await _settle(child, fake, db)
        if profile is not None:
            spies = _spy(child.pid, profile)
            await asyncio.sleep(1.0)  # py-spy attaches
        mark = len(fake.calls)
        cpu0, fake_cpu0 = child.cpu_seconds(), time.process_time()
        sys0 = child.cpu_split()[1]
        tracker.active = True
        started = fake.start_feed(rate)
        budget = (len(items) / rate if rate else 0) + 300.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        answered_at: float | None = None  # when every step was answered (or given up on)
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            if not child.alive():
                raise RuntimeError(f"{kind} exited during the run:\n{child.logs()[-4000:]}")
            now = time.monotonic()
            quiet = now - max(tracker.last, started)
            if answered_at is None and (
                fake.all_confirmed
                and ((tracker.complete() and quiet > QUIET) or quiet > 10 * QUIET + 5)
            ):
                answered_at = now
            if answered_at is not None and (
                kind == "echo"
                or tracker.cards_complete()
                or now - max(answered_at, tracker.last_card) > CARD_WAIT
            ):
                break
        result.seconds = tracker.last - started
        result.child_cpu = child.cpu_seconds() - cpu0
        result.child_sys = child.cpu_split()[1] - sys0
        result.fake_cpu = time.process_time() - fake_cpu0
        result.rss_kb = child.memory().get("VmRSS", 0)
        counts = [line for line in child.logs().splitlines() if "BENCH-COUNTS" in line]
        if counts:
            result.counts = counts[-1].split("BENCH-COUNTS", 1)[1].strip()
        result.answered = len(tracker.answered) + sum(
            min(tracker.per_chat[c], n) for c, n in tracker.expected_per_chat.items()
        )
        calls = fake.calls[mark:]
        if keep:  # the fake's calls of the run, for a timeline (seconds from the feed's start)
            with (run_dir / "calls.jsonl").open("w") as out:
                for call in calls:
                    chat = call.params.get("chat_id")
                    line = {"t": round(call.time - started, 4), "method": call.method, "chat": chat}
                    out.write(json.dumps(line) + "\n")
        result.calls = Counter(c.method for c in calls)
        result.batches = sum(fake.batches) / len(fake.batches) if fake.batches else 0.0
        offset = time.time() - time.monotonic()  # the bot's log is in wall-clock time
        handled = {update_id: at - offset for update_id, at in handled_times(child.logs()).items()}
        result.latencies, result.classes = attribute(items, ids, fake.served_at, calls, handled)
        if kind != "echo":
            result.cards = card_latencies(items, ids, fake.served_at, calls)
            if keep:
                _write_sends(
                    run_dir / "sends.jsonl", items, ids, started, fake.served_at, handled, result
                )
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.wait(30)
        await child.stop(grace=1.0)
        await fake.stop()
    result.problems = [f"[{kind}, {mode}] {line}" for line in log_problems(child.logs())]
    if result.problems:  # keep the whole log of a run that went wrong
        kept = Path(tempfile.gettempdir()) / f"{run_dir.name}.log"
        await asyncio.to_thread(shutil.copy, child.log, kept)
        result.problems.insert(0, f"[{kind}, {mode}] full log: {kept}")
    if not keep:  # (--workdir: each run's database and log stay there)
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


async def _settle(child: Child, fake: LoadFakeAPI, db: Path) -> None:
    """After start-up the bot may still be sending (command menus, the scheduler's first scans):
    wait for an empty outbox and a second without any call but getUpdates."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_LIMIT
    while loop.time() < deadline:
        others = [c for c in fake.calls if c.method != "getUpdates"]
        quiet = time.monotonic() - (others[-1].time if others else 0)
        pending = sqlite_count(db, "SELECT count(*) FROM outbox WHERE status = 'pending'")
        if quiet > 1.0 and pending == 0:
            return
        if not child.alive():
            raise RuntimeError("the bot exited at start-up:\n" + child.logs()[-4000:])
        await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not settle after start-up")


HANDLED = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) INFO handlers\.middlewares: "
    r"update (\d+) \S+ user \S+ handled in"
)


def _write_sends(
    path: Path,
    items: list[workload.Item],
    ids: list[int],
    started: float,
    served_at: dict[int, float],
    handled: dict[int, float],
    result: RunResult,
) -> None:
    """Each Send press's timeline (seconds from the feed's start): served in getUpdates, first
    answer, handled (the bot's log), its card received by the head."""
    cards = result.cards
    assert cards is not None  # written only for the bots that file cards (not the echo bot)

    def since_start(moment: float | None) -> float | None:
        return None if moment is None else round(moment - started, 4)

    with path.open("w") as out:
        for i, item in enumerate(items):
            served = served_at.get(ids[i])
            if item.step.payload != workload.SEND or served is None:
                continue
            answered, card = result.latencies.get(i), cards.latencies.get(i)  # ms after served
            line = {
                "update": ids[i],
                "served": since_start(served),
                "answered": since_start(None if answered is None else served + answered / 1000),
                "handled": since_start(handled.get(ids[i])),
                "card": since_start(None if card is None else served + card / 1000),
            }
            out.write(json.dumps(line) + "\n")


def handled_times(log: str) -> dict[int, float]:
    """When the bot finished each update (wall clock, ms), from the line handlers.middlewares'
    LogMiddleware writes at INFO after the handler returned."""
    out = {}
    for line in log.splitlines():
        m = HANDLED.match(line)
        if m:
            stamp = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
            out[int(m.group(3))] = stamp + int(m.group(2)) / 1000
    return out


def attribute(
    items: list[workload.Item],
    ids: list[int],
    served_at: dict[int, float],
    calls: list[Any],
    handled: dict[int, float],
) -> tuple[dict[int, float], dict[int, str]]:
    """Latency per update (ms): its first API call − when it was served.

    A callback query is matched by its id. Any other call goes to an acting user's chat (nothing
    else is sent to them during a run, bench/workload.py) and belongs to one of that user's
    updates: the bot handles one user's updates one at a time, so the calls of update k come
    after update k-1 was finished and before update k was (``handled``: from the bot's log, in
    the fake's monotonic clock). Without a log (the echo bot: one call per update) the call
    belongs to the user's latest update served before it."""
    first: dict[int, float] = {}
    by_callback = {
        item.update["callback_query"]["id"]: i
        for i, item in enumerate(items)
        if item.step.kind == "callback"
    }
    chat_calls: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        if call.method == "answerCallbackQuery":
            index = by_callback.get(call.params.get("callback_query_id"))
            if index is not None and index not in first:
                first[index] = call.time
        elif call.method != "getUpdates" and isinstance(call.params.get("chat_id"), int):
            chat_calls[call.params["chat_id"]].append(call.time)
    order: dict[int, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        order[item.actor].append(i)
    for actor, indexes in order.items():
        times = chat_calls.get(actor, [])
        for k, i in enumerate(indexes):
            served = served_at.get(ids[i])
            if served is None:
                continue
            low, high = served, float("inf")
            if handled:
                previous = handled.get(ids[indexes[k - 1]]) if k else None
                if previous is not None:
                    low = max(low, previous + 0.001)
                end = handled.get(ids[i])
                high = end + 0.001 if end is not None else high
            elif k + 1 < len(indexes) and (following := served_at.get(ids[indexes[k + 1]])):
                high = following
            j = bisect.bisect_left(times, low)
            if j < len(times) and times[j] <= high:
                first[i] = min(first.get(i, times[j]), times[j])
    latencies = {i: (t - served_at[ids[i]]) * 1000 for i, t in first.items()}
    return latencies, {i: item.step.klass for i, item in enumerate(items)}


def _spy(pid: int, out: Path) -> list[subprocess.Popen[bytes]]:
    """py-spy on the bot without pausing it: every thread (raw, for the tables), only samples
    holding the GIL (raw and a flame graph: what the one core the bot can use is spent on)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    common = [spy, "record", "--pid", str(pid), "--rate", "100", "--nonblocking"]
    stem = str(out)
    return [
        subprocess.Popen(
            [*common, "--threads", "--format", "raw", "-o", f"{stem}-threads.txt"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [*common, "--gil", "--format", "raw", "-o", f"{stem}-gil.txt"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [*common, "--gil", "-o", f"{stem}-gil.svg"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]


CATEGORIES = (  # first match wins, looking at every frame of a sample
    ("database: SQLAlchemy + aiosqlite", ("sqlalchemy/", "aiosqlite/")),
    (
        "Bot API calls: aiogram client + aiohttp",
        ("aiogram/client/", "aiohttp/", "aiogram/methods/"),
    ),
    ("to_thread hand-over (sync filters)", ("asyncio/threads.py", "concurrent/futures/")),
    ("logging", ("logging/",)),
    ("pydantic (Telegram objects)", ("pydantic/", "pydantic_core/")),
    ("aiogram dispatch: routers, filters, FSM", ("aiogram/",)),
    ("our code (handlers, services, i18n)", ("bot/", "handlers/", "storage/", "fluent/")),
)


def _frames(line: str) -> tuple[str, list[str], int] | None:
    stack, _, count = line.rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = [f.strip() for f in stack.split(";")]
    thread = ""
    while frames and frames[0].startswith(("process ", "thread ")):
        thread = frames.pop(0)
    return thread, frames, int(count)


def profile_tables(threads_file: Path, gil_file: Path) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's raw output: where the bot's threads are busy, what the main thread (the
    event loop) spends its samples on, our functions by inclusive share, and the functions that
    hold the GIL most."""
    by_thread: Counter[str] = Counter()
    category: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    main_total = 0
    for line in threads_file.read_text().splitlines():
        parsed = _frames(line)
        if parsed is None:
            continue
        thread, frames, n = parsed
        name = thread.split(":", 1)[-1].strip()
        if "MainThread" in name:
            group = "main thread (event loop)"
        elif "_connection_worker" in name:
            group = "aiosqlite connection threads"
        elif "asyncio_" in name or "ThreadPool" in name:
            group = "default executor (to_thread)"
        else:
            group = "other threads"
        leaf = frames[-1] if frames else ""
        if "aiosqlite/core.py:59" in leaf or leaf.startswith("_worker ("):
            group += ", waiting for work"  # blocked on their queue: py-spy counts it as busy
        by_thread[group] += n
        if "MainThread" not in name:
            continue
        main_total += n
        joined = ";".join(frames)
        if leaf.startswith(("EpollSelector.select", "select (")):
            category["waiting in epoll (idle)"] += n
        else:
            category[
                next((label for label, keys in CATEGORIES if any(k in joined for k in keys)),
                     "event loop and other")
            ] += n  # fmt: skip
        for frame in set(frames):
            where = frame.partition(" (")[2]
            if where.startswith(("bot/", "handlers/", "storage/")):
                ours[_short(frame)] += n
    total_threads = sum(by_thread.values()) or 1
    gil_own: Counter[str] = Counter()
    gil_total = 0
    for line in gil_file.read_text().splitlines():
        parsed = _frames(line)
        if parsed is None or not parsed[1]:
            continue
        _, frames, n = parsed
        gil_total += n
        gil_own[_short(frames[-1])] += n

    def share(counter: Counter[str], total: int, k: int = 12) -> list[tuple[str, float]]:
        return [(name, 100 * v / total) for name, v in counter.most_common(k)] if total else []

    return {
        "threads": share(by_thread, total_threads),
        "main": share(category, main_total),
        "ours": share(ours, main_total, 15),
        "gil": share(gil_own, gil_total, 12),
    }


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (to/module.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(where).parts
    return f"{name} ({'/'.join(parts[-2:])})"


# ----------------------------------------------------------------------------- the fake itself


async def fake_capacity(updates: int, calls: int) -> dict[str, float]:
    """The fake on its own: another process fetches ``updates`` in Telegram's batches and then
    makes ``calls`` sendMessage calls, 8 at a time, as fast as the fake answers."""
    fake = LoadFakeAPI(max_poll_timeout=1.0)
    await fake.start()
    try:
        fake.load([{"message": _text_message(1_000_000 + i % 1000, i)} for i in range(updates)])
        fake.start_feed(None)
        cpu0 = time.process_time()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fakeclient",
            fake.base_url,
            str(calls),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        figures: dict[str, float] = json.loads(out)
        figures["fake_cpu_s"] = time.process_time() - cpu0
        return figures
    finally:
        await fake.stop()


def _text_message(user: int, i: int) -> dict[str, Any]:
    chat = {"id": user, "type": "private", "first_name": f"U{user}"}
    sender = {"id": user, "is_bot": False, "first_name": f"U{user}"}
    return {"message_id": i + 1, "date": 0, "chat": chat, "from": sender, "text": "hello"}


# ----------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput",
        description="Update throughput and latency of `python -m bot` against a bare aiogram echo "
        "bot, both polling a local fake Bot API server (issue 6, benchmark 1).",
    )
    parser.add_argument("--users", type=int, default=1000, help="acting users; 5 updates each")
    parser.add_argument("--runs", type=int, default=3, help="burst runs of each bot (median)")
    parser.add_argument("--paced-runs", type=int, default=None, help="paced runs (default --runs)")
    parser.add_argument("--rates", default="100,25", help="paced arrival rates, updates/s, "
                        "comma-separated; the first is the target's (default 100,25)")  # fmt: skip
    parser.add_argument("--paced-variants", action="store_true",
                        help="run the --variant bots paced too (default: burst only)")  # fmt: skip
    parser.add_argument("--gap", type=float, default=5.0, help="seconds (at --rate) between one "
                        "user's updates, at least, where the stream allows")  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 60 users, 1 run, one rate, no warm-up"
    )
    parser.add_argument("--profile", action="store_true", help="one more burst run of the bot "
                        "under py-spy (needs py-spy in the venv): top costs, and a flame graph "
                        "of the samples holding the GIL in --profile-svg")  # fmt: skip
    parser.add_argument("--profile-svg", type=Path,
                        default=Path("docs/benchmarks/throughput-profile.svg"))  # fmt: skip
    parser.add_argument("--variant", action="append", default=[], metavar="NAME[,NAME]",
                        help="also run the bot with a proposed fix applied in memory "
                        "(bench/variants.py), e.g. once-memory,fsm-cache; repeatable")  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="keep the databases and logs here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--save", type=Path, default=Path(tempfile.gettempdir())
                        / "bench-throughput-last.pickle", help="where the raw results go "
                        "(default: $TMPDIR/bench-throughput-last.pickle)")  # fmt: skip
    parser.add_argument("--replay", type=Path, metavar="FILE",
                        help="print the tables of a saved run again, run nothing")  # fmt: skip
    return parser


async def main_async(args: argparse.Namespace) -> None:
    if args.replay is not None:
        saved = pickle.loads(await asyncio.to_thread(args.replay.read_bytes))  # noqa: S301
        report(*saved)
        return
    if args.quick:
        # A smoke run: every part once, small (the figures mean little).
        args.users, args.runs, args.rates = 60, 1, args.rates.split(",")[0]
    paced_runs = args.runs if args.paced_runs is None else args.paced_runs
    print_machine()
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        progress(f"seeding a community for {args.users} users …")
        seeded = await workload.seed(workdir, args.users)
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
        args.rate = rates[0]
        items = workload.stream(seeded.actors, min_gap=max(1, int(args.gap * args.rate)))
        mix = Counter(item.step.klass for item in items)
        say(
            f"# {len(items)} updates from {len(seeded.actors)} users ("
            + ", ".join(f"{k} {100 * v / len(items):.0f}%" for k, v in sorted(mix.items()))
            + f"); database: {seeded.buildings} buildings, {seeded.people} people, "
            f"{seeded.tickets} tickets, seeded in {seeded.seconds:.1f} s"
        )
        progress("the fake on its own …")
        capacity = await fake_capacity(updates=len(items), calls=min(len(items), 5000))

        kinds = ["bot", "echo", *(f"bot+{v}" for v in args.variant)]
        if not args.quick:
            progress("warm-up runs (not counted) …")
            for kind in ("bot", "echo"):
                warm = items[: max(50, len(items) // 20)]
                await run_once(kind, seeded.db, warm, workdir, rate=None, keep=keep)
        bursts: dict[str, list[RunResult]] = {kind: [] for kind in kinds}
        for run in range(args.runs):
            for kind in kinds if run % 2 == 0 else list(reversed(kinds)):
                progress(f"burst run {run + 1}/{args.runs}: {kind} …")
                result = await run_once(kind, seeded.db, items, workdir, rate=None, keep=keep)
                progress(f"  {result.rate:.0f} updates/s, {result.answered}/{len(items)} answered")
                bursts[kind].append(result)
        # Every paced run lasts as long as the full stream at the first rate.
        seconds = len(items) / rates[0]
        paced_kinds = kinds if args.paced_variants else ["bot", "echo"]
        if args.quick:
            paced_kinds = ["bot"]
        paced: dict[float, dict[str, list[RunResult]]] = {}
        for rate in rates:
            subset = items[: max(1, int(rate * seconds))]
            paced[rate] = {kind: [] for kind in paced_kinds}
            for run in range(paced_runs):
                for kind in paced_kinds:
                    progress(f"paced run {run + 1}/{paced_runs} at {rate:.0f}/s: {kind} …")
                    result = await run_once(kind, seeded.db, subset, workdir, rate=rate, keep=keep)
                    progress(f"  p99 {result.pct(99):.1f} ms")
                    paced[rate][kind].append(result)
        profile = None
        if args.profile:
            progress("profiled burst run of the bot (py-spy) …")
            stem = workdir / "profile"
            profiled = await run_once(
                "bot", seeded.db, items, workdir, rate=None, profile=stem, keep=keep
            )
            svg = args.profile_svg
            await asyncio.to_thread(svg.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copy, f"{stem}-gil.svg", svg)
            tables = profile_tables(Path(f"{stem}-threads.txt"), Path(f"{stem}-gil.txt"))
            profile = (profiled, tables, svg)
        saved = (args, items, capacity, bursts, paced, profile)
        await asyncio.to_thread(args.save.write_bytes, pickle.dumps(saved))
        progress(f"raw results saved in {args.save} (--replay {args.save} prints them again)")
        report(args, items, capacity, bursts, paced, profile)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def report(
    args: argparse.Namespace,
    items: list[workload.Item],
    capacity: dict[str, float],
    bursts: dict[str, list[RunResult]],
    paced: dict[float, dict[str, list[RunResult]]],
    profile: tuple[RunResult, dict[str, list[tuple[str, float]]], Path] | None,
) -> None:
    figures: dict[str, Any] = {"updates": len(items), "fake": capacity}
    say(
        table(
            ["the fake alone", "value"],
            [
                ["getUpdates served, updates/s", capacity["updates_per_s"]],
                ["sendMessage answered, calls/s (8 in flight)", capacity["calls_per_s"]],
            ],
            title="## The fake server on its own (another process calling it)",
        )
    )
    rows = []
    for kind, runs in bursts.items():
        if not runs:
            continue
        rates = [r.rate for r in runs]
        calls = median([sum(r.calls.values()) - r.calls["getUpdates"] for r in runs])
        wall = median([r.seconds for r in runs])
        rows.append(
            [
                _label(kind),
                median(rates),
                " / ".join(f"{r:.0f}" for r in rates),
                calls / len(items),
                median([r.child_cpu / r.updates for r in runs]) * 1000,
                median([r.child_cpu / r.seconds for r in runs]) * 100,
                median([r.child_sys / r.child_cpu for r in runs if r.child_cpu]) * 100,
                median([r.fake_cpu for r in runs]) / wall * 100 if wall else None,
                median([r.batches for r in runs]),
                f"{median([r.answered for r in runs]):.0f}/{len(items)}",
                max(len(r.problems) for r in runs),
            ]
        )
    for kind, runs in bursts.items():
        if runs and runs[-1].counts:
            say(f"\n{_label(kind)}: {runs[-1].counts} (whole process life)")
    say(
        table(
            ["burst", "updates/s (median)", "runs", "API calls/update", "CPU ms/update",
             "child CPU %",
             "of it kernel %",
             "fake CPU %", "batch", "answered", "log errors"],
            rows,
            title=f"## Throughput: {len(items)} updates served as fast as the bot asks",
        )
    )  # fmt: skip
    ratio = None
    if bursts["bot"] and bursts["echo"]:
        # Ratio per pair of adjacent runs (same conditions), then the median of the ratios.
        ratio = median(
            [b.rate / e.rate for b, e in zip(bursts["bot"], bursts["echo"], strict=False)]
        )
        say(f"\nratio bot / echo (median of per-run ratios): {ratio:.2f} (target ≥ 0.7: "
            f"{RATIO.judge(ratio)})")  # fmt: skip
        for kind, runs in bursts.items():
            if kind.startswith("bot+") and runs:
                r = median([v.rate / e.rate for v, e in zip(runs, bursts["echo"], strict=False)])
                b = median([v.rate / e.rate for v, e in zip(runs, bursts["bot"], strict=False)])
                say(f"ratio {_label(kind)} / echo: {r:.2f}; / bot: {b:.2f}")
    figures["burst"] = {
        kind: {"rates": [r.rate for r in runs], "answered": [r.answered for r in runs]}
        for kind, runs in bursts.items()
    }
    figures["ratio"] = ratio
    cpu = {
        k: median([r.child_cpu / r.updates for r in runs]) * 1000
        for k, runs in bursts.items()
        if runs
    }
    if "bot" in cpu and "echo" in cpu and cpu["bot"]:
        say(
            f"CPU per update: bot {cpu['bot']:.1f} ms, echo {cpu['echo']:.2f} ms, echo / bot "
            f"{cpu['echo'] / cpu['bot']:.2f} (issue 11 target: ≤ 3 ms, ≥ 0.3)"
        )
        for kind, ms in cpu.items():
            if kind.startswith("bot+"):
                say(f"CPU per update, {_label(kind)}: {ms:.1f} ms")
    figures["cpu_ms_per_update"] = cpu

    figures["paced"] = {}
    for rate, by_kind in paced.items():
        if not any(by_kind.values()):
            continue
        rows = []
        for kind, runs in by_kind.items():
            if not runs:
                continue
            n = runs[0].updates
            row = [_label(kind), median([r.pct(50) for r in runs]),
                   median([r.pct(95) for r in runs]), median([r.pct(99) for r in runs]),
                   " / ".join(f"{r.pct(99):.1f}" for r in runs),
                   max(max(r.latencies.values(), default=0) for r in runs),
                   f"{median([len(r.latencies) for r in runs]):.0f}/{n}",
                   median([max(0.0, r.seconds - n / rate) for r in runs])]  # fmt: skip
            row.append("" if kind == "echo" else P99.judge(median([r.pct(99) for r in runs])))
            rows.append(row)
        n = next(iter(by_kind.values()))[0].updates if any(by_kind.values()) else 0
        say(
            table(
                ["paced", "p50 ms", "p95 ms", "p99 ms (median)", "p99 per run", "max ms",
                 "answered", "behind at end, s", "p99 < 50 ms"],
                rows,
                title=f"## Latency at {rate:.0f} updates/s ({n} updates): served in getUpdates "
                "→ first API call",
            )
        )  # fmt: skip
        bot_runs = by_kind.get("bot") or []
        if bot_runs:
            classes = sorted({k for r in bot_runs for k in r.classes.values()})
            rows = [
                [
                    klass,
                    sum(1 for i in bot_runs[0].classes.values() if i == klass),
                    median([r.pct(50, klass) for r in bot_runs]),
                    median([r.pct(95, klass) for r in bot_runs]),
                    median([r.pct(99, klass) for r in bot_runs]),
                ]
                for klass in classes
            ]
            say(table([f"python -m bot at {rate:.0f}/s, by kind", "updates", "p50 ms",
                       "p95 ms", "p99 ms"], rows))  # fmt: skip
        figures["paced"][str(rate)] = {
            kind: [{"p50": r.pct(50), "p95": r.pct(95), "p99": r.pct(99)} for r in runs]
            for kind, runs in by_kind.items()
        }
    figures["cards"] = card_report(bursts, paced)
    everything = [*bursts.values(), *(runs for by in paced.values() for runs in by.values())]
    problems = [p for runs in everything for r in runs for p in r.problems]
    if problems:
        say("\nlog lines of concern (first 10):")
        for line in problems[:10]:
            say("  " + line[:200])
    if profile is not None:
        result, tables, svg = profile
        say(
            f"\n## py-spy: one burst run of the bot under the profiler ({result.rate:.0f} "
            f"updates/s), 100 samples/s, not pausing it; flame graph of the GIL: {svg}"
        )
        say(table(["busy samples by thread", "%"], tables["threads"]))
        say(table(["main thread (event loop): what its samples are in", "%"], tables["main"]))
        say(table(["our functions on the main thread's stack (inclusive)", "%"], tables["ours"]))
        say(table(["holding the GIL: top of the stack (self)", "%"], tables["gil"]))
        figures["profile"] = tables
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False))


def card_report(
    bursts: dict[str, list[RunResult]], paced: dict[float, dict[str, list[RunResult]]]
) -> list[dict[str, Any]]:
    """The table of Send → head's card, a row per run; returns the figures."""
    runs = [("burst", r) for by in [bursts] for rs in by.values() for r in rs]
    runs += [
        (f"paced {rate:.0f}/s", r) for rate, by in paced.items() for rs in by.values() for r in rs
    ]
    rows: list[list[Any]] = []
    figures: list[dict[str, Any]] = []
    for mode, r in runs:
        c = r.cards
        if c is None:
            rows.append([_label(r.kind), mode, "-", "-", "-", "-", "-", "-", "", r.pct(99)])
            continue
        values = list(c.latencies.values())
        rows.append(
            [_label(r.kind), mode, c.pct(50), c.pct(95), c.pct(99), max(values, default=0),
             f"{len(values)}/{c.expected}", c.not_arrived,
             CARD_P99.judge(c.pct(99)) if values else "", r.pct(99)]
        )  # fmt: skip
        figures.append(
            {"kind": r.kind, "mode": mode, "p50": c.pct(50), "p95": c.pct(95), "p99": c.pct(99),
             "max": max(values, default=0), "matched": len(values), "expected": c.expected,
             "numbered": c.numbered, "steps_p99": r.pct(99)}
        )  # fmt: skip
    if rows:
        say(
            table(
                ["Send → head's card", "run", "p50 ms", "p95 ms", "p99 ms", "max ms",
                 "matched/expected", "not arrived", "p99 ≤ 5 s", "steps' p99 ms"],
                rows,
                title="## Card latency: Send served in getUpdates → the head receives the "
                "ticket's card (and the same run's step latency, served → first answer)",
            )
        )  # fmt: skip
    return figures


def _label(kind: str) -> str:
    if kind == "echo":
        return "bare aiogram echo"
    if kind == "bot":
        return "python -m bot"
    return "bot + " + kind.split("+", 1)[1]


def main() -> None:
    asyncio.run(main_async(build_parser().parse_args()))


if __name__ == "__main__":
    main()
