"""The digest's chart: new vs resolved tickets per day, as a PNG.

matplotlib's object API with the Agg canvas (no pyplot, no display, no global state), so it can
render in a worker thread. Chinese labels need a CJK font: one is looked up once among the fonts
matplotlib knows, then among those fontconfig lists for Chinese; without one the labels are
English, because DejaVu would draw every Chinese character as an empty box. matplotlib is
imported on first use: the bot and its CLI start without paying for it."""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

log = logging.getLogger(__name__)

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


def render_chart(
    days: Sequence[date],
    new: Sequence[int],
    resolved: Sequence[int],
    labels: ChartLabels,
    fallback: ChartLabels,
    *,
    find_font: Callable[[], str | None] = cjk_font,
) -> bytes:
    """Bars of new and resolved tickets per day; ``fallback`` (English) replaces Chinese
    labels when no CJK font is available."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    family = find_font()
    if labels.needs_cjk and family is None:
        labels = fallback
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    font_props = {"family": [family, "DejaVu Sans"]} if family else {}
    positions = range(len(days))
    axes.bar([p - 0.2 for p in positions], new, width=0.4, label=labels.new, color="#4C78A8")
    axes.bar(
        [p + 0.2 for p in positions], resolved, width=0.4, label=labels.resolved, color="#54A24B"
    )
    axes.set_xticks(list(positions), [f"{d.month}/{d.day}" for d in days], fontsize=8)
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
