"""The stairwell poster as a printable picture: the building's name large, the community under
it, the join link's QR code, and one line of how to use it, so printed posters of different
buildings can be told apart. Drawn in the child process of bot.drawing; only the standard
library at the top.

Chinese words need a font with Chinese glyphs (bot.fonts). Without one the poster carries the
English words, which hold no Chinese (the bot side left out every name that would need it)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot.fonts import cjk_font

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# A4 portrait; 150 dpi is plenty for a QR code read from a metre away.
SIZE = (8.27, 11.69)
DPI = 150
QR_BORDER = 4  # modules of quiet zone: what phone cameras expect


def needs_cjk(text: str) -> bool:
    """Whether ``text`` has characters the default font (DejaVu Sans) cannot draw: CJK and
    everything after it in Unicode's order of scripts."""
    return any(ord(ch) >= 0x2E80 for ch in text)


@dataclass(frozen=True, slots=True)
class PosterWords:
    heading: str  # the building
    subheading: str  # the community, the building's code
    instruction: str  # one line: how to use it

    @property
    def needs_cjk(self) -> bool:
        return needs_cjk(self.heading + self.subheading + self.instruction)


@dataclass(frozen=True, slots=True)
class Poster:
    """One poster's link and words: plain data, so it crosses to the child as JSON."""

    link: str
    words: PosterWords  # in the head's language
    fallback: PosterWords  # English, without Chinese names: for a machine without the font

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "poster",
            "link": self.link,
            "words": asdict(self.words),
            "fallback": asdict(self.fallback),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Poster:
        return cls(data["link"], PosterWords(**data["words"]), PosterWords(**data["fallback"]))


def _size(text: str, largest: float, width: int) -> float:
    """A font size that keeps a line of ``text`` within the page (``width`` characters fit at
    ``largest``; wide characters count twice)."""
    units = sum(2 if needs_cjk(ch) else 1 for ch in text) or 1
    return max(10.0, min(largest, largest * width / units))


def draw_poster(poster: Poster, family: str | None) -> Figure:
    """The poster in the head's words, drawn with ``family`` when they need Chinese; without
    it, in the English words. Imports matplotlib and segno: call it in the child only."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    words = poster.fallback if poster.words.needs_cjk and family is None else poster.words
    fonts: dict[str, Any] = {"family": [family, "DejaVu Sans"]} if family else {}
    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.text(
        0.5, 0.91, words.heading, ha="center", va="center", weight="bold",
        fontsize=_size(words.heading, 44, 18), **fonts,
    )  # fmt: skip
    figure.text(
        0.5, 0.85, words.subheading, ha="center", va="center",
        fontsize=_size(words.subheading, 24, 40), color="#333333", **fonts,
    )  # fmt: skip
    side = 0.66
    height = side * SIZE[0] / SIZE[1]  # square on the page
    axes = figure.add_axes((0.5 - side / 2, 0.80 - height, side, height))
    axes.imshow(qr_matrix(poster.link), cmap="binary", interpolation="nearest")
    axes.set_axis_off()
    figure.text(
        0.5, 0.80 - height - 0.05, words.instruction, ha="center", va="center",
        fontsize=_size(words.instruction, 22, 40), wrap=True, **fonts,
    )  # fmt: skip
    figure.text(0.5, 0.05, poster.link, ha="center", va="center", fontsize=9, color="#666666")
    return figure


def qr_matrix(link: str) -> list[list[int]]:
    """The join link's QR code as rows of 0 (light) and 1 (dark), with its quiet zone. Error
    correction "M" survives a scuffed printout (as bot.services.poster.qr_png)."""
    import segno

    qr = segno.make(link, error="m")
    return [[int(bool(m)) for m in row] for row in qr.matrix_iter(border=QR_BORDER)]


def render_poster(
    poster: Poster, *, find_font: Callable[[], str | None] = cjk_font
) -> tuple[bytes, bool]:
    """The poster as a PNG, and whether the English words stood in (no font for Chinese)."""
    family = find_font() if poster.words.needs_cjk else None
    buffer = io.BytesIO()
    draw_poster(poster, family).savefig(buffer, format="png")
    return buffer.getvalue(), poster.words.needs_cjk and family is None


def render(data: dict[str, Any]) -> tuple[bytes, bool]:
    """The child's entry for one poster (bot.drawing)."""
    return render_poster(Poster.from_json(data))
