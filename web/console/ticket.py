"""/console/tickets/<id>: one ticket for its staff. Its facts, photos and voice notes (through
the media cache, never a public URL), its location as coordinates and a map link, its whole
history, and the actions the viewer may take now (web/console/ticket_actions.py does them).
A ticket outside the viewer's *current* coverage, or none at all, is the same "not found"."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from bot.files import FileUnavailable
from bot.i18n import Translator
from bot.services.cards import (
    category_label,
    local_time,
    reporter_line,
    whistle_lines,
)
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_detail import Detail
from storage.models import Person
from web.console.guard import CONSOLE, console_viewer, is_htmx, render_console
from web.console.viewer import Viewer
from web.pages import TRANSLATIONS, visitor_language

# A map site, not a tile server: the office clicks through to it (coordinates are WGS 84, as
# Telegram sends them, which is what OpenStreetMap shows).
MAP_URL = "https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}"
CONTENT_TYPES = {"photo": "image/jpeg", "voice": "audio/ogg"}


def ticket_id_of(request: web.Request) -> int | None:
    raw = request.match_info["ticket_id"]
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


async def staff_person(request: web.Request, viewer: Viewer) -> tuple[int, Person] | None:
    """The ticket's id and the viewer as a person, when their coverage now includes it."""
    ticket_id = ticket_id_of(request)
    if ticket_id is None:
        return None
    search = request.app[CONSOLE].services.ticket_search
    person = await search.viewer_of(viewer.coverage, viewer.person_id, ticket_id)
    return None if person is None else (ticket_id, person)


def missing(request: web.Request, viewer: Viewer) -> web.Response:
    response = render_console(
        request, viewer, "console/ticket_missing.html", {"section": "tickets"}, status=404
    )
    if is_htmx(request):  # htmx swaps no 404: the browser loads the page whole instead
        response.headers["HX-Refresh"] = "true"
    return response


def translator(request: web.Request, viewer: Viewer) -> Translator:
    return request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))


async def ticket_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    done = request.query.get("done", "")
    notice = ("ok", "console-done-" + done) if done in ACTION_NAMES else None
    return await render_ticket(request, viewer, notice)


async def render_ticket(
    request: web.Request,
    viewer: Viewer,
    notice: tuple[str, str] | None = None,
    *,
    status: int = 200,
    fragment: bool = False,
) -> web.Response:
    """The page (or, for htmx, its ticket part) with ``notice``: ("ok" | "error", its text or
    a translation key)."""
    found = await staff_person(request, viewer)
    if found is None:
        return missing(request, viewer)
    ticket_id, person = found
    services = request.app[CONSOLE].services
    t = translator(request, viewer)
    try:
        detail = await services.ticket_details.detail(person, ticket_id)
        _, history = await services.ticket_cards.history(person, ticket_id, t)
    except ServiceError:
        return missing(request, viewer)
    context = {
        "section": "tickets",
        **facts(t, detail),
        "history": history,
        "notice": _notice(t, notice),
        "media": request.app[CONSOLE].media is not None,
        # The reply form's one-time key (web/console/ticket_actions.py): posted twice, one reply.
        "once": secrets.token_urlsafe(12),
    }
    template = "console/ticket_body.html" if fragment else "console/ticket.html"
    return render_console(request, viewer, template, context, status=status)


def _notice(t: Translator, notice: tuple[str, str] | None) -> dict[str, str] | None:
    if notice is None:
        return None
    kind, text = notice
    return {"kind": kind, "text": t(text) if text.startswith("console-") else text}


def facts(t: Translator, d: Detail) -> dict[str, Any]:
    ticket, community = d.ticket, d.community
    times = [
        ("console-time-created", ticket.created_at),
        ("console-time-taken", ticket.taken_at),
        ("console-time-resolved", ticket.resolved_at),
        ("console-time-closed", ticket.closed_at),
    ]
    location = None
    if ticket.latitude is not None and ticket.longitude is not None:
        lat, lon = ticket.latitude, ticket.longitude
        location = {
            "text": f"{lat:.6f}, {lon:.6f}",
            "url": MAP_URL.format(lat=lat, lon=lon),
        }
    return {
        "ticket": ticket,
        "title": category_label(t, d.category, ticket.category),
        "building": d.building.name,
        "community": community.name,
        "flat": ticket.flat,
        "status": t("status-" + ticket.status.value),
        "holder": d.holder.display_name if d.holder is not None else None,
        "status_value": ticket.status.value,
        "times": [(key, local_time(at, community)) for key, at in times if at is not None],
        "overdue": d.overdue,
        "reporter": reporter_line(t, ticket, d.author),
        "work_order": whistle_lines(t, d.order, community, answer=True),
        "location": location,
        "attachments": d.attachments,
        "attachment_times": [local_time(a.at, community) for a in d.attachments],
        "actions": {a.value for a in d.actions},
        "assignees": [(p.id, p.display_name) for p in d.assignees if p.id != ticket.holder_id],
        "departments": [(dep.code, dep.name(t.language)) for dep in d.departments],
    }


async def ticket_file(request: web.Request) -> web.StreamResponse:
    """A photo or voice note of the ticket, to its staff only (the guard adds no-store)."""
    viewer = await console_viewer(request)
    found = await staff_person(request, viewer)
    raw = request.match_info["index"]
    context = request.app[CONSOLE]
    if found is None or not (raw.isascii() and raw.isdigit() and len(raw) < 4):
        return missing(request, viewer)
    ticket_id, person = found
    try:
        attachment = await context.services.ticket_details.attachment(person, ticket_id, int(raw))
    except ServiceError:
        return missing(request, viewer)
    if attachment.stored is not None:
        # A photo from the web door or WeChat: its bytes are in the database.
        stored = await context.services.ticket_details.stored_file(attachment)
        if stored is None:
            return missing(request, viewer)
        return web.Response(body=stored, content_type=CONTENT_TYPES[attachment.kind])
    if context.media is None:
        raise web.HTTPServiceUnavailable(text="no file source (the bot runs without Telegram)")
    try:
        data = await context.media.get(attachment.file_id)
    except FileUnavailable:
        raise web.HTTPBadGateway(text="the file cannot be fetched from Telegram now") from None
    return web.Response(body=data, content_type=CONTENT_TYPES[attachment.kind])


# The action names of the page's forms (URL segment → the policy's action).
ACTION_NAMES = {
    a.value: a
    for a in (
        Action.TAKE,
        Action.ASSIGN,
        Action.REPLY,
        Action.RESOLVE,
        Action.ESCALATE,
        Action.MERGE,
        Action.WHISTLE,
        Action.WHISTLE_ANSWER,
    )
}
