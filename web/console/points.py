"""/console/points: the points bank at the office's desk (the coordinators of a whole community,
and the admins). The year-end ranking of heads and volunteers (points earned, confirmed fixes,
service hours, satisfaction) to choose the "excellent heads" (优秀楼长), downloadable as CSV or
XLSX; and the catalogue (add an item, change its stock or price, withdraw or offer it again),
each change a CSRF-guarded POST that redirects back (post/redirect/get)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from aiohttp import web

from bot.services.errors import ServiceError
from bot.services.points_ranking import Ranking, ranking_file, ranking_rows
from bot.services.points_view import item_line
from bot.services.ticket_core import ONCE_LIMIT
from web.console.exports import TYPES
from web.console.guard import CONSOLE, console_viewer, render_console
from web.console.refusal import form_int, refusal
from web.console.viewer import Viewer
from web.pages import TRANSLATIONS, visitor_language


async def _ranking(request: web.Request, viewer: Viewer) -> Ranking:
    raw_community = request.query.get("community")
    raw_year = request.query.get("year")
    community_id = form_int(raw_community) if raw_community else None
    year = None
    if raw_year:
        if not (raw_year.isascii() and raw_year.isdigit() and len(raw_year) == 4):
            raise ServiceError("points-bad-year", year=raw_year[:10])
        year = int(raw_year)
    try:
        return await request.app[CONSOLE].services.ranking.ranking(
            viewer.coverage, community_id, year
        )
    except ServiceError as error:
        if error.key == "points-bad-year" and raw_year:  # the year as typed: "0000", not "0"
            raise ServiceError("points-bad-year", year=raw_year) from error
        raise


async def points_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    services = request.app[CONSOLE].services
    t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
    try:
        ranking = await _ranking(request, viewer)
        items = await services.catalogue.catalogue(viewer.coverage, ranking.community.id)
    except ServiceError as error:
        return refusal(request, viewer, error, "points")
    headers, rows = ranking_rows(t, ranking)
    context: dict[str, Any] = {
        "section": "points",
        "ranking": ranking,
        "communities": await services.ranking.communities(viewer.coverage),
        "headers": headers,
        "rows": rows,
        "items": [(i, item_line(t, i)) for i in items],
        "saved": request.query.get("saved"),
        # The add form's one-time key: that form posted twice adds its item once.
        "once": secrets.token_urlsafe(12),
    }
    return render_console(request, viewer, "console/points.html", context)


async def ranking_download(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    kind = request.match_info["kind"]
    t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
    try:
        ranking = await _ranking(request, viewer)
    except ServiceError as error:
        return refusal(request, viewer, error, "points")
    # openpyxl is imported and the file written in a thread: the bot keeps answering.
    body = await asyncio.to_thread(ranking_file, t, ranking, kind)
    return _download(body, kind, f"ranking-{ranking.year}")


def _download(body: bytes, kind: str, name: str) -> web.Response:
    response = web.Response(body=body, content_type=TYPES[kind].split(";")[0])
    response.headers["Content-Type"] = TYPES[kind]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _number(value: object) -> int:
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise ServiceError("points-catalogue-number")
    return int(text)


async def catalogue_change(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    office = request.app[CONSOLE].services.catalogue
    form = await request.post()
    action = str(form.get("action", ""))
    try:
        community_id = form_int(form.get("community"))
        if action == "add":
            await office.add_item(
                viewer.coverage,
                community_id,
                str(form.get("name", "")),
                _number(form.get("price")),
                _number(form.get("stock")),
                once=str(form.get("once", ""))[:ONCE_LIMIT] or None,
            )
        elif action in ("stock", "price", "off", "on"):
            item_id = form_int(form.get("item"))
            if action == "stock":
                await office.change_item(viewer.coverage, item_id, stock=_number(form.get("value")))
            elif action == "price":
                await office.change_item(viewer.coverage, item_id, price=_number(form.get("value")))
            else:
                await office.change_item(viewer.coverage, item_id, active=action == "on")
        else:
            raise ServiceError("not-allowed")
    except ServiceError as error:
        return refusal(request, viewer, error, "points")
    raise web.HTTPSeeOther(f"/console/points?community={community_id}&saved=1")


def routes(app: web.Application) -> None:
    app.router.add_get("/console/points", points_page)
    app.router.add_get("/console/points/ranking.{kind:csv|xlsx}", ranking_download)
    app.router.add_post("/console/points/catalogue", catalogue_change)
