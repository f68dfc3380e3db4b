"""The console's ticket page and its actions, driven over HTTP as a signed-in head, coordinator
or admin: each action changes the database exactly as the chat's button does, its History line
says "(web)", and the resident's chat receives what a reply from chat would send. Refusals (a
stale page, another building, a revoked role, a forged id, a missing CSRF token) change nothing."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.services.ticket_core import Content
from storage.models import Role, Ticket, TicketStatus, WorkOrder
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID
from tests.test_console import make_http, sign_in
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    HEAD2,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    client,
    events,
    one,
    snapshot,
    ticket,
    to,
    town,
)

__all__ = ["client", "town"]  # fixtures

Http = TestClient[web.Request, web.Application]
S = TicketStatus
EN = {"Accept-Language": "en"}


@pytest.fixture
async def http(client: BotClient) -> AsyncIterator[Http]:
    async with make_http(client) as browser:
        yield browser


async def post(http: Http, ticket_id: int, action: str, csrf: str | None, **fields: str) -> Any:
    data = {**fields, **({"csrf": csrf} if csrf is not None else {})}
    return await http.post(
        f"/console/tickets/{ticket_id}/{action}", data=data, allow_redirects=False, headers=EN
    )


async def page(http: Http, ticket_id: int) -> str:
    response = await http.get(f"/console/tickets/{ticket_id}", headers=EN)
    assert response.status == 200
    return await response.text()


async def done(http: Http, found: Ticket, action: str, csrf: str, **fields: str) -> None:
    """The action succeeds like a form without JavaScript: a redirect back to the page."""
    response = await post(http, found.id, action, csrf, **fields)
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == f"/console/tickets/{found.id}?done={action}"


async def test_a_head_takes_replies_and_resolves_from_the_web(town: Town, http: Http) -> None:
    filed = await town.report()
    await town.deliver()
    csrf = await sign_in(town, http, HEAD)
    text = await page(http, filed.id)
    assert "Auntie" in text and "Take" in text and "Resolve" not in text  # not taken yet

    await done(http, filed, "take", csrf)
    now = await ticket(town.db, filed.number)
    assert now.status is S.TAKEN and now.holder_id == town.ids[HEAD]
    assert (await events(town.db, filed.number))[-1] == ("taken", {"door": "web"})
    sent = await town.deliver()
    taken = one(sent, RESIDENT).text
    assert taken == f"Your ticket #{filed.number} has been taken: the building head is on it."

    await done(http, filed, "reply", csrf, text="An electrician comes at 3 pm.")
    sent = await town.deliver()
    # Exactly what a reply from chat sends: the same header, the same text.
    assert one(sent, RESIDENT).text == (
        f"💬 Building head, ticket #{filed.number} (reply to this message to answer):\n"
        "An electrician comes at 3 pm."
    )
    kind, data = (await events(town.db, filed.number))[-1]
    assert kind == "message" and data["door"] == "web" and data["direction"] == "to-resident"

    await done(http, filed, "resolve", csrf, note="New bulb fitted.")
    assert (await ticket(town.db, filed.number)).status is S.RESOLVED
    sent = await town.deliver()
    resolved = one(sent, RESIDENT)
    assert "New bulb fitted." in resolved.text and resolved.buttons  # confirm / not fixed
    history = await page(http, filed.id)
    assert history.count("(web)") == 3 and "done=" not in history
    # The chat's History shows the door as well.
    person = await town.person(HEAD)
    t = town.client.dp["translations"].bind("en")
    _, lines = await town.world.services.ticket_cards.history(person, filed.id, t)
    assert sum("(web)" in line for line in lines) == 3


async def test_a_coordinator_escalates_merges_and_assigns(town: Town, http: Http) -> None:
    first = await town.report(text="Lift stuck")
    second = await town.report(text="Lift stuck again")
    third = await town.report(text="Door lock broken")
    await town.deliver()
    town.users[ADMIN_ID] = town.client.user(ADMIN_ID, "en", "Boss")
    csrf = await sign_in(town, http, ADMIN_ID)

    await done(http, first, "escalate", csrf, reason="Needs the property company")
    assert (await ticket(town.db, first.number)).escalated
    kind, data = (await events(town.db, first.number))[-1]
    assert kind == "escalated" and data["door"] == "web"
    sent = await town.deliver()
    assert any("Needs the property company" in s.text for s in to(sent, OFFICE))  # told

    await done(http, second, "merge", csrf, into=f"#{first.number}")
    merged = await ticket(town.db, second.number)
    assert merged.status is S.CLOSED and merged.merged_into_id == first.id
    assert (await events(town.db, second.number))[-1] == (
        "merged", {"into": first.number, "door": "web"},
    )  # fmt: skip
    await town.deliver()
    # Not into another building's ticket: its reporter would follow A1's ticket.
    elsewhere = await town.report(STRANGER, "B1 lift stuck too")
    before = await snapshot(town.db)
    refused = await post(http, elsewhere.id, "merge", csrf, into=f"#{first.number}")
    assert refused.status == 409 and "belongs to another building" in await refused.text()
    assert await snapshot(town.db) == before
    assert to(await town.deliver(), STRANGER) == []

    text = await page(http, third.id)
    assert "Li" in text and "Wang" in text  # the head and the deputy of A1 to choose from
    await done(http, third, "assign", csrf, person=str(town.ids[DEPUTY]))
    assigned = await ticket(town.db, third.number)
    assert assigned.status is S.TAKEN and assigned.holder_id == town.ids[DEPUTY]
    kind, data = (await events(town.db, third.number))[-1]
    assert kind == "assigned" and data["door"] == "web" and data["to"] == town.ids[DEPUTY]
    sent = await town.deliver()
    assert any("已指派给您" in s.text for s in to(sent, DEPUTY))  # the deputy reads Chinese
    assert f"#{third.number} has been taken" in one(sent, RESIDENT).text
    # Assigning to someone who does not serve the building changes nothing.
    before = await snapshot(town.db)
    refused = await post(http, third.id, "assign", csrf, person=str(town.ids[HEAD2]))
    assert refused.status == 409 and "does not serve" in await refused.text()
    assert await snapshot(town.db) == before


async def test_the_office_forwards_outside_and_records_the_answer(town: Town, http: Http) -> None:
    filed = await town.report(text="Street light out on the road")
    await town.deliver()
    csrf = await sign_in(town, http, OFFICE)  # the office's coordinator (Chinese)
    text = await (await http.get(f"/console/tickets/{filed.id}")).text()
    assert 'name="department"' in text
    await done(http, filed, "whistle", csrf, department="street_office")
    async with town.db.session() as session:
        order = await session.get(WorkOrder, 1)
        assert order is not None and order.door == "web" and order.answered_at is None
    kind, data = (await events(town.db, filed.number))[-1]
    assert kind == "whistled" and data["door"] == "web"
    sent = await town.deliver()
    assert "work order" in one(sent, RESIDENT).text
    text = await (await http.get(f"/console/tickets/{filed.id}")).text()
    assert order.reference in text and 'name="answer"' in text and 'name="department"' not in text
    await done(http, filed, "whistle-answer", csrf, answer="Repaired by the street office.")
    sent = await town.deliver()
    assert "Repaired by the street office." in one(sent, RESIDENT).text
    assert (await events(town.db, filed.number))[-1][1]["door"] == "web"
    # The printable work order, for the department: the office's only.
    assert f"/console/tickets/{filed.id}/work-order.xlsx" in await page(http, filed.id)
    sheet = await http.get(f"/console/tickets/{filed.id}/work-order.xlsx")
    assert sheet.status == 200
    worksheet = load_workbook(io.BytesIO(await sheet.read())).active
    assert worksheet is not None
    cells = " ".join(str(c) for row in worksheet.values for c in row if c is not None)
    assert order.reference in cells and "Street light out on the road" in cells
    pdf = await http.get(f"/console/tickets/{filed.id}/work-order.pdf")
    if pdf.status != 503:  # 503: no Pango on this machine, said so
        assert pdf.status == 200 and pdf.content_type == "application/pdf"
        assert len(PdfReader(io.BytesIO(await pdf.read())).pages) == 1
    http.session.cookie_jar.clear()  # the building's head signs in on this browser
    await sign_in(town, http, HEAD)
    assert f"/console/tickets/{filed.id}/work-order" not in await page(http, filed.id)
    assert (await http.get(f"/console/tickets/{filed.id}/work-order.xlsx")).status == 404


async def test_a_head_is_not_offered_the_whistle_and_is_refused_it(town: Town, http: Http) -> None:
    filed = await town.report()
    csrf = await sign_in(town, http, HEAD)
    assert 'name="department"' not in await page(http, filed.id)
    before = await snapshot(town.db)
    refused = await post(http, filed.id, "whistle", csrf, department="street_office")
    assert refused.status == 409 and "community office" in await refused.text()
    assert await snapshot(town.db) == before


async def test_a_stale_page_is_refused_and_changes_nothing(town: Town, http: Http) -> None:
    filed = await town.report()
    csrf = await sign_in(town, http, HEAD)
    await page(http, filed.id)  # the page offers Take…
    deputy = await town.person(DEPUTY)
    await town.world.services.ticket_actions.take(
        deputy, filed.id
    )  # …but the deputy took it in chat
    before = await snapshot(town.db)
    refused = await post(http, filed.id, "take", csrf)
    text = await refused.text()
    assert refused.status == 409 and "already been taken by Li" in text
    assert await snapshot(town.db) == before
    # Closed meanwhile: resolve, reply and merge are refused too, saying how it stands.
    await town.world.services.ticket_actions.resolve(deputy, filed.id, "")
    resident = await town.person(RESIDENT)
    await town.world.services.ticket_actions.confirm(resident, filed.id)
    before = await snapshot(town.db)
    for action, fields in (("resolve", {}), ("escalate", {}), ("merge", {"into": "1"})):
        refused = await post(http, filed.id, action, csrf, **fields)
        assert refused.status == 409, action
        assert f"Ticket #{filed.number} is now" in await refused.text()
    await town.deliver()
    refused = await post(http, filed.id, "reply", csrf, text="Hello?")
    assert refused.status == 409
    assert await snapshot(town.db) == before
    assert to(await town.deliver(), RESIDENT) == []


async def test_bad_input_is_answered_and_changes_nothing(town: Town, http: Http) -> None:
    filed = await town.report()
    csrf = await sign_in(town, http, HEAD)
    before = await snapshot(town.db)
    for action, fields, says in (
        ("reply", {"text": "   "}, "Please write the reply."),
        ("merge", {"into": "twelve"}, "Please give the number"),
        ("merge", {"into": "999"}, "There is no open ticket #999"),
        ("reply", {"text": "x" * 5000}, "too long"),
        ("assign", {"person": "abc"}, "Please choose whom"),
    ):
        refused = await post(http, filed.id, action, csrf, **fields)
        assert refused.status == 409 and says in await refused.text(), action
    assert await snapshot(town.db) == before
    assert to(await town.deliver(), RESIDENT) == []


async def test_htmx_swaps_the_ticket_part(town: Town, http: Http) -> None:
    filed = await town.report()
    csrf = await sign_in(town, http, HEAD)
    headers = {**EN, "HX-Request": "true", "X-CSRF-Token": csrf}
    response = await http.post(f"/console/tickets/{filed.id}/take", headers=headers)
    fragment = await response.text()
    assert response.status == 200 and "<html" not in fragment
    assert fragment.startswith('<div id="ticket"') and "You have taken the ticket." in fragment
    again = await http.post(f"/console/tickets/{filed.id}/take", headers=headers)
    text = await again.text()
    assert again.status == 200 and 'class="notice error"' in text  # htmx swaps 2xx only


async def test_another_building_a_forged_id_and_a_missing_token(
    town: Town, http: Http, client: BotClient
) -> None:
    filed = await town.report()
    async with make_http(client) as other:
        csrf = await sign_in(town, other, HEAD2)  # head of A2
        assert (await other.get(f"/console/tickets/{filed.id}")).status == 404
        assert (await other.get(f"/console/tickets/{filed.id}/files/0")).status == 404
        before = await snapshot(town.db)
        for action in ("take", "resolve", "escalate", "reply"):
            refused = await post(other, filed.id, action, csrf, text="hi", note="", reason="")
            assert refused.status == 404, action
        assert await snapshot(town.db) == before
    csrf = await sign_in(town, http, HEAD)
    for path in ("999999/take", "abc/take", "1e3/take", f"{filed.id}/explode"):
        response = await http.post(f"/console/tickets/{path}", data={"csrf": csrf})
        assert response.status == 404, path
    missing = await post(http, filed.id, "take", None)
    assert missing.status == 403
    forged = await post(http, filed.id, "take", "not-the-token")
    assert forged.status == 403
    assert await snapshot(town.db) == before


async def test_a_removed_head_loses_the_ticket_on_the_next_request(town: Town, http: Http) -> None:
    filed = await town.report()
    csrf = await sign_in(town, http, HEAD)
    assert "Take" in await page(http, filed.id)
    await town.world.services.revoke.revoke(Role.HEAD, HEAD, "A1")
    before = await snapshot(town.db)
    refused = await post(http, filed.id, "take", csrf)
    assert refused.status == 403 and "No access" in await refused.text()
    assert (await http.get(f"/console/tickets/{filed.id}")).status == 403
    assert await snapshot(town.db) == before


async def test_location_is_shown_with_a_map_link(town: Town, http: Http) -> None:
    filed = await town.report()
    async with town.db.session() as session:
        row = await session.get(Ticket, filed.id)
        assert row is not None
        row.latitude, row.longitude = 23.0325, 113.0512
        await session.commit()
    await sign_in(town, http, HEAD)
    text = await page(http, filed.id)
    assert "23.032500, 113.051200" in text
    assert re.search(r'href="https://www\.openstreetmap\.org/\?mlat=23\.032500&amp;mlon=113', text)


async def test_a_staff_reply_with_a_photo_is_listed_as_an_attachment(
    town: Town, http: Http
) -> None:
    filed = await town.report()
    head = await town.person(HEAD)
    await town.world.services.ticket_actions.take(head, filed.id)
    await town.world.services.ticket_actions.reply(head, filed.id, Content(photo="PHOTO-1"))
    await sign_in(town, http, HEAD)
    text = await page(http, filed.id)
    # Without a file source (no Telegram), the page says the files cannot be shown.
    assert "cannot be shown" in text


def once_key(html: str) -> str:
    """The reply form's one-time key on a rendered ticket page."""
    found = re.search(r'name="once" value="([^"]+)"', html)
    assert found is not None, "the reply form carries a one-time key"
    return found.group(1)


