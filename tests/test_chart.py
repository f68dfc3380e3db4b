"""The digest's chart, drawn by a child process (bot.chart): what the child imports, what it
answers, and what the bot gets when it fails, hangs or is cancelled. The digest's side (the
digest goes without its chart; the bot never imports matplotlib) is in test_scheduler."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.chart import ROOT, Chart, ChartLabels, ChartRenderer, _parse

DAYS = [date(2026, 11, 13) + timedelta(days=i) for i in range(14)]
CHINESE = ChartLabels("近14天 新反映与解决", "新反映", "已解决", needs_cjk=True)
ENGLISH = ChartLabels("Last 14 days", "New", "Resolved", needs_cjk=False)
PNG = b"\x89PNG\r\n\x1a\n"


def chart(labels: ChartLabels = ENGLISH) -> Chart:
    return Chart(DAYS, [1] * 14, list(range(14)), labels, ENGLISH)


def python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_child_imports_nothing_of_the_bot() -> None:
    """``python -m bot.chart`` loads bot/__init__ and this module before matplotlib: neither
    may pull in aiogram, SQLAlchemy or the services."""
    done = python("import bot.chart, json, sys; print(json.dumps(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    roots = {m.split(".")[0] for m in loaded}
    assert not roots & {"aiogram", "pydantic", "sqlalchemy", "alembic", "storage", "handlers"}
    assert not roots & {"matplotlib", "numpy", "PIL"}  # only when a chart is drawn
    assert [m for m in loaded if m.startswith("bot.")] == ["bot.chart"]


def test_chart_labels_fall_back_to_english_without_a_cjk_font() -> None:
    """Never empty boxes: matplotlib warns about a missing glyph, and here warnings are
    errors (-W error), so a Chinese label drawn in DejaVu would fail the child."""
    code = (
        "from tests.test_chart import CHINESE, chart\n"
        "from bot.chart import cjk_font, render_chart\n"
        "assert render_chart(chart(CHINESE), find_font=lambda: None).startswith(b'\\x89PNG')\n"
        "if cjk_font() is not None:\n"
        "    assert render_chart(chart(CHINESE)).startswith(b'\\x89PNG')\n"
    )
    done = python(code, "-W", "error")
    assert done.returncode == 0, done.stderr


async def test_the_renderer_returns_one_png_per_chart_in_order() -> None:
    small = Chart(DAYS[:2], [0, 1], [1, 0], ENGLISH, ENGLISH)
    pngs = await ChartRenderer().render([chart(), chart(CHINESE), small])
    assert len(pngs) == 3
    assert all(p is not None and p.startswith(PNG) for p in pngs)
    assert len({p for p in pngs}) == 3
    assert await ChartRenderer().render([]) == []


async def test_a_chart_the_child_cannot_draw_is_none_the_others_are_drawn() -> None:
    broken = Chart(DAYS, [1] * 14, [1] * 3, ENGLISH, ENGLISH)  # bars of unequal length
    pngs = await ChartRenderer().render([broken, chart()])
    assert pngs[0] is None
    assert pngs[1] is not None and pngs[1].startswith(PNG)


@pytest.mark.parametrize(
    "code",
    [
        "import sys; sys.exit(3)",  # crashed
        "print('not json')",  # garbled
        "print('[]')",  # too few
        "import json; print(json.dumps(['bm90IGEgcG5n']))",  # base64, but not a PNG
    ],
)
async def test_a_failing_child_costs_the_charts_only(code: str) -> None:
    assert await ChartRenderer([sys.executable, "-c", code]).render([chart()]) == [None]


async def test_a_missing_interpreter_costs_the_charts_only(tmp_path: Path) -> None:
    missing = tmp_path / "no-python"
    assert await ChartRenderer([str(missing)]).render([chart(), chart()]) == [None, None]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _hanging_child(tmp_path: Path, timeout: float) -> tuple[ChartRenderer, Path]:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    return ChartRenderer([sys.executable, "-c", code], timeout=timeout), pid_file


async def test_a_hanging_child_is_killed_at_the_timeout(tmp_path: Path) -> None:
    renderer, pid_file = _hanging_child(tmp_path, timeout=2)
    assert await renderer.render([chart()]) == [None]
    assert not _alive(int(pid_file.read_text()))


async def test_cancelling_the_render_kills_the_child(tmp_path: Path) -> None:
    """The scheduler cancels a job in hand at shutdown: no child may outlive the bot."""
    renderer, pid_file = _hanging_child(tmp_path, timeout=60)
    task = asyncio.create_task(renderer.render([chart()]))
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    assert _alive(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _alive(pid)


def test_unreadable_answers_are_refused() -> None:
    assert _parse(b"{}", 1) is None
    assert _parse(b'["%%%"]', 1) is None
    assert _parse(b"[null, null]", 2) == [None, None]
