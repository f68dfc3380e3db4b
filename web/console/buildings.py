"""/console/buildings: every building the viewer covers with its head, deputies, residents
joined, open tickets and last activity; those without a head first (``?headless=1`` shows only
them). A coordinator of the building (or admin) invites a head or deputy by a one-time link and
removes one after a confirmation page, and sets its estate (小区); the rules are DeskService's
(bot/services/desk.py)."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.services.cards import local_time
from bot.services.errors import InputRefused, ServiceError
from bot.services.links import start_link
from bot.services.ticket_core import ONCE_LIMIT
from storage.models import Role
from web.console.guard import CONSOLE, WECHAT_QR, console_viewer, is_htmx, render_console
from web.console.refusal import form_int, refusal

ROLES = {r.value: r for r in (Role.HEAD, Role.DEPUTY)}


async def buildings_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    lines = await request.app[CONSOLE].services.desk.buildings(viewer.person_id, viewer.coverage)
    headless = request.query.get("headless") == "1"
    shown = [line for line in lines if line.without_head or not headless]
    context = {
        "section": "buildings",
        "lines": shown,
        "headless": headless,
        "total": len(lines),
        "without_head": sum(1 for line in lines if line.without_head),
        "last": {
            line.building.id: local_time(line.last_activity, line.community)
            for line in lines
            if line.last_activity is not None
        },
        "communities": len({line.community.id for line in lines}),
        "wechat": WECHAT_QR in request.app,
        "invites": request.app[CONSOLE].invites,
        # The invite forms' one-time key: a form posted twice gives one link, not two.
        "once": secrets.token_urlsafe(12),
        # Estates (小区) the office has named, offered while typing another building's.
        "estates": sorted({line.building.estate for line in lines if line.building.estate}),
    }
    return render_console(request, viewer, "console/buildings.html", context)


async def invite(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    context = request.app[CONSOLE]
    form = await request.post()
    try:
        role = ROLES.get(str(form.get("role", "")))
        if role is None:
            raise ServiceError("invite-bad-role")
        # First: no invitation is written that could not be given (t.me/?start=… opens nothing).
        username = await context.bot_username() if context.invites else ""
        if not username:
            raise ServiceError("invite-needs-telegram")
        once = str(form.get("once", ""))[:ONCE_LIMIT] or None
        issued = await context.services.desk.invite(
            viewer.person_id, _building_id(request), role, once
        )
    except ServiceError as error:
        return refusal(request, viewer, error, "buildings")
    link = start_link(username, issued.payload)
    page = {
        "section": "buildings",
        "issued": issued,
        "link": link,
        "expires": issued.expires_at.astimezone(ZoneInfo(context.config.timezone)).strftime(
            "%Y-%m-%d"
        ),
    }
    return render_console(request, viewer, "console/invited.html", page)


async def confirm_removal(request: web.Request) -> web.Response:
    """A GET changes nothing: it asks whether to remove, naming whom and where."""
    viewer = await console_viewer(request)
    try:
        role, member = _member(request.query.get("role"), request.query.get("person"))
        building, name = await request.app[CONSOLE].services.desk.staff_member(
            viewer.person_id, _building_id(request), member, role
        )
    except ServiceError as error:
        return refusal(request, viewer, error, "buildings")
    page = {
        "section": "buildings",
        "building": building,
        "name": name,
        "role": role.value,
        "member": member,
    }
    return render_console(request, viewer, "console/remove.html", page)


async def remove(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    form = await request.post()
    try:
        role, member = _member(form.get("role"), form.get("person"))
        revoked = await request.app[CONSOLE].services.desk.remove(
            viewer.person_id, _building_id(request), member, role
        )
    except ServiceError as error:
        return refusal(request, viewer, error, "buildings")
    page = {"section": "buildings", "revoked": revoked}
    return render_console(request, viewer, "console/removed.html", page)


async def set_estate(request: web.Request) -> web.StreamResponse:
    """The building's estate: with htmx the cell's form comes back with "saved" (or why not);
    without JavaScript a success goes back to the page, a refusal shows why."""
    viewer = await console_viewer(request)
    form = await request.post()
    htmx = is_htmx(request)
    try:
        building = await request.app[CONSOLE].services.desk.set_estate(
            viewer.person_id, _building_id(request), str(form.get("estate", ""))
        )
    except InputRefused as error:
        if not htmx:
            return refusal(request, viewer, error, "buildings")
        # htmx swaps only a 2xx answer: the form comes back as it was typed, with why not.
        page = {"id": request.match_info["building_id"], "estate": form.get("estate", "")}
        return render_console(request, viewer, "console/estate_cell.html", {**page, "error": error})
    except ServiceError as error:
        return refusal(request, viewer, error, "buildings")
    if not htmx:
        raise web.HTTPSeeOther("/console/buildings")
    saved = {"id": building.id, "estate": building.estate, "saved": True}
    return render_console(request, viewer, "console/estate_cell.html", saved)


def _building_id(request: web.Request) -> int:
    return form_int(request.match_info["building_id"])


def _member(role: object, person: object) -> tuple[Role, int]:
    found = ROLES.get(str(role or ""))
    if found is None:
        raise ServiceError("not-allowed")
    return found, form_int(person)


def routes(app: web.Application) -> None:
    app.router.add_get("/console/buildings", buildings_page)
    app.router.add_post("/console/buildings/{building_id}/invite", invite)
    app.router.add_post("/console/buildings/{building_id}/estate", set_estate)
    app.router.add_get("/console/buildings/{building_id}/remove", confirm_removal)
    app.router.add_post("/console/buildings/{building_id}/remove", remove)
