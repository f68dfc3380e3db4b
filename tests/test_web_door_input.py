"""The web door against what a phone (or a person with a script) may send that no form of
ours writes: bytes that are not UTF-8 in a form, a name cut mid-emoji, a photo key used twice,
and a refusal page that should lead back to where the visitor was."""

from __future__ import annotations

from aiohttp import FormData
from sqlalchemy import select

from storage.db import Database
from storage.models import Person, Ticket, WebFile
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
