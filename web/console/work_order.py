"""/console/tickets/<id>/work-order.pdf and .xlsx: the whistle's printable work order, for the
office (the service refuses anyone else), with the ticket's photos fetched through the media
cache. Drawn in a thread: WeasyPrint takes a second or more, and the bot keeps answering."""

from __future__ import annotations

import asyncio
import dataclasses

from aiohttp import web

from bot.documents.pdf import PdfUnavailable
from bot.files import FileUnavailable
from bot.services.errors import ServiceError
from web.console.guard import CONSOLE, console_viewer
from web.console.ticket import missing, staff_person, translator

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def work_order_file(request: web.Request) -> web.StreamResponse:
    viewer = await console_viewer(request)
    found = await staff_person(request, viewer)
    if found is None:
        return missing(request, viewer)
    ticket_id, person = found
    # Here, not at the top: the spreadsheet and image libraries stay out of the bot's memory
    # until someone prints.
    from bot.documents.work_order import work_order_pdf, work_order_xlsx

    kind = request.match_info["format"]
    draw = work_order_pdf if kind == "pdf" else work_order_xlsx
    context = request.app[CONSOLE]
    try:
        printable = await context.services.whistle.printable(
            person, ticket_id, translator(request, viewer)
        )
    except ServiceError:
        return missing(request, viewer)
    photos = list(printable.sheet.photos)  # the web door's, from the database
    if context.media is not None:
        for file_id in printable.photo_ids:
            try:
                photos.append(await context.media.get(file_id))
            except FileUnavailable:
                continue  # the sheet says how many photos it could not show
    sheet = dataclasses.replace(printable.sheet, photos=tuple(photos))
    try:
        body = await asyncio.to_thread(draw, sheet)
    except PdfUnavailable:  # a server without Pango: the XLSX still comes
        raise web.HTTPServiceUnavailable(text="PDFs cannot be made on this server") from None
    name = f"work-order-{sheet.reference}.{kind}"
    return web.Response(
        body=body,
        content_type=CONTENT_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/console/tickets/{ticket_id}/work-order.{format:pdf|xlsx}", work_order_file)
