"""The monthly report for the street office: for one calendar month of the community's time zone,
per building, per category and per building and category, the tickets reported and resolved,
响应率 / 解决率 / 满意率 and the median times, with a totals row.

Every figure comes from the digest's own queries (storage/repositories/stats.py ``counts`` and
``kpis``, called as DigestService.gather calls them, with the month as the window), so a rate in
this report and in the digest of the same period are one number: "new" is reported in the month,
"resolved" resolved in it, and the rates are over the tickets reported in the month (neither
merged nor withdrawn), response within the community's escalation threshold."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.cells import Value, fit_columns, header_row, put
from bot.i18n import Translations, Translator
from bot.services.cards import category_name
from bot.services.categories import categories_for, find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.scheduling import sla_of
from bot.services.sla import day_window
from storage.db import Database
from storage.repositories import CommunityRepository
from storage.repositories.documents import DocumentRepository
from storage.repositories.stats import Counts, Kpis, Scope, StatsRepository

PERCENT = "0%"
HOURS = "0.0"


@dataclass(frozen=True, slots=True)
class MonthLine:
    """One row: a building, a category, or a building's category ("" where not split)."""

    code: str
    building: str
    category: str
    counts: Counts
    kpis: Kpis


@dataclass(frozen=True, slots=True)
class MonthlyFigures:
    community: str
    month: date  # its first day
    timezone: str
    sla_hours: int  # "responded": taken within this many hours (the default threshold)
    buildings: Sequence[MonthLine]
    categories: Sequence[MonthLine]
    pairs: Sequence[MonthLine]
    total: MonthLine


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def fraction(part: int, whole: int) -> float | None:
    """A rate as a fraction (the digest's ``rate`` as text: round(100 × this) %)."""
    return part / whole if whole else None


def hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 1) if seconds is not None else None


class MonthlyReports:
    def __init__(self, db: Database, translations: Translations, clock: Clock) -> None:
        self.db = db
        self.translations = translations
        self.clock = clock

    async def figures(self, community_name: str, month: date, language: str) -> MonthlyFigures:
        t = self.translations.bind(language)
        month = month.replace(day=1)
        now = self.clock()
        async with self.db.session() as session:
            community = await CommunityRepository(session).by_name(community_name)
            if community is None:
                raise ServiceError("community-not-found", name=community_name)
            sla = sla_of(community)
            start = day_window(month, sla)[0]
            if start > now:  # before the month's end is reckoned: 9999-12 has no month after
                raise ServiceError("report-future", month=f"{month:%Y-%m}")
            end = day_window(next_month(month), sla)[0]
            # The digest's thresholds, exactly as DigestService.gather passes them.
            untaken = sla.escalation.untaken.total_seconds()
            untaken_by = {c: v.untaken.total_seconds() for c, v in sla.overrides.items()}
            stats = StatsRepository(session)

            async def line(scope: Scope, code: str, building: str, category: str) -> MonthLine:
                counts = await stats.counts(scope, start, end)
                kpis = await stats.kpis(scope, start, end, now, untaken, untaken_by)
                return MonthLine(code, building, category, counts, kpis)

            settings = community.settings or {}
            buildings = await DocumentRepository(session).buildings(community.id)
            pairs = await DocumentRepository(session).active_pairs(community.id, start, end)
            codes = [c.code for c in categories_for(settings)]
            codes += sorted({c for _, c in pairs} - set(codes))  # categories since removed

            def name(code: str) -> str:
                return category_name(t, find_category(settings, code), code)

            by_building = [
                await line(Scope(community.id, (b.id,)), b.code, b.name, "") for b in buildings
            ]
            by_category = [
                await line(Scope(community.id, categories=(c,)), "", "", name(c)) for c in codes
            ]
            active = set(pairs)
            by_pair = [
                await line(Scope(community.id, (b.id,), (c,)), b.code, b.name, name(c))
                for b in buildings
                for c in codes
                if (b.id, c) in active
            ]
            total = await line(Scope(community.id), "", t("report-total"), "")
        return MonthlyFigures(
            community=community.name,
            month=month,
            timezone=community.timezone,
            sla_hours=round(untaken / 3600),
            buildings=by_building,
            categories=by_category,
            pairs=by_pair,
            total=total,
        )


def monthly_xlsx(t: Translator, figures: MonthlyFigures) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    sheets = (
        ("report-sheet-buildings", figures.buildings, ("code", "building")),
        ("report-sheet-categories", figures.categories, ("category",)),
        ("report-sheet-pairs", figures.pairs, ("code", "building", "category")),
    )
    for title, lines, keys in sheets:
        _sheet(t, book.create_sheet(t(title)), figures, lines, keys)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER_ROW = 4


def _sheet(
    t: Translator,
    sheet: Worksheet,
    figures: MonthlyFigures,
    lines: Sequence[MonthLine],
    keys: Sequence[str],
) -> None:
    put(
        sheet,
        1,
        1,
        t("report-title", community=figures.community, month=f"{figures.month:%Y-%m}"),
    )
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    put(sheet, 2, 1, t("report-note", zone=figures.timezone, hours=str(figures.sla_hours)))
    header_row(sheet, HEADER_ROW, [t("report-col-" + k) for k in keys] + _figure_titles(t))
    for offset, line in enumerate(lines):
        _line(sheet, HEADER_ROW + 1 + offset, line, keys)
    total = HEADER_ROW + 1 + len(lines)
    _line(sheet, total, figures.total, keys, label=True)
    for cell in sheet[total]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=len(keys) + 1).coordinate
    fit_columns(sheet, from_row=HEADER_ROW)  # the title and note may run over


def _figure_titles(t: Translator) -> list[str]:
    names = ("new", "resolved", "reports", "response", "resolution", "satisfaction")
    return [t("report-col-" + n) for n in (*names, "median-take", "median-resolve")]


def _line(
    sheet: Worksheet, row: int, line: MonthLine, keys: Sequence[str], *, label: bool = False
) -> None:
    own = {"code": line.code, "building": line.building, "category": line.category}
    values: list[Value] = [own[k] for k in keys]
    if label:  # the totals row: its name in the first column
        values = [line.building, *[""] * (len(keys) - 1)]
    k = line.kpis
    for column, value in enumerate(values, start=1):
        put(sheet, row, column, value)
    figures: list[tuple[Value, str]] = [
        (line.counts.new, ""),
        (line.counts.resolved, ""),
        (k.reports, ""),
        (fraction(k.responded, k.due), PERCENT),
        (fraction(k.resolved, k.reports), PERCENT),
        (fraction(k.satisfied, k.rated), PERCENT),
        (hours(k.median_take), HOURS),
        (hours(k.median_resolve), HOURS),
    ]
    for column, (value, number_format) in enumerate(figures, start=len(keys) + 1):
        put(sheet, row, column, value, number_format)
