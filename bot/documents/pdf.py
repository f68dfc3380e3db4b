"""Printable pages: HTML templates (bot/documents/templates, Jinja with autoescaping, so a
resident's words are never markup) rendered to PDF by WeasyPrint.

WeasyPrint rather than reportlab: Debian's Chinese font (fonts-noto-cjk) is OpenType with CFF
outlines in a collection (NotoSansCJK-*.ttc), which reportlab cannot embed; its built-in
STSong-Light is not embedded at all, so a print shop or a reader without Adobe's font pack
prints boxes. WeasyPrint (Pango and HarfBuzz) embeds a subset of that very font, and the text
stays searchable and copyable in the PDF.

Which font draws Chinese is asked of fontconfig at run time (the one WeasyPrint uses); without
one, the documents are drawn in English words and Latin names only, still valid and printable.
Rendering is synchronous and takes a CPU for a while (about 0.1 s a page): an async caller runs
it in a thread (``asyncio.to_thread``)."""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.fonts import CJK_FAMILIES

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger("bot.documents")

TEMPLATES = Path(__file__).parent / "templates"


class PdfUnavailable(Exception):
    """WeasyPrint cannot run here (its system libraries, Pango, are missing)."""


@functools.cache
def _templates() -> Environment:
    # jinja2 when a document is first made, not in every process at start (tests/test_footprint.py).
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape  # noqa: PLC0415

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fontconfig_families() -> list[str]:
    """The families fontconfig says draw Chinese (fontconfig checks a font's coverage of the
    language's characters, so a placeholder font is not among them)."""
    if shutil.which("fc-list") is None:
        return []
    try:
        listing = subprocess.run(  # noqa: S603 (a fixed command, no user input)
            ["fc-list", ":lang=zh", "family"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(",")[0].strip() for line in listing.splitlines() if line.strip()})


def pick_family(families: Sequence[str]) -> str | None:
    """The preferred sans-serif family among ``families`` (then any that is not monospaced)."""
    for family in CJK_FAMILIES:
        if family in families:
            return family
    usable = [f for f in families if "mono" not in f.lower()]
    return usable[0] if usable else (families[0] if families else None)


@functools.cache
def cjk_family() -> str | None:
    """The family of an installed font that draws Chinese, or None (asked once per process)."""
    family = pick_family(fontconfig_families())
    if family is None:
        log.warning(
            "no font with Chinese glyphs found (Debian: apt-get install fonts-noto-cjk); "
            "printable documents use English words"
        )
    return family


def needs_cjk(text: str) -> bool:
    """Characters a Latin font cannot draw: CJK and every script after it in Unicode."""
    return any(ord(ch) >= 0x2E80 for ch in text)


def render_html(template: str, **context: Any) -> str:
    return _templates().get_template(template).render(**context)


class Rendered(Protocol):
    """A laid-out document (WeasyPrint's): its pages, and its PDF."""

    @property
    def pages(self) -> Sequence[object]: ...

    def write_pdf(self) -> bytes: ...


def layout(html: str) -> Rendered:
    """``html`` laid out in pages. Nothing is fetched: images come as data: URIs, and any other
    reference (a link a resident typed is text, never markup, but to be sure) is refused."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as error:  # the shared libraries it loads with cffi
        raise PdfUnavailable(f"WeasyPrint cannot load its libraries: {error}") from None
    fetcher = URLFetcher(allowed_protocols=("data",))
    document: Rendered = HTML(string=html, url_fetcher=fetcher).render()
    return document


def html_to_pdf(html: str) -> bytes:
    return layout(html).write_pdf()
