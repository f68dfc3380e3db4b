"""/console/tickets: the tickets the viewer covers (filled in below)."""

from __future__ import annotations

from aiohttp import web

from web.console.guard import console_viewer, render_console


async def tickets_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    return render_console(request, viewer, "console/tickets.html", {"section": "tickets"})


def routes(app: web.Application) -> None:
    app.router.add_get("/console/tickets", tickets_page)
