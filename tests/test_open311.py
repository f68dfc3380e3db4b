"""Open311 GeoReport v2 as a hotline system uses it: it lists the services, files a request with
its key (the building's head gets the card in chat, through the outbox, like any report), and
reads requests back with the spec's filters, in JSON and XML. Bad input gets the spec's error
list and writes nothing; what a resident did not agree to share, and a caller's contact, never
appear in a GET."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.open311_keys import Open311Keys, key_hash
from bot.services.ticket_core import MAX_DESCRIPTION, Draft
from storage.db import Database
from storage.models import (
    Building,
    Channel,
    Open311Client,
    Open311Request,
    OutboxMessage,
    Person,
    Role,
    Ticket,
    TicketStatus,
)
from tests.botclient import BotClient, Sent
from tests.conftest import ADMIN_ID, TOKEN, FakeClock
from tests.factories import World, make_world
from web.open311 import open311_setup
from web.open311.params import MAX_FORM
from web.server import create_web_app

Http = TestClient[web.Request, web.Application]
BASE = "/open311/v2"
HEAD_ID = 100
CALLER = {
    "first_name": "小明",
    "last_name": "王",
    "email": "wang.xm@example.org",
    "phone": "13800138000",
}


PG_URL = os.environ.get("TEST_POSTGRES_URL")
BOTH = pytest.mark.parametrize("config", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def config(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Config]:
    """SQLite, or (for the tests marked BOTH) a fresh PostgreSQL database as well."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield Config(
            bot_token=Secret(TOKEN),
            database_url=url,
            bot_username="louzhang_test_bot",
            admin_ids=frozenset({ADMIN_ID}),
        )
        return
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)")
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield Config(
            bot_token=Secret(TOKEN),
            database_url=make_url(PG_URL).set(database=name).render_as_string(hide_password=False),
            bot_username="louzhang_test_bot",
            admin_ids=frozenset({ADMIN_ID}),
        )
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


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
    world: World, translations: Translations, monotonic: Monotonic
) -> AsyncIterator[Http]:
    setup = open311_setup(world.services.open311, per_minute=30, monotonic=monotonic)
    app = create_web_app(translations, [setup])
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def key(db: Database, clock: FakeClock, world: World) -> str:
    return (await Open311Keys(db, clock).issue_key("12345热线", "塘中社区")).key


def request_form(key: str, **fields: str) -> dict[str, str]:
    return {
        "api_key": key,
        "service_code": "elevator",
        "address_id": "A1",
        "description": "3号电梯门关不上 The lift door will not close",
        **fields,
    }


async def count(db: Database, model: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def tickets(db: Database) -> list[Ticket]:
    async with db.session() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def outbox_to(db: Database, chat_id: int) -> list[OutboxMessage]:
    async with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.address == str(chat_id))
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def get_json(http: Http, path: str, **query: str) -> tuple[int, Any]:
    response = await http.get(BASE + path, params=query)
    return response.status, await response.json()


async def test_services_are_the_communitys_categories(http: Http) -> None:
    status, services = await get_json(http, "/services.json", jurisdiction_id="塘中社区")
    assert status == 200
    elevator = next(s for s in services if s["service_code"] == "elevator")
    assert set(elevator) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert (elevator["metadata"], elevator["type"]) == (False, "realtime")
    assert [s["service_code"] for s in services] == [
        "repairs",
        "facilities",
        "sanitation",
        "elevator",
        "safety",
        "neighbours",
        "other",
    ]
    # One community: jurisdiction_id is optional; its id works as well as its name.
    assert (await get_json(http, "/services.json"))[1] == services
    english = await http.get(BASE + "/services.json", headers={"Accept-Language": "en"})
    names = {s["service_code"]: s["service_name"] for s in await english.json()}
    assert names["elevator"] == "Elevator"
    assert "never published" in next(
        s["description"] for s in await english.json() if s["service_code"] == "neighbours"
    )

    xml = await http.get(BASE + "/services.xml")
    assert xml.status == 200 and xml.content_type == "text/xml"
    body = await xml.read()
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = ElementTree.fromstring(body)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")][3] == "elevator"
    assert root.find("service/metadata").text == "false"  # type: ignore[union-attr]

    status, definition = await get_json(http, "/services/elevator.json")
    assert (status, definition) == (200, {"service_code": "elevator", "attributes": []})
    definition_xml = await http.get(BASE + "/services/elevator.xml")
    root = ElementTree.fromstring(await definition_xml.read())
    assert root.tag == "service_definition" and root.findtext("service_code") == "elevator"
    status, error = await get_json(http, "/services/parking.json")
    assert status == 404 and error[0]["code"] == 404
    assert "service_code" in error[0]["description"]
    status, error = await get_json(http, "/services.json", jurisdiction_id="别的社区")
    assert status == 404 and "jurisdiction_id" in error[0]["description"]
    xml_error = await http.get(BASE + "/services.xml", params={"jurisdiction_id": "别的社区"})
    root = ElementTree.fromstring(await xml_error.read())
    assert xml_error.status == 404 and root.tag == "errors"
    assert root.findtext("error/code") == "404"


