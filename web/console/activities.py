"""/console/activities: the volunteer activities announced to the area the viewer covers now
(a coordinator or admin their area, a head their buildings), newest first, with places,
sign-ups, check-ins and hours confirmed. Numbers only, as the organiser's /activities shows:
no volunteer's name."""

from __future__ import annotations

from aiohttp import web

from bot.services.service_hours import fmt_hours
from web.console.guard import CONSOLE, console_viewer, render_console


async def activities_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    listed = await request.app[CONSOLE].services.office_activities.listed(viewer.coverage)
    rows = [
        (
            item.activity,
            item.starts_local.strftime("%Y-%m-%d %H:%M"),
            item.figures,
            fmt_hours(item.activity.hours),
            fmt_hours(item.figures.hours),
        )
        for item in listed
    ]
    context = {"section": "activities", "rows": rows}
    return render_console(request, viewer, "console/activities.html", context)


def routes(app: web.Application) -> None:
    app.router.add_get("/console/activities", activities_page)
