"""A volunteering activity's page in the web door: ``/door/activity/<id>/<person>/<key>`` is a
resident's own link (the WeChat template opens it when the 48-hour window has closed; see
bot/services/door_activities.py): the activity, the places left, and one button, Sign up or
Cancel my sign-up, posted back here (web/door/guard.py checks Origin and CSRF first). A wrong
key opens nothing; a person outside its buildings, a forged action, a past or cancelled
activity are refused with a page and change nothing."""

from __future__ import annotations

from aiohttp import web

from bot.services.errors import ServiceError
from storage.models import Person
from web.door.guard import DOOR, door_page, path_number, refusal
from web.pages import visitor_language


async def _person(request: web.Request) -> tuple[int, Person]:
    key = request.match_info["key"]
    activity_id = path_number(request, "id")
    if len(key) > 64:
        raise web.HTTPNotFound()
    doors = request.app[DOOR].services.door_activities
    person = await doors.person(activity_id, path_number(request, "person"), key)
    if person is None:
        raise refusal(request, "vol-door-gone", status=404)
    return activity_id, person


async def _show(request: web.Request, said: str = "") -> web.Response:
    activity_id, person = await _person(request)
    page = await request.app[DOOR].services.door_activities.read(activity_id, person)
    if page is None:
        raise refusal(request, "vol-not-yours", status=403)
    return door_page(request, "door/activity.html", {"activity": page, "said": said})


async def activity_page(request: web.Request) -> web.Response:
    return await _show(request)


async def act(request: web.Request) -> web.Response:
    activity_id, person = await _person(request)
    action = (await request.post()).get("action")
    if action not in ("join", "leave"):
        raise refusal(request, "vol-door-bad-action", status=400)
    try:
        said = await request.app[DOOR].services.door_activities.act(
            activity_id, person, action == "join", visitor_language(request)
        )
    except ServiceError as error:
        raise refusal(request, error.key, status=409, **error.args_) from None
    return await _show(request, said)


def routes(app: web.Application) -> None:
    app.router.add_get("/door/activity/{id}/{person}/{key}", activity_page)
    app.router.add_post("/door/activity/{id}/{person}/{key}", act)
