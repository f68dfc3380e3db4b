"""Signing in by the link /web sent, and out. The link's GET only shows a "Continue" button:
a chat app's link preview or a mail scanner that fetches it uses nothing up; the POST does."""

from __future__ import annotations

from aiohttp import web

from bot.services.console import SESSION_IDLE, SIGN_IN_PATH
from bot.services.errors import ServiceError
from web.console.guard import (
    CONSOLE,
    COOKIE,
    console_viewer,
    signed_in,
)
from web.pages import render

HOME = "/console/tickets"


async def home(request: web.Request) -> web.StreamResponse:
    await console_viewer(request)
    raise web.HTTPSeeOther(HOME)


async def sign_in_page(request: web.Request) -> web.Response:
    return render(request, "console/sign_in.html", {"action": request.path})


async def sign_in(request: web.Request) -> web.StreamResponse:
    context = request.app[CONSOLE]
    try:
        opened = await context.services.console.sign_in(request.match_info["token"])
    except ServiceError as error:
        return render(request, "console/message.html", {"key": error.key}, status=410)
    response = _see_other(HOME)
    response.set_cookie(
        COOKIE,
        opened.token,
        path="/console",
        httponly=True,
        samesite="Lax",
        secure=context.config.console_base.startswith("https://"),
        # The browser may forget it sooner; the server ends it after 12 idle hours anyway.
        max_age=int(SESSION_IDLE.total_seconds()),
    )
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    await signed_in(request)  # the guard has checked the CSRF token of this session
    await request.app[CONSOLE].services.console.sign_out(request.cookies.get(COOKIE, ""))
    return _signed_out()


async def sign_out_everywhere(request: web.Request) -> web.StreamResponse:
    viewer = await signed_in(request)
    await request.app[CONSOLE].services.console.sign_out_everywhere(viewer.person_id)
    return _signed_out()


def _see_other(location: str) -> web.Response:
    """A redirect that is returned (with its cookie), not raised."""
    return web.Response(status=303, headers={"Location": location})


def _signed_out() -> web.StreamResponse:
    response = _see_other("/console/signed-out")
    response.del_cookie(COOKIE, path="/console")
    return response


async def signed_out_page(request: web.Request) -> web.Response:
    return render(request, "console/message.html", {"key": "console-signed-out"})


def routes(app: web.Application) -> None:
    app.router.add_get("/console", home)
    app.router.add_get(SIGN_IN_PATH + "{token}", sign_in_page)
    app.router.add_post(SIGN_IN_PATH + "{token}", sign_in)
    app.router.add_post("/console/sign-out", sign_out)
    app.router.add_post("/console/sign-out-everywhere", sign_out_everywhere)
    app.router.add_get("/console/signed-out", signed_out_page)
