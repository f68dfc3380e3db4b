"""Cells of the office's spreadsheets (CSV and XLSX), safe to open in Excel or WPS.

A resident's words end up in a cell. A cell whose text starts with = + - @ (or a tab or carriage
return, which spreadsheets strip before looking) is run as a formula when the file is opened:
``=HYPERLINK(...)`` in a ticket's description would be a link the clerk clicks, and a DDE formula
can start programs. So in CSV such a text is written with a leading apostrophe (spreadsheets
show it as text and hide the mark), and in XLSX the cell is typed as a string, which no
spreadsheet evaluates, with the text unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for one cell's text.
XLSX_CELL_LIMIT = 32_767
DATE_FORMAT = "yyyy-mm-dd hh:mm"
WIDEST_COLUMN = 60
Value = str | int | float | datetime | None


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_text(value: Value) -> str:
    """A value as a CSV field: dates as local wall time, numbers as they are, texts that a
    spreadsheet would run as a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return "'" + value if looks_like_formula(value) else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """UTF-8 with a byte order mark: Excel on a Chinese Windows reads a CSV without one as
    GBK and shows every Chinese word garbled."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def put(sheet: Worksheet, row: int, column: int, value: Value, number_format: str = "") -> None:
    """One XLSX cell: texts as string cells (never a formula), with the characters XML cannot
    hold (control characters a hostile text may carry) left out."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
        cell.data_type = "s"  # openpyxl would make "=…" a formula
        return
    if isinstance(value, datetime):
        # Excel has no time zones: the wall time of the community, as the CSV shows it.
        cell.value = value.replace(tzinfo=None)
        cell.number_format = DATE_FORMAT
        return
    cell.value = value
    if number_format:
        cell.number_format = number_format


def header_row(sheet: Worksheet, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, start=1):
        put(sheet, row, column, title)
        sheet.cell(row=row, column=column).font = Font(bold=True)
        sheet.cell(row=row, column=column).alignment = Alignment(wrap_text=True)


def fit_columns(sheet: Worksheet, *, from_row: int = 1) -> None:
    """Columns as wide as their longest text from ``from_row`` on (a CJK character counts
    twice), within reason."""
    longest: dict[int, int] = {}
    for cells in sheet.iter_rows(min_row=from_row):
        for column, cell in enumerate(cells, start=1):
            text = _shown(cell.value)
            size = max((_width(line) for line in text.splitlines()), default=0)
            longest[column] = max(longest.get(column, 0), size)
    for column, size in longest.items():
        width = min(WIDEST_COLUMN, max(6, size + 2))
        sheet.column_dimensions[get_column_letter(column)].width = width


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return "2026-01-01 00:00"
    return "" if value is None else str(value)


def _width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)
