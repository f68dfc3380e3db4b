"""Web Push to a resident's phone, with a local fake push service (an aiohttp server on port 0)
standing in for the browser vendor's: the ticket page offers "Tell me when the head answers",
the browser's subscription is kept on the device's contact, and a head's answer in Telegram
arrives at the push endpoint signed with the deployment's VAPID key and encrypted for the
subscription's keys (decrypted here), linking to the ticket page. A 410 drops the
subscription; a 5xx is tried again later. The manifest and the service worker are served with
their types, and the page stays light."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from sqlalchemy import select

from bot.config import Config, Secret
from bot.delivery import DeliveryWorker
from bot.i18n import Translations
from bot.services.errors import ServiceError
from bot.services.web_door import push_subscription
from storage.db import Database
from storage.models import Channel, Contact, DeploymentSecret, OutboxMessage, OutboxStatus
from tests.conftest import ADMIN_ID, TOKEN, FakeClock
from tests.factories import World
from tests.test_web_door import (
    EN,
    HEAD_ID,
    Http,
    delivered,
    file_report,
    hidden,
    http,
    monotonic,
    page_text,
    token_of,
    world,
)
from web.push.keys import SECRET_NAME, KeyHolder
from web.push.sender import WebPushSender
from web.server import STATIC_DIR

__all__ = ["http", "monotonic", "world"]  # fixtures


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # The fake push service is plain http on 127.0.0.1: allowed here only.
    return Config(
        bot_token=Secret(TOKEN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        bot_username="louzhang_test_bot",
        admin_ids=frozenset({ADMIN_ID}),
        web_push_allow_http=True,
        web_push_subject="mailto:office@example.org",
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: Mapping[str, str]  # case-insensitive, as HTTP's
    body: bytes


@dataclass
class PushService:
    """The browser vendor's push service: records every push; answers 201, or ``answers``."""

    base: str = ""
    received: list[Received] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(request.path, request.headers.copy(), await request.read()))
        return web.Response(status=self.answers.get(request.path, 201))


@pytest.fixture
async def push_service() -> AsyncIterator[PushService]:
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{id}", service.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    service.base = str(server.make_url("")).rstrip("/")
    yield service
    await server.close()


@dataclass
class Browser:
    """A browser's push subscription: its endpoint and its keys (the private half stays in
    the browser: here, to decrypt what arrives)."""

    endpoint: str
    private: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription(self) -> dict[str, Any]:
        public = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"p256dh": b64url(public), "auth": b64url(self.auth)}
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": keys}

    def read(self, body: bytes) -> dict[str, str]:
        clear = http_ece.decrypt(
            body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
        )
        data: dict[str, str] = json.loads(clear)
        return data


def browser(service: PushService, name: str = "phone") -> Browser:
    return Browser(
        f"{service.base}/push/{name}",
        ec.generate_private_key(ec.SECP256R1()),
        secrets.token_bytes(16),
    )


async def subscribe(http: Http, ticket_id: int, phone: Browser) -> tuple[int, str]:
    """The resident taps "Tell me when the head answers"; the page's script posts this."""
    html = await page_text(http, ticket_id)
    csrf = re.findall(r'data-csrf="([^"]+)"', html)[0]
    key = re.findall(r'data-key="([^"]+)"', html)[0]
    answer = await http.post(
        "/door/push",
        data={"csrf": csrf, "subscription": json.dumps(phone.subscription())},
        headers=EN,
    )
    return answer.status, key


async def web_contact(db: Database) -> Contact:
    async with db.session() as session:
        return (await session.scalars(select(Contact).where(Contact.channel == Channel.WEB))).one()


def pusher(
    world: World, db: Database, clock: FakeClock, translations: Translations
) -> DeliveryWorker:
    keys = KeyHolder(db, clock)
    return DeliveryWorker(
        WebPushSender(db, translations, keys, world.services.web.config), db, clock
    )


async def push_all(worker: DeliveryWorker) -> None:
    while await worker.run_once():
        pass


