"""The ``web`` channel's door delivery (a ``Sender`` for bot/delivery.py): an outbox row meant
for a web contact becomes one short Web Push notification (the ticket's number, a line of what
happened) that opens the ticket page; the page shows the rest. The push service holds it for
a phone that is off (TTL).

A notice's copy (bot/services/notice_board.py) becomes a notification with its title and
first line that opens the notice's page; its photos are on the page. Once pushed it is
remembered, and a correction or withdrawal of the notice is pushed as "Notice corrected" /
"Notice withdrawn" opening the same page. A copy of a notice
withdrawn before it went is not sent (failed, so it does not count as reached).

- 201/200/202: sent. 404/410: the browser's subscription is gone (uninstalled, permission
  withdrawn): it is dropped from the contact, and the row fails (the next notifications go to
  the person's other door, if any; the ticket page still shows everything).
- 429 and 5xx, and the network failing: the row waits in the outbox and is tried again with
  the worker's back-off (a 429's Retry-After when it gives one).
- Anything else (a 400, a 413): the row fails, recorded on it.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp

from bot.config import Config
from bot.delivery import REQUEST_TIMEOUT, backoff
from bot.delivery_outcomes import Outcome
from bot.delivery_window import PassWindow
from bot.i18n import Translations
from bot.services.notice_board import NoticeBoard
from storage.db import Database
from storage.models import Channel, OutboxKind, OutboxMessage
from storage.repositories import PersonRepository
from storage.repositories.tickets import TicketRepository
from web.push.keys import KeyHolder

BODY_LIMIT = 140  # characters of the notification's line: the page has the rest
TTL = 7 * 24 * 3600  # a phone that is off for a week still gets it when it is back
GONE = frozenset({404, 410})
_TAGS = re.compile(r"<[^>]+>")
DEFAULT_SUBJECT = "mailto:push@louzhang.invalid"


def subject(config: Config) -> str:
    """The VAPID ``sub``: WEB_PUSH_SUBJECT, else an https WEB_BASE_URL, else a placeholder
    (some push services refuse it: set WEB_PUSH_SUBJECT in production)."""
    if config.web_push_subject:
        return config.web_push_subject
    if config.web_base_url and config.web_base_url.startswith("https://"):
        return config.web_base_url
    return DEFAULT_SUBJECT


def plain(text: str) -> str:
    """A row's text as one plain line (its Telegram HTML and line breaks removed), cut short."""
    line = " ".join(html.unescape(_TAGS.sub("", text)).split())
    return line if len(line) <= BODY_LIMIT else line[: BODY_LIMIT - 1] + "…"


class WebPushSender:
    channel: str = Channel.WEB

    def __init__(
        self,
        db: Database,
        translations: Translations,
        keys: KeyHolder,
        config: Config,
        board: NoticeBoard | None = None,
    ) -> None:
        self.board = board
        self.db = db
        self.translations = translations
        self.keys = keys
        self.subject = subject(config)

    def listen(self, hold: Callable[[float], None]) -> None:
        """Push services limit per subscription, not the whole bot: nothing to listen to."""

    def forget(self, hold: Callable[[float], None]) -> None:
        pass

    async def notification(self, row: OutboxMessage) -> dict[str, str] | None:
        """What the phone shows: a title, a line, and the page the tap opens (None: a notice's
        copy with nothing left to show)."""
        if row.kind == OutboxKind.NOTICE_EDIT:
            if self.board is None or row.notice_id is None:
                return None
            change = await self.board.change(
                row.notice_id, row.person_id, str(row.payload.get("change", ""))
            )
            if change is None:
                return None
            return {"title": change.title, "body": plain(change.text), "url": change.path}
        if row.kind in (OutboxKind.NOTICE, OutboxKind.NOTICE_PHOTO, OutboxKind.NOTICE_DELETE):
            if self.board is None or row.notice_id is None or row.kind != OutboxKind.NOTICE:
                return None
            copy = await self.board.copy(
                row.notice_id, row.person_id, row.payload.get("building_id")
            )
            if copy is None:
                return None
            body = copy.text.split("\n\n", 1)[-1]
            return {"title": copy.title, "body": plain(body), "url": copy.path}
        language = None
        number: int | None = None
        async with self.db.session() as session:
            if row.person_id is not None:
                person = await PersonRepository(session).get(row.person_id)
                language = None if person is None else person.language
            if row.ticket_id is not None:
                ticket = await TicketRepository(session).get(row.ticket_id)
                number = None if ticket is None else ticket.number
        t = self.translations.bind(language or self.translations.default)
        said = str(row.payload.get("text") or row.payload.get("caption") or "")
        if row.kind == OutboxKind.LOCATION:
            said = t("push-location")
        body = plain(said) or t("push-news")
        if row.ticket_id is None or number is None:
            return {"title": t("push-title"), "body": body, "url": "/"}
        return {
            "title": t("push-ticket-title", number=number),
            "body": body,
            "url": f"/t/{row.ticket_id}",
        }

    async def send(
        self, row: OutboxMessage, window: PassWindow, paused: Callable[[], float]
    ) -> Outcome:
        async with self.db.session() as session:
            subscription = await PersonRepository(session).push_of(row.to)
        if subscription is None:
            return Outcome("failed", error="no push subscription (turned off or gone)")
        note = await self.notification(row)
        if note is None:
            return Outcome("failed", error=f"nothing to push for this {row.kind} row")
        data = json.dumps(note, ensure_ascii=False)
        keys = await self.keys.get()
        endpoint = urlsplit(str(subscription["endpoint"]))
        claims: dict[str, str | int] = {
            "aud": f"{endpoint.scheme}://{endpoint.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.subject,
        }
        headers = keys.signer().sign(claims)
        # pywebpush (with requests, ~5 MB) only once a push is sent: most processes never do.
        from pywebpush import WebPusher  # noqa: PLC0415

        try:
            async with window.in_flight(), aiohttp.ClientSession() as session:
                pusher = WebPusher(subscription, aiohttp_session=session)
                response = await pusher.send_async(
                    data, headers, ttl=TTL, timeout=window.request_timeout(REQUEST_TIMEOUT)
                )
                assert isinstance(response, aiohttp.ClientResponse)
                status = response.status
                retry_after = response.headers.get("Retry-After", "")
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            return Outcome("postpone", backoff(row.attempts + 1), f"push: {error!r}")
        if status in (200, 201, 202):
            # A notice's copy is remembered, so its correction or withdrawal is pushed too.
            return Outcome("sent", message_id=0 if row.kind == OutboxKind.NOTICE else None)
        if status in GONE:
            async with self.db.session() as session:
                await PersonRepository(session).set_push(row.to, None)
                await session.commit()
            return Outcome("failed", error=f"push subscription gone ({status}): dropped")
        if status == 429 or status >= 500:
            wait = float(retry_after) if retry_after.isdigit() else backoff(row.attempts + 1)
            return Outcome("postpone", wait, f"push service answered {status}")
        return Outcome("failed", error=f"push service refused it ({status})")
