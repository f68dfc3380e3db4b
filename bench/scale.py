"""Benchmark 3: the bot at community scale.

    .venv/bin/python -m bench.scale              # 240 buildings, 43,000 residents, 100,000 tickets
    .venv/bin/python -m bench.scale --quick      # 10,000 tickets, fewer repetitions (< 30 s)
    .venv/bin/python -m bench.scale --db FILE    # an existing database (e.g. from bench.generate)

Generates the community (bench/generate.py) in a temporary directory, then measures, each after
a warm-up, as the median of ``--repeat`` calls:

- a ``/tickets`` page (TicketLists.staff_tickets, what /tickets and its buttons call) for the
  head of the busiest building and for a community-wide coordinator: the first page and a later
  one of the default "open" filter (by number, as its buttons ask), and of "all" the first, the
  one after 50 presses of Older and the oldest, each by keyset from a ticket as its buttons
  ask (no OFFSET); next to one ORM round trip (session.get of a person) measured in the same
  run, as the baseline the page is compared with;
- the SQL those pages run, with SQLite's EXPLAIN QUERY PLAN: which indexes are used, and where
  a table is scanned;
- the resident memory of ``python -m bot`` idling on this database (VmRSS once it polls the
  fake Bot API server and its start-up work is done; VmHWM is the peak), next to the bare aiogram
  echo bot's;
- the digest build (every figure of the first community's digest about yesterday, as the
  morning job gathers them) and the nudge scan (the reminders job, with the clock stopped where
  nothing new is due, so the scan is timed and not the sending): ``measure_scheduler`` of
  bench/bench_scheduler.py, with the clock at the database's last activity (out of quiet hours);
  and, once, the digest's text and chart (the chart drawn by its child process). After the
  memory (the bot starts on the database as generated); with ``--db`` on a copy, because a
  scan's warm-up writes what is due.

Targets (issue 6): page < 50 ms, memory < 150 MB, digest < 0.5 s, nudge scan < 0.1 s. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bench.bench_scheduler import SchedulerTimes, activity_end, measure_scheduler
from bench.common import (
    Child,
    Target,
    bot_env,
    median,
    percentile,
    print_machine,
    progress,
    remove_db,
    say,
    table,
)
from bench.fakeload import LoadFakeAPI
from bench.generate import Generated, Spec, generate
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.ticket_lists import PAGE_SIZE, Keyset
from storage.db import Database
from storage.models import Contact, CoordinatorScope, Membership, Person, Role

PAGE = Target("< 50 ms", lambda ms: ms < 50)
MEMORY = Target("< 150 MB", lambda mb: mb < 150)
DIGEST = Target("< 0.5 s", lambda s: s < 0.5)
NUDGE = Target("< 0.1 s", lambda s: s < 0.1)


# ----------------------------------------------------------------------------- the scheduler


async def measure_scheduler_on(db_path: Path, repeat: int) -> SchedulerTimes:
    """The digest build and the scans on ``db_path`` (bench_scheduler.measure_scheduler), the
    clock at the database's last activity. The scans' warm-up writes to the file."""
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        return await measure_scheduler(db, await activity_end(db), repeat)
    finally:
        await db.close()


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's online backup), so a scan's writes stay off ``source``."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


# ----------------------------------------------------------------------------- the pages


@dataclass
class Timing:
    label: str
    median_ms: float
    p95_ms: float
    total: int = 0  # tickets matching the filter
    page: int = 0
    pages: int = 0


@dataclass
class Plan:
    sql: str
    plan: list[str]

    @property
    def scans(self) -> list[str]:
        """Full scans of a table (not through an index): what grows with history."""
        return [
            line
            for line in self.plan
            if line.lstrip("-| `").startswith("SCAN") and "USING" not in line
        ]


async def _timed(call: Callable[[], Awaitable[Any]], repeat: int) -> tuple[list[float], Any]:
    result = await call()  # warm-up: statement cache, SQLite page cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


async def measure_pages(
    db_path: Path, head_tid: int, coordinator_tid: int, repeat: int
) -> tuple[list[Timing], dict[str, list[Plan]]]:
    """Times of /tickets pages (TicketLists.staff_tickets) and the plans of their SQL."""
    url = f"sqlite+aiosqlite:///{db_path}"
    config = Config(database_url=url, bot_username="louzhang_bench_bot")
    db = Database(url)
    services = Services.create(config, db, Translations(default=config.default_language))
    statements: list[tuple[str, Any]] = []
    capture = False

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if capture:
            statements.append((statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    timings: list[Timing] = []
    plans: dict[str, list[Plan]] = {}
    try:
        async with db.session() as session:
            head = await session.scalar(
                select(Person).join(Contact).where(Contact.address == str(head_tid))
            )
            coordinator = await session.scalar(
                select(Person).join(Contact).where(Contact.address == str(coordinator_tid))
            )
            assert head is not None and coordinator is not None, "people not in the database"
            # Make sure they are what the labels say.
            assert await session.scalar(
                select(Membership.id).where(
                    Membership.person_id == head.id, Membership.role == Role.HEAD
                )
            )
            assert await session.scalar(
                select(CoordinatorScope.id).where(
                    CoordinatorScope.person_id == coordinator.id,
                    CoordinatorScope.building_id.is_(None),
                )
            )

        async def round_trip() -> Any:
            async with db.session() as session:
                return await session.get(Person, head.id)

        times, _ = await _timed(round_trip, repeat)
        timings.append(Timing("baseline: one ORM round trip (session.get)",
                              median(times), percentile(times, 95)))  # fmt: skip

        for who, person in (("head", head), ("coordinator", coordinator)):
            for flt in ("open", "all"):
                first = await services.ticket_lists.staff_tickets(person, flt, 0)
                # What the buttons ask for (handlers/worklist.py): a status filter's pages by
                # number; "all" from ticket to ticket (Older from a page's last ticket).
                wanted: dict[str, tuple[int, Keyset | None]] = {"page 1": (0, None)}
                later = 4 if flt == "open" else 50
                if flt == "open" and first.pages > later:
                    wanted[f"page {later + 1}"] = (later, None)
                if flt == "all" and first.older:
                    deeper = await older_presses(services, person, later)
                    if deeper is not None:
                        wanted[f"page {later + 1} (Older ×{later})"] = (later, deeper)
                    oldest = oldest_keyset(db_path, person.id)
                    if oldest is not None:
                        wanted["oldest page (Older to the end)"] = (first.pages - 1, oldest)
                for name, (page, keyset) in wanted.items():
                    label = f"{who}: /tickets {flt}, {name}"
                    statements.clear()
                    capture = True
                    times, result = await _timed(
                        functools.partial(
                            services.ticket_lists.staff_tickets, person, flt, page, keyset
                        ),
                        repeat,
                    )
                    capture = False
                    # A keyset page has no number of its own ("page 51 of 100+" is a guess).
                    timings.append(
                        Timing(label, median(times), percentile(times, 95), result.total,
                               page, 0 if keyset else first.pages)
                    )  # fmt: skip
                    if page == 0:
                        plans[f"{who}: {flt}"] = explain(db_path, _distinct(statements))
    finally:
        await db.close()
    return timings, plans


async def older_presses(services: Services, person: Person, presses: int) -> Keyset | None:
    """The Older button pressed ``presses`` times from /tickets all: the keyset of the next
    press (None when the list ends before)."""
    page = await services.ticket_lists.staff_tickets(person, "all", 0)
    for number in range(1, presses):
        if not (page.older and page.tickets):
            return None
        older = Keyset(page.tickets[-1].id)
        page = await services.ticket_lists.staff_tickets(person, "all", number, older)
    return Keyset(page.tickets[-1].id) if page.older and page.tickets else None


def oldest_keyset(db_path: Path, person_id: int) -> Keyset | None:
    """The Older button that shows the person's oldest tickets, as after pressing it to the end
    of the list: older than the 11th oldest ticket of their buildings and communities (the
    scope of TicketLists.staff_tickets, read here in SQL: walking there page by page would
    take a coordinator 100,000 presses at a million tickets)."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT id FROM tickets WHERE building_id IN ("
            "  SELECT building_id FROM memberships WHERE person_id = :p"
            "  AND role IN ('head', 'deputy')"
            "  UNION SELECT building_id FROM coordinator_scopes WHERE person_id = :p"
            "  AND building_id IS NOT NULL)"
            " OR community_id IN (SELECT community_id FROM coordinator_scopes"
            "  WHERE person_id = :p AND building_id IS NULL)"
            " ORDER BY created_at, id LIMIT 1 OFFSET :size",
            {"p": person_id, "size": PAGE_SIZE},
        ).fetchone()
    finally:
        connection.close()
    return None if row is None else Keyset(int(row[0]))


