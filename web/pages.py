"""Rendering a page in the visitor's language: Simplified Chinese or English, from the phone's
``Accept-Language`` (``?lang=`` and then a cookie override it: a button on the page sets it)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.i18n import SUPPORTED_LANGUAGES, Translations, match_language

TRANSLATIONS = web.AppKey("translations", Translations)
LANGUAGE_COOKIE = "lang"


def visitor_language(request: web.Request) -> str:
    translations = request.app[TRANSLATIONS]
    chosen = request.query.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in SUPPORTED_LANGUAGES:
        return str(chosen)
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip()
        if tag and tag != "*":
            return match_language(tag, translations.default)
    return translations.default


def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    language: str | None = None,
) -> web.Response:
    """``template`` in ``language`` (a signed-in person's own), else the visitor's."""
    language = (
        language if language in SUPPORTED_LANGUAGES and language else visitor_language(request)
    )
    translator = request.app[TRANSLATIONS].bind(language)
    response = aiohttp_jinja2.render_template(
        template,
        request,
        {
            "t": translator,
            "lang": "zh-Hans" if language == "zh-hans" else language,
            **(context or {}),
        },
        status=status,
    )
    if request.query.get("lang") in SUPPORTED_LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="Lax")
    return response