async def head_answers(world: World, text: str) -> None:
    """The head takes the ticket from its card in Telegram and answers in chat."""
    sent = await delivered(world)
    card = next(s for s in sent if "#1" in s.text and s.buttons)
    head = world.client.user(HEAD_ID, "en", "Head")
    taken = await world.client.click(head, card, "✋ Take")
    edited = next(s for s in taken if type(s.method).__name__ == "EditMessageText")
    await world.client.click(head, edited, "💬 Reply")
    await world.client.send(head, text)
    await delivered(world)


async def test_a_heads_answer_in_telegram_reaches_the_phone(
    http: Http,
    world: World,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    push_service: PushService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Everything the bot's own loggers say (aiosqlite's DEBUG, with every statement's
    # parameters, is kept at INFO by bot/logs.py in production).
    caplog.set_level(logging.INFO)
    for name in ("bot", "web", "storage"):
        caplog.set_level(logging.DEBUG, logger=name)
    ticket_id, page = await file_report(http, token_of(world))
    assert "Tell me when the head answers" in page and 'id="push"' in page
    phone = browser(push_service)
    status, public_key = await subscribe(http, ticket_id, phone)
    assert status == 200
    contact = await web_contact(db)
    assert contact.push is not None and contact.push["endpoint"] == phone.endpoint
    assert set(contact.push["keys"]) == {"p256dh", "auth"}

    await head_answers(world, "I will come at five.")
    await push_all(pusher(world, db, clock, translations))

    assert push_service.received, "no push arrived"
    notes = [(r, phone.read(r.body)) for r in push_service.received]
    [(push, note)] = [(r, n) for r, n in notes if "I will come at five." in n["body"]]
    assert note == {
        "title": "Ticket #1",
        "body": "💬 Building head: I will come at five.",
        "url": f"/t/{ticket_id}",
    }
    assert all(n["url"] == f"/t/{ticket_id}" for _, n in notes)
    # The push is signed with the deployment's key (the one the page subscribed with) for this
    # push service, and encrypted as browsers expect.
    assert push.headers["Content-Encoding"] == "aes128gcm"
    assert int(push.headers["TTL"]) > 0
    scheme, _, rest = push.headers["Authorization"].partition(" ")
    parts = dict(p.split("=", 1) for p in rest.split(","))
    assert scheme == "vapid" and parts["k"] == public_key
    header, claims, _ = (unb64url(p) for p in parts["t"].split("."))
    assert json.loads(header) == {"typ": "JWT", "alg": "ES256"}
    claimed = json.loads(claims)
    assert claimed["aud"] == push_service.base and claimed["sub"] == "mailto:office@example.org"
    assert Vapid02.verify(push.headers["Authorization"])
    async with db.session() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "web"))
        ).all()
        assert rows and {r.status for r in rows} == {OutboxStatus.SENT}
        stored = await session.get(DeploymentSecret, SECRET_NAME)
        assert stored is not None
    assert stored.value not in caplog.text  # the private key is never logged

    # Turned off on this phone: nothing more is written for it.
    csrf = hidden(await page_text(http, ticket_id), "csrf")[0]
    off = await http.post("/door/push/off", data={"csrf": csrf}, headers=EN)
    assert off.status == 200 and (await off.json()) == {"ok": True}
    assert (await web_contact(db)).push is None


async def test_a_gone_subscription_is_dropped(
    http: Http,
    world: World,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    push_service: PushService,
) -> None:
    ticket_id, _ = await file_report(http, token_of(world))
    phone = browser(push_service, "uninstalled")
    assert (await subscribe(http, ticket_id, phone))[0] == 200
    push_service.answers["/push/uninstalled"] = 410
    await head_answers(world, "On my way.")
    await push_all(pusher(world, db, clock, translations))
    assert push_service.received
    assert (await web_contact(db)).push is None
    async with db.session() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "web"))
        ).all()
    assert rows and all(r.status is OutboxStatus.FAILED for r in rows)
    assert any("gone (410)" in (r.last_error or "") for r in rows)
    # Nothing more is written for that phone: the ticket page is its news again.
    head = world.client.user(HEAD_ID, "en", "Head")
    await world.client.send(head, "Are you home?")
    async with db.session() as session:
        pending = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.channel == "web", OutboxMessage.status == OutboxStatus.PENDING
                )
            )
        ).all()
    assert pending == []
    assert "being handled" in await page_text(http, ticket_id)