async def test_several_communities_need_a_jurisdiction(http: Http, world: World) -> None:
    await world.services.community.import_buildings([BuildingRow("翠湖社区", "C1", "翠湖1栋", "")])
    status, error = await get_json(http, "/services.json")
    assert status == 400 and "jurisdiction_id is required" in error[0]["description"]
    assert (await get_json(http, "/services.json", jurisdiction_id="翠湖社区"))[0] == 200


@BOTH
async def test_a_hotline_files_a_request_and_reads_it_back(
    http: Http, world: World, db: Database, key: str, clock: FakeClock
) -> None:
    # The spec's POST: api_key, service_code, a location (the building's code), a description.
    response = await http.post(
        BASE + "/requests.json",
        data=request_form(key, **CALLER, lat="23.1", long="113.0"),
        headers={"Accept-Language": "en"},
    )
    assert response.status == 200, await response.text()
    [answer] = await response.json()
    assert answer["service_request_id"] == "1" and answer["account_id"] is None
    assert answer["service_notice"] == "Sent to the building's staff as ticket #1."
    token = answer["token"]

    # A ticket like one from chat: building A1, the head owns it, the client is its author.
    [ticket] = await tickets(db)
    async with db.session() as session:
        client = await session.scalar(select(Open311Client))
        assert client is not None and client.key_hash == key_hash(key)
        author = await session.get(Person, ticket.author_id)
        assert author is not None and author.display_name == "Open311 · 12345热线"
        assert [c.channel for c in author.contacts] == [Channel.OPEN311]
        request = await session.scalar(select(Open311Request))
        assert request is not None and request.submitter == CALLER
    assert (ticket.number, ticket.category, ticket.status) == (1, "elevator", TicketStatus.NEW)
    assert ticket.description == "3号电梯门关不上 The lift door will not close"
    assert (ticket.latitude, ticket.longitude) == (23.1, 113.0)

    # The head's card, the pin and where it came from (with whom to call back) are queued...
    queued = await outbox_to(db, HEAD_ID)
    assert [row.kind for row in queued][-3:] == ["card", "location", "text"]
    via = queued[-1].payload["text"]
    assert "came through Open311 from 12345热线" in via
    assert "王 小明" in via and "13800138000" in via and "wang.xm@example.org" in via
    assert "call them back" in via  # a reply in chat does not reach the caller
    assert all(row.ticket_id == ticket.id for row in queued[-3:])
    # ... and the card reads like any other, naming the client as the reporter.
    before = len(world.client.session.requests)
    await world.deliver()
    delivered = [Sent(m) for m in world.client.session.requests[before:]]
    card = next(s for s in delivered if "#1" in s.text and s.buttons)
    assert "Open311 · 12345热线" in card.text and "✋ Take" in card.buttons
    # Nothing is queued for the client: it reads the ticket back through the API.
    assert await outbox_to(db, client.id) == []

    clock.advance(minutes=5)
    status, [one] = await get_json(http, "/requests/1.json", api_key=key)
    assert status == 200
    assert one == {
        "service_request_id": "1",
        "status": "open",
        "status_notes": "new",
        "service_name": "电梯",
        "service_code": "elevator",
        "description": "3号电梯门关不上 The lift door will not close",  # the client's own words
        "agency_responsible": "塘中社区居委会",
        "service_notice": "",
        "requested_datetime": "2026-11-26T10:00:00+08:00",
        "updated_datetime": "2026-11-26T10:00:00+08:00",
        "address": "塘中新村1栋, 塘中路1号",
        "address_id": "A1",
        "lat": 23.1,
        "long": 113.0,
    }
    status, [by_token] = await get_json(http, f"/tokens/{token}.json", api_key=key)
    assert (status, by_token) == (200, {"service_request_id": "1", "token": token})

    # The head takes it in chat, as any ticket: the client reads the new status.
    await world.client.click(world.client.user(HEAD_ID, "en", "Head"), card, "✋ Take")
    _, [taken] = await get_json(http, "/requests/1.json", api_key=key)
    assert (taken["status"], taken["status_notes"]) == ("open", "taken")
    assert taken["updated_datetime"] == "2026-11-26T10:05:00+08:00"
    one = taken

    # Filters: the id list; service_code, status and the date range.
    assert (
        len((await get_json(http, "/requests.json", api_key=key, service_request_id="1,7"))[1]) == 1
    )
    assert (await get_json(http, "/requests.json", api_key=key))[1] == [one]
    found = await get_json(http, "/requests.json", api_key=key, service_code="elevator,repairs")
    assert [r["service_request_id"] for r in found[1]] == ["1"]
    assert (await get_json(http, "/requests.json", api_key=key, service_code="repairs"))[1] == []
    assert len((await get_json(http, "/requests.json", api_key=key, status="open"))[1]) == 1
    assert (await get_json(http, "/requests.json", api_key=key, status="closed"))[1] == []
    later = {"start_date": "2026-11-26T10:01:00+08:00", "end_date": "2026-11-27T00:00:00Z"}
    assert (await get_json(http, "/requests.json", api_key=key, **later))[1] == []
    around = {"start_date": "2026-11-26T01:00:00Z", "end_date": "2026-11-26T03:00:00Z"}
    assert len((await get_json(http, "/requests.json", api_key=key, **around))[1]) == 1
    # The default range is the last 90 days.
    clock.advance(days=91)
    assert (await get_json(http, "/requests.json", api_key=key))[1] == []

    # The same in XML.
    xml = await http.get(BASE + "/requests.xml", params={"api_key": key, "service_request_id": "1"})
    root = ElementTree.fromstring(await xml.read())
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == "1"
    assert root.findtext("request/address_id") == "A1"


