"""The web door against what a phone (or a person with a script) may send that no form of
ours writes: bytes that are not UTF-8 in a form, a name cut mid-emoji, a photo key used twice,
and a refusal page that should lead back to where the visitor was."""

from __future__ import annotations

import json

import pytest
from aiohttp import FormData
from sqlalchemy import select

from storage.db import Database
from storage.models import Channel, Contact, Person, Ticket, TicketStatus, WebFile
from tests.factories import World
from tests.test_open311 import BOTH
from tests.test_web_door import (
    EN,
    ZH,
    Http,
    config,
    count,
    counts,
    file_report,
    file_report_from,
    form_fields,
    hidden,
    http,
    jpeg,
    monotonic,
    open_poster,
    report,
    token_of,
    world,
)

__all__ = ["config", "http", "monotonic", "world"]  # fixtures

BOUNDARY = "----louzhang-test"


def multipart(fields: dict[str, bytes]) -> bytes:
    """A multipart body written by hand: each field a text part, its bytes as given."""
    body = b""
    for name, value in fields.items():
        body += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            ).encode()
            + value
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


async def test_bytes_that_are_not_utf8_get_a_polite_page_and_write_nothing(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    before = await counts(db)
    urlencoded = b"csrf=" + csrf.encode() + b"&category=repairs&description=\xff\xfe broken"
    response = await http.post(
        f"/b/{token}",
        data=urlencoded,
        headers={**EN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400
    assert "could not be read" in await response.text()
    body = multipart({"csrf": csrf.encode(), "category": b"repairs", "name": b"Wang \xc3"})
    response = await http.post(
        f"/b/{token}",
        data=body,
        headers={**ZH, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status == 400
    assert "乱码" in await response.text()
    # The ticket page's forms too (the guard reads every door form first).
    response = await http.post(
        "/t/1/message",
        data=b"csrf=" + csrf.encode() + b"&text=\xff",
        headers={**EN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400
    assert await counts(db) == before


async def test_a_multipart_body_no_browser_writes_gets_a_polite_page(
    http: Http, world: World, db: Database
) -> None:
    """A script's multipart form without its boundary, whose boundary never comes, or with a
    part that has no name: aiohttp cannot read it (ValueError), which was a 500 before any
    of the door's checks. It is a garbled form: the page says so, and nothing is written."""
    token = token_of(world)
    ticket_id, page = await file_report(http, token)
    csrf = hidden(page, "csrf")[0]
    before = await counts(db)
    named = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}'
    nameless = f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--"
    bodies = [
        ("multipart/form-data", multipart({"csrf": csrf.encode()})),
        (f"multipart/form-data; boundary={BOUNDARY}", b"no boundary here"),
        (f"multipart/form-data; boundary={BOUNDARY}", named.encode()),
        (f"multipart/form-data; boundary={BOUNDARY}", nameless.encode()),
    ]
    for kind, body in bodies:
        for path, headers, words in (
            (f"/b/{token}", EN, "could not be read"),
            (f"/t/{ticket_id}/message", ZH, "乱码"),
        ):
            response = await http.post(path, data=body, headers={**headers, "Content-Type": kind})
            assert response.status == 400, (kind, body, path)
            assert words in await response.text()
    assert await counts(db) == before


async def test_a_name_is_cut_between_graphemes_not_inside_an_emoji(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
    _, csrf = await open_poster(http, token)
    html = await (await report(http, token, csrf, name="A" * 38 + family)).text()
    sent = await http.post(
        f"/b/{token}/send",
        data=form_fields(html, f"/b/{token}/send"),
        headers=EN,
        allow_redirects=False,
    )
    assert sent.status == 303
    async with db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
        author = await session.get(Person, ticket.author_id)
        assert author is not None and author.display_name == "A" * 38


async def test_a_photo_key_goes_on_one_ticket_only(http: Http, world: World, db: Database) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await (await report(http, token, csrf, photo=jpeg())).text()
    fields = form_fields(summary, f"/b/{token}/send")
    send = f"/b/{token}/send"
    first = await http.post(send, data=fields, headers=EN, allow_redirects=False)
    assert first.status == 303
    # A double tap of the same form: the same ticket, no refusal.
    again = await http.post(send, data=fields, headers=EN, allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == first.headers["Location"]
    # The summary's form sent again as another report (a new draft): the photo stays on the
    # first ticket only.
    forged = [(k, "other" if k == "draft_key" else v) for k, v in fields]
    forged = [(k, "The lift is stuck" if k == "description" else v) for k, v in forged]
    second = await http.post(send, data=forged, headers=EN, allow_redirects=False)
    assert second.status == 303 and second.headers["Location"] != first.headers["Location"]
    async with db.session() as session:
        tickets = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
        assert [len(t.media) for t in tickets] == [1, 0]
    # A form with nothing but that used photo is an empty report: refused, nothing filed.
    empty = [(k, "" if k == "description" else v) for k, v in fields]
    empty = [(k, "third" if k == "draft_key" else v) for k, v in empty]
    refused = await http.post(send, data=empty, headers=EN, allow_redirects=False)
    assert refused.status == 400
    assert await count(db, Ticket) == 2


async def test_a_refusal_page_leads_back_to_the_page_of_its_form(http: Http, world: World) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    for headers, words in ((EN, "← Back to the page"), (ZH, "← 返回上一页")):
        data = {"csrf": csrf, "category": "no-such-kind", "description": "x"}
        refused = await http.post(f"/b/{token}", data=data, headers=headers)
        assert refused.status == 400
        html = await refused.text()
        assert f'<a href="/b/{token}">{words}' in html
    ticket_id, page = await file_report(http, token)
    csrf = hidden(page, "csrf")[0]
    empty = await http.post(f"/t/{ticket_id}/message", data={"csrf": csrf, "text": " "}, headers=EN)
    assert empty.status == 400
    assert f'<a href="/t/{ticket_id}">← Back to the page' in await empty.text()
    # A page that is itself refused offers no way back to itself.
    unknown = await http.get("/b/no-such-token", headers=EN)
    assert unknown.status == 404 and "Back to the page" not in await unknown.text()


async def test_a_file_sent_where_words_belong_is_no_words(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    before = await counts(db)
    data = FormData()
    data.add_field("csrf", csrf)
    data.add_field("category", "repairs")
    data.add_field("description", b"words", filename="d.txt", content_type="text/plain")
    data.add_field("name", b"Wang", filename="n.txt", content_type="text/plain")
    response = await http.post(f"/b/{token}", data=data, headers=EN)
    html = await response.text()
    assert response.status == 400 and "FileField" not in html
    assert await counts(db) == before


async def stored_photos(db: Database) -> set[str]:
    async with db.session() as session:
        return set(await session.scalars(select(WebFile.key)))


@BOTH
async def test_photos_of_summaries_never_sent_go_a_day_later_and_the_tickets_stay(
    http: Http, world: World, db: Database
) -> None:
    """The form sent twice keeps its photo twice, and a summary left unsent keeps its photo:
    the hourly purge drops those a day later. The photo on the ticket is never dropped."""
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    first = await report(http, token, csrf, photo=jpeg(800, 600))
    again = await report(http, token, csrf, photo=jpeg(800, 600))  # the same form, resent
    assert first.status == again.status == 200
    summary = await again.text()
    [filed] = hidden(summary, "photo_key")
    ticket_id, page = await file_report_from(http, token, summary)
    assert f"/door/photo/{filed}" in page
    left = await report(http, token, csrf, photo=jpeg(640, 480), description="The bin is full")
    [unsent] = hidden(await left.text(), "photo_key")
    everything = await stored_photos(db)
    assert len(everything) == 3 and {filed, unsent} <= everything

    world.clock.advance(hours=23)  # not a day yet: a summary may still be sent
    await world.services.scheduling.retention.run()
    assert await stored_photos(db) == everything
    world.clock.advance(hours=2)
    await world.services.scheduling.retention.run()
    assert await stored_photos(db) == {filed}
    shown = await http.get(f"/door/photo/{filed}", headers=EN)
    assert shown.status == 200 and shown.content_type == "image/jpeg"
    assert (await http.get(f"/door/photo/{unsent}", headers=EN)).status == 404
    await world.services.scheduling.retention.run()  # again: the ticket's photo stays
    assert await stored_photos(db) == {filed}
    assert f"/door/photo/{filed}" in await (await http.get(f"/t/{ticket_id}", headers=EN)).text()


async def test_a_summary_sent_after_its_photos_went_is_refused_and_files_nothing(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await (await report(http, token, csrf, photo=jpeg(800, 600))).text()
    world.clock.advance(hours=25)  # the summary left open in a tab over a day
    await world.services.scheduling.retention.run()
    assert await stored_photos(db) == set()
    sent = await http.post(
        f"/b/{token}/send", data=form_fields(summary, f"/b/{token}/send"), headers=EN
    )
    text = await sent.text()
    assert sent.status == 400 and "no longer kept" in text and "fill in the form again" in text
    assert await count(db, Ticket) == 0


@pytest.mark.parametrize("config", ["sqlite", "postgresql"], indirect=True)
async def test_a_ticket_number_beyond_what_the_database_holds_is_no_page(
    http: Http, world: World, db: Database
) -> None:
    """/t/2147483648: twelve digits are allowed in an id, but PostgreSQL's INTEGER ends at
    2147483647 and a bigger one bound to the query failed the statement (a 500 page, on a
    link anyone can type). It is no ticket of ours: 404, or the form's own refusal, and
    nothing changes."""
    token = token_of(world)
    ticket_id, page = await file_report(http, token)
    csrf = hidden(page, "csrf")[0]
    before = await counts(db)
    for big in ("2147483648", "999999999999"):
        assert (await http.get(f"/t/{big}", headers=EN)).status == 404, big
        assert (await http.get(f"/t/{big}/photo/k", headers=EN)).status == 404, big
        for action in ("message", "confirm", "reopen"):
            data = {"csrf": csrf, "text": "hi", "reason": "still"}
            posted = await http.post(f"/t/{big}/{action}", data=data, headers=EN)
            assert posted.status == 404, (big, action)
        followed = await http.post(
            f"/b/{token}/follow", data={"csrf": csrf, "ticket": big}, headers=EN
        )
        assert followed.status == 400 and "open the page again" in await followed.text()
    assert await counts(db) == before
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status is TicketStatus.NEW


async def test_a_push_endpoint_at_a_short_form_of_an_address_is_refused(
    http: Http, world: World, db: Database
) -> None:
    """The door posts a notification to whatever endpoint the browser's subscription names,
    so one inside the server's own network is refused: "https://10.0.0.1/…" was, but the
    resolver also reads "127.1", "0x7f000001" or "2130706433" as 127.0.0.1, and those went
    through as host names. Each is refused with the page's words and nothing is kept."""
    ticket_id, page = await file_report(http, token_of(world))
    csrf = hidden(page, "csrf")[0]
    keys = {"p256dh": "A" * 87, "auth": "B" * 22}
    for host in ("127.1", "0x7f000001", "2130706433", "10.1", "0177.0.0.1"):
        subscription = json.dumps({"endpoint": f"https://{host}:8443/push", "keys": keys})
        answer = await http.post(
            "/door/push", data={"csrf": csrf, "subscription": subscription}, headers=EN
        )
        assert answer.status == 400, host
        assert "The browser sent something unexpected" in await answer.text()
    async with db.session() as session:
        contact = (
            await session.scalars(select(Contact).where(Contact.channel == Channel.WEB))
        ).one()
        assert contact.push is None
    # A push service's own name is kept.
    subscription = json.dumps({"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": keys})
    kept = await http.post(
        "/door/push", data={"csrf": csrf, "subscription": subscription}, headers=EN
    )
    assert kept.status == 200
