"""Words nobody would see: a description or a name of zero-width spaces, a word joiner or a
control character. In the web door (and through Open311) a report of only such words is an
empty report, refused politely with nothing written, and such a "name" is no name: the head's
card never shows a name line with nothing on it."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.i18n import Translations
from storage.db import Database
from storage.models import OutboxMessage, Person, Ticket
from tests.factories import World
from tests.test_open311 import BASE, CALLER, count, key, outbox_to, request_form
from tests.test_web_door import (
    EN,
    HEAD_ID,
    ZH,
    Http,
    config,
    counts,
    delivered,
    file_report_from,
    form_fields,
    http,
    jpeg,
    monotonic,
    open_poster,
    report,
    token_of,
    world,
)
from web.open311 import open311_setup
from web.server import create_web_app

__all__ = ["config", "http", "key", "monotonic", "world"]  # fixtures

INVISIBLE = ("\u200b\u200b", "\u2060\ufeff", " \u200b\x1b ")


async def test_a_report_of_invisible_words_is_empty_and_files_nothing(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token, ZH)
    before = await counts(db)
    for words in INVISIBLE:
        refused = await http.post(
            f"/b/{token}",
            data={"csrf": csrf, "category": "repairs", "description": words},
            headers=ZH,
        )
        assert refused.status == 400 and "请先描述一下问题" in await refused.text()
    assert await counts(db) == before

    # The summary's "Send" form with its words replaced (a form resent, a script): refused too.
    summary = await (await report(http, token, csrf)).text()
    fields = form_fields(summary, f"/b/{token}/send")
    for words in INVISIBLE:
        forged = [(k, words if k == "description" else v) for k, v in fields]
        sent = await http.post(f"/b/{token}/send", data=forged, headers=EN)
        assert sent.status == 400 and "Please describe the problem first." in await sent.text()
    assert await count(db, Ticket) == 0
    assert [s for s in await delivered(world) if "#1" in s.text] == []

    # With a photo the report stands, and keeps no invisible words as its description.
    summary = await (
        await report(http, token, csrf, photo=jpeg(300, 200), description="\u200b")
    ).text()
    ticket_id, _ = await file_report_from(http, token, summary)
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.description == "" and len(ticket.media) == 1


async def test_an_invisible_name_is_no_name_on_the_heads_card(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await (await report(http, token, csrf, name="\u200b\u200b")).text()
    ticket_id, _ = await file_report_from(http, token, summary)
    [card] = [s for s in await delivered(world) if "#1" in s.text and s.buttons]
    assert getattr(card.method, "chat_id", None) == HEAD_ID
    assert "👤 resident (name hidden)" in card.text and "\u200b" not in card.text
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and not ticket.show_name
        author = await session.get(Person, ticket.author_id)
        assert author is not None and author.display_name == ""


async def test_open311_refuses_an_invisible_description_and_drops_an_invisible_caller(
    world: World, db: Database, key: str, translations: Translations
) -> None:
    app = create_web_app(translations, [open311_setup(world.services.open311)])
    async with TestClient(TestServer(app)) as client:
        outbox_before = await count(db, OutboxMessage)
        for words in INVISIBLE:
            response = await client.post(
                BASE + "/requests.json", data=request_form(key, description=words)
            )
            assert response.status == 400
            [error] = await response.json()
            assert "description is required" in error["description"]
        assert await count(db, Ticket) == 0 and await count(db, OutboxMessage) == outbox_before

        caller = {**CALLER, "first_name": "\u200b", "last_name": "\u2060"}
        filed = await client.post(BASE + "/requests.json", data=request_form(key, **caller))
        assert filed.status == 200, await filed.text()
    via = (await outbox_to(db, HEAD_ID))[-1].payload["text"]
    assert "came through Open311" in via and "Caller" not in via and "13800138000" in via
    async with db.session() as session:
        assert (await session.scalars(select(Ticket))).one().description
