"""Where an update's CPU goes, in process (issue 11, part 1): not a test, a harness, skipped
unless HOTPATH_PROFILE is set. The busy updates of a typhoon day are driven through the
Dispatcher as in tests/test_hotpath_statements.py (a resident's whole report, the head's Take,
History, /tickets, /help; the delivery between them is not counted), ROUNDS times, and the CPU
of each update is timed with ``time.process_time`` (all threads: the SQLite thread's too).

    HOTPATH_PROFILE=1 PYTHONPATH=. .venv/bin/python -m pytest -q -s tests/test_hotpath_profile.py
    HOTPATH_PROFILE=statements ...  # also each statement, with the code that ran it
    HOTPATH_PROFILE=cprofile ...    # also a cProfile of the counted updates (/tmp/hotpath.prof)

Its figures move with the machine's load as much as bench.throughput's; compare trees by
running them alternately (docs/benchmarks.md §1, third round)."""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import time
import traceback
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import greenlet  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event

from bot.services.policy import Action
from handlers.keyboards import TicketCb
from handlers.report import ReportCb, Step
from tests.botclient import Sent
from tests.test_ticket_handling import HEAD, RESIDENT, Town, client, town

__all__ = ["client", "town"]

MODE = os.environ.get("HOTPATH_PROFILE", "")
ROUNDS = int(os.environ.get("ROUNDS", "30"))
pytestmark = pytest.mark.skipif(not MODE, reason="a profiling harness: HOTPATH_PROFILE=1")


class Timing:
    def __init__(self, profile: cProfile.Profile | None) -> None:
        self.profile = profile
        self.spent: list[float] = []
        self.steps: list[str] = []
        self.step = "-"

    async def __call__(self, name: str, update: Awaitable[list[Sent]]) -> list[Sent]:
        self.step = name
        started = time.process_time()
        if self.profile:
            self.profile.enable()
        sent = await update
        if self.profile:
            self.profile.disable()
        self.spent.append(time.process_time() - started)
        self.steps.append(name)
        self.step = "-"
        return sent


async def one_round(town: Town, timed: Timing) -> None:
    town.world.clock.advance(hours=6)  # past the flood limits and the day's report limit
    press = town.press
    await timed("/report", town.send(RESIDENT, "/report"))
    category = ReportCb(step=Step.CATEGORY, value="repairs").pack()
    await timed("category", press(RESIDENT, category))
    await timed("description", town.send(RESIDENT, "The stair light is broken"))
    await timed("skip location", town.send(RESIDENT, "跳过"))
    await timed("privacy", press(RESIDENT, ReportCb(step=Step.PRIVACY_DONE).pack()))
    sent = await timed("send", press(RESIDENT, ReportCb(step=Step.SEND).pack()))
    assert any("#" in s.text for s in sent), [s.text for s in sent]
    delivered = await town.deliver()
    head_card = [
        s
        for s in delivered
        if getattr(s.method, "chat_id", None) == HEAD and "✋ Take" in s.buttons
    ][-1]
    await timed("take", town.click(HEAD, head_card, "✋ Take"))
    ticket_id = TicketCb.unpack(head_card.button_data("✋ Take")).ticket_id
    history = TicketCb(action=Action.HISTORY, ticket_id=ticket_id).pack()
    await timed("history", press(HEAD, history))
    await timed("/tickets", town.send(HEAD, "/tickets"))
    await timed("/help", town.send(HEAD, "/help"))


async def test_cpu_per_update(town: Town) -> None:
    town.db.cache.recheck = float("inf")
    for _ in range(3):  # warm: caches, compiled statements
        await one_round(town, Timing(None))
    # What is alive now out of the collector's sight, as the bot does once started
    # (bot/startup.py): a full collection of this process's heap (the whole test session's)
    # took ~180 ms inside one counted update, and when it fell moved the mean by ~20 %.
    gc.collect()
    gc.freeze()
    try:
        await _counted(town)
    finally:
        gc.unfreeze()


async def _counted(town: Town) -> None:
    profile = cProfile.Profile() if MODE == "cprofile" else None
    timed = Timing(profile)
    statements: Counter[str] = Counter()
    if MODE == "statements":

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            frames: list[traceback.FrameSummary] = list(traceback.extract_stack(limit=60))
            parent = greenlet.getcurrent().parent
            if parent is not None and parent.gr_frame is not None:
                frames = [*traceback.extract_stack(parent.gr_frame, limit=60), *frames]
            ours = [
                f"{'/'.join(f.filename.split('/')[-2:])}:{f.lineno}"
                for f in frames
                if "/site-packages/" not in f.filename
                and "/tests/" not in f.filename
                and "/python3." not in f.filename
            ]
            where = " < ".join(ours[::-1][:3])
            statements[f"{timed.step}: {' '.join(statement.split())[:70]} @ {where}"] += 1

        event.listen(town.db.engine.sync_engine, "before_cursor_execute", before)
    for _ in range(ROUNDS):
        await one_round(town, timed)
    per_round = len(timed.spent) // ROUNDS
    rounds = sorted(
        sum(timed.spent[i * per_round : (i + 1) * per_round]) / per_round for i in range(ROUNDS)
    )
    mean = sum(timed.spent) / len(timed.spent)
    print(  # noqa: T201
        f"\nCPU per update: mean {mean * 1000:.2f} ms, median round "
        f"{rounds[len(rounds) // 2] * 1000:.2f} ms ({len(timed.spent)} updates)"
    )
    by_step: dict[str, list[float]] = {}
    for name, spent in zip(timed.steps, timed.spent, strict=True):
        by_step.setdefault(name, []).append(spent)
    for name, spents in by_step.items():
        print(f"{name:>14}: {sum(spents) / len(spents) * 1000:6.2f} ms")  # noqa: T201
    for line, count in statements.most_common():
        print(f"{count / ROUNDS:5.1f} a round  {line}")  # noqa: T201
    if profile:
        profile.dump_stats("/tmp/hotpath.prof")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
