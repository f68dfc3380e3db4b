"""Two reports sent at the same moment with the same photo put it on one ticket only: the
photo is claimed in the ticket's own unit of work (bot/services/reporting.py)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.db import Database
from storage.models import Ticket
from tests.factories import World
from tests.test_open311 import BOTH
from tests.test_web_door import (
    EN,
    Http,
    config,
    form_fields,
    http,
    jpeg,
    monotonic,
    open_poster,
    report,
    token_of,
    world,
)

__all__ = ["config", "http", "monotonic", "world"]  # fixtures


@BOTH
async def test_two_sends_at_once_put_a_photo_on_one_ticket(
    http: Http, world: World, db: Database
) -> None:
    """The summary's form sent twice at the same moment with other draft keys (two tabs, a
    forged copy): both may file a ticket, the photo goes to one of them."""
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf, photo=jpeg(300, 200))
    fields = form_fields(await summary.text(), f"/b/{token}/send")
    [key] = [value for name, value in fields if name == "photo_key"]
    forms = [[(n, f"{v}{i}" if n == "draft_key" else v) for n, v in fields] for i in range(2)]
    answers = await asyncio.gather(
        *(
            http.post(f"/b/{token}/send", data=form, headers=EN, allow_redirects=False)
            for form in forms
        )
    )
    assert [a.status for a in answers] == [303, 303]
    async with db.session() as session:
        tickets = (await session.scalars(select(Ticket))).all()
    assert len(tickets) == 2
    with_photo = [t for t in tickets if any(m.get("web_file") == key for m in t.media)]
    assert len(with_photo) == 1