def _distinct(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    seen: dict[str, Any] = {}
    for sql, params in statements:
        seen.setdefault(sql, params)
    return list(seen.items())


def explain(db_path: Path, statements: list[tuple[str, Any]]) -> list[Plan]:
    """EXPLAIN QUERY PLAN of each statement, with the parameters it ran with."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    out = []
    try:
        for sql, params in statements:
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql, params or ()).fetchall()
            depth: dict[int, int] = {0: 0}
            lines = []
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[node] - 1) + detail)
            out.append(Plan(" ".join(sql.split()), lines))
    finally:
        connection.close()
    return out


# ----------------------------------------------------------------------------- the proposal

PROPOSED_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_tickets_status_created ON tickets (status, created_at)"
)
OPEN = ("new", "taken", "reopened")


def measure_proposed(
    db_path: Path, head_tid: int, coordinator_tid: int, repeat: int
) -> list[Timing]:
    """The /tickets queries as proposed (docs/benchmarks.md), in raw SQL next to the queries the
    bot ran before them (6356b59), also in raw SQL (so the comparison is of the SQL, not of the
    ORM; the proposal has since landed: the bot's own pages are timed by measure_pages). Adds the
    proposed index to ``db_path``: run it on a generated database only.

    - "open" and the other status filters: driven by the statuses, through an index on
      (status, created_at); "routed to me" as EXISTS on ticket_recipients' unique (ticket_id,
      person_id) index instead of ``id IN (every ticket ever routed to me)``. The work is then
      proportional to the open tickets, not to the history.
    - "all" for a community coordinator: the community's tickets through the existing
      (community_id, created_at) index without the OR (a ticket routed to a coordinator is in the
      coordinator's community anyway), the next page by keyset (created_at, id) instead of
      OFFSET, and the total capped ("1000+") instead of counted."""
    connection = sqlite3.connect(db_path)
    try:
        connection.execute(PROPOSED_INDEX)
        connection.commit()
        person = connection.execute(
            "SELECT person_id FROM contacts WHERE address = ?", (str(head_tid),)
        ).fetchone()[0]
        buildings = [
            r[0]
            for r in connection.execute(
                "SELECT building_id FROM memberships WHERE person_id = ? "
                "AND role IN ('head', 'deputy')",
                (person,),
            )
        ]
        coordinator = connection.execute(
            "SELECT person_id FROM contacts WHERE address = ?", (str(coordinator_tid),)
        ).fetchone()[0]
        communities = [
            r[0]
            for r in connection.execute(
                "SELECT community_id FROM coordinator_scopes WHERE person_id = ? "
                "AND building_id IS NULL",
                (coordinator,),
            )
        ]
        marks = ", ".join("?" for _ in OPEN)
        routed_in = "tickets.id IN (SELECT ticket_id FROM ticket_recipients WHERE person_id = ?)"
        routed_exists = (
            "EXISTS (SELECT 1 FROM ticket_recipients r WHERE r.ticket_id = tickets.id "
            "AND r.person_id = ?)"
        )
        order = " ORDER BY created_at DESC, id DESC LIMIT 10"

        def scoped(column: str, ids: list[int]) -> str:
            return f"tickets.{column} IN ({', '.join(str(i) for i in ids)})"

        def pair(where: str, params: tuple[Any, ...]) -> Callable[[], Any]:
            def run() -> Any:
                connection.execute(f"SELECT count(*) FROM tickets WHERE {where}", params)
                return connection.execute(f"SELECT * FROM tickets WHERE {where}{order}", params)

            return lambda: run().fetchall()

        cases: list[tuple[str, Callable[[], Any]]] = []
        for who, pid, scope in (
            ("head", person, scoped("building_id", buildings)),
            ("coordinator", coordinator, scoped("community_id", communities)),
        ):
            cases.append((
                f"{who}: open, page 1 — SQL before",
                pair(f"({routed_in} OR {scope}) AND status IN ({marks})", (pid, *OPEN)),
            ))  # fmt: skip
            cases.append((
                f"{who}: open, page 1 — proposed",
                pair(f"status IN ({marks}) AND ({scope} OR {routed_exists})", (*OPEN, pid)),
            ))  # fmt: skip
        community = scoped("community_id", communities)
        cases.append((
            "coordinator: all, page 1 — SQL before",
            pair(f"{routed_in} OR {community}", (coordinator,)),
        ))  # fmt: skip

        def deep_today() -> Any:
            total = connection.execute(
                f"SELECT count(*) FROM tickets WHERE {routed_in} OR {community}", (coordinator,)
            ).fetchone()[0]
            return connection.execute(
                f"SELECT * FROM tickets WHERE {routed_in} OR {community}"
                f" ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET {max(0, total - 10)}",
                (coordinator,),
            ).fetchall()

        cases.append(("coordinator: all, last page — SQL before", deep_today))

        def all_proposed(after: tuple[str, int] | None) -> Callable[[], Any]:
            def run() -> Any:
                connection.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM tickets WHERE {community} LIMIT 1001)"
                ).fetchone()
                if after is None:
                    return connection.execute(
                        f"SELECT * FROM tickets WHERE {community}{order}"
                    ).fetchall()
                return connection.execute(
                    f"SELECT * FROM tickets WHERE {community} AND (created_at, id) < (?, ?){order}",
                    after,
                ).fetchall()

            return run

        oldest = connection.execute(
            f"SELECT created_at, id FROM tickets WHERE {community} "
            "ORDER BY created_at, id LIMIT 1 OFFSET 10"
        ).fetchone()
        cases.append(("coordinator: all, page 1 — proposed (capped count)", all_proposed(None)))
        cases.append((
            "coordinator: all, last page — proposed (keyset)",
            all_proposed((oldest[0], oldest[1]) if oldest else None),
        ))  # fmt: skip
        out = []
        for label, call in cases:
            call()
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            out.append(Timing(label, median(times), percentile(times, 95)))
        return out
    finally:
        connection.close()


# ----------------------------------------------------------------------------- memory


async def idle_memory(db_path: Path, kind: str, settle: float = 3.0) -> dict[str, Any]:
    """VmRSS (MB) of ``python -m bot`` (or the echo bot) polling the fake server, once start-up
    is done: it polls, and for ``settle`` seconds it called nothing but getUpdates, used less
    than 5% of a CPU and had no child process (the digest's chart). Quiet API calls alone are
    not enough: the start-up catch-up computes for seconds before it writes anything. Also:
    RSS at the first poll, and which big native libraries the process mapped (matplotlib's
    means the digest chart was drawn in the bot's own process)."""
    fake = LoadFakeAPI(max_poll_timeout=1.0)
    await fake.start()
    run_dir = Path(tempfile.mkdtemp(prefix=f"idle-{kind}-"))
    args = [sys.executable, "-m", "bot" if kind == "bot" else "bench.echo_bot"]
    child = await Child.start(args, bot_env(db_path, fake.base_url), run_dir, run_dir / "child.log")
    started = time.monotonic()
    try:
        await child.until(lambda: bool(fake.calls_of("getUpdates")), "polling", 120)
        polling = time.monotonic() - started
        at_poll = child.memory()
        deadline = time.monotonic() + 180
        active = started  # the last moment the bot was seen working
        cpu = [(time.monotonic(), child.cpu_seconds())]
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            cpu = [c for c in cpu if now - c[0] <= 1.0] + [(now, child.cpu_seconds())]
            others = [c for c in fake.calls if c.method != "getUpdates"]
            if others:
                active = max(active, others[-1].time)
            if cpu[-1][1] - cpu[0][1] > 0.05 * (now - cpu[0][0]) or _has_children(child.pid):
                active = now
            if now - active > settle:
                break
        idle = time.monotonic() - started
        samples = []
        for _ in range(5):
            samples.append(child.memory())
            await asyncio.sleep(0.2)
        maps = await asyncio.to_thread(Path(f"/proc/{child.pid}/maps").read_text)
        libraries = [name for name in ("matplotlib", "numpy", "PIL") if f"/{name}/" in maps]
        methods = Counter(c.method for c in fake.calls if c.method != "getUpdates")
    finally:
        await child.stop(grace=5)
        await fake.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "rss_mb": statistics.median(s["VmRSS"] for s in samples) / 1024,
        "hwm_mb": max(s["VmHWM"] for s in samples) / 1024,
        "anon_mb": statistics.median(s.get("RssAnon", 0) for s in samples) / 1024,
        "at_poll_mb": at_poll["VmRSS"] / 1024,
        "threads": max(s.get("Threads", 0) for s in samples),
        "polling_s": polling,
        "idle_s": idle,
        "startup_calls": dict(methods),
        "libraries": libraries,
    }


def _has_children(pid: int) -> bool:
    """Whether any thread of ``pid`` has a live child process."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return any((task / "children").read_text().strip() for task in tasks)
    except OSError:  # the process or a thread just ended
        return False


# ----------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description="The bot at community scale: /tickets pages, their query plans, resident "
        "memory, digest and nudge scan (issue 6, benchmark 3).",
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="measure this database instead of generating")
    parser.add_argument("--head", type=int, help="with --db: telegram id of a head")
    parser.add_argument("--coordinator", type=int, help="with --db: telegram id of a "
                        "community coordinator")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per figure")
    parser.add_argument("--quick", action="store_true", help="10,000 tickets, 5 calls per figure")
    parser.add_argument("--no-memory", action="store_true", help="skip the bot's memory")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser


async def main_async(args: argparse.Namespace) -> None:
    if args.quick:
        args.tickets, args.repeat = 10_000, 5
    print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        if args.db is not None:
            if args.head is None or args.coordinator is None:
                raise SystemExit("--db needs --head and --coordinator")
            db_path, head, coordinator = args.db, args.head, args.coordinator
            generated: Generated | None = None
        else:
            db_path = workdir / "community.db"
            progress(f"generating {args.tickets:,} tickets …")
            generated = await generate(db_path, Spec(tickets=args.tickets))
            head, coordinator = generated.head_telegram_id, generated.coordinator_telegram_id
            report_generated(generated)
        progress("timing /tickets pages …")
        timings, plans = await measure_pages(db_path, head, coordinator, args.repeat)
        # The bot first: on the database as generated, its start-up catch-up as in production.
        memory: dict[str, dict[str, Any]] = {}
        if not args.no_memory:
            for kind in ("echo", "bot"):
                progress(f"resident memory of the {kind} …")
                memory[kind] = await idle_memory(db_path, kind)
        progress("timing the digest build and the nudge scan …")
        scheduler_db = db_path
        if generated is None:
            scheduler_db = workdir / "scheduler-copy.db"
            await asyncio.to_thread(copy_db, db_path, scheduler_db)
        scheduler = await measure_scheduler_on(scheduler_db, min(args.repeat, 10))
        if scheduler_db != db_path:
            remove_db(scheduler_db)
        proposed: list[Timing] = []
        if generated is not None:  # last: it adds the proposed index to the database
            progress("timing the proposed queries (raw SQL) …")
            proposed = measure_proposed(db_path, head, coordinator, args.repeat)
        report(timings, plans, scheduler, memory, proposed)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "generated": generated.rows if generated else None,
                        "pages": [t.__dict__ for t in timings],
                        "proposed": [t.__dict__ for t in proposed],
                        "plans": {k: [p.__dict__ for p in v] for k, v in plans.items()},
                        "memory": memory,
                        # ISO 8601 for the clock (json has no datetime).
                        "scheduler": {**scheduler.__dict__, "now": scheduler.now.isoformat()},
                    },
                    indent=1,
                    ensure_ascii=False,
                )
            )
        if args.keep and generated is not None:
            say(f"\nkept: {db_path}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def report_generated(g: Generated) -> None:
    rows = [[table_name, f"{count:,}"] for table_name, count in g.rows.items()]
    rows.append(["(file)", f"{g.bytes / 2**20:.0f} MiB, written in {g.seconds:.1f} s"])
    say(table(["generated", "rows"], rows, title="## The generated community"))
    total = sum(g.statuses.values())
    mix = ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in
                    sorted(g.statuses.items(), key=lambda kv: -kv[1]))  # fmt: skip
    say(f"\nticket statuses: {mix}")


def report(
    timings: list[Timing],
    plans: dict[str, list[Plan]],
    scheduler: SchedulerTimes,
    memory: dict[str, dict[str, Any]],
    proposed: list[Timing] | None = None,
) -> None:
    baseline = timings[0].median_ms
    rows = []
    for t in timings:
        is_page = t.total or t.pages
        label = f"{t.label} ({t.page + 1} of {t.pages})" if t.pages else t.label
        rows.append([
            label, t.median_ms, t.p95_ms, t.median_ms / baseline if baseline else None,
            f"{t.total:,}" if is_page else "", PAGE.judge(t.median_ms) if is_page else "",
        ])  # fmt: skip
    say(table(["/tickets (TicketLists.staff_tickets)", "median ms", "p95 ms", "× baseline",
               "tickets in filter", "target < 50 ms"], rows,
              title="## /tickets pages"))  # fmt: skip
    if proposed:
        rows = [[t.label, t.median_ms, t.p95_ms] for t in proposed]
        say(table(["raw SQL (count + page), before vs proposed", "median ms", "p95 ms"], rows,
                  title="## /tickets SQL before 6356b59 and as proposed (proposed index added "
                  "to this copy only)"))  # fmt: skip
    say("\n## Query plans of the first pages (EXPLAIN QUERY PLAN)")
    for label, statements in plans.items():
        for plan in statements:
            if "tickets" not in plan.sql:
                continue
            notes = []
            if plan.scans:
                notes.append("full scan: " + "; ".join(s.strip() for s in plan.scans))
            else:
                notes.append("indexes used, no table scan")
            if any("LIST SUBQUERY" in line for line in plan.plan):
                notes.append("but every ticket ever routed to the person is listed and looked up")
            if any("TEMP B-TREE FOR ORDER BY" in line for line in plan.plan):
                notes.append("every match is sorted for the page")
            verdict = "; ".join(notes)
            say(f"\n{label}: {verdict}\n  SQL: {plan.sql[:300]}")
            for line in plan.plan:
                say(f"    {line}")
    s = scheduler
    rows = [
        ["digest build, whole community (every figure)", s.digest_s * 1000, "< 0.5 s",
         DIGEST.judge(s.digest_s)],
        ["digest build, 12 buildings", s.digest_scoped_s * 1000, "", ""],
        ["nudge scan (nothing new due)", s.nudge_s * 1000, "< 0.1 s", NUDGE.judge(s.nudge_s)],
        ["escalation ladder scan", s.ladder_s * 1000, "", ""],
        ["closing scan", s.closing_s * 1000, "", ""],
        ["digest text + chart (child process), once", s.render_s * 1000, "", ""],
    ]  # fmt: skip
    say(table(["scheduler", "median ms", "target", ""], rows,
              title=f"## Scheduler (clock at {s.now:%Y-%m-%d %H:%M} UTC)"))  # fmt: skip
    if s.nudges_in_timed_runs:
        say(f"\nnote: the timed nudge scans wrote {s.nudges_in_timed_runs} reminder(s)")
    if memory:
        rows = []
        for kind, m in memory.items():
            label = "python -m bot" if kind == "bot" else "bare aiogram echo"
            calls = ", ".join(f"{k} {v}" for k, v in sorted(m["startup_calls"].items()))
            rows.append([label, m["rss_mb"], m["hwm_mb"], m["at_poll_mb"], m["anon_mb"],
                         int(m["threads"]), m["polling_s"], m["idle_s"], calls or "-",
                         ", ".join(m["libraries"]) or "-",
                         MEMORY.judge(m["rss_mb"]) if kind == "bot" else ""])  # fmt: skip
        say(table(["idle on this database", "VmRSS MB", "VmHWM MB", "RSS at 1st poll MB",
                   "RssAnon MB", "threads", "s to 1st poll", "s to idle", "start-up API calls",
                   "mapped", "target < 150 MB"], rows,
                  title="## Resident memory at idle"))  # fmt: skip
        if "bot" in memory and "echo" in memory:
            say(f"\nbot / bare aiogram: {memory['bot']['rss_mb'] / memory['echo']['rss_mb']:.2f}")


def main() -> None:
    asyncio.run(main_async(build_parser().parse_args()))


if __name__ == "__main__":
    main()
