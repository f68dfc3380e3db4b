"""Downloads from the console: the tickets list with its current filters as CSV or XLSX
(``/console/export/tickets.csv?<the list's parameters>``), and the monthly report XLSX
(``/console/export/month.xlsx?community=ID&month=YYYY-MM``). Who may: ConsoleExports
(bot/services/console_exports.py); a refusal is a page saying why, and nothing is written."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from functools import partial

from aiohttp import web

from bot.documents.pdf import PdfUnavailable
from bot.documents.posters import STEPS, WECHAT_STEPS, posters_pdf
from bot.services.errors import ServiceError
from bot.services.links import PayloadKind, make_payload, poster_link
from bot.services.sla import reckonable
from bot.services.ticket_query import TicketQuery
from web.console.guard import CONSOLE, WECHAT_QR, console_viewer
from web.console.refusal import form_int, refusal
from web.pages import TRANSLATIONS, visitor_language

TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(body: bytes, kind: str, name: str) -> web.Response:
    response = web.Response(body=body, content_type=TYPES[kind].split(";")[0])
    response.headers["Content-Type"] = TYPES[kind]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


async def tickets(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    kind = request.match_info["kind"]
    language = viewer.language or visitor_language(request)
    query = TicketQuery.from_params(list(request.query.items()))
    exports = request.app[CONSOLE].services.console_exports
    try:
        body = await exports.tickets(viewer.person_id, viewer.coverage, query, language, kind)
    except ServiceError as error:
        return refusal(request, viewer, error, "tickets")
    stamp = request.app[CONSOLE].clock().strftime("%Y%m%d-%H%M")
    return _download(body, kind, f"tickets-{stamp}")


async def month(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    language = viewer.language or visitor_language(request)
    exports = request.app[CONSOLE].services.console_exports
    try:
        community_id = form_int(request.query.get("community"))
        raw = request.query.get("month", "")
        try:
            first = date.fromisoformat(raw[:7] + "-01")
        except ValueError:
            raise ServiceError("numbers-bad-date", value=raw[:20]) from None
        if not reckonable(first):
            raise ServiceError("numbers-bad-date", value=raw[:20])
        body = await exports.month(viewer.coverage, community_id, first, language)
    except ServiceError as error:
        return refusal(request, viewer, error, "numbers")
    return _download(body, "xlsx", f"report-{first:%Y-%m}")


async def posters(request: web.Request) -> web.Response:
    """The stairwell posters of the buildings ticked on the Buildings page (``?b=ID``…), or of
    every building the viewer covers: one A4 page each."""
    viewer = await console_viewer(request)
    context = request.app[CONSOLE]
    translations = request.app[TRANSLATIONS]
    language = viewer.language or visitor_language(request)
    wechat = request.query.get("door") == "wechat"
    make_qr = request.app.get(WECHAT_QR)
    if wechat and make_qr is None:
        raise web.HTTPNotFound(text="the WeChat door is off")
    try:
        chosen = [form_int(value) for value in request.query.getall("b", [])]
        if wechat:
            assert make_qr is not None
            # The building's permanent WeChat QR code (scene: its join token) instead.
            pages = await context.services.desk.posters(
                viewer.person_id, viewer.coverage, chosen, lambda payload: payload
            )
            join = make_payload(PayloadKind.JOIN, "")
            pages = [replace(p, link=await make_qr(p.link.removeprefix(join))) for p in pages]
        else:
            config = context.config
            username = None if config.public_base else await context.bot_username()
            pages = await context.services.desk.posters(
                viewer.person_id,
                viewer.coverage,
                chosen,
                lambda payload: poster_link(
                    payload,
                    public_base=config.public_base,
                    bot_username=username,
                    local_base=config.console_base,
                ),
            )
    except ServiceError as error:
        return refusal(request, viewer, error, "buildings")
    steps = WECHAT_STEPS if wechat else STEPS
    try:  # drawn in a thread: WeasyPrint takes a while, the bot keeps answering
        pdf = await asyncio.to_thread(
            partial(posters_pdf, steps=steps),
            translations.bind(language),
            translations.bind("en"),
            pages,
        )
    except PdfUnavailable:
        raise web.HTTPServiceUnavailable(text="PDFs cannot be made on this server") from None
    return _download(pdf, "pdf", "posters")


def routes(app: web.Application) -> None:
    app.router.add_get("/console/export/posters.pdf", posters)
    app.router.add_get("/console/export/tickets.{kind:csv|xlsx}", tickets)
    app.router.add_get("/console/export/month.xlsx", month)
