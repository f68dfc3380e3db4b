"""Every console request passes here: the session behind the cookie, the person's coverage as
of now, and for a POST the CSRF token and the Origin. Refusals are pages, not tracebacks."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import Config
from bot.services import Clock, Services
from bot.services.console import SIGN_IN_PATH, Viewer
from web.console.media import MediaCache
from web.pages import TRANSLATIONS, render, visitor_language
from web.server import Handler, form_reads

COOKIE = "console_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
_VIEWER = web.RequestKey("console_viewer", Viewer)


@dataclass(frozen=True, slots=True)
class ConsoleContext:
    config: Config
    services: Services
    clock: Clock
    # Photos and voice notes (web/console/media.py); None when no door can fetch them.
    media: MediaCache | None = None
    # The bot's username for invitation links when BOT_USERNAME is unset (getMe, cached).
    ask_username: Callable[[], Awaitable[str]] | None = None

    async def bot_username(self) -> str:
        if self.config.bot_username:
            return self.config.bot_username
        return await self.ask_username() if self.ask_username is not None else ""

    @property
    def invites(self) -> bool:
        """Invitations are accepted in the Telegram door only (its /start link): without a
        known username and no bot to ask, there is no link worth issuing."""
        return bool(self.config.bot_username) or self.ask_username is not None


CONSOLE = web.AppKey("console", ConsoleContext)
# The WeChat door's parametric QR code of a join token (its content), when the door is on:
# the Buildings page then offers the WeChat posters too (wired in bot/__main__.py).
QrMaker = Callable[[str], Awaitable[str]]
WECHAT_QR: web.AppKey[QrMaker] = web.AppKey("console_wechat_qr")


class Refused(Exception):
    """A page that answers instead of the handler's (not signed in, no access, CSRF)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def is_htmx(request: web.Request) -> bool:
    return request.headers.get("HX-Request") == "true"


async def console_viewer(request: web.Request) -> Viewer:
    """The signed-in person with their coverage as of this request (see web/console/__init__)."""
    viewer = await signed_in(request)
    if not viewer.has_access:
        raise Refused(_message(request, "console-no-access", status=403, language=viewer.language))
    return viewer


async def signed_in(request: web.Request) -> Viewer:
    """The session's person, access or not (signing out needs no role)."""
    known: Viewer | None = request.get(_VIEWER)
    if known is not None:
        return known
    context = request.app[CONSOLE]
    viewer = await context.services.console.viewer(request.cookies.get(COOKIE))
    if viewer is None:
        raise Refused(_message(request, "console-signed-out", status=401))
    request[_VIEWER] = viewer
    return viewer


def render_console(
    request: web.Request,
    viewer: Viewer,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        template,
        {"viewer": viewer, **(context or {})},
        status=status,
        language=viewer.language,
    )


def _message(
    request: web.Request, key: str, *, status: int, language: str | None = None
) -> web.Response:
    response = render(
        request, "console/message.html", {"key": key}, status=status, language=language
    )
    if is_htmx(request):  # a fragment swap would hide the page: htmx loads it whole
        response.headers["HX-Refresh"] = "true"
    return response


FLASH = "#console-flash"


def flash(
    request: web.Request, message: str, *, status: int, language: str | None = None
) -> web.Response:
    """A refusal of an htmx request: ``message`` as a notice in the layout's flash area. htmx
    swaps a 4xx only by the layout's responseHandling, and then into the target the server
    names here, not the table or the form the click was for; the address bar stays."""
    response = render(
        request, "console/flash.html", {"message": message}, status=status, language=language
    )
    response.headers["HX-Retarget"] = FLASH
    response.headers["HX-Reswap"] = "innerHTML"
    response.headers["HX-Push-Url"] = "false"
    return response


def _flashed(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Any other 4xx to an htmx request (a page meant for a whole load) becomes a notice in
    the flash area, so that a refused click never seems to do nothing; one that reloads the
    page (HX-Refresh) or already names its target is left as it is."""
    if not (is_htmx(request) and 400 <= response.status < 500):
        return response
    if "HX-Refresh" in response.headers or "HX-Retarget" in response.headers:
        return response
    known: Viewer | None = request.get(_VIEWER)
    language = known.language if known is not None else None
    translate = request.app[TRANSLATIONS].bind(language or visitor_language(request))
    return flash(request, translate("console-refused"), status=response.status, language=language)


# Sent out of band with every htmx answer that succeeds: htmx empties the flash area with it, so
# an earlier refusal's notice does not stay on screen after later clicks went through.
_CLEAR_FLASH = f'<div id="{FLASH[1:]}" hx-swap-oob="innerHTML"></div>'.encode()


def _clears_flash(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """A successful htmx answer (one htmx swaps: 2xx but 204) also empties the flash area."""
    if not (is_htmx(request) and 200 <= response.status < 300 and response.status != 204):
        return response
    if not isinstance(response, web.Response) or response.content_type != "text/html":
        return response
    if any(h in response.headers for h in ("HX-Refresh", "HX-Redirect", "HX-Location")):
        return response  # the page is loaded anew, its flash area empty
    body = response.body
    if isinstance(body, bytes):
        response.body = body + _CLEAR_FLASH
    return response


def _same_origin(request: web.Request, base: str) -> bool:
    """An Origin (or, without one, a Referer) that is not the console's own is another site."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent or sent == "null":
        return sent is None
    ours, theirs = urlsplit(base), urlsplit(sent)
    return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)


@web.middleware
async def console_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/console"):
        return await handler(request)
    try:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await _check_post(request)
        response = await handler(request)
    except Refused as refused:
        response = refused.response
    except web.HTTPClientError as error:
        if not is_htmx(request):
            raise
        response = web.Response(status=error.status)
    response = _clears_flash(request, _flashed(request, response))
    # Pages with people's words: never kept by a shared office PC's cache or a proxy.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _check_post(request: web.Request) -> None:
    config = request.app[CONSOLE].config
    if not _same_origin(request, config.console_base):
        raise Refused(_message(request, "console-forbidden", status=403))
    if request.path.startswith(SIGN_IN_PATH):
        return  # no session yet: the one-time token in the path is the proof
    viewer = await signed_in(request)
    if not await form_reads(request):
        raise Refused(_message(request, "console-bad-form", status=400, language=viewer.language))
    # No console form sends a file: a file part where a field belongs would reach a handler's
    # ``str(form.get(...))`` as "FileField(...)" and be stored as the estate, a setting, a name.
    if any(not isinstance(value, str) for value in (await request.post()).values()):
        refused = _message(request, "console-file-in-form", status=400, language=viewer.language)
        raise Refused(refused)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.post()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), viewer.csrf_token.encode()):
        raise Refused(_message(request, "console-forbidden", status=403, language=viewer.language))
