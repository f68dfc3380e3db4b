"""The delivery worker: sends what services wrote to the outbox, within Telegram's limits.

- A row is marked sent only after Telegram accepted it, so a committed row is never lost (a crash
  between the send and the mark repeats that one message: at-least-once).
- Rows are claimed (a lease in the row) before sending, so several workers or instances never
  send the same row; a crashed worker's lease expires.
- Order per chat is kept: only a chat's oldest pending row is ever due, and a chat is in one send
  at a time. Pending updates of one ticket card collapse into the latest rendering.
- Limits (bot/ratelimit.py): at most 30 messages in any second overall (a sliding window taken
  right before each request, each send counted from its answer, by which it has arrived),
  ~1/s per private chat with a small burst, 20/min per group
  (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
  A 429 pauses the whole worker for ``retry_after``; network errors and 5xx back off
  exponentially with jitter (the row waits in the outbox, not in the pass).
- A pass is bounded: its requests start within SEND_WINDOW of the claim and each may take
  REQUEST_TIMEOUT, so LEASE can be short and a killed worker's rows are not held up for long.
- 403 (blocked, deactivated) and "chat not found": the person is marked unreachable and the
  ticket cards and messages meant for them go to the next person of the ticket's fallback chain.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    EditMessageText,
    SendLocation,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, Message

from bot.ratelimit import ChatLimiters, SlidingWindow
from bot.services.clock import Clock
from bot.services.join_approvals import JoinApprovals
from bot.services.join_rules import CARD_METHOD as JOIN_CARD
from bot.services.tickets import TicketService
from handlers.join_keyboards import join_markup
from handlers.keyboards import ticket_markup
from handlers.scheduling import outbox_markup
from storage.db import Database
from storage.models import OutboxMessage
from storage.repositories import OutboxRepository, PersonRepository
from storage.repositories.tickets import TicketRepository

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_BACKOFF_SECONDS = 600.0
CONCURRENCY = 16
CHAT_LIMITERS = 4096  # remembered per-chat buckets (least recently used are forgotten)
STOP_GRACE = 5.0  # seconds stop() lets the pass in hand finish before cancelling it
# A pass starts its last request at most SEND_WINDOW seconds after its claim (a row whose turn
# has not come by then is held for the next pass, unsent); a batch at 30/s needs ~2 s, a group's
# turn comes within 3 s. A request of the worker may take REQUEST_TIMEOUT seconds (aiogram's
# default, 60 s, is meant for any method; a message, or the digest's small chart, that has no
# answer after 30 s is retried later). There are no back-off sleeps inside a pass: a row to back
# off is written back with its next time. So every row a pass claimed is recorded within
# SEND_WINDOW + REQUEST_TIMEOUT + the claim and the record (database work), and the lease is
# that with room to spare: a second worker never takes a row still in hand, and the rows of a
# killed worker wait at most a minute.
SEND_WINDOW = 10.0
REQUEST_TIMEOUT = 30
LEASE = timedelta(seconds=60)


def backoff(attempts: int) -> float:
    """Exponential back-off with jitter: ~2 s, 4 s, 8 s … capped at ten minutes."""
    return float(min(MAX_BACKOFF_SECONDS, 2.0**attempts * (0.5 + random.random())))  # noqa: S311


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


LATE = "not sent: its turn did not come within the pass (limits, requests in hand); next pass"


class Held(Exception):
    """A row not sent in this pass (a 429 pause, or its turn came too late): no attempt."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