async def test_a_reply_sent_twice_from_one_form_reaches_the_resident_once(
    town: Town, http: Http
) -> None:
    """A double click on Reply, or the browser sending the form again after a slow answer:
    the resident got the same words twice. The form's one-time key passes them on once; the
    next page's form is a new reply."""
    filed = await town.report()
    await town.deliver()
    csrf = await sign_in(town, http, HEAD)
    await done(http, filed, "take", csrf)
    await town.deliver()
    form = {"text": "The plumber comes at 4 pm.", "once": once_key(await page(http, filed.id))}
    for _ in range(2):  # one after the other
        assert (await post(http, filed.id, "reply", csrf, **form)).status == 303
    both = await asyncio.gather(*(post(http, filed.id, "reply", csrf, **form) for _ in range(2)))
    assert [answer.status for answer in both] == [303, 303]  # at once, too
    said = [e for e in await events(town.db, filed.number) if e[0] == "message"]
    assert len(said) == 1
    assert [s.text for s in to(await town.deliver(), RESIDENT)] == [
        f"💬 Building head, ticket #{filed.number} (reply to this message to answer):\n"
        "The plumber comes at 4 pm."
    ]
    # The page rendered anew carries a new key: a deliberate second reply goes.
    again = {"text": "Running late.", "once": once_key(await page(http, filed.id))}
    assert again["once"] != form["once"]
    assert (await post(http, filed.id, "reply", csrf, **again)).status == 303
    said = [e for e in await events(town.db, filed.number) if e[0] == "message"]
    assert [data["text"] for _, data in said] == ["The plumber comes at 4 pm.", "Running late."]


