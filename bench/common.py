"""Shared pieces of the benchmarks: the machine, tables, statistics, and the bot as a child
process (environment, start-up, resident memory, CPU time). Nothing here is timed itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import sqlite3
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCHbenchBENCHbenchBENCHbench0123"
USERNAME = "louzhang_bench_bot"
# The only variables a child inherits (no developer .env or BOT_TOKEN can leak into a run).
INHERITED = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- the machine


def machine() -> dict[str, str]:
    """What a figure was measured on (the same block goes into docs/benchmarks.md)."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "aiogram": version("aiogram"),
        "sqlalchemy": version("sqlalchemy"),
        "aiosqlite": version("aiosqlite"),
        "aiohttp": version("aiohttp"),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


def revision() -> str:
    """The commit measured, and the files of the bot changed since (the tree moves)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=10
        )
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = [
        line.split(maxsplit=1)[-1]
        for line in git("status", "--porcelain", "--", "bot", "handlers", "storage").splitlines()
    ]
    return head + (f" + uncommitted {', '.join(dirty)}" if dirty else "")


def print_machine() -> None:
    info = machine()
    print(  # noqa: T201
        f"# {info['nproc']} × {info['cpu']}, {info['memory']}; Python {info['python']}, "
        f"aiogram {info['aiogram']}, SQLAlchemy {info['sqlalchemy']}, aiosqlite "
        f"{info['aiosqlite']}, aiohttp {info['aiohttp']}, SQLite {info['sqlite']}; "
        f"commit {revision()}"
    )


# ----------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "") -> str:
    """A Markdown table (readable in a terminal, pasteable into docs/benchmarks.md)."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    cells = [row + [""] * (len(headers) - len(row)) for row in cells]  # short rows: blanks
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [f"\n{title}\n"] if title else []
    out.append(line(cells[0]))
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def say(*parts: Any) -> None:
    print(*parts, flush=True)  # noqa: T201


def progress(*parts: Any) -> None:
    """Progress goes to stderr, so stdout is only the tables."""
    print(*parts, file=sys.stderr, flush=True)  # noqa: T201


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "MISSED")


@dataclass(frozen=True)
class Target:
    """A target from issue 6, for the table only (never asserted anywhere)."""

    text: str
    check: Callable[[float], bool]

    def judge(self, value: float | None) -> str:
        return verdict(None if value is None else self.check(value))


# ----------------------------------------------------------------------------- the bot process


def bot_env(db: Path, api_url: str | None, **settings: str | None) -> dict[str, str]:
    """A child environment: the repository importable, the database and the fake server set,
    nothing of the developer's shell beyond ``INHERITED`` and the ``BENCH_*`` settings of
    bench/variants.py (``BENCH_PASSES=3 … --variant passes``: without them a variant ran with
    its default whatever the shell said)."""
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    env |= {key: value for key, value in os.environ.items() if key.startswith("BENCH_")}
    env |= {
        "PYTHONPATH": str(REPO),
        "PYTHONUTF8": "1",
        "NO_PROXY": "127.0.0.1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "BOT_USERNAME": USERNAME,
        "BOT_TOKEN": TOKEN,
    }
    if api_url is not None:
        env["TELEGRAM_API_URL"] = api_url
    for key, value in settings.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Child:
    """A child process (the bot or the echo bot) whose output goes to a log file."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def start(cls, args: Sequence[str], env: dict[str, str], cwd: Path, log: Path) -> Child:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                *args,
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
            )
        return cls(process, log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.returncode is None

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        user, system = self.cpu_split()
        return user + system

    def cpu_split(self) -> tuple[float, float]:
        """(user, system) CPU seconds of the process so far (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK

    def memory(self) -> dict[str, int]:
        """VmRSS, VmHWM (peak RSS) … in kB, from /proc/<pid>/status."""
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS", "VmHWM", "VmSize", "RssAnon", "RssFile", "Threads")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
        return out

    async def until(self, condition: Callable[[], bool], what: str, limit: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not condition():
            if not self.alive():
                raise RuntimeError(
                    f"the child exited ({self.process.returncode}) waiting for {what}:\n"
                    + self.logs()[-4000:]
                )
            if loop.time() > deadline:
                raise RuntimeError(f"timed out after {limit}s waiting for {what}")
            await asyncio.sleep(0.01)

    async def stop(self, grace: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds. (The bot's graceful stop flushes the
        outbox for up to SHUTDOWN_FLUSH_SECONDS; a benchmark that is done passes a short grace.)"""
        # The child may exit between the check and the signal: then there is nobody to signal.
        with contextlib.suppress(ProcessLookupError):
            if self.alive():
                self.process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(self.process.wait(), grace)
                except TimeoutError:
                    self.process.kill()
        await self.process.wait()
        return self.process.returncode


def log_problems(text: str) -> list[str]:
    """Lines of a bot log that mean something went wrong during a run."""
    keys = ("Traceback", " ERROR ", " CRITICAL ", "QueuePool", "database is locked")
    return [line for line in text.splitlines() if any(k in line for k in keys)]


def sqlite_count(db: Path, sql: str, *params: Any) -> int:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = connection.execute(sql, params).fetchone()
        return int(row[0]) if row else 0
    finally:
        connection.close()


def checkpoint(db: Path) -> None:
    """Folds the WAL into the database file, so a copy of the file is the whole database."""
    connection = sqlite3.connect(db)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
