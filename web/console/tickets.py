"""/console/tickets: the tickets the viewer covers, filtered by GET parameters (a bookmarkable
URL; bot/services/ticket_query.py's TicketQuery reads and writes them), ordered by creation
(newest or oldest first), last change, building or status (the column headings are links), a
page at a time from a keyset cursor (``after``, and ``before`` for the previous page). With
htmx, a filter change swaps only the table; without JavaScript the form submits and the whole
page comes back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.i18n import Translator
from bot.services.cards import category_name, local_time, reporter_name
from bot.services.ticket_query import SORTS, ResultPage, Row, TicketQuery
from bot.text import clip
from storage.models import TicketStatus
from web.console.guard import CONSOLE, console_viewer, is_htmx, render_console
from web.pages import TRANSLATIONS, visitor_language

PREVIEW = 80  # characters of the description in the list


async def tickets_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    query = TicketQuery.from_params(list(request.query.items()))
    found = await request.app[CONSOLE].services.ticket_search.page(
        viewer.coverage, query, request.query.get("after"), before=request.query.get("before")
    )
    language = viewer.language or visitor_language(request)
    t = request.app[TRANSLATIONS].bind(language)
    context = _context(t, query, found)
    area = await request.app[CONSOLE].services.console_exports.export_coverage(viewer.person_id)
    context["may_export"] = area is not None
    # A coordinator who also heads a building outside their area: its tickets are listed here
    # but not downloadable (downloads are a coordinator's, for their area).
    context["export_area_only"] = (
        area is not None
        and not area.admin
        and not viewer.coverage.building_ids <= area.building_ids
    )
    template = "console/tickets_table.html" if is_htmx(request) else "console/tickets.html"
    return render_console(request, viewer, template, context)


def _context(t: Translator, query: TicketQuery, found: ResultPage) -> dict[str, Any]:
    params = query.to_params()
    next_url = prev_url = None
    if found.next_cursor:
        next_url = "/console/tickets?" + urlencode([*params, ("after", found.next_cursor)])
    if found.prev_cursor:
        prev_url = "/console/tickets?" + urlencode([*params, ("before", found.prev_cursor)])
    # A column's heading orders the list by it (the other filters kept, from the first page).
    unsorted = [(k, v) for k, v in params if k != "sort"]
    sort_urls = {
        sort: "/console/tickets?" + urlencode([*unsorted, ("sort", sort)]) for sort in SORTS
    }
    return {
        "section": "tickets",
        "query": query,
        "rows": [_row(t, row, found) for row in found.rows],
        "next_url": next_url,
        "prev_url": prev_url,
        "sorts": SORTS,
        "sort_urls": sort_urls,
        "first_url": "/console/tickets?" + urlencode(params),
        "export_query": urlencode(params),
        "statuses": list(TicketStatus),
        "buildings": found.buildings,
        "categories": [(code, category_name(t, c, code)) for code, c in found.categories.items()],
    }


def _row(t: Translator, row: Row, found: ResultPage) -> dict[str, Any]:
    ticket = row.found.ticket
    description = ticket.description or ""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "created": local_time(ticket.created_at, row.community),
        "updated": local_time(ticket.updated_at, row.community),
        "building": row.found.building,
        "category": category_name(t, found.categories.get(ticket.category), ticket.category),
        "status": ticket.status.value,
        "urgent": ticket.urgent,
        "escalated": ticket.escalated,
        "overdue": row.overdue,
        # As the ticket's consent allows, exactly as the cards name the reporter.
        "reporter": reporter_name(t, ticket, row.found.author),
        "description": clip(description, PREVIEW) + ("…" if len(description) > PREVIEW else ""),
    }


def routes(app: web.Application) -> None:
    app.router.add_get("/console/tickets", tickets_page)
