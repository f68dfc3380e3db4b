"""The stairwell posters as one printable PDF: an A4 page per building with the community's and
the building's names large, the QR code of the building's join link (vector, so it prints sharp
at any size) and three lines of how to use it. The chat's /joinlink poster (a PNG,
bot/services/poster.py) stays as it is; this is the office's print run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.documents.pdf import cjk_family, html_to_pdf, needs_cjk, render_html
from bot.i18n import Translator

STEPS = ("posters-step-1", "posters-step-2", "posters-step-3")
# The WeChat door's posters (a QR code of the Official Account's): scan, follow, write.
WECHAT_STEPS = ("wechat-poster-step-1", "wechat-poster-step-2", "wechat-poster-step-3")


@dataclass(frozen=True, slots=True)
class PosterPage:
    """One building's poster: the names printed and the link its QR code holds."""

    community: str
    building: str
    code: str
    link: str


@dataclass(frozen=True, slots=True)
class _Drawn:
    community: str
    heading: str
    code: str
    link: str
    qr: str


def qr_svg(link: str) -> str:
    # Error correction "M" survives a scuffed printout; a 4-module quiet zone is what phone
    # cameras expect (as the chat poster's QR code).
    import segno  # noqa: PLC0415 (only when a poster is made: tests/test_footprint.py)

    return str(segno.make(link, error="m").svg_data_uri(border=4, omitsize=True))


def _drawn(page: PosterPage, latin_only: bool) -> _Drawn:
    """Without a Chinese font, names that need one are left out; the code (Latin in every
    community seen so far) still tells the posters apart."""
    if not latin_only:
        return _Drawn(page.community, page.building, page.code, page.link, qr_svg(page.link))
    names = [n for n in (page.building, page.code) if n and not needs_cjk(n)]
    heading = names[0] if names else ""
    community = "" if needs_cjk(page.community) else page.community
    code = page.code if page.code != heading and not needs_cjk(page.code) else ""
    return _Drawn(community, heading, code, page.link, qr_svg(page.link))


def posters_pdf(
    t: Translator,
    english: Translator,
    pages: Sequence[PosterPage],
    *,
    font: str | None | Literal["auto"] = "auto",
    steps: Sequence[str] = STEPS,
) -> bytes:
    """One A4 page per poster, in ``t``'s language; in ``english`` (and Latin names) when no
    font can draw Chinese (``font`` None; "auto" asks fontconfig). ``steps``: the keys of the
    how-to lines (the Telegram door's; the WeChat door has its own)."""
    family = cjk_family() if font == "auto" else font
    words = t if family is not None else english
    html = render_html(
        "posters.html",
        lang=words.language,
        title=words("posters-title"),
        font=family,
        pages=[_drawn(page, family is None) for page in pages],
        steps=[words(step) for step in steps],
    )
    return html_to_pdf(html)
