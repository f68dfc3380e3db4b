"""A building vote's sheet for the street office's paper file, as CSV or XLSX (the CLI's
``export-vote`` and the console's download): the question, the rule, each threshold against its
figure, the tally per option and every flat with its area and whether it took part, with a column
for the owner's signature; never what a flat chose. openpyxl is imported at the first XLSX."""

from __future__ import annotations

import io
from typing import Any

from bot.i18n import Translator


def export_table(
    t: Translator, vote: Any, building: Any, figures: dict[str, Any], flats: list[Any]
) -> list[list[str]]:
    from bot.services.vote_view import area, labels, rule_line, share

    rows: list[list[str]] = [
        [t("vote-export-building"), f"{building.code} {building.name}"],
        [t("vote-export-question"), vote.question],
        [t("vote-export-rule"), rule_line(t, vote)],
        [t("vote-export-deadline"), f"{vote.deadline:%Y-%m-%d %H:%M} UTC"],
        [
            t("vote-export-outcome"),
            t("vote-passed", option=labels(t, vote)[figures["winner"]])
            if figures["passed"]
            else t("vote-not-passed"),
        ],
        [],
    ]
    for item in figures["thresholds"]:
        key = item["key"]
        shown = area if key.endswith("-area") else str
        rows.append(
            [
                t(f"vote-{key}"),
                shown(item["figure"]),
                shown(item["total"]),
                share(item["figure"], item["total"]),
                ("> " if item["strict"] else "≥ ") + item["need"],
                t("vote-met" if item["met"] else "vote-not-met"),
            ]
        )
    rows.append([])
    for option, tally in zip(labels(t, vote), figures["tallies"], strict=True):
        rows.append([option, str(tally["owners"]), area(tally["area"])])
    rows.append([])
    rows.append(
        [
            t("vote-export-flat"),
            t("vote-export-area"),
            t("vote-export-took-part"),
            t("vote-export-signature"),
        ]
    )
    for code, flat_area, voted in flats:
        rows.append([code, f"{flat_area:.2f}", t("vote-yes-mark" if voted else "vote-no-mark"), ""])
    return rows


def to_csv(table: list[list[str]]) -> bytes:
    from bot.documents.cells import csv_bytes  # openpyxl with it: only for an export

    return csv_bytes(table[0], table[1:])


def to_xlsx(table: list[list[str]]) -> bytes:
    """Cells typed as strings (bot/documents/cells.py): a question written as "=…" is text."""
    from openpyxl import Workbook

    from bot.documents.cells import put

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row_number, row in enumerate(table, start=1):
        for column, value in enumerate(row, start=1):
            put(sheet, row_number, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def vote_file(
    t: Translator, vote: Any, building: Any, figures: dict[str, Any], flats: list[Any], kind: str
) -> bytes:
    """The sheet as ``kind`` ("csv" or "xlsx"): what the console's download sends."""
    table = export_table(t, vote, building, figures, flats)
    return to_xlsx(table) if kind == "xlsx" else to_csv(table)