async def test_a_control_character_in_a_description_leaves_the_xml_readable(
    http: Http, db: Database, key: str
) -> None:
    """A vertical tab or an escape pasted into a description (JSON escapes and keeps it):
    XML 1.0 cannot hold one even escaped, and the list with that ticket was a document no
    client's parser could read, every other ticket in it lost too. XML leaves it out."""
    words = "Lift door\x0b stuck\x1b[1m, floor 3\x07"
    response = await http.post(BASE + "/requests.json", data=request_form(key, description=words))
    assert response.status == 200
    [ticket] = await tickets(db)
    assert ticket.description == words
    status, found = await get_json(http, "/requests.json", api_key=key)
    assert status == 200 and found[0]["description"] == words
    for path in ("/requests.xml", "/requests/1.xml"):
        xml = await http.get(BASE + path, params={"api_key": key})
        assert xml.status == 200
        root = ElementTree.fromstring(await xml.read())
        assert root.findtext("request/description") == "Lift door stuck[1m, floor 3", path
    # A spec error naming what was sent: readable too.
    gone = await http.get(BASE + "/tokens/a\x01b.xml", params={"api_key": key})
    assert gone.status == 404
    assert ElementTree.fromstring(await gone.read()).findtext("error/code") == "404"


async def test_statuses_map_to_open_and_closed_with_notes(
    http: Http, world: World, db: Database, key: str
) -> None:
    for _ in range(3):
        response = await http.post(BASE + "/requests.json", data=request_form(key))
        assert response.status == 200
    async with db.session() as session:
        rows = (await session.scalars(select(Ticket).order_by(Ticket.number))).all()
        rows[1].status = TicketStatus.TAKEN
        rows[2].status = TicketStatus.WITHDRAWN
        await session.commit()
    status, found = await get_json(http, "/requests.json", api_key=key)
    assert status == 200
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in found] == [
        ("3", "closed", "withdrawn"),
        ("2", "open", "taken"),
        ("1", "open", "new"),
    ]
    assert [
        r["service_request_id"]
        for r in (await get_json(http, "/requests.json", api_key=key, status="open"))[1]
    ] == ["2", "1"]


