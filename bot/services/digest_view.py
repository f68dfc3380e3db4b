"""The digest and the weekly summary as text, in one reader's language. Pure: figures in,
text and abstract buttons out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.chart import ChartLabels
from bot.i18n import Translator
from bot.services.cards import age, category_label
from bot.services.categories import find_category
from bot.services.departments import name_in
from bot.services.estates import EstateTable, spark
from bot.services.scheduling import MAX_LISTED, Buttons, open_buttons
from storage.repositories.stats import (
    BuildingLine,
    Counts,
    Coverage,
    Kpis,
    Leader,
    Overdue,
    Recurring,
    Unreachable,
)

MEDALS = ("🥇", "🥈", "🥉")
JOIN_LINES = 10
# Every estate of a community gets its line (40 of them fit in one message with the rest of
# a day's digest, tests/test_estates.py); long names are cut.
ESTATE_LINES = 60
ESTATE_NAME = 10
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class WaitingOrder:
    reference: str
    number: int  # the ticket's
    department: Mapping[str, str]  # names by language
    code: str
    days: int


@dataclass(frozen=True, slots=True)
class DigestData:
    community: str
    settings: Mapping[str, Any]
    buildings: Sequence[str] | None  # the scope's buildings, None for the whole community
    day: date
    now: datetime
    counts: Counts
    open: int
    overdue_total: int
    overdue: Sequence[Overdue]
    active_buildings: int
    building_lines: Sequence[BuildingLine]
    kpi_days: int
    sla_hours: int
    kpis: Kpis
    coverage: Coverage
    recurring_days: int
    recurring_threshold: int
    recurring: Sequence[Recurring]
    unreachable: Sequence[Unreachable]
    leaders: Sequence[Leader]
    # Join requests waiting for approval: (building, count), most first (join_policy).
    join_requests: Sequence[tuple[str, int]] = ()
    # Work orders (the whistle) waiting for their department past whistle_reminder_days.
    whistle_overdue: Sequence[WaitingOrder] = ()
    # Coverage over the last weeks (bot/services/serving.py counts them): (Monday, buildings,
    # with a head), oldest first; the whole community's digest only.
    coverage_weeks: Sequence[tuple[date, int, int]] = ()
    # The same per estate (bot/services/estates.py); None while no building has an estate.
    estates: EstateTable | None = None
    chart_days: Sequence[date] = field(default_factory=list)
    chart_new: Sequence[int] = field(default_factory=list)
    chart_resolved: Sequence[int] = field(default_factory=list)
    # Today's digest so far: the local time its figures run to ("14:05"); None for a whole day.
    until: str | None = None
    # The points bank this month up to the digest's day: (issued, redeemed), community-wide.
    points: tuple[int, int] | None = None
    # The digest of 31 December: the year's ranking of heads and volunteers is ready.
    ranking_year: int | None = None


def rate(part: int, whole: int) -> str | None:
    return f"{round(100 * part / whole)}%" if whole else None


def duration(t: Translator, seconds: float | None) -> str:
    if seconds is None:
        return t("digest-none")
    if seconds < 3600:
        return t("duration-minutes", value=str(max(1, round(seconds / 60))))
    if seconds < 48 * 3600:
        return t("duration-hours", value=_one_decimal(seconds / 3600))
    return t("duration-days", value=_one_decimal(seconds / 86400))


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _date(t: Translator, day: date) -> str:
    return t(
        "digest-date",
        month=str(day.month),
        day=str(day.day),
        weekday=t("weekday-" + WEEKDAY_KEYS[day.weekday()]),
    )


def _more(t: Translator, lines: list[str], total: int, shown: int) -> None:
    if total > shown:
        lines.append(t("digest-more", count=total - shown))


def render_digest(t: Translator, data: DigestData) -> tuple[str, Buttons]:
    counts, kpis = data.counts, data.kpis
    day = {
        "new": str(counts.new),
        "taken": str(counts.taken),
        "resolved": str(counts.resolved),
        "closed": str(counts.closed),
    }
    if data.until is None:
        lines = [t("digest-title", community=data.community, date=_date(t, data.day))]
        that_day = t("digest-yesterday", **day)
    else:
        lines = [
            t(
                "digest-title-partial",
                community=data.community,
                date=_date(t, data.day),
                time=data.until,
            )
        ]
        that_day = t("digest-today-so-far", time=data.until, **day)
    if data.buildings is not None:
        lines.append(t("digest-scope", buildings="、".join(data.buildings[:10])))
    lines += [
        "",
        that_day,
        t("digest-open", open=str(data.open), overdue=str(data.overdue_total)),
    ]
    for item in data.overdue:
        category = find_category(data.settings, item.category)
        lines.append(
            t(
                "digest-overdue-line",
                number=item.number,
                category=category_label(t, category, item.category),
                building=item.building,
                age=age(t, item.since, data.now),
            )
        )
    _more(t, lines, data.overdue_total, len(data.overdue))
    if data.building_lines:
        lines += ["", t("digest-buildings")]
        for b in data.building_lines:
            lines.append(
                t(
                    "digest-building-line",
                    building=b.name,
                    new=str(b.new),
                    taken=str(b.taken),
                    resolved=str(b.resolved),
                    open=str(b.open),
                )
            )
        _more(t, lines, data.active_buildings, len(data.building_lines))
    none = t("digest-none")
    lines += [
        "",
        t("digest-kpi-title", days=str(data.kpi_days), reports=str(kpis.reports)),
        t(
            "digest-kpi-response",
            rate=rate(kpis.responded, kpis.due) or none,
            hours=str(data.sla_hours),
            part=str(kpis.responded),
            whole=str(kpis.due),
        ),
        t(
            "digest-kpi-resolution",
            rate=rate(kpis.resolved, kpis.reports) or none,
            part=str(kpis.resolved),
            whole=str(kpis.reports),
        ),
        t(
            "digest-kpi-satisfaction",
            rate=rate(kpis.satisfied, kpis.rated) or none,
            part=str(kpis.satisfied),
            whole=str(kpis.rated),
        ),
        t(
            "digest-kpi-times",
            take=duration(t, kpis.median_take),
            resolve=duration(t, kpis.median_resolve),
        ),
        "",
        t(
            "digest-coverage",
            covered=str(data.coverage.with_head),
            total=str(data.coverage.buildings),
        ),
    ]
    missing = data.coverage.buildings - data.coverage.with_head
    if missing:
        names = "、".join(data.coverage.without)
        if missing > len(data.coverage.without):
            names += t("digest-and-more", count=missing - len(data.coverage.without))
        lines.append(t("digest-coverage-missing", names=names))
    if len(data.coverage_weeks) > 1:
        weeks = " · ".join(
            f"{monday:%m-%d} {covered}/{total}" for monday, total, covered in data.coverage_weeks
        )
        lines.append(t("digest-coverage-weeks", weeks=weeks))
    if data.estates is not None:
        lines += _estate_lines(t, data.estates)
    if data.join_requests:
        shown = data.join_requests[:JOIN_LINES]
        names = "、".join(f"{name} {count}" for name, count in shown)
        if len(data.join_requests) > len(shown):
            names += t("digest-and-more", count=len(data.join_requests) - len(shown))
        lines.append(t("digest-joins", buildings=names))
    if data.whistle_overdue:
        lines += ["", t("digest-whistle-title", count=len(data.whistle_overdue))]
        for order in data.whistle_overdue:
            lines.append(
                t(
                    "digest-whistle-line",
                    reference=order.reference,
                    number=order.number,
                    department=name_in(order.department, t.language, order.code),
                    days=order.days,
                )
            )
    lines += [
        "",
        t(
            "digest-recurring-title",
            days=str(data.recurring_days),
            threshold=str(data.recurring_threshold),
        ),
    ]
    for r in data.recurring:
        category = find_category(data.settings, r.category)
        lines.append(
            t(
                "digest-recurring-line",
                building=r.building,
                category=category_label(t, category, r.category),
                count=r.reports,
            )
        )
    if not data.recurring:
        lines.append(none)
    if data.unreachable:
        lines += ["", t("digest-unreachable-title")]
        for u in data.unreachable:
            lines.append(
                t("digest-unreachable-line", name=u.name, role=t("role-name", role=u.role))
            )
    lines += ["", t("digest-leaders-title", days=str(data.kpi_days))]
    for place, leader in enumerate(data.leaders):
        rating = (
            t("digest-rating", rating=_one_decimal(leader.rating), count=leader.ratings)
            if leader.rating is not None
            else t("digest-no-rating")
        )
        lines.append(
            t(
                "digest-leader-line",
                medal=MEDALS[place] if place < len(MEDALS) else "·",
                name=leader.name,
                count=leader.resolved,
                time=duration(t, leader.median_resolve),
                rating=rating,
            )
        )
    if not data.leaders:
        lines.append(none)
    if data.points is not None:
        issued, redeemed = data.points
        month = f"{data.day:%Y-%m}"
        lines += ["", t("digest-points", month=month, issued=issued, redeemed=redeemed)]
    if data.ranking_year is not None:
        lines.append(t("digest-ranking-ready", year=str(data.ranking_year)))
    # Longer than a message (long names in many lines): the outbox writer and /digest send it
    # in several, the buttons under the last (bot.text.message_parts).
    text = "\n".join(lines)
    buttons = open_buttons(t, [(o.ticket_id, o.number) for o in data.overdue[:MAX_LISTED]])
    return text, buttons


def _estate_lines(t: Translator, table: EstateTable) -> list[str]:
    """One compact line per estate: this week's count and one mark a week (▁ none … █ all)."""
    lines = [t("digest-estates-title", weeks=len(table.weeks))]
    for estate in table.estates[:ESTATE_LINES]:
        name = estate.name or t("digest-estate-none")
        if len(name) > ESTATE_NAME:
            name = name[: ESTATE_NAME - 1] + "…"
        buildings, with_head = estate.now
        change = f" {estate.change:+d}" if estate.change else ""
        lines.append(
            t(
                "digest-estate-line",
                estate=name,
                covered=str(with_head),
                total=str(buildings),
                trend=spark(estate.counts) + change,
            )
        )
    _more(t, lines, len(table.estates), min(len(table.estates), ESTATE_LINES))
    return lines


