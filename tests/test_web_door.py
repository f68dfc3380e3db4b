"""The residents' web door as a phone uses it: the poster's link opens the building's page, a
report (category, words, a photo, consent) reaches the head's Telegram chat as a card with the
photo uploaded, the head's answer in chat shows on the ticket page, the resident's answer from
the page reaches the head in chat, and fixed + rating close it. Another device cannot open the
ticket; a forged token, a form without its CSRF token, a body too big and a flood are refused
politely, in the visitor's language, writing nothing."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiogram.methods import SendPhoto
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import func, select

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from storage.models import (
    Channel,
    Contact,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
    WebFile,
)
from tests.botclient import BotClient, Sent
from tests.conftest import FakeClock
from tests.factories import World, make_world
from tests.test_open311 import BOTH, config
from web.door import door_setup
from web.door.limits import DoorLimits, Rule
from web.server import STATIC_DIR, create_web_app

__all__ = ["config"]  # a fixture: SQLite, and PostgreSQL for the tests marked BOTH

Http = TestClient[web.Request, web.Application]
HEAD_ID = 100
EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


class Monotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def world(client: BotClient, services: Services, db: Database, clock: FakeClock) -> World:
    world = await make_world(client, services, db, clock)
    await world.appoint(client.user(HEAD_ID, "en", "Head"), Role.HEAD, "A1")
    return world


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
async def http(
    world: World,
    config: Config,
    translations: Translations,
    clock: FakeClock,
    monotonic: Monotonic,
) -> AsyncIterator[Http]:
    limits = DoorLimits(Rule(30, 6), Rule(12, 6), clock=monotonic)
    app = create_web_app(translations, [door_setup(config, world.services, clock, limits)])
    async with TestClient(TestServer(app)) as client:
        yield client


def token_of(world: World, code: str = "A1") -> str:
    return world.payloads[code][1:]  # the join payload is "j" + the building's token


def jpeg(width: int = 2400, height: int = 1800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def hidden(html: str, field: str) -> list[str]:
    return re.findall(rf'name="{field}" value="([^"]*)"', html)


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    """The hidden fields of the form posting to ``action``, as the browser would send them."""
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)


async def open_poster(http: Http, token: str, headers: dict[str, str] = EN) -> tuple[str, str]:
    page = await http.get(f"/b/{token}", headers=headers)
    assert page.status == 200
    html = await page.text()
    return html, hidden(html, "csrf")[0]


async def report(
    http: Http, token: str, csrf: str, *, photo: bytes | None = None, **fields: str
) -> Any:
    data = FormData()
    values = {
        "csrf": csrf,
        "category": "repairs",
        "description": "The stair light on floor 3 is broken",
        "show_name": "1",
        "name": "Wang",
        **fields,
    }
    for name, value in values.items():
        data.add_field(name, value)
    if photo is not None:
        data.add_field("photo", photo, filename="IMG_0001.JPG", content_type="image/jpeg")
    return await http.post(f"/b/{token}", data=data, headers=EN)


async def file_report(http: Http, token: str) -> tuple[int, str]:
    """Poster → form → summary → send; returns the ticket page's path and its HTML."""
    _, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf, photo=jpeg())
    assert summary.status == 200, await summary.text()
    html = await summary.text()
    sent = await http.post(
        f"/b/{token}/send",
        data=form_fields(html, f"/b/{token}/send"),
        headers=EN,
        allow_redirects=False,
    )
    assert sent.status == 303, await sent.text()
    location = sent.headers["Location"]
    page = await http.get(location, headers=EN)
    assert page.status == 200
    return int(location.split("/")[2].split("?")[0]), await page.text()


