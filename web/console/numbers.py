"""/console/numbers: the digest's KPIs for a period and an area the viewer covers, in total, per
building, per category and per head (bot/services/numbers.py: the digest's own functions). The
figures are a table first (no JavaScript needed) and the same figures as a JSON block that
web/static/numbers.js draws as bar charts (the CSP allows no inline script)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aiohttp import web

from bot.i18n import Translator
from bot.services.cards import category_name
from bot.services.digest_view import duration, rate
from bot.services.errors import ServiceError
from bot.services.estates import EstateTable, spark
from bot.services.numbers import Numbers
from bot.services.sla import reckonable
from storage.repositories.stats import Kpis
from web.console.guard import CONSOLE, console_viewer, render_console
from web.console.refusal import refusal
from web.pages import TRANSLATIONS, visitor_language


async def numbers_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    service = request.app[CONSOLE].services.numbers
    language = viewer.language or visitor_language(request)
    t = request.app[TRANSLATIONS].bind(language)
    try:
        first = _day(request.query.get("from"))
        last = _day(request.query.get("to"))
        found = await service.numbers(
            viewer.coverage, request.query.get("area") or None, first, last
        )
    except ServiceError as error:
        return refusal(request, viewer, error, "numbers")
    areas = await service.areas(viewer.coverage)
    context = {
        "section": "numbers",
        "areas": areas,
        "n": found,
        "total": figures(t, found.total),
        "buildings": [(b.code + " " + b.name, figures(t, k)) for b, k in found.buildings],
        "categories": [
            (category_name(t, c, code), figures(t, k)) for code, c, k in found.categories
        ],
        "heads": [
            {
                "name": h.name,
                "resolved": h.resolved,
                "median_resolve": duration(t, h.median_resolve),
                "rating": f"{h.rating:.1f}" if h.rating is not None else "—",
                "ratings": h.ratings,
            }
            for h in found.heads
        ],
        "chart_json": _chart_json(t, found),
        "estates": _estates(t, found.estates),
        # The street office's monthly report: of a community the viewer coordinates as a whole.
        "may_report": viewer.coverage.admin
        or found.area.community.id in viewer.coverage.community_ids,
        "report_month": f"{found.last:%Y-%m}",
    }
    return render_console(request, viewer, "console/numbers.html", context)


def figures(t: Translator, k: Kpis) -> dict[str, Any]:
    """One line of the table, worded as the digest words it."""
    return {
        "reports": k.reports,
        "response": rate(k.responded, k.due) or "—",
        "response_of": f"{k.responded}/{k.due}",
        "resolution": rate(k.resolved, k.reports) or "—",
        "resolution_of": f"{k.resolved}/{k.reports}",
        "satisfaction": rate(k.satisfied, k.rated) or "—",
        "satisfaction_of": f"{k.satisfied}/{k.rated}",
        "median_take": duration(t, k.median_take),
        "median_resolve": duration(t, k.median_resolve),
    }


def _estates(t: Translator, table: EstateTable | None) -> dict[str, Any] | None:
    """The digest's coverage per estate as a table: a column a week, this week last."""
    if table is None:
        return None
    return {
        "weeks": [f"{week:%m-%d}" for week in table.weeks],
        "rows": [
            {
                "name": e.name or t("digest-estate-none"),
                "weeks": [f"{c[1]}/{c[0]}" if c is not None else "—" for c in e.counts],
                "now": rate(e.now[1], e.now[0]) or "—",
                "trend": spark(e.counts),
            }
            for e in table.estates
        ],
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _raw(k: Kpis) -> dict[str, Any]:
    return {
        "reports": k.reports,
        "due": k.due,
        "responded": k.responded,
        "resolved": k.resolved,
        "rated": k.rated,
        "satisfied": k.satisfied,
        "response": _percent(k.responded, k.due),
        "resolution": _percent(k.resolved, k.reports),
        "satisfaction": _percent(k.satisfied, k.rated),
        "median_take": k.median_take,
        "median_resolve": k.median_resolve,
    }


def _chart_json(t: Translator, found: Numbers) -> str:
    """The figures the charts are drawn from; ``<`` escaped so no text can end the block."""
    data = {
        "labels": {
            "response": t("numbers-response"),
            "resolution": t("numbers-resolution"),
            "satisfaction": t("numbers-satisfaction"),
            "buildings": t("numbers-per-building"),
            "categories": t("numbers-per-category"),
            "heads": t("numbers-per-head"),
            "resolved": t("numbers-resolved"),
        },
        "total": _raw(found.total),
        "buildings": [{"name": f"{b.code} {b.name}", **_raw(k)} for b, k in found.buildings],
        "categories": [
            {"name": category_name(t, c, code), **_raw(k)} for code, c, k in found.categories
        ],
        "heads": [{"name": h.name, "resolved": h.resolved} for h in found.heads],
    }
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def _day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise ServiceError("numbers-bad-date", value=raw[:20]) from None
    if not reckonable(day):
        raise ServiceError("numbers-bad-date", value=raw[:20])
    return day


def routes(app: web.Application) -> None:
    app.router.add_get("/console/numbers", numbers_page)
