"""What ``python -m bot`` imports before it polls: nothing it only needs sometimes. The big
libraries the digest's chart draws with live in a child process (bot.drawing), and Redis only
where REDIS_URL asks for it; documents (jinja2), posters' QR codes (segno) and web pushes
(pywebpush, requests, cryptography) load when first made; alembic only when the schema is not
at its newest revision. Checked in a fresh interpreter: this one has loaded everything the
tests use. (docs/benchmarks.md: idle memory.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.drawing import ROOT

# Libraries only some commands or some moments need: none of them in a process at start.
SOMETIMES = {
    "matplotlib",
    "numpy",
    "PIL",
    "redis",
    "alembic",
    "mako",
    "jinja2",
    "segno",
    "pywebpush",
    "requests",
    "cryptography",
    "py_vapid",
    "http_ece",
    "openpyxl",
    "weasyprint",
}

CODE = """
import json, sys
import bot.__main__, bot.app, bot.scheduler, handlers
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


# The start's own steps (bot/startup.py, bot/app.py): the schema brought to its newest
# revision, the web push key made or read.
START = """
import asyncio, json, sys
from datetime import UTC, datetime
from storage.db import Database
from web.push.keys import KeyHolder

async def main() -> None:
    db = Database(sys.argv[1])
    try:
        await db.migrate()
        await KeyHolder(db, lambda: datetime.now(UTC)).ensure()
    finally:
        await db.close()

asyncio.run(main())
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _roots(code: str, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_the_bot_imports_none_of_the_libraries_it_only_needs_sometimes() -> None:
    roots = _roots(CODE)
    assert {"aiogram", "sqlalchemy", "bot", "handlers"} <= roots  # it did load the bot
    assert roots.isdisjoint(SOMETIMES), roots & SOMETIMES


def test_a_start_on_a_migrated_database_loads_neither_alembic_nor_cryptography(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'footprint.db'}"
    first = _roots(START, url)
    assert "alembic" in first  # the first start migrates
    again = _roots(START, url)
    assert again.isdisjoint(SOMETIMES), again & SOMETIMES


# The command line every start builds (it reads the doors' commands, wechat/cli.py among them)
# and the web doors the bot serves by default (their pages need jinja2): the WeChat door's
# callback and its cryptography load only when the door is on (bot/__main__.py's _wechat_door).
PARSER = """
import json, sys
import bot.__main__
bot.__main__.build_parser()
import web.console, web.door, web.open311, web.server
names = {m.split(".")[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("wechat")}
print(json.dumps(sorted(names)))
"""


def test_the_command_line_and_the_web_doors_load_no_wechat_callback() -> None:
    names = _roots(PARSER)
    assert "wechat.cli" in names  # it did read the WeChat commands
    assert "wechat.callback" not in names
    assert "wechat.protocol" not in names
    assert names.isdisjoint(SOMETIMES - {"jinja2"}), names & SOMETIMES