def chart_labels(t: Translator, english: Translator) -> tuple[ChartLabels, ChartLabels]:
    """The reader's labels, and English ones for a machine without a Chinese font."""

    def labels(tr: Translator) -> ChartLabels:
        return ChartLabels(
            title=tr("digest-chart-title"),
            new=tr("digest-chart-new"),
            resolved=tr("digest-chart-resolved"),
            needs_cjk=tr.language.startswith("zh"),
        )

    return labels(t), labels(english)


@dataclass(frozen=True, slots=True)
class WeeklyData:
    first: date  # the week's first and last local day
    last: date
    open_total: int
    open: Sequence[Overdue]  # the oldest open tickets of the head's buildings
    resolved: int
    rating: float | None
    ratings: int
    settings: Mapping[str, Any]
    now: datetime


def render_weekly(t: Translator, data: WeeklyData) -> tuple[str, Buttons]:
    lines = [
        t("weekly-title", first=_date(t, data.first), last=_date(t, data.last)),
        "",
        t("weekly-open", count=data.open_total),
    ]
    for item in data.open:
        category = find_category(data.settings, item.category)
        lines.append(
            t(
                "digest-overdue-line",
                number=item.number,
                category=category_label(t, category, item.category),
                building=item.building,
                age=age(t, item.since, data.now),
            )
        )
    _more(t, lines, data.open_total, len(data.open))
    lines.append(t("weekly-resolved", count=data.resolved))
    if data.rating is not None:
        lines.append(t("weekly-rating", rating=_one_decimal(data.rating), count=data.ratings))
    lines += ["", t("weekly-thanks")]
    buttons = open_buttons(t, [(o.ticket_id, o.number) for o in data.open])
    return "\n".join(lines), buttons