async def test_a_long_reply_with_line_breaks_goes_and_a_too_long_one_is_said_for_the_web(
    town: Town, http: Http
) -> None:
    """A browser counts a textarea's line break as one character for its maxlength but sends
    it as two (CRLF): a 3,999-character reply of many lines, let through by the form, was
    refused as "too long (5,998 characters) … or send /cancel", a chat's words on a web page.
    Line breaks are the resident's \\n now; a reply really too long is told without /cancel."""
    filed = await town.report()
    await town.deliver()
    csrf = await sign_in(town, http, HEAD)
    await done(http, filed, "take", csrf)
    await town.deliver()
    lines = "\r\n".join(["x"] * 2000)  # 3,999 characters in the browser, 5,998 as sent
    await done(http, filed, "reply", csrf, text=lines, once=once_key(await page(http, filed.id)))
    [reply] = to(await town.deliver(), RESIDENT)
    assert reply.text.endswith("\n".join(["x"] * 2000)) and "\r" not in reply.text
    too_long = await post(http, filed.id, "reply", csrf, text="y" * 5000)
    text = await too_long.text()
    assert too_long.status == 409
    assert "That is too long (5,000 characters). Please keep it under 4,096." in text
    assert "/cancel" not in text
    said = [e for e in await events(town.db, filed.number) if e[0] == "message"]
    assert len(said) == 1
