"""The residents' web door: the stairwell poster's QR opens ``/b/<token>`` (the building's join
token, the same as in the Telegram link), a mobile page in the phone's language that reports
to the building's head through the chat's own use cases; ``/t/<id>`` follows a ticket.

- Identity: a long-lived cookie (HttpOnly, SameSite=Lax, Secure under https) whose hash is a
  ``web`` contact of a person (bot/services/web_door.py); "forget this device" ends it.
- Every POST passes web/door/guard.py: body size, per-device and per-address limits, Origin,
  and the CSRF token (a cookie and the form's ``csrf`` field, double-submitted).
- Pages are plain forms; web/static/door.js only makes them lighter (photos resized before
  upload, the phone's location on request, the service worker and "tell me when the head
answers": web/door/push.py). The CSP forbids inline scripts.

``door_setup(config, services, clock)`` is the part's ``Setup`` for web/server.py."""

from __future__ import annotations

from aiohttp import web

from bot.config import Config
from bot.files import FileSource
from bot.services import Clock, Services
from web.door import activities, ballots, notices, push, report, ticket
from web.door.guard import DOOR, DoorContext, door_guard
from web.door.limits import DoorLimits
from web.push.keys import KeyHolder
from web.server import Setup

__all__ = ["door_setup"]


def door_setup(
    config: Config,
    services: Services,
    clock: Clock,
    limits: DoorLimits | None = None,
    keys: KeyHolder | None = None,
    files: FileSource | None = None,
) -> Setup:
    """``files``: where a notice's photos come from (the Telegram door's; None: its page says
    how many there are)."""

    def setup(app: web.Application) -> None:
        app[DOOR] = DoorContext(config, services, clock, limits or DoorLimits())
        app.middlewares.append(door_guard)
        report.routes(app)
        ticket.routes(app)
        notices.routes(app, files)
        ballots.routes(app)
        activities.routes(app)
        push.routes(app, keys or KeyHolder(services.web.db, clock))

    return setup
