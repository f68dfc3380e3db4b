"""A tiny but real TrueType font with a glyph of its own for each character asked for, built with
fontTools (installed with matplotlib): the Chinese-font path of the pictures, tested on a
machine without fonts-noto-cjk."""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

FAMILY = "Test CJK Sans"


def _glyph(index: int) -> object:
    """A box with a notch whose place depends on ``index``: every glyph differs."""
    pen = TTGlyphPen(None)
    pen.moveTo((50, 0))
    pen.lineTo((50, 800))
    pen.lineTo((850, 800))
    pen.lineTo((850, 0))
    pen.closePath()
    notch = 100 + (index * 37) % 600
    pen.moveTo((notch, 200))
    pen.lineTo((notch + 100, 200))
    pen.lineTo((notch + 100, 600))
    pen.lineTo((notch, 600))
    pen.closePath()
    return pen.glyph()


def make_cjk_font(path: Path, characters: str, family: str = FAMILY) -> Path:
    chars = sorted(set(characters))
    names = [".notdef", *(f"uni{ord(c):04X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    builder.setupGlyf({name: _glyph(i) for i, name in enumerate(names)})
    builder.setupHorizontalMetrics({name: (900, 50) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))
    return path