@BOTH
@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"api_key": "not-a-key"}, 403, "api_key"),
        ({"api_key": ""}, 403, "api_key"),
        ({"service_code": "parking"}, 400, "service_code"),
        ({"service_code": ""}, 400, "service_code is required"),
        ({"address_id": "", "lat": "23.1", "long": "113.0"}, 400, "lat and long alone"),
        ({"address_id": ""}, 400, "location is required"),
        ({"address_id": "Z9"}, 400, "address_id"),
        ({"lat": "north"}, 400, "lat and long"),
        ({"lat": "91", "long": "0"}, 400, "lat and long"),
        ({"description": "  "}, 400, "description"),
        ({"description": "长" * (MAX_DESCRIPTION + 1)}, 400, "description is too long"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"phone": "1" * 40}, 400, "phone"),
        ({"first_name": "a\nb"}, 400, "first_name"),
        ({"jurisdiction_id": "别的社区"}, 404, "jurisdiction_id"),
    ],
)
async def test_bad_requests_get_the_spec_error_and_write_nothing(
    http: Http, db: Database, key: str, change: dict[str, str], status: int, words: str
) -> None:
    outbox_before = await count(db, OutboxMessage)
    response = await http.post(BASE + "/requests.json", data=request_form(key, **change))
    assert response.status == status
    [error] = await response.json()
    assert error["code"] == status and words in error["description"]
    assert await count(db, Ticket) == 0
    assert await count(db, Open311Request) == 0
    assert await count(db, OutboxMessage) == outbox_before


