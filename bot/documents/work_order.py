"""The work order of the whistle (吹哨): what a problem the community cannot fix is sent to an
outside department with (the street office, the 12345 hotline, a utility). One printable A4 page
(``work_order_pdf``) and the same facts as a spreadsheet (``work_order_xlsx``), from a
``WorkOrderSheet`` the whistle fills in: the reporter as the ticket's consent allows
(bot/services/cards.py ``consented_reporter``), photos as image bytes (scaled in here; one
that cannot be read is left out and said so)."""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font
from PIL import Image, UnidentifiedImageError

from bot.documents.cells import put
from bot.documents.pdf import cjk_family, layout, render_html
from bot.documents.sheet import WorkOrderSheet
from bot.i18n import Translations, Translator
from bot.text import cut

# The longest side of a photo in the documents, in pixels: sharp at print size, not megabytes.
PHOTO_PIXELS = 1600
TEXT_WIDTH_MM = 180
# Tried in order until the sheet fits one page: (photo scale, description cut in characters).
FITS = ((1.0, None), (0.7, None), (0.45, None), (0.45, 1500), (0.3, 800), (0.3, 400))
XLSX_PHOTO_PIXELS = 480


def prepared_photos(photos: Sequence[bytes]) -> tuple[list[bytes], int]:
    """Each photo as a JPEG of at most PHOTO_PIXELS a side, and how many could not be read
    (not an image, truncated, or a decompression bomb)."""
    ready: list[bytes] = []
    unreadable = 0
    for data in photos:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    image.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
                    buffer = io.BytesIO()
                    image.convert("RGB").save(buffer, "JPEG", quality=85)
        except (
            OSError,
            ValueError,
            SyntaxError,
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            unreadable += 1
            continue
        ready.append(buffer.getvalue())
    return ready, unreadable


def _facts(t: Translator, sheet: WorkOrderSheet) -> list[tuple[str, str]]:
    zone = ZoneInfo(sheet.timezone)

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    facts = [
        (t("work-order-department"), sheet.department),
        (t("work-order-community"), sheet.community),
        (t("work-order-building"), sheet.building),
        (t("work-order-category"), sheet.category),
        (t("work-order-created"), when(sheet.created_at)),
        (t("work-order-forwarded"), when(sheet.forwarded_at)),
        (t("work-order-reporter"), sheet.reporter),
        (t("work-order-coordinator"), sheet.coordinator),
    ]
    if sheet.location:
        facts.append((t("work-order-location"), sheet.location))
    if sheet.latitude is not None and sheet.longitude is not None:
        facts.append((t("work-order-coordinates"), f"{sheet.latitude:.6f}, {sheet.longitude:.6f}"))
    return facts


def _translator(
    sheet: WorkOrderSheet, translations: Translations | None, language: str | None = None
) -> Translator:
    return (translations or Translations()).bind(language or sheet.language)


def work_order_pdf(
    sheet: WorkOrderSheet,
    translations: Translations | None = None,
    *,
    font: str | None | Literal["auto"] = "auto",
) -> bytes:
    """One A4 page: the facts in a table, the photos scaled in beneath. A long description or
    many photos make the photos smaller, then cut the description (the XLSX has it whole)."""
    family = cjk_family() if font == "auto" else font
    # Without a font for Chinese, the labels at least are readable; the texts are as written.
    t = _translator(sheet, translations, "en" if family is None else None)
    photos, unreadable = prepared_photos(sheet.photos)
    uris = ["data:image/jpeg;base64," + base64.b64encode(p).decode("ascii") for p in photos]
    per_row = 1 if len(uris) <= 1 else 2 if len(uris) <= 4 else 3
    width = (TEXT_WIDTH_MM - 3 * per_row) / per_row
    document = None
    for scale, limit in FITS:
        description = cut(sheet.description, limit) if limit else sheet.description
        html = render_html(
            "work_order.html",
            lang=t.language,
            title=t("work-order-title", reference=sheet.reference),
            font=family,
            facts=_facts(t, sheet),
            description_title=t("work-order-description"),
            description=description,
            photos_title=t("work-order-photos"),
            photos=uris,
            photo_width=f"{width * scale:.1f}",
            photo_height=f"{width * 0.75 * scale:.1f}",
            no_photos=t("work-order-no-photos"),
            unreadable=t("work-order-photo-unreadable") if unreadable else "",
            footer=t("work-order-footer", reference=sheet.reference),
        )
        document = layout(html)
        if len(document.pages) == 1:
            break
    assert document is not None
    return document.write_pdf()


def work_order_xlsx(sheet: WorkOrderSheet, translations: Translations | None = None) -> bytes:
    """The same facts, label and value a row, the whole description, the photos below."""
    t = _translator(sheet, translations)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = t("work-order-sheet")
    put(ws, 1, 1, t("work-order-title", reference=sheet.reference))
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    row = 2
    facts = [*_facts(t, sheet), (t("work-order-description"), sheet.description)]
    for row, (label, value) in enumerate(facts, start=3):
        put(ws, row, 1, label)
        put(ws, row, 2, value)
        ws.cell(row=row, column=1).font = Font(bold=True)
        ws.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 80
    photos, unreadable = prepared_photos(sheet.photos)
    row += 2
    put(ws, row, 1, t("work-order-photos"))
    ws.cell(row=row, column=1).font = Font(bold=True)
    if unreadable:
        put(ws, row, 2, t("work-order-photo-unreadable"))
    elif not photos:
        put(ws, row, 2, t("work-order-no-photos"))
    for photo in photos:
        row += 1
        image = SheetImage(io.BytesIO(photo))
        ratio = XLSX_PHOTO_PIXELS / max(image.width, image.height)
        image.width, image.height = int(image.width * ratio), int(image.height * ratio)
        ws.add_image(image, f"B{row}")
        ws.row_dimensions[row].height = image.height * 0.75 + 6  # points
    put(ws, row + 2, 1, t("work-order-footer", reference=sheet.reference))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
