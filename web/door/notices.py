"""Notices in the web door: ``/door/notice/<id>/<person>/<key>`` is a reader's own link (sent
to them by WeChat's template or a Web Push, bot/services/notice_board.py) to the notice as it
reads now; the building page lists the building's notices to its members' devices (see
web/door/report.py)."""

from __future__ import annotations

from aiohttp import web

from web.door.guard import DOOR, door_page, refusal


def _number(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


async def notice_page(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    board = request.app[DOOR].services.notice_board
    found = None
    if len(key) <= 64:
        found = await board.read(_number(request, "id"), _number(request, "person"), key)
    if found is None:
        raise refusal(request, "notice-door-gone", status=404)
    return door_page(request, "door/notice.html", {"notice": found})


def routes(app: web.Application) -> None:
    app.router.add_get("/door/notice/{id}/{person}/{key}", notice_page)
