"""The digest's chart: new vs resolved tickets per day, as a PNG. Drawn in the child process of
bot.drawing (matplotlib never enters the bot's process); only the standard library at the top.

Drawing: matplotlib's object API with the Agg canvas (no pyplot, no display, no global state).
Chinese labels need a font that really has Chinese glyphs (bot.fonts); without one the labels
are English, because DejaVu would draw every Chinese character as an empty box."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.fonts import cjk_font

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


def draw_chart(chart: Chart, family: str | None) -> Figure:
    """Bars of new and resolved tickets per day. ``family`` draws Chinese labels; without it
    the English fallback replaces them. Imports matplotlib: call it in the child only."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    families = [family, "DejaVu Sans"] if family and chart.labels.needs_cjk else None
    labels = chart.fallback if chart.labels.needs_cjk and family is None else chart.labels
    fonts = {"family": families} if families else None
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    # Fixed margins that fit the title, the day labels and a count of up to five digits:
    # tight_layout measured every label in a draw of its own first, a third of the drawing.
    figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.08)
    axes = figure.add_subplot()
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
    axes.set_title(labels.title, fontdict=fonts)
    # Counts of tickets: whole numbers from 0 up, and 0..1 when there were none (autoscaling
    # bars of height 0 gave an axis from -0.045 to 0.045).
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    highest = max([*chart.new, *chart.resolved], default=0)
    axes.set_ylim(0, 1 if highest <= 0 else None)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    legend = axes.legend(loc="upper left", frameon=False)
    if families:
        for text in legend.get_texts():
            text.set_fontfamily(families)
    return figure


def render_chart(
    chart: Chart, *, find_font: Callable[[], str | None] = cjk_font
) -> tuple[bytes, bool]:
    """The chart as a PNG, and whether English labels stood in for Chinese ones (no font)."""
    family = find_font() if chart.labels.needs_cjk else None
    buffer = io.BytesIO()
    draw_chart(chart, family).savefig(buffer, format="png")
    return buffer.getvalue(), chart.labels.needs_cjk and family is None


def render(data: dict[str, Any]) -> tuple[bytes, bool]:
    """The child's entry for one chart (bot.drawing)."""
    return render_chart(Chart.from_json(data))
