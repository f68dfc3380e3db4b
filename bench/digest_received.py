"""Benchmark: the digest as a coordinator receives it (figures, text and chart), at 100,000
tickets.

    .venv/bin/python -m bench.generate /tmp/c100k.db --tickets 100000     # once, ~10–40 s
    .venv/bin/python -m bench.digest_received --db /tmp/c100k.db --runs 7

Run from an export of an older commit (``git archive f15b50a | tar -x -C /tmp/old``, this file
copied in, ``cd /tmp/old && /path/to/.venv/bin/python -m bench.digest_received …``) it times
that code's digest (the baseline alone, there being no ``started()``).

The whole community's digest about the day before the database's last activity (as the
morning job gathers it, bench_scheduler.activity_end's clock), in Chinese, chart included,
timed from the first query to the finished Digest: as the bot does it now (the drawing child
started first, loading matplotlib while the figures are gathered: DigestService._send) and,
in the same run, alternating, the baseline (the figures, then a child started for the
chart: the code before). Beside them, the parts: the figures alone, the text alone, the chart
alone (a child started, its picture drawn). Medians of ``--runs``; the bot's process CPU time
per digest too (the child's is not in it). Target (issue 11): ≤ 0.5 s. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.bench_scheduler import activity_end
from bench.common import Target, median, print_machine, progress, say, table
from bot.chart import Chart
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.digest_view import chart_labels, render_digest
from bot.services.scheduling import sla_of
from bot.services.sla import local
from storage.db import Database
from storage.models import Community
from storage.repositories.stats import Scope

TARGET = Target("≤ 0.5 s", lambda s: s <= 0.5)


async def measure(path: Path, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        now = await activity_end(db)
        services = Services.create(
            Config(database_url=str(db.url)), db, Translations(), lambda: now
        )
        async with db.session() as session:
            community = await session.scalar(select(Community).order_by(Community.id))
        assert community is not None
        digest = services.scheduling.digest
        t = Translations().bind("zh-hans")
        english = Translations().bind("en")
        whole = Scope(community.id)
        day = local(now, sla_of(community)).date()
        data = await digest.gather(community, whole, day)

        async def now_() -> Any:
            async with digest.charts.started() as drawing:
                figures = await digest.gather(community, whole, day)
                return await digest.render_all([(figures, t)], drawing)

        async def before() -> Any:
            figures = await digest.gather(community, whole, day)
            return await digest.render_all([(figures, t)])

        async def figures_only() -> Any:
            return await digest.gather(community, whole, day)

        async def text_only() -> Any:
            return render_digest(t, data)

        async def chart_only() -> Any:
            labels, fallback = chart_labels(t, english)
            chart = Chart(data.chart_days, data.chart_new, data.chart_resolved, labels, fallback)
            return await digest.charts.render([chart])

        cases: dict[str, Callable[[], Awaitable[Any]]] = {
            "received: now (child started first)": now_,
            "received: baseline (figures, then the child)": before,
            "part: the figures": figures_only,
            "part: the text": text_only,
            "part: the chart (a child started, one picture)": chart_only,
        }
        if not hasattr(digest.charts, "started"):  # an older checkout: the baseline alone
            del cases["received: now (child started first)"]
        found: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cases}
        await before()  # warm-up: statement cache, page cache, a font cache
        for run in range(runs):
            progress(f"run {run + 1}/{runs} …")
            order = list(cases) if run % 2 == 0 else list(reversed(cases))
            for name in order:
                wall, cpu = time.perf_counter(), time.process_time()
                result = await cases[name]()
                found[name][0].append(time.perf_counter() - wall)
                found[name][1].append(time.process_time() - cpu)
                if name.startswith("received"):
                    assert result[0].png is not None, "no chart drawn"
        return found
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.digest_received", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="a database of bench.generate")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print_machine()
    found = asyncio.run(measure(args.db, args.runs))
    rows = [
        [
            name,
            median(wall),
            f"{min(wall):.3f}–{max(wall):.3f}",
            median(cpu),
            TARGET.judge(median(wall)) if name.startswith("received") else "",
        ]
        for name, (wall, cpu) in found.items()
    ]
    say(
        table(
            ["what", "wall s (median)", "range", "bot CPU s (median)", "target ≤ 0.5 s"],
            rows,
            title=f"## The coordinator's digest as received ({args.db.name}, {args.runs} runs)",
        )
    )


if __name__ == "__main__":
    main()
