"""A console action the services refused (not allowed, gone meanwhile, a bad value): a page in
the viewer's language saying why, with a link back, and nothing changed."""

from __future__ import annotations

from aiohttp import web

from bot.services.errors import ServiceError
from web.console.guard import flash, is_htmx, render_console
from web.console.viewer import Viewer
from web.pages import TRANSLATIONS, visitor_language

# Refusals that mean "not yours": the same answer as for something that does not exist.
FORBIDDEN = frozenset({"not-allowed", "numbers-no-area"})


def refusal(
    request: web.Request, viewer: Viewer, error: ServiceError, section: str
) -> web.Response:
    status = 403 if error.key in FORBIDDEN else 400
    if is_htmx(request):  # a notice where the user looks, not a page htmx would not show
        t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
        return flash(request, t(error.key, **error.args_), status=status, language=viewer.language)
    context = {"section": section, "error": error, "back": f"/console/{section}"}
    return render_console(request, viewer, "console/refused.html", context, status=status)


def form_int(value: object) -> int:
    """A numeric id from a path or a form; anything else is refused like a foreign id."""
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) < 12):
        raise ServiceError("not-allowed")
    return int(text)
