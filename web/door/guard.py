"""Every request of the residents' door passes here: it gets a CSRF cookie on a page, and a
POST must come from this site with that cookie's token in its form, within the body limit and
the per-device and per-address limits. A refusal is a page in the visitor's language, given
before any handler runs, so nothing is written."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiMapping

from bot.config import Config
from bot.services import Clock, Services
from bot.services.choice_numbers import choice_number
from bot.services.errors import ServiceError
from web.door.limits import DoorLimits
from web.pages import render
from web.server import Handler, form_reads

PREFIXES = ("/b/", "/t/", "/door/")
DEVICE_COOKIE = "door_device"
CSRF_COOKIE = "door_csrf"
CSRF_FIELD = "csrf"
# Five photos resized by the page's script weigh about 2 MB; without the script a phone sends
# its camera's files, which the server resizes: more than this is refused with a page.
MAX_BODY = 11 * 1024 * 1024
DEVICE_DAYS = 2 * 365  # a phone stays itself; "forget this device" ends it at once
_CSRF = web.RequestKey("door_csrf", str)


@dataclass(frozen=True, slots=True)
class DoorContext:
    config: Config
    services: Services
    clock: Clock
    limits: DoorLimits


DOOR = web.AppKey("door", DoorContext)


class Refused(Exception):
    """A page that answers instead of the handler's."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def form_text(form: MultiMapping[str | bytes | bytearray | web.FileField], name: str) -> str:
    """The form's text field ``name``; "" when absent, or when a file (or bytes) came in its
    place: a forged form's file part never becomes a name, a description or a message (its
    ``str()`` would be "FileField(…)")."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def path_number(request: web.Request, name: str) -> int:
    """The id in the URL's ``name`` part, as the door writes it (choice_number); anything else
    (a word, "²", more digits than an id has) is no page of ours: 404."""
    number = choice_number(request.match_info[name])
    if number is None:
        raise web.HTTPNotFound()
    return number


# The services' refusals whose chat words name what a web page has not (/cancel).
WEB_KEYS = {"input-too-long": "door-input-too-long"}


def service_refusal(request: web.Request, error: ServiceError, status: int = 400) -> web.Response:
    """A service's refusal as a page, in the web door's words."""
    key = WEB_KEYS.get(error.key, error.key)
    return message_page(request, key, error.args_, status)


def refusal(request: web.Request, key: str, *, status: int, **args: Any) -> Refused:
    return Refused(message_page(request, key, args, status))


def message_page(
    request: web.Request, key: str, args: dict[str, Any], status: int = 200
) -> web.Response:
    """A refusal or a message, with a way back to the page the visitor came from: a form's
    page (the building's, the ticket's, a ballot's); none for a page that is itself refused
    (an unknown poster link, a ticket this phone may not open) or a form of no page."""
    posted = request.method not in ("GET", "HEAD")
    back = page_path(request) if posted and key != "door-link-unknown" else None
    context = {"key": key, "args": args, "back": back}
    return door_page(request, "door/message.html", context, status)


def door_page(
    request: web.Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    """A door page: the CSRF token for its forms, the path for the language switch."""
    return render(
        request,
        template,
        {"csrf": csrf_token(request), "here": page_path(request), **(context or {})},
        status=status,
    )


# A form's address under a page (/b/<token>/send, /t/<id>/message): it takes a POST only.
_FORM_UNDER_PAGE = re.compile(r"(/[bt]/[^/]+)/[^/]+")


def page_path(request: web.Request) -> str | None:
    """The page a GET opens again for this answer (the language switch, the home screen's
    start): a form's answer is its page's; None for a form that belongs to no page (forget
    this device), whose answer then offers no switch."""
    if request.method in ("GET", "HEAD"):
        return request.path
    under = _FORM_UNDER_PAGE.fullmatch(request.path)
    if under is not None:
        return under.group(1)
    # The building's report form posts to the page itself, a ballot and an activity too.
    return (
        request.path
        if request.path.startswith(("/b/", "/door/ballot/", "/door/activity/"))
        else None
    )


def csrf_token(request: web.Request) -> str:
    """The browser's CSRF token (double-submitted: cookie and form field), made on its first
    page; SameSite=Lax keeps other sites' forms from sending the cookie anyway."""
    known = request.get(_CSRF) or request.cookies.get(CSRF_COOKIE)
    if not known or len(known) > 64:
        known = secrets.token_urlsafe(24)
    request[_CSRF] = known
    return known


def device_secret(request: web.Request) -> str | None:
    return request.cookies.get(DEVICE_COOKIE)


def is_https(request: web.Request) -> bool:
    return request.app[DOOR].config.console_base.startswith("https://")


def set_device(request: web.Request, response: web.StreamResponse, secret: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        secret,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
        max_age=DEVICE_DAYS * 86400,
    )


def _same_origin(request: web.Request) -> bool:
    """An Origin (or a Referer) of another site is a forged form; none at all (an old phone's
    browser) is allowed: the CSRF token still has to match."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if sent is None:
        return True
    if sent == "null":
        return False
    theirs = urlsplit(sent)
    base = request.app[DOOR].config.web_base_url
    if base:
        ours = urlsplit(base)
        if (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc):
            return True
    return theirs.netloc == request.host


async def _check_post(request: web.Request) -> None:
    context = request.app[DOOR]
    address = request.remote or "?"
    secret = device_secret(request)
    if not context.limits.allow(address, secret):
        raise refusal(request, "door-slow-down", status=429)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise refusal(request, "door-too-big", status=413, max=MAX_BODY // (1024 * 1024))
    if not _same_origin(request):
        raise refusal(request, "door-forbidden", status=403)
    try:
        if not await form_reads(request):
            raise refusal(request, "door-bad-form", status=400)
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise refusal(request, "door-too-big", status=413, max=MAX_BODY // (1024 * 1024)) from None
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if (
        not isinstance(sent, str)
        or not cookie
        or not hmac.compare_digest(sent.encode(), cookie.encode())
    ):
        raise refusal(request, "door-forbidden", status=403)


@web.middleware
async def door_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIXES):
        return await handler(request)
    try:
        if request.method not in ("GET", "HEAD"):
            await _check_post(request)
        response = await handler(request)
    except Refused as refused:
        response = refused.response
    if _CSRF in request and request.cookies.get(CSRF_COOKIE) != request[_CSRF]:
        response.set_cookie(
            CSRF_COOKIE,
            request[_CSRF],
            path="/",
            httponly=True,
            samesite="Lax",
            secure=is_https(request),
        )
    # A resident's words and photos: not kept by a shared phone's cache or a proxy.
    response.headers.setdefault("Cache-Control", "no-store")
    return response
