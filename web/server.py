"""One aiohttp application per process, on ``WEB_LISTEN``: server-rendered pages (aiohttp-jinja2,
autoescaped: no stored HTML ever reaches a page), static files served from the package (nothing
from a CDN: the console must work on an office intranet), a health endpoint for a proxy or an
orchestrator, and headers that keep pages from being framed, sniffed or leaking their address."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.i18n import Translations
from bot.startup import StartupError
from web.pages import TRANSLATIONS, render

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
# Five photos resized in the browser before upload fit easily; a larger body is refused (413).
MAX_BODY = 12 * 1024 * 1024
# Pages load their scripts and styles from this server only; photos may be previewed from blobs.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Setup = Callable[[web.Application], None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# What the process depends on, by name (e.g. "database"): each probe returns when it answers and
# raises when it does not. A part that needs something adds its probe here.
Probe = Callable[[], Awaitable[object]]
HEALTH_CHECKS = web.AppKey("health_checks", dict[str, Probe])
# Longer than a unit of work waits for SQLite's one connection under a burst: a busy database
# is not a dead one, and a proxy that took it for dead would restart a healthy bot.
PROBE_SECONDS = 5.0


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    return response


@web.middleware
async def friendly_not_found(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A mistyped or stale link shows a page a resident can read, in their language."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if request.path.startswith(("/static/", "/api/")):
            raise
        return render(request, "not_found.html", status=404)


async def form_reads(request: web.Request) -> bool:
    """Whether the POST's form can be read: a field that is not text in its charset (a raw
    0xFF in a urlencoded body or a multipart field, an unknown charset), or a multipart body
    no browser writes (no boundary, a boundary that never comes, a part without a name),
    makes aiohttp's ``request.post()`` raise, which would be a 500. Read once here, before
    any handler, so a door refuses with its own page and nothing is written; aiohttp keeps
    the form it read for the handler's ``request.post()``."""
    try:
        await request.post()
    except (ValueError, LookupError):  # UnicodeDecodeError is a ValueError
        return False
    return True


async def health(request: web.Request) -> web.Response:
    """For the proxy and the orchestrator: 200 while the process serves HTTP and what it
    depends on answers, 503 (saying which failed) otherwise."""
    probes = request.app.get(HEALTH_CHECKS, {})
    answers = {name: await _answers(name, probe) for name, probe in probes.items()}
    ok = all(answers.values())
    return web.json_response({"ok": ok, **answers}, status=200 if ok else 503)


async def _answers(name: str, probe: Probe) -> bool:
    try:
        await asyncio.wait_for(probe(), PROBE_SECONDS)
    except Exception as error:  # whatever went wrong, the answer is "not healthy"
        log.warning("health: %s does not answer (%s)", name, type(error).__name__)
        return False
    return True


def create_web_app(
    translations: Translations,
    setups: Sequence[Setup] = (),
    *,
    template_dirs: Sequence[Path] = (),
) -> web.Application:
    """The application with every part's routes: ``setups`` add them (and whatever they keep in
    the app); ``template_dirs`` are searched before the shared templates."""
    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[security_headers, friendly_not_found]
    )
    app[TRANSLATIONS] = translations
    loader = jinja2.FileSystemLoader([*template_dirs, TEMPLATES_DIR])
    env = aiohttp_jinja2.setup(
        app, loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.globals["static"] = lambda path: _static_url(app, path)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    for setup in setups:
        setup(app)
    return app


def _static_url(app: web.Application, path: str) -> str:
    """A static file's URL with its content's hash (?v=…): a phone never keeps an old copy."""
    resource = app.router["static"]
    assert isinstance(resource, web.StaticResource)
    return str(resource.url_for(filename=path.removeprefix("/static/"), append_version=True))


@dataclass
class WebServer:
    """Runs ``app`` on ``host:port`` until stopped."""

    app: web.Application
    host: str
    port: int
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Starts listening; returns the address it listens on (the port, when 0 was asked
        for, is the one the system chose)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        # The first address the runner listens on (port 0 asks the system for a free one).
        self.port = int(self._runner.addresses[0][1])
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def start_listening(server: WebServer) -> str:
    """``server.start()``, with a port in use (or any address it cannot take) told as one line
    that names WEB_LISTEN, in either mode."""
    try:
        return await server.start()
    except OSError as error:
        await server.stop()
        cause = os.strerror(error.errno) if error.errno else str(error)  # "Address in use"
        where = f"{server.host}:{server.port}: {cause}"
        raise StartupError("WEB_LISTEN", f"cannot listen on {where}") from None
