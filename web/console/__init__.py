"""The office console: staff pages served by the bot's own web server under ``/console``.

How a page author adds a page (the API other parts build on)::

    # web/console/buildings.py
    from web.console import console_viewer, render_console

    async def buildings(request: web.Request) -> web.Response:
        viewer = await console_viewer(request)  # signed in, with access, or a page says why
        ...  # services only; what to show follows viewer.coverage
        return render_console(request, viewer, "console/buildings.html", {...})

    def routes(app: web.Application) -> None:
        app.router.add_get("/console/buildings", buildings)

    # and ``buildings.routes`` added to PAGES in web/console/setup.py (and to NAV for the menu).

- ``console_viewer(request)`` returns a frozen ``Viewer`` (bot/services/console.py):
  ``person_id``, ``display_name``, ``language``, ``coverage`` (bot/services/access.py, computed
  from the person's *current* roles on this very request) and ``csrf_token``. Without a live
  session it answers the "not signed in" page; with a session whose roles give no access any
  more, the "no access" page (403). Call it first in every console handler.
- ``request.app[CONSOLE]`` (web/console/guard.py) holds the config, the services and the
  clock for handlers.
- ``render_console`` renders a template that extends ``console/layout.html`` (nav, who is
  signed in, sign-out buttons, htmx) in the viewer's own language.
- Every POST form carries ``<input type="hidden" name="csrf" value="{{ viewer.csrf_token }}">``
  (the layout's ``<body hx-headers>`` sends it as ``X-CSRF-Token`` for htmx requests). The
  guard (web/console/guard.py) refuses a POST without it, or whose Origin/Referer is not
  WEB_BASE_URL, with 403 before any handler runs.
- An htmx request carries ``HX-Request``: answer it with the fragment only (``is_htmx``).

The ticket page (web/console/ticket.py, its actions in ticket_actions.py) shows photos and voice
notes through ``console_setup(..., files=)``: a ``FileSource`` (bot/files.py) the Telegram door
implements (telegram/files.py), cached on disk in MEDIA_CACHE_DIR (web/console/media.py).

Sessions: /web in chat → a one-time link (10 minutes) → a "Continue" page whose POST opens a
session (cookie HttpOnly, SameSite=Lax, Secure under https; 12 hours idle; stored hashed).
"""

from __future__ import annotations

from web.console.guard import (
    CSRF_FIELD,
    CSRF_HEADER,
    console_viewer,
    is_htmx,
    render_console,
)
from web.console.setup import console_setup
from web.console.viewer import Viewer

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Viewer",
    "console_setup",
    "console_viewer",
    "is_htmx",
    "render_console",
]
