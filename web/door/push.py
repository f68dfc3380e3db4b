"""The installable web door and its notifications: the manifest (the phone's home-screen icon
opens the page it was installed from), the service worker (the shell cached for a slow network;
it shows the pushes), and the device's push subscription, given only after the resident tapped
"Tell me when the head answers" on the ticket page (web/static/door.js)."""

from __future__ import annotations

import json
import re

from aiohttp import web

from bot.services.errors import ServiceError
from web.door.guard import DOOR, device_secret, door_page, form_text
from web.pages import TRANSLATIONS, visitor_language
from web.push.keys import KeyHolder
from web.server import STATIC_DIR

PUSH_KEYS = web.AppKey("push_keys", KeyHolder)
# The pages an installed door may start at: a building's poster page or a ticket page.
_START = re.compile(r"^/(?:b/[A-Za-z0-9_-]{1,64}|t/[0-9]{1,12})$")
WORKER = STATIC_DIR / "door-sw.js"


async def manifest(request: web.Request) -> web.Response:
    """The web app manifest; ``start`` is the page that linked it (the resident's page)."""
    start = request.query.get("start", "")
    t = request.app[TRANSLATIONS].bind(visitor_language(request))
    body = {
        "name": t("door-title"),
        "short_name": t("door-app-name"),
        "start_url": start if _START.match(start) else "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b22222",
        "icons": [
            {"src": "/static/door-icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/static/door-icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/door-icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


async def service_worker(request: web.Request) -> web.Response:
    """Served from the root, so its scope is the whole door (a worker under /static/ would
    only see /static/); never cached, so a new one takes over at the next visit."""
    return web.Response(
        body=WORKER.read_bytes(),
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def subscribe(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[DOOR].services.web.subscribe(
            device_secret(request), form_text(form, "subscription"), visitor_language(request)
        )
    except ServiceError as error:
        return door_page(
            request, "door/message.html", {"key": error.key, "args": error.args_}, status=400
        )
    return web.json_response({"ok": True})


async def unsubscribe(request: web.Request) -> web.Response:
    stopped = await request.app[DOOR].services.web.unsubscribe(device_secret(request))
    return web.json_response({"ok": stopped})


def routes(app: web.Application, keys: KeyHolder) -> None:
    app[PUSH_KEYS] = keys
    app.router.add_get("/door/manifest.webmanifest", manifest)
    app.router.add_get("/door-sw.js", service_worker)
    app.router.add_post("/door/push", subscribe)
    app.router.add_post("/door/push/off", unsubscribe)
