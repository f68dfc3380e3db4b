"""Which installed font can really draw Chinese, for the pictures the child process draws (the
digest's chart, the stairwell poster). Only the standard library at the top: the child imports
this before matplotlib, the bot never calls it.

A font "has" a character when its cmap maps the character to a glyph of its own. Matplotlib
ships "Last Resort High-Efficiency", which maps every character of a Unicode block to one
placeholder glyph (a box with the block's name): asking it only whether a glyph exists, as we
once did, picked it on every server without a CJK font and drew every label, English ones too,
as boxes. So each probe character must map to a glyph, and to a different one."""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger("bot.fonts")

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
# Characters the pictures use, from different radicals: a real font has a glyph for each.
PROBE = "新增已解决楼长扫码"
# Fonts that map characters to placeholders, whatever their cmap says.
PLACEHOLDER_FONTS = ("last resort",)


def has_glyphs(path: str, probe: str = PROBE) -> bool:
    """Whether the font file at ``path`` draws every character of ``probe`` with a glyph of its
    own (a placeholder font maps them all to one)."""
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    if any(word in font.family_name.lower() for word in PLACEHOLDER_FONTS):
        return False
    glyphs = [font.get_char_index(ord(ch)) for ch in probe]
    return all(glyphs) and len(set(glyphs)) == len(glyphs)


def find_cjk_font(
    known: Mapping[str, str],
    fontconfig: Callable[[], Iterable[str]],
    add: Callable[[str], str],
    *,
    check: Callable[[str], bool] = has_glyphs,
) -> str | None:
    """The family name of a font that draws Chinese, or None. ``known`` maps family names to
    font files (matplotlib's font list); ``fontconfig`` lists the files fontconfig has for
    Chinese (fonts installed after matplotlib built its cache are only there); ``add`` makes
    such a file known to matplotlib and returns its family name."""
    named = [f for f in CJK_FAMILIES if f in known]
    for family in named:
        if check(known[family]):
            return family
    for path in fontconfig():
        if check(path):
            family = add(path)
            log.info("font for Chinese: %s (%s)", family, path)
            return family
    for family in sorted(set(known) - set(named)):
        if check(known[family]):
            return family
    log.warning(
        "no font with Chinese glyphs found (Debian: apt-get install fonts-noto-cjk); "
        "pictures use English words"
    )
    return None


def fontconfig_paths() -> list[str]:
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
    """The family name of an installed font that draws Chinese, or None (looked up once per
    child process)."""
    from matplotlib import font_manager

    def add(path: str) -> str:
        font_manager.fontManager.addfont(path)
        return str(font_manager.FontProperties(fname=path).get_name())

    known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    return find_cjk_font(known, fontconfig_paths, add)


def draws_distinct_glyphs(path: str, probe: str = PROBE) -> bool:
    """Whether the font file at ``path`` draws every character of ``probe`` as a picture of
    its own (Pillow's view of has_glyphs: a placeholder font draws them all alike, and a font
    without them draws its one "missing" box)."""
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(path, 24)
    except (OSError, ValueError):
        return False
    family = (font.getname()[0] or "").lower()
    if any(word in family for word in PLACEHOLDER_FONTS):
        return False
    pictures = [bytes(font.getmask(ch)) for ch in probe]
    missing = bytes(font.getmask("\U000f0000"))  # a private-use character: the "missing" box
    return all(p != missing for p in pictures) and len(set(pictures)) == len(pictures)


def _preference(path: str) -> tuple[bool, bool, str]:
    name = path.lower()
    return ("serif" in name, "regular" not in name, name)  # sans, regular weight first


@functools.cache
def cjk_font_file(
    fontconfig: Callable[[], Iterable[str]] = lambda: fontconfig_paths(),
    check: Callable[[str], bool] = draws_distinct_glyphs,
) -> str | None:
    """The file of an installed font that draws Chinese, or None (looked up once per child
    process), for the chart (Pillow): the fonts fontconfig lists for Chinese, sans and regular
    weight first. Imports no matplotlib."""
    for path in sorted(fontconfig(), key=_preference):
        if check(path):
            log.info("font for Chinese: %s", path)
            return path
    log.warning(
        "no font with Chinese glyphs found (Debian: apt-get install fonts-noto-cjk); "
        "the chart uses English words"
    )
    return None
