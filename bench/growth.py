"""Benchmark 4: how the figures grow with history.

    .venv/bin/python -m bench.growth                      # 10k, 100k and 1M tickets
    .venv/bin/python -m bench.growth --quick              # 1k and 10k (< 30 s)
    .venv/bin/python -m bench.growth --sizes 10000,300000

For each size, a community is generated (bench/generate.py) in a temporary directory: the same
240 buildings and 43,000 residents, the same daily activity (137 tickets a day), so a bigger
database is a longer history (10k ≈ 73 days, 100k ≈ 2 years, 1M ≈ 20 years) while the open
tickets stay about as many. Then the /tickets pages (TicketLists.staff_tickets, as
bench.scale: the pages the buttons ask for, "all" by keyset), the same pages' SQL before 6356b59
and as proposed (raw SQL), and the digest build and the scheduler's scans
(bench_scheduler.measure_scheduler, as bench.scale: the clock at the database's last activity);
the database is deleted before the next size. A page should stay
flat; the digest at worst linear in the day's activity, not in history. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import print_machine, progress, remove_db, say, table
from bench.generate import Spec, generate
from bench.scale import measure_pages, measure_proposed, measure_scheduler_on


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.growth",
        description="/tickets pages, digest and nudge scan at growing history (issue 6, "
        "benchmark 4).",
    )
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="ticket counts, comma-separated")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per figure")
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 tickets")
    parser.add_argument("--tmp", type=Path, help="where the databases go (default: $TMPDIR)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser


async def main_async(args: argparse.Namespace) -> None:
    sizes = [int(x) for x in ("1000,10000" if args.quick else args.sizes).split(",")]
    if args.quick:
        args.repeat = 5
    print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-growth-", dir=args.tmp))
    results: dict[int, dict[str, Any]] = {}
    try:
        for size in sizes:
            db_path = workdir / f"community-{size}.db"
            progress(f"{size:,} tickets: generating …")
            generated = await generate(db_path, Spec(tickets=size))
            progress(f"  {generated.bytes / 2**20:.0f} MiB in {generated.seconds:.0f} s; timing …")
            timings, plans = await measure_pages(
                db_path,
                generated.head_telegram_id,
                generated.coordinator_telegram_id,
                args.repeat,
            )
            results[size] = {
                "days": Spec(tickets=size).span_days,
                "generate_s": generated.seconds,
                "mib": generated.bytes / 2**20,
                "rows": generated.rows,
                "open": sum(generated.statuses.get(s, 0) for s in ("new", "taken", "reopened")),
                "pages": {t.label: t.median_ms for t in timings},
                "totals": {t.label: t.total for t in timings},
                "scans": sorted(
                    {
                        line.strip()
                        for statements in plans.values()
                        for p in statements
                        for line in p.scans
                    }
                ),
            }
            progress("  timing the digest build and the scans …")
            results[size]["scheduler"] = (
                await measure_scheduler_on(db_path, min(args.repeat, 10))
            ).__dict__
            # Last: it adds the proposed index to the database.
            results[size]["proposed"] = {
                t.label: t.median_ms
                for t in measure_proposed(
                    db_path,
                    generated.head_telegram_id,
                    generated.coordinator_telegram_id,
                    args.repeat,
                )
            }
            remove_db(db_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(sizes, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))


def report(sizes: list[int], results: dict[int, dict[str, Any]]) -> None:
    heads = ["", *(f"{s:,} tickets" for s in sizes), f"× ({sizes[-1]:,} / {sizes[0]:,})"]
    rows = [
        ["history, days", *(results[s]["days"] for s in sizes), ""],
        ["open tickets", *(results[s]["open"] for s in sizes), ""],
        ["generated in, s", *(results[s]["generate_s"] for s in sizes), ""],
        ["database, MiB", *(results[s]["mib"] for s in sizes), ""],
        ["ticket_events rows", *(results[s]["rows"].get("ticket_events", 0) for s in sizes), ""],
    ]
    say(table(heads, rows, title="## Databases"))

    def grow(values: list[float | None]) -> str:
        if not values or values[0] in (None, 0) or values[-1] is None:
            return "-"
        return f"{values[-1] / values[0]:.1f}"

    keys = list(dict.fromkeys(k for s in sizes for k in results[s]["pages"]))
    rows = []
    for key in keys:
        values = [results[s]["pages"].get(key) for s in sizes]
        rows.append([key, *values, grow(values)])
    say(table([h if i else "/tickets, median ms" for i, h in enumerate(heads)], rows,
              title="## /tickets pages (TicketLists.staff_tickets)"))  # fmt: skip
    keys = list(results[sizes[0]]["proposed"])
    rows = []
    for key in keys:
        values = [results[s]["proposed"].get(key) for s in sizes]
        rows.append([key, *values, grow(values)])
    say(table([h if i else "raw SQL (count + page), median ms" for i, h in enumerate(heads)],
              rows, title="## The same SQL before 6356b59 and as proposed"))  # fmt: skip
    rows = []
    for key, label in (
        ("digest_s", "digest build, whole community (target < 500)"),
        ("digest_scoped_s", "digest build, 12 buildings"),
        ("nudge_s", "nudge scan, nothing new due (target < 100)"),
        ("ladder_s", "escalation ladder scan"),
        ("closing_s", "closing scan"),
        ("render_s", "digest text + chart (child process), once"),
    ):
        values = [results[s]["scheduler"][key] * 1000 for s in sizes]
        rows.append([label, *values, grow(values)])
    say(table([h if i else "scheduler, median ms" for i, h in enumerate(heads)], rows,
              title="## Scheduler"))  # fmt: skip
    scans = sorted({line for s in sizes for line in results[s]["scans"]})
    say("\nfull table scans in the /tickets plans: " + ("; ".join(scans) if scans else "none"))


def main() -> None:
    asyncio.run(main_async(build_parser().parse_args()))


if __name__ == "__main__":
    main()
