"""/console/settings: a community's settings, each with its value, its default and what it means
in the viewer's language (``settings-about-*``; the values are checked by
bot/services/settings_schema.py, the CLI's own schema); admins and the community's
coordinators change one at a time. A value the schema refuses is answered with the schema's
message and nothing changes."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.i18n import Translator
from bot.services.errors import ServiceError
from bot.services.setting_errors import KEYS_SHOWN
from bot.services.settings_schema import expected
from bot.services.settings_view import SettingLine, about
from bot.text import cut
from web.console.guard import CONSOLE, console_viewer, render_console
from web.console.refusal import form_int, refusal
from web.console.viewer import Viewer
from web.pages import TRANSLATIONS, visitor_language

TIMEZONE_EXPECTED = "an IANA time zone such as Asia/Shanghai"


async def settings_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    raw = request.query.get("community")
    try:
        community_id = form_int(raw) if raw else None
        page = await request.app[CONSOLE].services.desk.settings(viewer.coverage, community_id)
    except ServiceError as error:
        return refusal(request, viewer, error, "settings")
    saved = cut(request.query.get("saved", ""), KEYS_SHOWN) or None  # the address is anyone's
    return await _render(request, viewer, page, saved=saved)


async def change(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    desk = request.app[CONSOLE].services.desk
    form = await request.post()
    key = str(form.get("key", ""))
    text = str(form.get("value", ""))
    try:
        community_id = form_int(form.get("community"))
        page = await desk.change_setting(viewer.coverage, community_id, key, parse_value(text))
    except ServiceError as error:
        if error.key not in ("settings-invalid", "settings-unknown"):
            return refusal(request, viewer, error, "settings")
        page = await desk.settings(viewer.coverage, community_id)
        return await _render(request, viewer, page, error=error, key=key, typed=text, status=400)
    # Post/redirect/get: a reload does not send the form again.
    raise web.HTTPSeeOther(f"/console/settings?community={page.community.id}&saved={key}")


def parse_value(text: str) -> Any:
    """What ``python -m bot settings KEY=VALUE`` takes: JSON, else plain text (22:00-08:00);
    empty: back to the default."""
    text = text.strip()
    if text == "":
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a 5000-digit number, nested too deep
        return text


async def _render(
    request: web.Request,
    viewer: Viewer,
    page: Any,
    *,
    saved: str | None = None,
    error: ServiceError | None = None,
    key: str = "",
    typed: str = "",
    status: int = 200,
) -> web.Response:
    communities = await request.app[CONSOLE].services.desk.communities(viewer.coverage)
    t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
    context = {
        "section": "settings",
        "page": page,
        "communities": communities,
        "lines": [_line(t, line) for line in page.view.lines],
        "saved": saved,
        "error": error,
        "error_key": key,
        "typed": typed,
    }
    return render_console(request, viewer, "console/settings.html", context, status=status)


def _line(t: Translator, line: SettingLine) -> dict[str, Any]:
    timezone = line.key == "timezone"
    shown = (
        line.value if isinstance(line.value, str) else json.dumps(line.value, ensure_ascii=False)
    )
    return {
        "key": line.key,
        "value": shown,
        "default": line.default,
        "invalid": line.invalid,
        "meaning": about(t, line.key),  # in the viewer's language
        "expected": TIMEZONE_EXPECTED if timezone else expected(line.key),
        "long": len(shown) > 60,
    }


def routes(app: web.Application) -> None:
    app.router.add_get("/console/settings", settings_page)
    app.router.add_post("/console/settings", change)
