"""The phone number a resident gives on the web door's form, as phones type it: a Chinese
keyboard's full-width digits (１３８…) are kept as the digits they are, so the head can call
them; a number that is no number is refused on the summary step, where the form is one tap
back, not after "Send"; "show my phone" with no number written (and none given before) is
asked for there too, rather than promising the head a number they never get; and a refused
summary writes nothing."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Person, Ticket
from tests.factories import World
from tests.test_web_door import (
    EN,
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

__all__ = ["config", "http", "monotonic", "world"]  # fixtures


async def test_a_full_width_phone_is_kept_as_its_digits(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await report(
        http, token, csrf, show_phone="1", phone="＋８６ １３８ ００１３ ８０００"
    )
    assert summary.status == 200, await summary.text()
    sent = await http.post(
        f"/b/{token}/send",
        data=form_fields(await summary.text(), f"/b/{token}/send"),
        headers=EN,
        allow_redirects=False,
    )
    assert sent.status == 303, await sent.text()
    async with db.session() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.show_phone
        author = await session.get(Person, ticket.author_id)
        assert author is not None and author.phone == "+8613800138000"


async def test_a_phone_that_is_no_number_is_refused_before_the_summary(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    before = await counts(db)
    for phone in ("☎☎☎☎☎☎", "call me", "²³⁴"):
        refused = await report(http, token, csrf, show_phone="1", phone=phone, photo=jpeg(300, 200))
        assert refused.status == 400, phone
        assert "phone number does not look right" in await refused.text()
    assert await counts(db) == before
    # Without "show my phone" the field is not used, and not checked.
    shown = await report(http, token, csrf, phone="call me")
    assert shown.status == 200


async def test_show_my_phone_without_a_number_is_asked_for_not_promised(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token, ZH)
    before = await counts(db)
    for blank in ("", "   "):
        data = {"csrf": csrf, "category": "repairs", "description": "x", "show_phone": "1"}
        refused = await http.post(f"/b/{token}", data={**data, "phone": blank}, headers=ZH)
        assert refused.status == 400
        assert "请填写您的电话号码" in await refused.text()
    assert await counts(db) == before

    # The summary's "Send" form with its number taken out: asked for as well, nothing filed.
    summary = await (await report(http, token, csrf, show_phone="1", phone="13800138000")).text()
    fields = form_fields(summary, f"/b/{token}/send")
    forged = [(k, "" if k == "phone" else v) for k, v in fields]
    refused = await http.post(f"/b/{token}/send", data=forged, headers=EN)
    assert refused.status == 400 and "Please write your phone number" in await refused.text()
    async with db.session() as session:
        assert await session.scalar(select(Ticket)) is None

    # Sent with the number, the card shows it; the next report may leave the field empty.
    await file_report_from(http, token, summary)
    again = await report(http, token, csrf, show_phone="1", description="The lift is stuck")
    assert again.status == 200 and "The head sees your phone number." in await again.text()
    await file_report_from(http, token, await again.text())
    cards = [s.text for s in await delivered(world) if s.buttons]
    assert len(cards) == 2 and all("13800138000" in card for card in cards)
