"""The web door inside WeChat's browser (its User-Agent says ``MicroMessenger``): a page of the
door (``/t/<id>``, the template message's link; ``/b/<token>``, a poster scanned with WeChat)
opened on a device that is not yet one of a WeChat person's goes first through WeChat's web
authorisation with ``snsapi_base`` (silent: no consent page, the OpenID only). WeChat sends
the browser back to ``/wechat/oauth`` with a code; its exchange names the OpenID, and the
device becomes a contact of the person with that WeChat (bot/services/wechat_door.py
``web_device``), so their WeChat and their web door are one person.

A head's template message (a card they had no 48 hours for) opens ``/wechat/console/<id>``
instead: the same authorisation names the head, who gets the console's one-time sign-in (the
page with its button, as the link from /web in Telegram) and so the ticket's actions.

The authorisation is asked once per browser a day: a person who never followed the account
(nobody has their WeChat yet) sees the page as any browser would. The ``state`` is a random
value in a short-lived cookie, and the page to go back to is one of the door's own paths only."""

from __future__ import annotations

import contextlib
import logging
import secrets
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.services.console import ConsoleAccess
from bot.services.errors import ServiceError
from bot.services.wechat_door import WeChatDoorService
from web.door.guard import DEVICE_COOKIE, is_https, set_device
from web.server import Setup
from wechat.api import WeChatApi, WeChatError

log = logging.getLogger(__name__)
PATH = "/wechat/oauth"
CONSOLE_PATH = "/wechat/console/"
AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
COOKIE = "wechat_oauth"
DOOR_PAGES = ("/t/", "/b/")
STATE_SECONDS = 600
DONE_SECONDS = 86400


def in_wechat(request: web.Request) -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def wechat_oauth_setup(
    service: WeChatDoorService,
    api: WeChatApi,
    base_url: str,
    console: ConsoleAccess | None = None,
) -> Setup:
    def setup(app: web.Application) -> None:
        oauth = WeChatOAuth(service, api, base_url, console)
        app.middlewares.append(oauth.middleware)
        app.router.add_get(PATH, oauth.callback)
        app.router.add_get(CONSOLE_PATH + "{id:[0-9]{1,12}}", oauth.to_console)

    return setup


class WeChatOAuth:
    def __init__(
        self,
        service: WeChatDoorService,
        api: WeChatApi,
        base_url: str,
        console: ConsoleAccess | None = None,
    ) -> None:
        self.service = service
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.console = console

    async def to_console(self, request: web.Request) -> web.Response:
        """A head's template link: WeChat's browser names them first; another browser goes
        to the console's page of the ticket (signed in there, or told how to)."""
        if in_wechat(request) and self.console is not None:
            return self._authorise(request)
        raise web.HTTPSeeOther(f"/console/tickets/{request.match_info['id']}")

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if (
            request.method == "GET"
            and request.path.startswith(DOOR_PAGES)
            and in_wechat(request)
            and COOKIE not in request.cookies
            and not await self.service.device_in_wechat(request.cookies.get(DEVICE_COOKIE))
        ):
            return self._authorise(request)
        return await handler(request)

    def _authorise(self, request: web.Request) -> web.Response:
        state = secrets.token_urlsafe(16)
        query = urlencode(
            {
                "appid": self.api.app_id,
                "redirect_uri": f"{self.base_url}{PATH}",
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
            }
        )
        response = web.Response(
            status=302, headers={"Location": f"{AUTHORIZE}?{query}#wechat_redirect"}
        )
        self._cookie(request, response, f"{state}|{request.path_qs}", STATE_SECONDS)
        return response

    async def callback(self, request: web.Request) -> web.Response:
        state, _, back = request.cookies.get(COOKIE, "").partition("|")
        if not state or not secrets.compare_digest(
            state.encode(), request.query.get("state", "").encode()
        ):
            raise web.HTTPForbidden(text="forbidden")
        openid = None
        code = request.query.get("code", "")
        if code and len(code) <= 128:
            try:
                openid = await self.api.web_openid(code)
            except (WeChatError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("wechat: the web authorisation failed: %s", error)
        if back.startswith(CONSOLE_PATH):
            return await self._console(request, openid)
        if not back.startswith(DOOR_PAGES):
            back = "/"
        device = None
        if openid is not None:
            device = await self.service.web_device(openid, request.cookies.get(DEVICE_COOKIE))
        response = web.Response(status=302, headers={"Location": back})
        if device is not None:
            set_device(request, response, device)
        self._cookie(request, response, "done", DONE_SECONDS)
        return response

    async def _console(self, request: web.Request, openid: str | None) -> web.Response:
        """The console's one-time sign-in for the staff member with this WeChat; anyone else
        goes to the console's own page (which says how to sign in)."""
        location = "/console"
        person = None if openid is None else await self.service.person_of(openid)
        if person is not None and self.console is not None:
            with contextlib.suppress(ServiceError):  # not staff: the console says so
                location = await self.console.issue_link(person)
        response = web.Response(status=302, headers={"Location": location})
        self._cookie(request, response, "done", DONE_SECONDS)
        return response

    @staticmethod
    def _cookie(request: web.Request, response: web.Response, value: str, seconds: int) -> None:
        response.set_cookie(
            COOKIE,
            value,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=is_https(request),
            max_age=seconds,
        )
