"""The resident's ticket page, ``/t/<id>``: its progress, the conversation with the head (for
its author), and the author's answers: a message (relayed to the staff in chat as a chat answer
is), fixed / not fixed, a rating. Only the devices of its author and its followers open it.
Also the device's own photos and "forget this device"."""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.services.cards import category_label
from bot.services.choice_numbers import choice_number
from bot.services.errors import ServiceError
from bot.services.ticket_core import ONCE_LIMIT
from storage.models import Person
from web.door.guard import (
    DEVICE_COOKIE,
    DOOR,
    device_secret,
    door_page,
    form_text,
    path_number,
    refusal,
    service_refusal,
)
from web.door.push import PUSH_KEYS
from web.pages import TRANSLATIONS, visitor_language

ONCE_FIELD = "once"


async def _person(request: web.Request) -> Person:
    person = await request.app[DOOR].services.web.device(device_secret(request))
    if person is None:
        raise refusal(request, "door-no-device", status=403)
    return person


async def ticket_page(request: web.Request) -> web.Response:
    person = await _person(request)
    try:
        view = await request.app[DOOR].services.web.view(person, path_number(request, "id"))
    except ServiceError:
        raise refusal(request, "door-not-yours", status=403) from None
    t = request.app[TRANSLATIONS].bind(visitor_language(request))
    return door_page(
        request,
        "door/ticket.html",
        {
            "view": view,
            "ticket": view.ticket,
            "category_label": category_label(t, view.category, view.ticket.category),
            "can": {action.value for action in view.can},
            "sent": request.query.get("sent") == "1",
            # The message form's one-time key: posted twice, it sends once.
            "once": secrets.token_urlsafe(12),
            # The browser subscribes with it (web/static/door.js), after a tap.
            "push_key": (await request.app[PUSH_KEYS].get()).public,
        },
    )


async def act(request: web.Request) -> web.StreamResponse:
    """One of the author's answers; the services decide whether it is allowed now."""
    person = await _person(request)
    ticket_id = path_number(request, "id")
    form = await request.post()
    door = request.app[DOOR].services.web
    action = request.match_info["action"]
    try:
        if action == "message":
            once = form_text(form, ONCE_FIELD)[:ONCE_LIMIT] or None
            await door.message(person, ticket_id, form_text(form, "text"), once)
        elif action == "confirm":
            await door.confirm(person, ticket_id)
        elif action == "reopen":
            await door.reopen(person, ticket_id, form_text(form, "reason"))
        elif action == "rate":
            stars = form_text(form, "stars")
            await door.rate(person, ticket_id, choice_number(stars) or 0)
        else:
            raise web.HTTPNotFound()
    except ServiceError as error:
        return service_refusal(request, error)
    raise web.HTTPSeeOther(f"/t/{ticket_id}")


async def photo(request: web.Request) -> web.Response:
    person = await _person(request)
    content = await request.app[DOOR].services.web.photo(person, request.match_info["key"])
    if content is None:
        raise web.HTTPNotFound()
    return web.Response(body=content, content_type="image/jpeg")


async def ticket_photo(request: web.Request) -> web.Response:
    """A photo of the conversation on the author's ticket page."""
    person = await _person(request)
    web_door = request.app[DOOR].services.web
    content = await web_door.ticket_photo(
        person, path_number(request, "id"), request.match_info["key"]
    )
    if content is None:
        raise web.HTTPNotFound()
    return web.Response(body=content, content_type="image/jpeg")


async def forget(request: web.Request) -> web.StreamResponse:
    """ "Forget this device": /forgetme for a browser."""
    secret = device_secret(request)
    forgotten = bool(secret) and await request.app[DOOR].services.web.forget_device(secret or "")
    key = "door-forgotten" if forgotten else "door-no-device"
    response = door_page(request, "door/message.html", {"key": key, "args": {}})
    response.del_cookie(DEVICE_COOKIE, path="/")
    return response


def routes(app: web.Application) -> None:
    app.router.add_get("/t/{id}", ticket_page)
    app.router.add_post("/t/{id}/{action}", act)
    app.router.add_get("/door/photo/{key}", photo)
    app.router.add_get("/t/{id}/photo/{key}", ticket_photo)
    app.router.add_post("/door/forget", forget)
