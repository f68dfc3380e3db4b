"""The digest's chart: new vs resolved tickets per day, as a PNG, drawn in a child process.

matplotlib, numpy and PIL add 45–60 MB to a process that draws a chart, and no import is ever
undone, so a bot that drew its charts itself would carry them from the first digest on. It does
not: ``ChartRenderer`` starts ``python -m bot.chart`` for a batch of charts, writes their
figures to its stdin as JSON, reads the PNGs from its stdout, and the child exits. This module is
in ``bot`` (whose ``__init__`` is a docstring) rather than ``bot.services`` (whose ``__init__``
imports every service, SQLAlchemy and Alembic with them), and imports only the standard library
at the top, so the child loads this file and matplotlib, nothing of the bot and no aiogram. A
child that fails, or takes longer than ``timeout``, costs the chart, never the digest: its PNG is
None. Cancelling the render (the scheduler shutting down) kills the child.

Drawing: matplotlib's object API with the Agg canvas (no pyplot, no display, no global state).
Chinese labels need a CJK font: one is looked up among the fonts matplotlib knows, then among
those fontconfig lists for Chinese; without one the labels are English, because DejaVu would draw
every Chinese character as an empty box."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import io
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

log = logging.getLogger("bot.chart")

# The first start on a machine builds matplotlib's font cache (seconds to a minute).
TIMEOUT = 120.0
PNG = b"\x89PNG\r\n\x1a\n"
# Where ``-m bot.chart`` finds this very package (and no matplotlibrc of the bot's directory).
ROOT = Path(__file__).resolve().parent.parent

# Preferred first; any other font that has the glyphs will do.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
)
PROBE = "新增已解决"


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    new: str
    resolved: str
    needs_cjk: bool  # the labels are Chinese


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart's figures and words: plain data, so it crosses to the child as JSON."""

    days: Sequence[date]
    new: Sequence[int]
    resolved: Sequence[int]
    labels: ChartLabels
    fallback: ChartLabels  # English, for Chinese labels when no CJK font is found

    def to_json(self) -> dict[str, Any]:
        return {
            "days": [d.isoformat() for d in self.days],
            "new": [int(n) for n in self.new],
            "resolved": [int(n) for n in self.resolved],
            "labels": asdict(self.labels),
            "fallback": asdict(self.fallback),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chart:
        return cls(
            days=[date.fromisoformat(d) for d in data["days"]],
            new=list(data["new"]),
            resolved=list(data["resolved"]),
            labels=ChartLabels(**data["labels"]),
            fallback=ChartLabels(**data["fallback"]),
        )


# ----------------------------------------------------------------------------- the bot's side


class ChartRenderer:
    """Draws charts in a short-lived child process; the bot never imports matplotlib."""

    def __init__(self, command: Sequence[str] | None = None, timeout: float = TIMEOUT) -> None:
        self.command = list(command or (sys.executable, "-m", "bot.chart"))
        self.timeout = timeout

    async def render(self, charts: Sequence[Chart]) -> list[bytes | None]:
        """The PNG of each chart, in order; None for each one the child did not draw."""
        if not charts:
            return []
        failed: list[bytes | None] = [None] * len(charts)
        request = json.dumps([c.to_json() for c in charts], ensure_ascii=False).encode()
        try:
            child = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=ROOT,
            )
        except OSError as error:
            log.error("charts: cannot start %s: %s; the digest goes without", self.command, error)
            return failed
        try:
            out, _ = await asyncio.wait_for(child.communicate(request), self.timeout)
        except TimeoutError:
            log.error("charts: no answer in %.0f s; the digest goes without", self.timeout)
            return failed
        finally:
            if child.returncode is None:  # timed out, or cancelled (shutdown)
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
        if child.returncode != 0:
            log.error("charts: the child exited with %s; the digest goes without", child.returncode)
            return failed
        return _parse(out, len(charts)) or failed


def _parse(out: bytes, count: int) -> list[bytes | None] | None:
    try:
        answer = json.loads(out)
        if not isinstance(answer, list) or len(answer) != count:
            raise ValueError(f"{count} charts asked, {out[:80]!r} answered")
        pngs = [base64.b64decode(a, validate=True) if a is not None else None for a in answer]
    except ValueError as error:  # JSONDecodeError and binascii.Error are ValueErrors
        log.error("charts: unreadable answer from the child (%s)", error)
        return None
    return [p if p is not None and p.startswith(PNG) else None for p in pngs]


# ----------------------------------------------------------------------------- the child's side


def _has_glyphs(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in PROBE)


def _fontconfig_paths() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        listing = subprocess.run(  # noqa: S603 (a fixed command, no user input)
            ["fc-list", ":lang=zh", "file"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":")[0].strip() for line in listing.splitlines() if line.strip()]


@functools.cache
def cjk_font() -> str | None:
    """The family name of a font that renders Chinese, or None."""
    from matplotlib import font_manager

    known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    ranked = [f for f in CJK_FAMILIES if f in known] + sorted(set(known) - set(CJK_FAMILIES))
    for family in ranked:
        if family in CJK_FAMILIES and _has_glyphs(known[family]):
            return family
    # Fonts installed after matplotlib built its cache are not in ttflist yet.
    for path in _fontconfig_paths():
        if _has_glyphs(path):
            font_manager.fontManager.addfont(path)
            family = font_manager.FontProperties(fname=path).get_name()
            log.info("chart font for Chinese: %s (%s)", family, path)
            return family
    for family in ranked:
        if family not in CJK_FAMILIES and _has_glyphs(known[family]):
            return family
    log.warning("no font with Chinese glyphs found; charts use English labels")
    return None


def render_chart(chart: Chart, *, find_font: Callable[[], str | None] = cjk_font) -> bytes:
    """Bars of new and resolved tickets per day; the English fallback replaces Chinese labels
    when no CJK font is available. Imports matplotlib: call it in the child only."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    family = find_font()
    labels = chart.fallback if chart.labels.needs_cjk and family is None else chart.labels
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    font_props = {"family": [family, "DejaVu Sans"]} if family else {}
    positions = range(len(chart.days))
    axes.bar([p - 0.2 for p in positions], chart.new, width=0.4, label=labels.new, color="#4C78A8")
    axes.bar(
        [p + 0.2 for p in positions],
        chart.resolved,
        width=0.4,
        label=labels.resolved,
        color="#54A24B",
    )
    axes.set_xticks(list(positions), [f"{d.month}/{d.day}" for d in chart.days], fontsize=8)
    axes.set_title(labels.title, fontdict=font_props or None)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    legend = axes.legend(loc="upper left", frameon=False)
    if family:
        for text in legend.get_texts():
            text.set_fontfamily([family, "DejaVu Sans"])
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def main() -> int:
    """``python -m bot.chart``: a JSON list of charts on stdin, a JSON list of base64 PNGs (null
    for a chart that failed) on stdout. Logs go to stderr, i.e. where the bot's go."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    answer: list[str | None] = []
    for item in json.load(sys.stdin):
        try:
            png = render_chart(Chart.from_json(item))
        except Exception:
            log.exception("chart failed")
            answer.append(None)
        else:
            answer.append(base64.b64encode(png).decode("ascii"))
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