async def test_a_body_too_large_or_not_a_form_is_refused(
    http: Http, db: Database, key: str
) -> None:
    huge = request_form(key, description="x" * (MAX_FORM + 1))
    response = await http.post(BASE + "/requests.json", data=huge)
    assert response.status == 413 and (await response.json())[0]["code"] == 413
    form = FormData(request_form(key))
    form.add_field("media", b"\x89PNG", filename="a.png", content_type="image/png")
    response = await http.post(BASE + "/requests.xml", data=form)
    assert response.status == 400
    assert ElementTree.fromstring(await response.read()).findtext("error/code") == "400"
    response = await http.post(
        BASE + "/requests.json",
        data=b"\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400
    assert await count(db, Ticket) == 0


async def test_address_string_names_a_building_by_code_or_exact_name(
    http: Http, db: Database, key: str
) -> None:
    for address in ("A2", "翠湖苑1座"):
        response = await http.post(
            BASE + "/requests.json",
            data=request_form(key, address_id="", address_string=address),
        )
        assert response.status == 200, await response.text()
    response = await http.post(
        BASE + "/requests.json", data=request_form(key, address_id="", address_string="翠湖苑")
    )
    assert response.status == 400
    assert [t.building_id for t in await tickets(db)] == [2, 3]


async def test_media_url_is_kept_as_a_line_of_the_description(
    http: Http, db: Database, key: str
) -> None:
    url = "https://hotline.example.org/photos/1.jpg"
    response = await http.post(BASE + "/requests.json", data=request_form(key, media_url=url))
    assert response.status == 200
    [ticket] = await tickets(db)
    assert ticket.description.endswith("\n📎 " + url)


async def test_forged_ids_tokens_and_keys_get_spec_errors(
    http: Http, db: Database, key: str
) -> None:
    response = await http.post(BASE + "/requests.json", data=request_form(key))
    token = (await response.json())[0]["token"]
    for path in (
        "/requests/2.json",
        "/requests/abc.json",
        "/requests/-1.json",
        "/tokens/nope.json",
    ):
        status, error = await get_json(http, path, api_key=key)
        assert status == 404 and error[0]["code"] == 404, path
    for path in ("/requests.json", "/requests/1.json", f"/tokens/{token}.json"):
        status, error = await get_json(http, path, api_key="forged")
        assert status == 403 and "api_key" in error[0]["description"]
        assert (await get_json(http, path))[0] == 403
    status, error = await get_json(http, "/requests.json", api_key=key, start_date="yesterday")
    assert status == 400 and "start_date" in error[0]["description"]
    naive = await get_json(http, "/requests.json", api_key=key, end_date="2026-11-26T10:00:00")
    assert naive[0] == 400
    assert (await get_json(http, "/requests.json", api_key=key, status="pending"))[0] == 400
    assert (await get_json(http, "/requests.json", api_key=key, service_request_id="1;2"))[0] == 400
    status, error = await get_json(http, "/no-such-thing.json")
    assert status == 404 and error[0]["code"] == 404


async def test_a_revoked_key_and_another_communitys_key_file_nothing(
    http: Http, world: World, db: Database, clock: FakeClock, key: str
) -> None:
    keys = Open311Keys(db, clock)
    await world.services.community.import_buildings([BuildingRow("翠湖社区", "C1", "翠湖1栋", "")])
    other = (await keys.issue_key("翠湖APP", "翠湖社区")).key
    response = await http.post(
        BASE + "/requests.json", data=request_form(other, jurisdiction_id="塘中社区")
    )
    assert response.status == 404  # a key for one community knows no other
    assert await keys.revoke_key("12345热线")
    response = await http.post(BASE + "/requests.json", data=request_form(key))
    assert response.status == 403
    assert await count(db, Ticket) == 0
    # A new key for the same client works again; the revoked one stays dead.
    fresh = (await keys.issue_key("12345热线", "塘中社区")).key
    assert (await http.post(BASE + "/requests.json", data=request_form(fresh))).status == 200
    assert (await http.post(BASE + "/requests.json", data=request_form(key))).status == 403


async def test_a_client_has_a_daily_cap_and_a_rate_limit(
    http: Http, db: Database, clock: FakeClock, world: World, monotonic: Monotonic
) -> None:
    capped = (await Open311Keys(db, clock).issue_key("script", daily_limit=2)).key
    statuses = [
        (await http.post(BASE + "/requests.json", data=request_form(capped))).status
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert await count(db, Ticket) == 2
    clock.advance(days=1, seconds=1)
    assert (await http.post(BASE + "/requests.json", data=request_form(capped))).status == 200

    # 30 requests a minute per key (this test's setting): the 31st waits for the window.
    answers = [
        (await http.get(BASE + "/requests.json", params={"api_key": capped})).status
        for _ in range(27)
    ]
    assert answers[-1] == 429 and answers.count(200) == 26
    response = await http.get(BASE + "/requests.json", params={"api_key": capped})
    assert response.status == 429 and "Too many" in (await response.json())[0]["description"]
    monotonic.now += 61
    assert (await http.get(BASE + "/requests.json", params={"api_key": capped})).status == 200


@BOTH
async def test_what_residents_did_not_share_never_appears(
    http: Http, world: World, db: Database, clock: FakeClock, key: str
) -> None:
    services = world.services
    resident = await world.join(world.client.user(1, "en", "Zhang"), "A1", "3-502")
    person = await world.person(resident)
    async with db.session() as session:
        row = await session.get(Person, person.id)
        assert row is not None
        row.phone, row.phone_consent = "13911112222", True
        await session.commit()
        a1 = await session.scalar(select(Building).where(Building.code == "A1"))
        assert a1 is not None
        building_id = a1.id
    secret = await services.reporting.report(
        person,
        Draft(
            building_id,
            "repairs",
            "我家漏水 secret words",
            latitude=23.0,
            longitude=113.0,
            show_phone=True,
        ),
    )
    shared = await services.reporting.report(
        person, Draft(building_id, "sanitation", "垃圾没人收 shared words", share_description=True)
    )
    dispute = await services.reporting.report(
        person, Draft(building_id, "neighbours", "楼上太吵 private words", share_description=True)
    )
    assert [secret.ticket.number, shared.ticket.number, dispute.ticket.number] == [1, 2, 3]
    # Another client files for a caller, with the caller's contact.
    other = (await Open311Keys(db, clock).issue_key("civic-app", "塘中社区")).key
    response = await http.post(BASE + "/requests.json", data=request_form(other, **CALLER))
    assert response.status == 200

    bodies = []
    for path in ("/requests.json", "/requests.xml", "/requests/1.json", "/requests/4.json"):
        for api_key in (key, other):
            response = await http.get(BASE + path, params={"api_key": api_key})
            assert response.status == 200, path
            bodies.append(await response.text())
    _, listed = await get_json(http, "/requests.json", api_key=key)
    by_id = {r["service_request_id"]: r for r in listed}
    assert by_id["1"]["description"] == "" and "lat" not in by_id["1"]
    assert by_id["2"]["description"] == "垃圾没人收 shared words"
    assert "3" not in by_id  # private category: not listed at all
    assert by_id["4"]["description"] == ""  # another client's caller's words
    everything = "\n".join(bodies)
    for never in (
        "secret words",
        "private words",
        "Zhang",
        "13911112222",
        "3-502",
        *CALLER.values(),
    ):
        assert never not in everything, never
    # The client that filed #4 reads its own words back, never the caller's contact.
    _, [own] = await get_json(http, "/requests/4.json", api_key=other)
    assert own["description"].startswith("3号电梯门")


@BOTH
async def test_a_callers_contact_is_cleared_after_the_ticket_is_finished(
    http: Http, world: World, db: Database, clock: FakeClock, key: str, config: Config
) -> None:
    for _ in range(2):
        response = await http.post(BASE + "/requests.json", data=request_form(key, **CALLER))
        assert response.status == 200
    async with db.session() as session:
        first = await session.scalar(select(Ticket).where(Ticket.number == 1))
        assert first is not None
        first.status, first.updated_at = TicketStatus.CLOSED, clock()
        await session.commit()
    clock.advance(days=config.outbox_retention_days - 1)
    await world.services.scheduling.retention.run()
    async with db.session() as session:
        kept = (await session.scalars(select(Open311Request.submitter))).all()
    assert list(kept) == [CALLER, CALLER]  # not yet
    clock.advance(days=2)
    await world.services.scheduling.retention.run()
    async with db.session() as session:
        rows = (await session.scalars(select(Open311Request).order_by(Open311Request.id))).all()
    # The finished one's is gone; the open one's is kept, however old.
    assert [r.submitter for r in rows] == [{}, CALLER]


async def test_a_number_or_date_python_cannot_use_is_the_specs_error_not_a_500(
    http: Http, key: str
) -> None:
    """ "²" is a digit to str.isdigit() but not to int(); a start_date in the year 9999 has no
    90 days after it, an end_date in the year 1 none before it: each was a 500 (an HTML
    page, not the spec's error list)."""
    assert (await http.post(BASE + "/requests.json", data=request_form(key))).status == 200
    status, error = await get_json(http, "/requests/².json", api_key=key)
    assert status == 404 and "²" in error[0]["description"]
    for ids in ("²", "1,²"):
        status, error = await get_json(http, "/requests.json", api_key=key, service_request_id=ids)
        assert status == 400 and "service_request_id" in error[0]["description"]
    status, error = await get_json(http, "/services.json", jurisdiction_id="²")
    assert status == 404 and "jurisdiction_id" in error[0]["description"]
    for field, value in (
        ("start_date", "9999-12-31T23:59:59+14:00"),
        ("end_date", "0001-01-01T00:00:00+12:00"),
    ):
        status, error = await get_json(http, "/requests.json", api_key=key, **{field: value})
        assert status == 400 and field in error[0]["description"], field
    status, found = await get_json(
        http, "/requests.json", api_key=key, start_date="1900-01-01T00:00:00Z"
    )
    assert status == 200 and [r["service_request_id"] for r in found] == []  # 90 days from 1900


async def resident_in_a1(world: World, db: Database) -> tuple[Person, int]:
    resident = await world.join(world.client.user(1, "en", "Zhang"), "A1", "3-502")
    person = await world.person(resident)
    async with db.session() as session:
        a1 = await session.scalar(select(Building).where(Building.code == "A1"))
        assert a1 is not None
        return person, a1.id


async def get_xml(http: Http, path: str, **query: str) -> tuple[int, ElementTree.Element]:
    response = await http.get(BASE + path, params=query)
    return response.status, ElementTree.fromstring(await response.read())


async def test_a_residents_shared_point_is_never_published(
    http: Http, world: World, db: Database, key: str
) -> None:
    """ "Neighbours may read my description" is a consent to the words, not to the point that
    "Add my location" (or Telegram's location step) attached, which may be the resident's home:
    a client reads the building's name, address and code, never the resident's lat/long."""
    person, building_id = await resident_in_a1(world, db)
    await world.services.reporting.report(
        person,
        Draft(
            building_id,
            "sanitation",
            "垃圾没人收 shared words",
            latitude=23.123456,
            longitude=113.654321,
            share_description=True,
        ),
    )
    for path in ("/requests.json", "/requests/1.json"):
        status, [row] = await get_json(http, path, api_key=key)
        assert status == 200, path
        assert row["description"] == "垃圾没人收 shared words"  # the consent still holds
        assert (row["address"], row["address_id"]) == ("塘中新村1栋, 塘中路1号", "A1")
        assert "lat" not in row and "long" not in row, path
    for path in ("/requests.xml", "/requests/1.xml"):
        status, root = await get_xml(http, path, api_key=key)
        assert status == 200 and root.tag == "service_requests", path
        [request] = root.findall("request")
        assert request.findtext("description") == "垃圾没人收 shared words"
        assert request.findtext("address_id") == "A1"
        assert request.find("lat") is None and request.find("long") is None, path
    # Without a key nothing is read at all, in either format.
    for path in ("/requests.json", "/requests/1.json", "/requests.xml", "/requests/1.xml"):
        response = await http.get(BASE + path)
        body = await response.text()
        assert response.status == 403 and "23.12" not in body and "113.65" not in body, path
    _, root = await get_xml(http, "/requests/1.xml")
    assert root.tag == "errors" and root.findtext("error/code") == "403"


async def test_private_categories_stay_out_of_the_feed(
    http: Http, world: World, db: Database, clock: FakeClock, key: str
) -> None:
    """A neighbour dispute is never offered as "me too", never followed, never merged: no
    client reads even that one was filed, in which building and when. A number asked for
    reads exactly as a number that does not exist; a client reads back its own filing."""
    person, building_id = await resident_in_a1(world, db)
    reporting = world.services.reporting
    await reporting.report(person, Draft(building_id, "sanitation", "垃圾没人收"))
    await reporting.report(
        person, Draft(building_id, "neighbours", "楼上太吵", share_description=True)
    )
    other = (await Open311Keys(db, clock).issue_key("civic-app", "塘中社区")).key
    filed = await http.post(
        BASE + "/requests.json", data=request_form(other, service_code="neighbours")
    )
    assert filed.status == 200 and (await filed.json())[0]["service_request_id"] == "3"

    def numbers(rows: Any) -> list[str]:
        return sorted(r["service_request_id"] for r in rows)

    for query in ({}, {"service_code": "neighbours,sanitation"}, {"service_request_id": "1,2,3"}):
        status, rows = await get_json(http, "/requests.json", api_key=key, **query)
        assert (status, numbers(rows)) == (200, ["1"]), query
        status, root = await get_xml(http, "/requests.xml", api_key=key, **query)
        xml_numbers = sorted(r.findtext("service_request_id", "") for r in root.findall("request"))
        assert (status, xml_numbers) == (200, ["1"]), query
        # The client that filed #3 reads it back (and only that one of the private ones).
        status, rows = await get_json(http, "/requests.json", api_key=other, **query)
        assert (status, numbers(rows)) == (200, ["1", "3"]), query
    assert (await get_json(http, "/requests.json", api_key=key, service_code="neighbours"))[1] == []

    for number in ("2", "3"):
        status, error = await get_json(http, f"/requests/{number}.json", api_key=key)
        assert status == 404
        assert error == [
            {
                "code": 404,
                "description": f"There is no service request {number} in this jurisdiction.",
            }
        ]
        status, root = await get_xml(http, f"/requests/{number}.xml", api_key=key)
        assert status == 404 and root.tag == "errors"
        assert root.findtext("error/description") == (
            f"There is no service request {number} in this jurisdiction."
        )
    # Read like a number that was never used.
    status, unknown = await get_json(http, "/requests/9.json", api_key=key)
    assert (status, unknown[0]["description"]) == (
        404,
        "There is no service request 9 in this jurisdiction.",
    )
    status, [own] = await get_json(http, "/requests/3.json", api_key=other)
    assert status == 200 and own["service_code"] == "neighbours"
    _, root = await get_xml(http, "/requests/3.xml", api_key=other)
    assert root.findtext("request/service_request_id") == "3"
    # Without a key: refused, in either format, whatever the number.
    for path in ("/requests.json", "/requests/2.json", "/requests.xml", "/requests/2.xml"):
        response = await http.get(BASE + path)
        assert response.status == 403 and "neighbours" not in await response.text(), path
