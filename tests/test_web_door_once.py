"""A web door form counts once: "Send" tapped twice on a ticket's message form (an elderly
user's double tap, a browser resending after a slow answer) passes the message to the head
once, and the page shows it once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage, Ticket, TicketEvent, TicketStatus
from tests.factories import World
from tests.test_open311 import BOTH
from tests.test_web_door import (
    EN,
    HEAD_ID,
    Http,
    config,
    count,
    delivered,
    file_report_from,
    form_fields,
    http,
    monotonic,
    open_poster,
    page_text,
    report,
    token_of,
    world,
)

__all__ = ["config", "http", "monotonic", "world"]  # fixtures


async def filed(http: Http, world: World) -> int:
    """A report of this phone's, without photos, filed through the door: its ticket's id."""
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf)
    ticket_id, _ = await file_report_from(http, token, await summary.text())
    return ticket_id


async def resolved(http: Http, world: World) -> int:
    """``filed``, then taken and resolved by the building's head."""
    ticket_id = await filed(http, world)
    head = await world.person(world.client.user(HEAD_ID, "en", "Head"))
    await world.services.ticket_actions.take(head, ticket_id)
    await world.services.ticket_actions.resolve(head, ticket_id, "New bulb fitted.")
    return ticket_id


async def test_a_message_form_sent_twice_reaches_the_head_once(
    http: Http, world: World, db: Database
) -> None:
    ticket_id = await filed(http, world)
    await delivered(world)  # the head's card
    page = await page_text(http, ticket_id)
    fields = [*form_fields(page, f"/t/{ticket_id}/message"), ("text", "I am home after six.")]
    assert [name for name, _ in fields] == ["csrf", "once", "text"]
    queued = await count(db, OutboxMessage)

    first, second = [
        await http.post(f"/t/{ticket_id}/message", data=fields, headers=EN, allow_redirects=False)
        for _ in range(2)
    ]
    assert (first.status, second.status) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"] == f"/t/{ticket_id}"
    assert await count(db, OutboxMessage) == queued + 1
    assert (await page_text(http, ticket_id)).count("I am home after six.") == 1
    to_head = [s for s in await delivered(world) if "I am home after six." in s.text]
    assert len(to_head) == 1
    async with db.session() as session:
        said = await session.scalars(select(TicketEvent).where(TicketEvent.kind == "message"))
        assert len(said.all()) == 1

    # A new page is a new form: the same words again are a second message, on purpose.
    again = [
        *form_fields(await page_text(http, ticket_id), f"/t/{ticket_id}/message"),
        ("text", "I am home after six."),
    ]
    assert dict(again)["once"] != dict(fields)["once"]
    posted = await http.post(
        f"/t/{ticket_id}/message", data=again, headers=EN, allow_redirects=False
    )
    assert posted.status == 303
    assert (await page_text(http, ticket_id)).count("I am home after six.") == 2


async def test_fixed_and_a_rating_sent_twice_are_answered_as_the_first(
    http: Http, world: World, db: Database
) -> None:
    """ "Fixed" and the stars tapped twice: the second answer is the ticket page, as the
    first was, not "this button is out of date. Nothing was changed."; each counts once."""
    ticket_id = await resolved(http, world)
    page = await page_text(http, ticket_id)
    for action, extra in (("confirm", []), ("rate", [("stars", "4")])):
        fields = [*form_fields(page, f"/t/{ticket_id}/{action}"), *extra]
        for _ in range(2):
            answer = await http.post(
                f"/t/{ticket_id}/{action}", data=fields, headers=EN, allow_redirects=False
            )
            assert answer.status == 303, (action, await answer.text())
            assert answer.headers["Location"] == f"/t/{ticket_id}"
        page = await page_text(http, ticket_id)
    assert "You rated it 4 of 5." in page
    async with db.session() as session:
        kinds = [e.kind for e in await session.scalars(select(TicketEvent))]
        ticket = await session.get(Ticket, ticket_id)
    assert (kinds.count("confirmed"), kinds.count("rated")) == (1, 1)
    assert ticket is not None and (ticket.status, ticket.rating) == (TicketStatus.CLOSED, 4)


async def test_not_fixed_sent_twice_reopens_once(http: Http, world: World, db: Database) -> None:
    ticket_id = await resolved(http, world)
    page = await page_text(http, ticket_id)
    fields = [*form_fields(page, f"/t/{ticket_id}/reopen"), ("reason", "Still dark")]
    for _ in range(2):
        answer = await http.post(
            f"/t/{ticket_id}/reopen", data=fields, headers=EN, allow_redirects=False
        )
        assert answer.status == 303, await answer.text()
    async with db.session() as session:
        kinds = [e.kind for e in await session.scalars(select(TicketEvent))]
    assert kinds.count("reopened") == 1
    # Other words on a ticket no longer resolved: refused, as any out-of-date form is.
    other = await http.post(
        f"/t/{ticket_id}/reopen",
        data=[*fields[:-1], ("reason", "And the lift")],
        headers=EN,
    )
    assert other.status == 400


@BOTH
async def test_a_message_form_sent_twice_at_once_reaches_the_head_once(
    http: Http, world: World, db: Database
) -> None:
    """The browser's resend racing the first post: one message, one outbox row."""
    ticket_id = await filed(http, world)
    queued = await count(db, OutboxMessage)
    page = await page_text(http, ticket_id)
    fields = [*form_fields(page, f"/t/{ticket_id}/message"), ("text", "Gate code 1234")]
    answers = await asyncio.gather(
        *(
            http.post(f"/t/{ticket_id}/message", data=fields, headers=EN, allow_redirects=False)
            for _ in range(2)
        )
    )
    assert [a.status for a in answers] == [303, 303]
    assert await count(db, OutboxMessage) == queued + 1
    assert (await page_text(http, ticket_id)).count("Gate code 1234") == 1