@dataclass(slots=True)
class Outcome:
    kind: str  # sent, postpone, failed, unreachable, pause (a 429), held (never tried)
    seconds: float = 0.0
    error: str = ""
    collapse_upto: int | None = None
    message_id: int | None = None  # of a relayed message, remembered for replies


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        clock: Clock,
        *,
        tickets: TicketService | None = None,
        approvals: JoinApprovals | None = None,
        poll_seconds: float = 1.0,
        batch: int = 50,
        limits: Limits | None = None,
    ) -> None:
        self.bot = bot
        self.tickets = tickets
        self.approvals = approvals
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.limits = limits or Limits()
        self.token = secrets.token_hex(8)
        limits = self.limits
        self._global = SlidingWindow.per_second(limits.per_second)
        self._chats = ChatLimiters(
            limits.private_per_second, limits.private_burst, limits.group_per_minute, CHAT_LIMITERS
        )
        self._paused_until: datetime | None = None  # a 429 pauses every send until then
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        """Ends the loop once the pass in hand is recorded. Cancelling a pass inside a database
        call leaves SQLAlchemy an interrupted connection reset to log as an error, so that is
        only the fallback, after STOP_GRACE."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        # asyncio.wait, not `await task` under suppress(CancelledError): that would also
        # swallow a cancellation of the caller itself.
        if (await asyncio.wait([task], timeout=STOP_GRACE))[1]:
            task.cancel()
            await asyncio.wait([task])

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the pass looks, not after: a wake() while the pass runs (a handler
            # committing meanwhile) must not be lost until the next poll.
            self._wake.clear()
            try:
                delivered = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass failed; retrying")
                delivered = 0
            if delivered or self._stopping:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives just after the wake-up (a handler's wake() right before stop() on
            # shutdown), and the worker would run on for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def drain(self, seconds: float) -> int:
        """Delivers what is due for up to ``seconds`` (on shutdown); returns how many rows are
        still pending (they are sent on the next start)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            try:
                async with asyncio.timeout_at(deadline):
                    if not await self.run_once():
                        break
            except TimeoutError:
                break
        async with self.db.session() as session:
            return (await OutboxRepository(session).stats()).pending

    async def run_once(self) -> int:
        """One pass: claim the due rows (one per chat), send them concurrently within the
        limits, record every outcome in one transaction. Returns how many rows were handled;
        rows held back (by a 429, or not started within SEND_WINDOW) do not count."""
        if self._paused_seconds() > 0:
            return 0
        now = self.clock()
        async with self.db.session() as session:
            rows = await OutboxRepository(session).claim_due(
                now, self.batch, self.token, now + LEASE
            )
            await session.commit()
        if not rows:
            return 0
        send_by = asyncio.get_running_loop().time() + SEND_WINDOW
        gate = asyncio.Semaphore(CONCURRENCY)

        async def attempt(row: OutboxMessage) -> Outcome:
            try:
                async with asyncio.timeout_at(send_by):
                    await gate.acquire()
            except TimeoutError:
                return Outcome("held", error=LATE)
            try:
                return await self._attempt(row, send_by)
            finally:
                gate.release()

        outcomes = await asyncio.gather(*(attempt(row) for row in rows))
        await self._record(rows, outcomes)
        return sum(1 for outcome in outcomes if outcome.kind not in ("pause", "held"))

    # ------------------------------------------------------------------------------- sending

    async def _attempt(self, row: OutboxMessage, send_by: float) -> Outcome:
        try:
            try:
                async with asyncio.timeout_at(send_by):
                    await self._chats[row.chat_id].acquire()
            except TimeoutError:
                return Outcome("held", error=LATE)
            return await self._send(row, send_by)
        except Held as held:
            return Outcome("held", held.seconds, held.reason)
        except TelegramRetryAfter as error:
            # Telegram wants the whole bot to slow down, not only this chat: nothing more is
            # sent, to anyone, until retry_after has passed.
            until = self.clock() + timedelta(seconds=error.retry_after)
            self._paused_until = max(self._paused_until or until, until)
            return Outcome("pause", float(error.retry_after), str(error))
        except TelegramForbiddenError as error:
            return Outcome("unreachable", error=str(error))
        except TelegramBadRequest as error:
            text = error.message.lower()
            if "chat not found" in text:
                return Outcome("unreachable", error=str(error))
            if "message is not modified" in text:
                return Outcome("sent")
            return Outcome("failed", error=str(error))
        except (TelegramNetworkError, TelegramServerError) as error:
            return Outcome("postpone", backoff(row.attempts + 1), str(error))
        except TelegramAPIError as error:
            # 401, 404, 409, 413…: retrying the same request will not help.
            return Outcome("failed", error=str(error))
        except (ValueError, KeyError) as error:
            # A row that can never be sent (unknown method, malformed payload) fails alone
            # instead of aborting every pass and holding up the whole queue behind it.
            return Outcome("failed", error=f"{type(error).__name__}: {error}")

    def _paused_seconds(self) -> float:
        if self._paused_until is None:
            return 0.0
        return max(0.0, (self._paused_until - self.clock()).total_seconds())

    async def _request(self, method: TelegramMethod[T], send_by: float) -> T:
        """Every request of the worker: its slot in the overall limit is taken here, right
        before it leaves (not before a card's database reads), and given back with the time the
        request was over, by which it had certainly reached Telegram."""
        try:
            async with asyncio.timeout_at(send_by):
                slot = await self._global.acquire()
        except TimeoutError:
            raise Held(0.0, LATE) from None
        try:
            left = self._paused_seconds()
            if left > 0:  # a 429 arrived while this one waited for its turn: not sent
                raise Held(left, "held back: Telegram asked to slow down (429)")
            return await self.bot(method, request_timeout=REQUEST_TIMEOUT)
        finally:
            slot.finished()

    async def _send(self, row: OutboxMessage, send_by: float) -> Outcome:
        if row.method == "card":
            return Outcome("sent", collapse_upto=await self._send_card(row, send_by))
        if row.method == JOIN_CARD:
            await self._send_join_card(row, send_by)
            return Outcome("sent")
        sent = await self._request(self._method(row), send_by)
        return Outcome("sent", message_id=sent.message_id)

    @staticmethod
    def _method(row: OutboxMessage) -> TelegramMethod[Message]:
        payload: dict[str, Any] = dict(row.payload)
        markup = None
        if payload.get("buttons"):
            markup = outbox_markup(row.ticket_id, payload["buttons"])
        chat = row.chat_id
        caption = payload.get("caption")
        if row.method == "sendMessage":
            return SendMessage(chat_id=chat, text=payload["text"], reply_markup=markup)
        if row.method == "sendPhoto":
            photo: Any = payload.get("photo")
            if "photo_png" in payload:  # a picture made here (the digest chart)
                photo = BufferedInputFile(base64.b64decode(payload["photo_png"]), "chart.png")
            return SendPhoto(chat_id=chat, photo=photo, caption=caption, reply_markup=markup)
        if row.method == "sendVoice":
            voice = payload["voice"]
            return SendVoice(chat_id=chat, voice=voice, caption=caption, reply_markup=markup)
        if row.method == "sendLocation":
            latitude, longitude = payload["latitude"], payload["longitude"]
            return SendLocation(chat_id=chat, latitude=latitude, longitude=longitude)
        raise ValueError(f"unknown outbox method {row.method}")

    async def _send_card(self, row: OutboxMessage, send_by: float) -> int | None:
        """Cards are rendered now, from the ticket as it is, and edited in place when the
        recipient already has one. Returns the newest pending update of the same card that this
        rendering includes (those rows need no send of their own)."""
        if self.tickets is None or row.ticket_id is None or row.person_id is None:
            return None
        async with self.db.session() as session:
            upto = await OutboxRepository(session).last_pending_card(row.ticket_id, row.chat_id)
        view = await self.tickets.card_for_delivery(row.ticket_id, row.person_id)
        if view is None:
            return upto
        markup = ticket_markup(
            row.ticket_id, [[(label, action.value) for label, action in r] for r in view.buttons]
        )
        existing = await self.tickets.card_message(row.ticket_id, row.chat_id)
        if existing is not None:
            edit = EditMessageText(
                text=view.text, chat_id=row.chat_id, message_id=existing, reply_markup=markup
            )
            try:
                await self._request(edit, send_by)
                return upto
            except TelegramBadRequest as error:
                if "not modified" in error.message.lower():
                    return upto
                if "not found" not in error.message.lower():
                    raise
                # The card was deleted in the chat: send a new one below.
        if not view.access:
            return upto  # an old card loses its buttons; nobody gets a new "no access" one
        send = SendMessage(chat_id=row.chat_id, text=view.text, reply_markup=markup)
        sent = await self._request(send, send_by)
        await self.tickets.remember_card(row.ticket_id, row.chat_id, sent.message_id)
        return upto

    async def _send_join_card(self, row: OutboxMessage, send_by: float) -> None:
        """A join request's card, rendered now and edited in place like a ticket card (so a
        decision shows on every approver's copy)."""
        if self.approvals is None or row.person_id is None:
            return
        request_id = int(row.payload["request_id"])
        view = await self.approvals.card_for_delivery(request_id, row.person_id)
        if view is None:
            return
        markup = join_markup(request_id, view)
        existing = await self.approvals.card_message(request_id, row.person_id)
        if existing is not None:
            edit = EditMessageText(
                text=view.text, chat_id=row.chat_id, message_id=existing, reply_markup=markup
            )
            try:
                await self._request(edit, send_by)
                return
            except TelegramBadRequest as error:
                if "not modified" in error.message.lower():
                    return
                if "not found" not in error.message.lower():
                    raise
        send = SendMessage(chat_id=row.chat_id, text=view.text, reply_markup=markup)
        sent = await self._request(send, send_by)
        await self.approvals.remember_card(request_id, row.person_id, sent.message_id)

    # ------------------------------------------------------------------------------- outcomes

    async def _record(self, rows: Sequence[OutboxMessage], outcomes: list[Outcome]) -> None:
        now = self.clock()
        unreachable: list[tuple[OutboxMessage, str]] = []
        async with self.db.session() as session:
            outbox = OutboxRepository(session)
            tickets = TicketRepository(session)
            for row, outcome in zip(rows, outcomes, strict=True):
                if outcome.kind == "sent":
                    await outbox.mark_sent(row.id, now)
                    if outcome.collapse_upto is not None and row.ticket_id is not None:
                        await outbox.collapse_cards(
                            row.ticket_id, row.chat_id, outcome.collapse_upto, now
                        )
                    if outcome.message_id is not None and row.ticket_id is not None:
                        # A Telegram reply to this message is a reply on the ticket.
                        await tickets.remember_message(
                            row.ticket_id, row.chat_id, outcome.message_id, "relay"
                        )
                elif outcome.kind in ("postpone", "pause", "held"):
                    log.info(
                        "outbox %s to %s postponed %.1fs: %s",
                        row.id,
                        row.chat_id,
                        outcome.seconds,
                        outcome.error,
                    )
                    await outbox.postpone(
                        row.id,
                        now + timedelta(seconds=outcome.seconds),
                        outcome.error,
                        attempted=outcome.kind != "held",
                    )
                elif outcome.kind == "failed":
                    log.warning("outbox %s to %s failed: %s", row.id, row.chat_id, outcome.error)
                    await outbox.mark_failed(row.id, outcome.error)
                else:
                    log.warning("chat %s unreachable: %s", row.chat_id, outcome.error)
                    await outbox.mark_failed(row.id, outcome.error)
                    await PersonRepository(session).mark_unreachable(row.chat_id, now)
                    unreachable.append((row, outcome.error))
            await session.commit()
        for row, error in unreachable:
            await self._reroute(row, error)

    async def _reroute(self, row: OutboxMessage, error: str) -> None:
        """The recipient blocked the bot: their pending messages will never arrive. Ticket
        notifications go to the next person of each ticket's chain; the rest fail."""
        async with self.db.session() as session:
            outbox = OutboxRepository(session)
            pending = await outbox.pending_for_chat(row.chat_id)
            await outbox.fail_pending_for_chat(row.chat_id, error)
            await session.commit()
        if self.tickets is None or row.person_id is None:
            return
        ticket_ids = {r.ticket_id for r in [row, *pending] if r.ticket_id is not None}
        for ticket_id in sorted(ticket_ids):
            await self.tickets.reroute(ticket_id, row.person_id)