async def count(db: Database, model: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def counts(db: Database) -> tuple[int, ...]:
    return tuple([await count(db, m) for m in (Ticket, Person, Contact, WebFile)])


async def delivered(world: World) -> list[Sent]:
    before = len(world.client.session.requests)
    await world.deliver()
    return [Sent(m) for m in world.client.session.requests[before:]]


async def page_text(http: Http, ticket_id: int) -> str:
    response = await http.get(f"/t/{ticket_id}", headers=EN)
    assert response.status == 200
    return await response.text()


async def act(http: Http, ticket_id: int, action: str, **fields: str) -> Any:
    html = await page_text(http, ticket_id)
    csrf = hidden(html, "csrf")[0]
    return await http.post(
        f"/t/{ticket_id}/{action}",
        data={"csrf": csrf, **fields},
        headers=EN,
        allow_redirects=False,
    )


@BOTH
async def test_from_the_poster_to_the_head_and_back(
    http: Http, world: World, db: Database, clock: FakeClock
) -> None:
    token = token_of(world)
    html, csrf = await open_poster(http, token)
    assert "塘中新村1栋" in html and "Report a problem" in html and "Repairs" in html
    assert await counts(db) == (0, 1, 1, 0)  # the head only: a page view writes nothing

    summary = await report(http, token, csrf, photo=jpeg())
    assert summary.status == 200
    cookie = summary.cookies["door_device"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    text = await summary.text()
    assert "Check and send" in text and "The head sees your name." in text

    ticket_id, page = await file_report_from(http, token, text)
    assert "Sent as ticket #1" in page and "The stair light" in page
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status is TicketStatus.NEW
        [item] = ticket.media
        assert item["type"] == "photo" and "web_file" in item
        stored = await session.get(WebFile, item["web_file"])
        assert stored is not None
        with Image.open(io.BytesIO(stored.content)) as image:  # resized by the server
            assert max(image.size) == 1600
        author = await session.get(Person, ticket.author_id)
        assert author is not None and author.display_name == "Wang"
        assert [c.channel for c in author.contacts] == [Channel.WEB]
        assert ticket.show_name and not ticket.show_phone

    # The head's card arrives in Telegram, with the web photo uploaded.
    sent = await delivered(world)
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    assert getattr(card.method, "chat_id", None) == HEAD_ID and "Wang" in card.text
    [upload] = [s.method for s in sent if isinstance(s.method, SendPhoto)]
    assert upload.chat_id == HEAD_ID and not isinstance(upload.photo, str)

    # The head takes it and answers in chat; the ticket page shows the answer.
    head = world.client.user(HEAD_ID, "en", "Head")
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    await world.client.click(head, edited, "💬 Reply")
    await world.client.send(head, "I will come at five.")
    await delivered(world)
    page = await page_text(http, ticket_id)
    assert "I will come at five." in page and "being handled" in page

    # A message of nothing visible (zero-width spaces, a control character) is no message.
    for blank in (" ", "\u200b\u200b", "\x1b", "\u2060\ufeff"):
        empty = await act(http, ticket_id, "message", text=blank)
        assert empty.status == 400 and "Please write something first" in await empty.text()
    assert await delivered(world) == []

    # The resident answers from the page; the head receives it in chat.
    answered = await act(http, ticket_id, "message", text="Thank you, I am home.")
    assert answered.status == 303
    to_head = [s for s in await delivered(world) if "Thank you, I am home." in s.text]
    assert [getattr(s.method, "chat_id", None) for s in to_head] == [HEAD_ID]
    assert "Thank you, I am home." in await page_text(http, ticket_id)

    # Resolved in chat → fixed and rated on the page.
    await world.client.click(head, edited, "✅ Resolve")
    await world.client.send(head, "New bulb fitted.")
    await delivered(world)
    page = await page_text(http, ticket_id)
    assert "Is it?" in page
    assert (await act(http, ticket_id, "confirm")).status == 303
    assert (await act(http, ticket_id, "rate", stars="5")).status == 303
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and (ticket.status, ticket.rating) == (TicketStatus.CLOSED, 5)
    assert "You rated it 5 of 5." in await page_text(http, ticket_id)


async def file_report_from(http: Http, token: str, summary: str) -> tuple[int, str]:
    sent = await http.post(
        f"/b/{token}/send",
        data=form_fields(summary, f"/b/{token}/send"),
        headers=EN,
        allow_redirects=False,
    )
    assert sent.status == 303, await sent.text()
    location = sent.headers["Location"]
    page = await http.get(location, headers=EN)
    assert page.status == 200
    return int(location.split("/")[2].split("?")[0]), await page.text()


async def test_another_device_cannot_open_the_ticket(http: Http, world: World) -> None:
    ticket_id, _ = await file_report(http, token_of(world))
    http.session.cookie_jar.clear()
    refused = await http.get(f"/t/{ticket_id}", headers=ZH)
    assert refused.status == 403 and "这台手机还没有登记" in await refused.text()
    # A neighbour's phone that scanned the poster too is a device, not the author's.
    _, csrf = await open_poster(http, token_of(world))
    await report(http, token_of(world), csrf)  # becomes a device of the building
    refused = await http.get(f"/t/{ticket_id}", headers=EN)
    assert refused.status == 403
    assert "only be opened on the phone that reported" in await refused.text()
    assert "The stair light" not in await refused.text()


async def test_refusals_are_polite_and_write_nothing(
    http: Http, world: World, db: Database, monotonic: Monotonic
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token, ZH)
    before = await counts(db)

    forged = await report(http, "not-a-real-token-at-all", csrf)
    assert forged.status == 404 and "海报链接无效" not in await forged.text()  # English asked
    assert "This poster link does not work" in await forged.text()
    no_csrf = await http.post(f"/b/{token}", data={"category": "repairs"}, headers=ZH)
    assert no_csrf.status == 403 and "安全令牌" in await no_csrf.text()
    wrong_csrf = await report(http, token, "guessed")
    assert wrong_csrf.status == 403
    other_site = await http.post(
        f"/b/{token}",
        data={"csrf": csrf, "category": "repairs", "description": "x"},
        headers={**EN, "Origin": "https://evil.example"},
    )
    assert other_site.status == 403
    huge = await http.post(
        f"/b/{token}",
        data=io.BytesIO(b"x" * (12 * 1024 * 1024)),
        headers={**ZH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status == 413 and "太多" in await huge.text()
    not_a_photo = await report(http, token, csrf, photo=b"MZ\x90\x00 not an image")
    assert not_a_photo.status == 400 and "not a photo" in await not_a_photo.text()
    no_category = await report(http, token, csrf, category="parking")
    assert no_category.status == 400 and "choose what the problem" in await no_category.text()
    assert await counts(db) == before

    # A flood from one phone: refused before the handler, in its language.
    before = await counts(db)
    statuses = []
    for _ in range(30):
        response = await http.post(f"/b/{token}", data={"csrf": csrf}, headers=ZH)
        statuses.append(response.status)
    assert statuses[-1] == 429 and 429 in statuses
    flood = await http.post(f"/b/{token}", data={"csrf": csrf}, headers=ZH)
    assert "请求太多" in await flood.text()
    assert await counts(db) == before
    monotonic.now += 600  # a while later the phone may post again
    assert (await http.post(f"/b/{token}", data={"csrf": csrf}, headers=ZH)).status == 400


@BOTH
async def test_forget_this_device(http: Http, world: World, db: Database) -> None:
    ticket_id, page = await file_report(http, token_of(world))
    html, csrf = await open_poster(http, token_of(world))
    assert f"/t/{ticket_id}" in html  # the building's page lists the device's reports
    left = await report(http, token_of(world), csrf, photo=jpeg(300, 200))  # never sent
    assert left.status == 200 and await count(db, WebFile) == 2
    forgotten = await http.post("/door/forget", data={"csrf": csrf}, headers=EN)
    assert forgotten.status == 200 and "This device is forgotten" in await forgotten.text()
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.author_id is None  # kept, anonymised
        [kept] = (await session.scalars(select(WebFile))).all()  # the report's photo only
        assert ticket.media == [{"type": "photo", "web_file": kept.key}]
        web = select(Contact).where(Contact.channel == Channel.WEB)
        assert (await session.scalars(web)).all() == []
    assert (await http.get(f"/t/{ticket_id}", headers=EN)).status == 403


async def test_the_page_is_light_and_speaks_the_phones_language(http: Http, world: World) -> None:
    token = token_of(world)
    html, _ = await open_poster(http, token, ZH)
    assert "反映问题" in html and 'lang="zh-Hans"' in html
    assert "<script>" not in html  # CSP: no inline script
    weight = len(html.encode())
    for asset in re.findall(r'(?:href|src)="/static/([^"?]+)', html):
        weight += len((STATIC_DIR / asset).read_bytes())
    assert weight < 100 * 1024, weight
    switched = await http.get(f"/b/{token}", params={"lang": "en"}, headers=ZH)
    assert "Report a problem" in await switched.text()
    assert "Report a problem" in await (await http.get(f"/b/{token}", headers=ZH)).text()


async def test_a_neighbour_joins_the_same_problem(http: Http, world: World, db: Database) -> None:
    token = token_of(world)
    ticket_id, _ = await file_report(http, token)
    http.session.cookie_jar.clear()  # another phone on the same stairs
    _, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf, description="Dark stairs again")
    html = await summary.text()
    assert "A neighbour already reported this" in html and "#1" in html
    assert "The stair light" not in html  # never the neighbour's words
    followed = await http.post(
        f"/b/{token}/follow",
        data=form_fields(html, f"/b/{token}/follow"),
        headers=EN,
        allow_redirects=False,
    )
    assert followed.status == 303 and followed.headers["Location"] == f"/t/{ticket_id}"
    page = await page_text(http, ticket_id)
    assert "You follow this ticket" in page and "The stair light" not in page
    assert await count(db, Ticket) == 1


async def test_not_fixed_from_the_page_goes_back_to_the_head(
    http: Http, world: World, db: Database
) -> None:
    ticket_id, _ = await file_report(http, token_of(world))
    card = next(s for s in await delivered(world) if "#1" in s.text and s.buttons)
    head = world.client.user(HEAD_ID, "en", "Head")
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    # Rating an open ticket is refused politely and changes nothing.
    early = await act(http, ticket_id, "rate", stars="5")
    assert early.status == 400 and "Ticket #1 is now" in await early.text()
    await world.client.click(head, edited, "✅ Resolve")
    await world.client.send(head, "Fixed, I think.")
    await delivered(world)
    for blank in ("  ", "\x1b", "\u200b"):
        empty = await act(http, ticket_id, "reopen", reason=blank)
        assert empty.status == 400 and "say what is still wrong" in await empty.text()
    async with db.session() as session:
        resolved = await session.get(Ticket, ticket_id)
        assert resolved is not None and resolved.status is TicketStatus.RESOLVED
    assert (await act(http, ticket_id, "reopen", reason="Still dark at night")).status == 303
    told = [s for s in await delivered(world) if "Still dark at night" in s.text]
    assert told and all(getattr(s.method, "chat_id", None) == HEAD_ID for s in told)
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status is TicketStatus.TAKEN and ticket.rating is None


async def test_a_double_tap_on_send_files_one_ticket(
    http: Http, world: World, db: Database
) -> None:
    token = token_of(world)
    _, csrf = await open_poster(http, token)
    summary = await (await report(http, token, csrf)).text()
    fields = form_fields(summary, f"/b/{token}/send")
    first, second = [
        await http.post(f"/b/{token}/send", data=fields, headers=EN, allow_redirects=False)
        for _ in range(2)
    ]
    assert first.headers["Location"] == second.headers["Location"]
    assert await count(db, Ticket) == 1
    # Another device cannot send that summary as its own (it is no device of the building).
    http.session.cookie_jar.clear()
    _, csrf = await open_poster(http, token)
    other = dict(fields) | {"csrf": csrf}
    refused = await http.post(f"/b/{token}/send", data=other, headers=EN)
    assert refused.status == 403 and "not known here yet" in await refused.text()
    assert await count(db, Ticket) == 1


async def test_a_follower_s_page_shows_the_status_not_the_author_s_rating(
    http: Http, world: World, db: Database
) -> None:
    """ "Me too" follows the status; how the author rated the head is theirs (a follower's
    History in chat leaves the rating out too)."""
    token = token_of(world)
    ticket_id, _ = await file_report(http, token)
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.author_id is not None
        author = await session.get(Person, ticket.author_id)
        assert author is not None
    http.session.cookie_jar.clear()  # a neighbour's phone
    _, csrf = await open_poster(http, token)
    html = await (await report(http, token, csrf, description="Dark stairs again")).text()
    followed = await http.post(
        f"/b/{token}/follow",
        data=form_fields(html, f"/b/{token}/follow"),
        headers=EN,
        allow_redirects=False,
    )
    assert followed.status == 303

    actions = world.services.ticket_actions
    head = await world.person(world.client.user(HEAD_ID, "en", "Head"))
    await actions.take(head, ticket_id)
    await actions.resolve(head, ticket_id, "New bulb fitted.")
    await actions.confirm(author, ticket_id)
    await actions.rate(author, ticket_id, 1)

    page = await page_text(http, ticket_id)
    assert "You follow this ticket" in page and "Closed" in page
    assert "rated" not in page and "1 of 5" not in page


async def test_a_number_the_server_cannot_read_is_refused_not_a_server_error(
    http: Http, world: World, db: Database
) -> None:
    """A forged ticket number in the me-too form (too big for the database), a "²" or "⑤"
    where a number goes (str.isdigit() says yes, int() cannot read it): each is refused with
    a page or a 404, never a 500, and nothing changes."""
    token = token_of(world)
    ticket_id, _ = await file_report(http, token)
    html, csrf = await open_poster(http, token)
    before = await counts(db)
    huge = await http.post(
        f"/b/{token}/follow", data={"csrf": csrf, "ticket": "9" * 30}, headers=EN
    )
    assert huge.status == 400 and "open the page again" in await huge.text()
    assert (await http.get("/t/²", headers=EN)).status == 404
    rated = await http.post(f"/t/{ticket_id}/rate", data={"csrf": csrf, "stars": "⑤"}, headers=EN)
    assert rated.status == 400 and "not allowed" in await rated.text()
    for kind in ("notice", "ballot", "activity"):
        assert (await http.get(f"/door/{kind}/²/1/key", headers=EN)).status == 404, kind
    assert await counts(db) == before
    async with db.session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.rating is None and ticket.status is TicketStatus.NEW


async def test_a_refused_report_keeps_no_name_or_phone(
    http: Http, world: World, db: Database, config: Config
) -> None:
    """The day's last report allowed is filed; the next, with a new name and a phone to
    show, is refused for the day's limit and writes nothing: not the name, not the phone
    (nor the consent to show it) that came with it."""
    world.services.reporting.config = replace(config, max_tickets_per_day=1)
    token = token_of(world)
    ticket_id, _ = await file_report(http, token)
    _, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf, name="Li", show_phone="1", phone="13800138000")
    fields = dict(form_fields(await summary.text(), f"/b/{token}/send"))
    assert fields["phone"] == "13800138000"
    refused = await http.post(f"/b/{token}/send", data=fields, headers=EN)
    assert refused.status == 400 and "limit of 1 new reports" in await refused.text()
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        author = await session.get(Person, ticket.author_id)
        assert author is not None
        assert (author.display_name, author.phone, author.phone_consent) == ("Wang", None, False)


@pytest.mark.parametrize("config", ["postgresql"], indirect=True)
async def test_a_nul_character_in_a_residents_words_is_left_out_not_a_500(
    http: Http, world: World, db: Database
) -> None:
    """A NUL pasted into the description or a message: PostgreSQL's text cannot hold it (the
    page was a 500 there; SQLite stores it). It means nothing in a person's words: the report
    and the message are kept without it (storage/db.py, for every text any door writes)."""
    token = token_of(world)
    html, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf, description="Dark\x00 stairs")
    assert summary.status == 200
    sent = await http.post(
        f"/b/{token}/send", data=form_fields(await summary.text(), f"/b/{token}/send"), headers=EN
    )
    assert sent.status < 500
    async with db.session() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.description == "Dark stairs"
    message = await http.post(
        f"/t/{ticket.id}/message", data={"csrf": csrf, "text": "a\x00b"}, headers=EN
    )
    assert message.status < 500
    async with db.session() as session:
        texts = [e.data.get("text") for e in await session.scalars(select(TicketEvent))]
    assert "ab" in texts
