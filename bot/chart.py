"""The digest's chart: new vs resolved tickets per day, as a PNG. Drawn in the child process of
bot.drawing (no picture library ever enters the bot's process); only the standard library at
the top.

Drawing: Pillow alone (a bar chart is rectangles and text). matplotlib drew it before, and its
imports were most of the digest's time (0.3–0.4 s of a 0.5 s digest, docs/benchmarks.md §5);
Pillow's take 0.02 s. Chinese labels need a font file that really has Chinese glyphs
(bot.fonts.cjk_font_file); without one the labels are English, because the default font would
draw every Chinese character as an empty box."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.fonts import cjk_font_file

if TYPE_CHECKING:
    from PIL.Image import Image


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
            "kind": "chart",
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


# ----------------------------------------------------------------------------- the child's side

WIDTH, HEIGHT = 800, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 44, 32  # the plot's margins, in pixels
NEW_COLOUR, RESOLVED_COLOUR = "#4C78A8", "#54A24B"
GRID, AXIS, INK = "#E6E6E6", "#333333", "#222222"
MOST_TICKS = 6


def y_ticks(highest: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``highest`` in steps of 1, 2 or 5 × 10ⁿ, at most
    MOST_TICKS + 1 of them; 0 and 1 for a chart with no tickets."""
    if highest <= 0:
        return [0, 1]
    step = 1
    while True:
        for factor in (1, 2, 5):
            candidate = step * factor
            if math.ceil(highest / candidate) <= MOST_TICKS:
                top = math.ceil(highest / candidate) * candidate
                return list(range(0, top + 1, candidate))
        step *= 10


def words(chart: Chart, font_file: str | None) -> ChartLabels:
    """The labels drawn: the chart's own, or the English ones for Chinese labels when there is
    no font for them."""
    return chart.fallback if chart.labels.needs_cjk and font_file is None else chart.labels


def draw_chart(chart: Chart, font_file: str | None) -> Image:
    """Bars of new and resolved tickets per day. ``font_file`` draws Chinese labels; without it
    the English fallback replaces them. Imports Pillow: call it in the child only."""
    from PIL import Image, ImageDraw, ImageFont

    labels = words(chart, font_file)

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if font_file is not None and chart.labels.needs_cjk:
            return ImageFont.truetype(font_file, size)
        return ImageFont.load_default(size)

    title, legend, small = font(16), font(13), font(11)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    ticks = y_ticks(max([*chart.new, *chart.resolved], default=0))
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    for tick in ticks:
        y = y_of(tick)
        draw.line((left, y, right, y), fill=GRID)
        draw.text((left - 6, y), str(tick), font=small, fill=INK, anchor="rm")
    slot = (right - left) / max(1, len(chart.days))
    for i, (day, new, resolved) in enumerate(
        zip(chart.days, chart.new, chart.resolved, strict=True)
    ):
        middle = left + slot * (i + 0.5)
        for value, offset, colour in ((new, -0.2, NEW_COLOUR), (resolved, 0.2, RESOLVED_COLOUR)):
            x = middle + slot * offset
            if value > 0:
                draw.rectangle((x - slot * 0.2, y_of(value), x + slot * 0.2, bottom), fill=colour)
        draw.text((middle, bottom + 6), f"{day.month}/{day.day}", font=small, fill=INK, anchor="mt")
    draw.line((left, top, left, bottom), fill=AXIS)
    draw.line((left, bottom, right, bottom), fill=AXIS)
    draw.text((WIDTH / 2, 12), labels.title, font=title, fill=INK, anchor="mt")
    for row, (name, colour) in enumerate(
        ((labels.new, NEW_COLOUR), (labels.resolved, RESOLVED_COLOUR))
    ):
        y = top + 8 + row * 20
        draw.rectangle((left + 12, y, left + 32, y + 10), fill=colour)
        draw.text((left + 40, y + 5), name, font=legend, fill=INK, anchor="lm")
    return image


def render_chart(
    chart: Chart, *, find_font: Callable[[], str | None] = cjk_font_file
) -> tuple[bytes, bool]:
    """The chart as a PNG, and whether English labels stood in for Chinese ones (no font)."""
    font_file = find_font() if chart.labels.needs_cjk else None
    buffer = io.BytesIO()
    draw_chart(chart, font_file).save(buffer, format="PNG")
    return buffer.getvalue(), chart.labels.needs_cjk and font_file is None


def render(data: dict[str, Any]) -> tuple[bytes, bool]:
    """The child's entry for one chart (bot.drawing)."""
    return render_chart(Chart.from_json(data))