async def test_a_failing_push_service_is_tried_again_later(
    http: Http,
    world: World,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    push_service: PushService,
) -> None:
    ticket_id, _ = await file_report(http, token_of(world))
    phone = browser(push_service, "busy")
    assert (await subscribe(http, ticket_id, phone))[0] == 200
    push_service.answers["/push/busy"] = 503
    await head_answers(world, "Tomorrow morning.")
    worker = pusher(world, db, clock, translations)
    await push_all(worker)
    tried = len(push_service.received)
    assert tried >= 1
    async with db.session() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "web"))
        ).all()
    assert rows and all(r.status is OutboxStatus.PENDING for r in rows)
    assert (await web_contact(db)).push is not None  # kept: the service is only down
    push_service.answers.clear()
    clock.advance(seconds=3600)
    await push_all(worker)
    assert any("Tomorrow morning." in phone.read(r.body)["body"] for r in push_service.received)


async def test_a_bad_subscription_is_refused_politely(
    http: Http, world: World, db: Database
) -> None:
    ticket_id, _ = await file_report(http, token_of(world))
    html = await page_text(http, ticket_id)
    csrf = hidden(html, "csrf")[0]
    for junk in ("", "{", '{"endpoint": "file:///etc/passwd", "keys": {}}', "x" * 5000):
        answer = await http.post(
            "/door/push", data={"csrf": csrf, "subscription": junk}, headers=EN
        )
        assert answer.status == 400
        assert "The browser sent something unexpected" in await answer.text()
    assert (await web_contact(db)).push is None
    # Without its CSRF token nothing is written either.
    forged = await http.post("/door/push", data={"subscription": "{}"}, headers=EN)
    assert forged.status == 403
    # Production keeps https endpoints only: the server never posts into its own network.
    good = {"endpoint": "http://10.0.0.1/x", "keys": {"p256dh": "A" * 87, "auth": "B" * 22}}
    with pytest.raises(ServiceError):
        push_subscription(json.dumps(good))
    for inside in ("https://10.0.0.1/x", "https://[::1]/x", "https://localhost:8443/x"):
        with pytest.raises(ServiceError):
            push_subscription(json.dumps({**good, "endpoint": inside}))
    https = {**good, "endpoint": "https://push.example.org/x"}
    assert push_subscription(json.dumps(https))["endpoint"] == "https://push.example.org/x"


async def test_the_keys_are_made_once_and_kept(db: Database, clock: FakeClock) -> None:
    first = await KeyHolder(db, clock).get()
    again = await KeyHolder(db, clock).get()
    assert first.public == again.public and len(unb64url(first.public)) == 65
    assert first.private_raw not in repr(first)


async def test_installable_and_still_light(http: Http, world: World) -> None:
    ticket_id, page = await file_report(http, token_of(world))
    assert 'rel="manifest"' in page and "<script>" not in page
    link = re.findall(r'rel="manifest" href="([^"]+)"', page)[0].replace("&amp;", "&")
    manifest = await http.get(link, headers=EN)
    assert manifest.status == 200
    assert manifest.content_type == "application/manifest+json"
    body = json.loads(await manifest.text())
    assert body["start_url"] == f"/t/{ticket_id}" and body["display"] == "standalone"
    for icon in body["icons"]:
        served = await http.get(icon["src"])
        assert served.status == 200 and served.content_type == icon["type"]
    foreign = await http.get("/door/manifest.webmanifest", params={"start": "//evil.example/"})
    assert json.loads(await foreign.text())["start_url"] == "/"
    worker = await http.get("/door-sw.js")
    assert worker.status == 200 and worker.content_type == "text/javascript"
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]
    assert "showNotification" in await worker.text()
    weight = len(page.encode())
    for asset in re.findall(r'(?:href|src)="/static/([^"?]+)', page):
        weight += len((STATIC_DIR / asset).read_bytes())
    assert weight < 100 * 1024, weight
