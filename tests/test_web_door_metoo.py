""" "Me too" on the web door as a curious neighbour tries it: the summary offers one open
ticket of the building and kind (as the chat and WeChat do, which keep the offer on the
server); the form that answers it names a ticket, so a phone can post any number. Only the
ticket the offer names is followed: another open ticket of the building (another kind, one of
a private kind, one too old to be offered) is refused politely and nothing changes: no
follower, no event, no message to anyone. And words too long for a ticket message, posted by
hand, are refused in the page's words (the chat's say "send /cancel")."""

from __future__ import annotations

from typing import Any

from aiohttp import FormData
from sqlalchemy import func, select

from storage.db import Database
from storage.models import OutboxMessage, Ticket, TicketEvent, TicketFollower
from tests.conftest import FakeClock
from tests.factories import World
from tests.test_web_door import (
    EN,
    ZH,
    Http,
    config,
    form_fields,
    http,
    monotonic,
    open_poster,
    token_of,
    world,
)

__all__ = ["config", "http", "monotonic", "world"]  # fixtures


async def summary_for(http: Http, token: str, category: str, words: str) -> str:
    """The summary page of a report of ``category`` from the phone in hand."""
    _, csrf = await open_poster(http, token)
    data = FormData()
    for name, value in {"csrf": csrf, "category": category, "description": words}.items():
        data.add_field(name, value)
    response = await http.post(f"/b/{token}", data=data, headers=EN)
    assert response.status == 200, await response.text()
    return await response.text()


async def filed(http: Http, token: str, category: str, words: str) -> int:
    """A report of ``category`` sent from the phone in hand; its ticket's id."""
    html = await summary_for(http, token, category, words)
    sent = await http.post(
        f"/b/{token}/send",
        data=form_fields(html, f"/b/{token}/send"),
        headers=EN,
        allow_redirects=False,
    )
    assert sent.status == 303, await sent.text()
    return int(sent.headers["Location"].split("/")[2].split("?")[0])


async def state(db: Database) -> tuple[int, ...]:
    async with db.session() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(model)) or 0
                for model in (TicketFollower, TicketEvent, OutboxMessage, Ticket)
            ]
        )


async def follow(http: Http, token: str, fields: list[tuple[str, str]], **forged: str) -> Any:
    data = dict(fields) | forged
    return await http.post(f"/b/{token}/follow", data=data, headers=EN, allow_redirects=False)


async def test_only_the_offered_ticket_can_be_followed(
    http: Http, world: World, db: Database, clock: FakeClock
) -> None:
    token = token_of(world)
    old = await filed(http, token, "elevator", "The lift stops between floors")
    clock.advance(days=8)  # a week later: too old to be offered, still open
    other_kind = await filed(http, token, "facilities", "The bench is broken")
    private = await filed(http, token, "neighbours", "Loud music upstairs every night")
    offered = await filed(http, token, "repairs", "The stair light on floor 3 is broken")

    http.session.cookie_jar.clear()  # a neighbour's phone on the same stairs
    html = await summary_for(http, token, "repairs", "Dark stairs again")
    fields = form_fields(html, f"/b/{token}/follow")
    assert ("ticket", str(offered)) in fields
    before = await state(db)
    for forged in (other_kind, private, old):
        refused = await follow(http, token, fields, ticket=str(forged))
        assert refused.status == 400, forged
        assert "was not offered" in await refused.text(), forged
    assert await state(db) == before

    # The same refusal in the phone's language.
    refused = await http.post(
        f"/b/{token}/follow",
        data=dict(fields) | {"ticket": str(other_kind)},
        headers=ZH,
    )
    assert refused.status == 400 and "没有推荐" in await refused.text()
    assert await state(db) == before

    # The offered one is followed, and a double tap follows it once.
    for _ in range(2):
        followed = await follow(http, token, fields)
        assert followed.status == 303 and followed.headers["Location"] == f"/t/{offered}"
    async with db.session() as session:
        rows = (await session.scalars(select(TicketFollower))).all()
    assert [r.ticket_id for r in rows] == [offered]


async def test_words_too_long_for_the_page_are_refused_in_the_pages_words(
    http: Http, world: World, db: Database
) -> None:
    """A message or a "not fixed" longer than a ticket message holds (a form posted by hand:
    the page's own fields stop at the limit) is refused with the limit, not with the chat's
    "send /cancel", which a web page has not; nothing is passed on."""
    token = token_of(world)
    ticket_id = await filed(http, token, "repairs", "The stair light on floor 3 is broken")
    before = await state(db)
    page = await http.get(f"/t/{ticket_id}", headers=ZH)
    csrf = (await page.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for action, field, headers, words in (
        ("message", "text", EN, "Please keep it under 4,096"),
        ("reopen", "reason", ZH, "4,096"),
        ("message", "text", ZH, "4,096"),
    ):
        refused = await http.post(
            f"/t/{ticket_id}/{action}",
            data={"csrf": csrf, field: "灯" * 5000},
            headers=headers,
        )
        text = await refused.text()
        assert refused.status == 400 and words in text, text
        assert "/cancel" not in text
    assert await state(db) == before
