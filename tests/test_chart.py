"""The pictures drawn by a child process (bot.drawing): what the child imports, which font draws
Chinese (never the "Last Resort" placeholder font), the chart's words and axes, what the child
answers, and what the bot gets when it fails, hangs or is cancelled. The digest's side (the
digest goes without its chart; the bot never imports matplotlib) is in test_scheduler.

Whatever draws runs in a child interpreter (``child``): matplotlib must never enter the test
process, as test_scheduler checks."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.chart import Chart, ChartLabels, y_ticks
from bot.drawing import ROOT, Renderer, _parse

DAYS = [date(2026, 11, 13) + timedelta(days=i) for i in range(14)]
CHINESE = ChartLabels("近14天 新反映与解决", "新反映", "已解决", needs_cjk=True)
ENGLISH = ChartLabels("Last 14 days", "New", "Resolved", needs_cjk=False)
PNG = b"\x89PNG\r\n\x1a\n"
# Set-up of the child's checks: a fake font list of the fonts matplotlib ships, and a small real
# font with Chinese glyphs (tests/cjkfont.py).
FONTS = """
import matplotlib
from pathlib import Path
from bot.fonts import find_cjk_font, has_glyphs
from tests.cjkfont import FAMILY, make_cjk_font
from tests.test_chart import CHINESE, ENGLISH, chart
TTF = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
LAST_RESORT, DEJAVU = str(TTF / "LastResortHE-Regular.ttf"), str(TTF / "DejaVuSans.ttf")
SHIPPED = {"Last Resort High-Efficiency": LAST_RESORT, "DejaVu Sans": DEJAVU}
"""


def chart(
    labels: ChartLabels = ENGLISH, new: list[int] | None = None, resolved: list[int] | None = None
) -> Chart:
    new = [1] * 14 if new is None else new
    return Chart(DAYS, new, list(range(14)) if resolved is None else resolved, labels, ENGLISH)


def python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def child(code: str) -> None:
    """Runs checks in a fresh interpreter, where a warning (a glyph missing from the font
    matplotlib chose, i.e. an empty box in the picture) is an error too."""
    done = python(code, "-W", "error")
    assert done.returncode == 0, done.stderr


def test_the_child_imports_nothing_of_the_bot() -> None:
    """``python -m bot.drawing`` loads bot/__init__ and the drawing modules before matplotlib:
    none may pull in aiogram, SQLAlchemy or the services."""
    done = python(
        "import bot.drawing, bot.chart, bot.poster_art, json, sys\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    roots = {m.split(".")[0] for m in loaded}
    assert not roots & {"aiogram", "pydantic", "sqlalchemy", "alembic", "storage", "handlers"}
    assert not roots & {"matplotlib", "numpy", "PIL", "segno"}  # only when drawing
    drawing = ["bot.chart", "bot.drawing", "bot.fonts", "bot.poster_art"]
    assert [m for m in loaded if m.startswith("bot.")] == drawing


def test_the_placeholder_font_is_not_a_chinese_font() -> None:
    """matplotlib ships "Last Resort", whose cmap maps every Chinese character to one
    placeholder glyph: it has "a glyph" for everything and draws boxes. It is never chosen."""
    child(
        FONTS
        + "assert not has_glyphs(LAST_RESORT) and not has_glyphs(DEJAVU)\n"
        + "assert find_cjk_font(SHIPPED, lambda: [], lambda path: 'added') is None\n"
        # The chart's (Pillow's) view of the same fonts.
        + "from bot.fonts import cjk_font_file, draws_distinct_glyphs\n"
        + "assert not draws_distinct_glyphs(LAST_RESORT) and not draws_distinct_glyphs(DEJAVU)\n"
        + "assert cjk_font_file.__wrapped__(lambda: [LAST_RESORT, DEJAVU]) is None\n"
    )


def test_this_machine_has_no_chinese_font_and_the_bot_knows_it() -> None:
    """The real lookup, as the child does it: without a font fontconfig lists for Chinese (this
    machine has no fonts-noto-cjk), no font; with one, a font that really has the glyphs."""
    listed = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
    ).stdout.strip()
    code = (
        "from matplotlib import font_manager\n"
        "from bot.fonts import cjk_font, has_glyphs\n"
        "family = cjk_font()\n"
        "print(family)\n"
        "if family is not None:\n"
        "    files = [e.fname for e in font_manager.fontManager.ttflist if e.name == family]\n"
        "    assert any(has_glyphs(f) for f in files), family\n"
    )
    done = python(code)
    assert done.returncode == 0, done.stderr
    found = done.stdout.strip()
    assert "Last Resort" not in found
    if not listed:
        assert found == "None"
    # The chart's lookup (Pillow, no matplotlib): a file fontconfig lists, or None.
    done = python(
        "import sys\nfrom bot.fonts import cjk_font_file\nprint(cjk_font_file())\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr
    found = done.stdout.strip()
    assert found in listed if listed else found == "None"


def test_a_font_with_the_glyphs_is_found_in_either_list(tmp_path: Path) -> None:
    child(
        FONTS
        + f"font = str(make_cjk_font(Path({str(tmp_path)!r}) / 'cjk.ttf', '新增已解决楼长扫码'))\n"
        + "assert has_glyphs(font)\n"
        + "assert find_cjk_font({**SHIPPED, FAMILY: font}, lambda: [], print) == FAMILY\n"
        + "added = []\n"
        + "def add(path):\n"
        + "    added.append(path)\n"
        + "    return FAMILY\n"
        + "assert find_cjk_font(SHIPPED, lambda: [DEJAVU, font], add) == FAMILY\n"
        + "assert added == [font]\n"
        + "from bot.fonts import cjk_font_file, draws_distinct_glyphs\n"
        + "assert draws_distinct_glyphs(font)\n"
        + "assert cjk_font_file.__wrapped__(lambda: [DEJAVU, font]) == font\n"
    )


def test_chinese_labels_with_a_chinese_font_english_ones_without(tmp_path: Path) -> None:
    """Never empty boxes: Chinese labels are drawn with a font that has them (in a child where
    a missing glyph's warning is an error), else the English labels stand in; English labels
    never ask for a font at all."""
    characters = CHINESE.title + CHINESE.new + CHINESE.resolved + "0123456789/ "
    child(
        FONTS
        + f"font = str(make_cjk_font(Path({str(tmp_path)!r}) / 'cjk.ttf', {characters!r}))\n"
        + "from bot.chart import draw_chart, render_chart, words\n"
        + "assert words(chart(CHINESE), font) == CHINESE\n"
        + "assert words(chart(CHINESE), None) == ENGLISH\n"
        + "assert words(chart(ENGLISH), None) == ENGLISH\n"
        # The Chinese title is drawn with the font's own glyphs: not the picture without it.
        + "with_font = draw_chart(chart(CHINESE), font).tobytes()\n"
        + "assert with_font != draw_chart(chart(CHINESE), None).tobytes()\n"
        + "png, english = render_chart(chart(CHINESE), find_font=lambda: font)\n"
        + "assert png.startswith(b'\\x89PNG') and not english\n"
        + "png, english = render_chart(chart(CHINESE), find_font=lambda: None)\n"
        + "assert png.startswith(b'\\x89PNG') and english\n"
        + "def boom(): raise AssertionError('no font is needed for English')\n"
        + "assert render_chart(chart(ENGLISH), find_font=boom)[1] is False\n"
    )


@pytest.mark.parametrize(
    ("highest", "ticks"),
    [
        (0, [0, 1]),  # an empty chart: 0..1, not an axis around 0
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2, 4, 6, 8, 10]),
        (12345, [0, 5000, 10000, 15000]),
    ],
)
def test_the_y_axis_counts_tickets_from_zero(highest: int, ticks: list[int]) -> None:
    """Whole numbers from 0 up to at least the highest bar, a few of them."""
    assert y_ticks(highest) == ticks


def test_a_chart_is_drawn_without_matplotlib() -> None:
    """The chart's child loads Pillow only (matplotlib's imports were most of a digest's
    time): drawing a chart, in Chinese too, never imports it."""
    child(
        "import sys\n"
        "from tests.test_chart import CHINESE, chart\n"
        "from bot.chart import render_chart\n"
        "png, _ = render_chart(chart(CHINESE))\n"
        "assert png.startswith(b'\\x89PNG')\n"
        "assert 'matplotlib' not in sys.modules and 'numpy' not in sys.modules\n"
    )


async def test_the_renderer_returns_one_png_per_chart_in_order() -> None:
    small = Chart(DAYS[:2], [0, 1], [1, 0], ENGLISH, ENGLISH)
    pictures = await Renderer().draw([chart(), chart(CHINESE, [2] * 14), small])
    assert len(pictures) == 3
    assert all(p is not None and p.png.startswith(PNG) for p in pictures)
    assert len({p.png for p in pictures if p}) == 3
    # English labels are English anyway; Chinese ones are when no font can draw them.
    assert [p.english for p in pictures if p][::2] == [False, False]
    assert await Renderer().render([]) == []


async def test_a_chart_the_child_cannot_draw_is_none_the_others_are_drawn() -> None:
    broken = Chart(DAYS, [1] * 14, [1] * 3, ENGLISH, ENGLISH)  # bars of unequal length
    pngs = await Renderer().render([broken, chart()])
    assert pngs[0] is None
    assert pngs[1] is not None and pngs[1].startswith(PNG)


@pytest.mark.parametrize(
    "code",
    [
        "import sys; sys.exit(3)",  # crashed
        "print('not json')",  # garbled
        "print('[]')",  # too few
        "import json; print(json.dumps([{'png': 'bm90IGEgcG5n', 'english': 0}]))",
    ],
)
async def test_a_failing_child_costs_the_charts_only(code: str) -> None:
    assert await Renderer([sys.executable, "-c", code]).render([chart()]) == [None]


async def test_a_missing_interpreter_costs_the_charts_only(tmp_path: Path) -> None:
    missing = tmp_path / "no-python"
    assert await Renderer([str(missing)]).render([chart(), chart()]) == [None, None]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _hanging_child(tmp_path: Path, timeout: float) -> tuple[Renderer, Path]:
    """A child that never answers. It writes its pid first thing, from the shell (which starts
    in a millisecond even on a busy machine, where an interpreter may take seconds), then
    becomes ``sleep`` (exec keeps the pid)."""
    pid_file = tmp_path / "pid"
    script = 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 60'
    return Renderer(["sh", "-c", script, str(pid_file)], timeout=timeout), pid_file


async def test_a_hanging_child_is_killed_at_the_timeout(tmp_path: Path) -> None:
    renderer, pid_file = _hanging_child(tmp_path, timeout=2)
    assert await renderer.render([chart()]) == [None]
    assert not _alive(int(pid_file.read_text()))


async def test_cancelling_the_render_kills_the_child(tmp_path: Path) -> None:
    """The scheduler cancels a job in hand at shutdown: no child may outlive the bot."""
    renderer, pid_file = _hanging_child(tmp_path, timeout=60)
    task = asyncio.create_task(renderer.render([chart()]))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60  # a busy machine starts an interpreter slowly
    while not (pid_file.exists() and pid_file.read_text()):
        assert loop.time() < deadline, "the child never started"
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    assert _alive(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _alive(pid)


def test_unreadable_answers_are_refused() -> None:
    assert _parse(b"{}", 1) is None
    assert _parse(b'[{"png": "%%%", "english": false}]', 1) is None
    assert _parse(b'["bm90IGEgcG5n"]', 1) is None  # the old answer's shape
    assert _parse(b'[{"png": "iVBORw0KGgo="}]', 1) is None
    assert _parse(b"[null, null]", 2) == [None, None]


async def test_a_child_started_ahead_draws_what_it_is_given_later() -> None:
    """The digest starts the child before it gathers its figures (the child loads matplotlib
    meanwhile) and gives it the chart once they are there."""
    renderer = Renderer()
    async with renderer.started() as drawing:
        await asyncio.sleep(0.1)  # the figures being gathered
        pictures = await drawing.draw([chart(), chart(ENGLISH, [2] * 14)])
        assert await drawing.draw([chart()]) == [None]  # one batch per child
    assert all(p is not None and p.png.startswith(PNG) for p in pictures)


async def test_a_child_started_and_never_asked_is_ended(tmp_path: Path) -> None:
    """Nothing to draw after all, or the figures failed (a refused /digest): the child that
    was started for them does not outlive the block."""
    renderer, pid_file = _hanging_child(tmp_path, timeout=60)
    loop = asyncio.get_running_loop()
    with pytest.raises(RuntimeError, match="the figures failed"):
        async with renderer.started():
            deadline = loop.time() + 60  # a busy machine starts a child slowly
            while not (pid_file.exists() and pid_file.read_text()):
                assert loop.time() < deadline, "the child never started"
                await asyncio.sleep(0.05)
            assert _alive(int(pid_file.read_text()))
            raise RuntimeError("the figures failed")
    assert not _alive(int(pid_file.read_text()))
