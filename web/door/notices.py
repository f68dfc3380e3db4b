"""Notices in the web door: ``/door/notice/<id>/<person>/<key>`` is a reader's own link (sent
to them by WeChat's template or a Web Push, bot/services/notice_board.py) to the notice as it
reads now, with its photos (``…/photo/<n>``, through the same key: a notice's photos are
Telegram files, fetched through the ``FileSource`` the Telegram door gives and cached on disk
as the console's are; without one the page says how many there are). The building page lists
the building's notices to its members' devices (see web/door/report.py)."""

from __future__ import annotations

from aiohttp import web

from bot.files import FileSource, FileUnavailable
from bot.services.notice_board import BoardNotice
from web.console.media import MediaCache
from web.door.guard import DOOR, door_page, path_number, refusal

NOTICE_MEDIA = web.AppKey("notice_media", MediaCache)


async def _read(request: web.Request) -> BoardNotice | None:
    key = request.match_info["key"]
    if len(key) > 64:
        return None
    board = request.app[DOOR].services.notice_board
    return await board.read(path_number(request, "id"), path_number(request, "person"), key)


async def notice_page(request: web.Request) -> web.Response:
    found = await _read(request)
    if found is None:
        raise refusal(request, "notice-door-gone", status=404)
    shown = NOTICE_MEDIA in request.app and not found.withdrawn
    return door_page(request, "door/notice.html", {"notice": found, "show_photos": shown})


async def notice_photo(request: web.Request) -> web.Response:
    found = await _read(request)
    index = path_number(request, "index")
    media = request.app.get(NOTICE_MEDIA)
    if found is None or found.withdrawn or media is None:
        raise web.HTTPNotFound()
    file_id = await request.app[DOOR].services.notice_board.photo(found.id, index)
    if file_id is None:
        raise web.HTTPNotFound()
    try:
        content = await media.get(file_id)
    except FileUnavailable:
        raise web.HTTPNotFound() from None
    return web.Response(body=content, content_type="image/jpeg")


def routes(app: web.Application, files: FileSource | None) -> None:
    if files is not None:
        app[NOTICE_MEDIA] = MediaCache(app[DOOR].config.media_cache, files)
    app.router.add_get("/door/notice/{id}/{person}/{key}", notice_page)
    app.router.add_get("/door/notice/{id}/{person}/{key}/photo/{index}", notice_photo)
