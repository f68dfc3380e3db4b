"""What ``python -m bot`` imports before it polls: nothing it only needs sometimes. The big
libraries the digest's chart draws with live in a child process (bot.drawing), and Redis only
where REDIS_URL asks for it. Checked in a fresh interpreter: this one has loaded everything the
tests use."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.drawing import ROOT

CODE = """
import json, sys
import bot.__main__, bot.app, bot.scheduler, handlers
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_the_bot_imports_neither_the_chart_libraries_nor_redis() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    roots = set(json.loads(done.stdout))
    assert {"aiogram", "sqlalchemy", "bot", "handlers"} <= roots  # it did load the bot
    assert roots.isdisjoint({"matplotlib", "numpy", "PIL", "redis"})
