"""The delivery worker: sends what services wrote to the outbox, within Telegram's limits.

- A row is marked sent only after Telegram accepted it, so a committed row is never lost (a crash
  between the send and the mark repeats that one message: at-least-once).
- Rows are claimed (a lease in the row, and the worker's token) before sending, so several
  workers or instances never send the same row. A restarted process takes its predecessor's
  claims back at once (bot/instances.py); the lease is what is left for a process nobody
  knows is dead.
- Order per chat is kept: only a chat's oldest pending row is ever due, and a chat is in one send
  at a time. Pending updates of one ticket card collapse into the latest rendering.
- Limits: the bot's one budget (bot/budget.py), shared with the handlers' answers, which go
  first: the worker's requests are BACKGROUND. A 429 (on any call of the bot) pauses the whole
  worker for ``retry_after``; network errors and 5xx back off exponentially with jitter (the
  row waits in the outbox, not in the pass).
- A pass is bounded: its requests start within SEND_WINDOW of the claim and each may take
  REQUEST_TIMEOUT, so LEASE can be short and a killed worker's rows are not held up for long.
- 403 (blocked, deactivated) and "chat not found": the person is marked unreachable and the
  ticket cards and messages meant for them go to the next person of the ticket's fallback chain.
- Anything else that goes wrong with one row (a payload that does not fit, a card that cannot be
  rendered, a bug) is recorded on that row, and the pass goes on with the others.
- On shutdown (``shutdown()``) the pass in hand and the next ones run until the flush deadline;
  whatever this worker claimed and did not send is then released, due at once for the next
  start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from datetime import datetime, timedelta
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.exc import SQLAlchemyError

from bot.budget import LATE, Background, Limits, NotNow, background, budget_of
from bot.delivery_outcomes import Outcome, record
from bot.delivery_window import PassWindow
from bot.outbox_methods import card_keyboard, method_for
from bot.services.clock import Clock
from bot.services.join_approvals import JoinApprovals
from bot.services.tickets import TicketService
from handlers.join_keyboards import join_markup
from storage.db import Database
from storage.models import OutboxKind, OutboxMessage
from storage.repositories import OutboxRepository

__all__ = ["LEASE", "REQUEST_TIMEOUT", "SEND_WINDOW", "DeliveryWorker", "Limits", "backoff"]

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_BACKOFF_SECONDS = 600.0
CONCURRENCY = 16
# On stop, a request already in flight gets FLIGHT_GRACE seconds more to be answered (Telegram
# answers in well under a second; one still open is hung), then the pass records what it has;
# a pass that has not ended STOP_GRACE seconds after that is cancelled.
FLIGHT_GRACE = 2.0
STOP_GRACE = 5.0
# A pass starts its last request at most SEND_WINDOW seconds after its claim (a row whose turn
# has not come by then is held for the next pass, unsent); a batch at 30/s needs ~2 s, a group's
# turn comes within 3 s. A request of the worker may take REQUEST_TIMEOUT seconds (aiogram's
# default, 60 s, is meant for any method; a message, or the digest's small chart, that has no
# answer after 30 s is retried later). There are no back-off sleeps inside a pass: a row to back
# off is written back with its next time. So every row a pass claimed is recorded within
# SEND_WINDOW + REQUEST_TIMEOUT + the claim and the record (database work), and the lease is
# that with room to spare: a second worker never takes a row still in hand, and the rows of a
# killed worker nobody takes back (bot/instances.py) wait at most a minute.
SEND_WINDOW = 10.0
REQUEST_TIMEOUT = 30
LEASE = timedelta(seconds=60)


def backoff(attempts: int) -> float:
    """Exponential back-off with jitter: ~2 s, 4 s, 8 s … capped at ten minutes."""
    return float(min(MAX_BACKOFF_SECONDS, 2.0**attempts * (0.5 + random.random())))  # noqa: S311


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
        token: str | None = None,
    ) -> None:
        self.bot = bot
        self.budget = budget_of(bot)  # shared with every other call of the bot
        self.tickets = tickets
        self.approvals = approvals
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch
        # The claims' mark: the process's own (bot/instances.py), so a successor can take back
        # what this one held when it died.
        self.token = token or secrets.token_hex(8)
        self._paused_until: datetime | None = None  # a 429 pauses every send until then
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._window: PassWindow | None = None  # of the pass in hand

    def wake(self) -> None:
        """Something was committed: look now rather than at the next poll."""
        self._wake.set()

    def claim_as(self, token: str) -> None:
        """Claims from now on carry this token (the process's own, bot/instances.py)."""
        self.token = token

    def hold(self, seconds: float) -> None:
        """Telegram asked the bot (any of its calls) to slow down: nothing is sent until then."""
        until = self.clock() + timedelta(seconds=seconds)
        self._paused_until = max(self._paused_until or until, until)

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self.budget.on_retry_after(self.hold)
            self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self, until: float | None = None) -> None:
        """Ends the loop once the pass in hand is recorded: it starts no request after
        ``until`` (loop time; default now) and ends the ones in hand within FLIGHT_GRACE after.
        Cancelling a pass inside a database call leaves SQLAlchemy an interrupted connection
        reset to log as an error, so that is only the fallback, after STOP_GRACE more."""
        task, self._task = self._task, None
        if task is None:
            return
        self.budget.forget_listener(self.hold)
        self._stopping = True
        self._wake.set()
        now = asyncio.get_running_loop().time()
        until = now if until is None else until
        if self._window is not None:
            self._window.cut(until, until + FLIGHT_GRACE)
        # asyncio.wait, not `await task` under suppress(CancelledError): that would also
        # swallow a cancellation of the caller itself.
        grace = max(0.0, until - now) + FLIGHT_GRACE + STOP_GRACE
        if (await asyncio.wait([task], timeout=grace))[1]:
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
        """Delivers what is due for up to ``seconds``; returns how many rows are still
        pending. Every pass ends within the time (a row whose turn comes later is held, a
        request in hand gets FLIGHT_GRACE at most), so nothing it claimed stays claimed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            try:
                # Only the fallback: run_once keeps to the deadline by itself.
                async with asyncio.timeout_at(deadline + FLIGHT_GRACE + STOP_GRACE):
                    if not await self.run_once(deadline):
                        break
            except TimeoutError:
                break
        async with self.db.session() as session:
            return (await OutboxRepository(session).stats()).pending

    async def shutdown(self, seconds: float) -> int:
        """On SIGTERM: the pass in hand, then what is due, for up to ``seconds`` in all; then
        whatever this worker still holds is released, due at once for whoever starts next (so
        nothing waits for a lease). Returns how many rows are left pending."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        await self.stop(until=deadline)
        left = await self.drain(max(0.0, deadline - loop.time()))
        async with self.db.session() as session:
            released = await OutboxRepository(session).release_claims(self.token)
            await session.commit()
        if released:
            log.info("released %d claimed notification(s) for the next start", released)
        return left

    async def run_once(self, deadline: float | None = None) -> int:
        """One pass: claim the due rows (one per chat), send them concurrently within the
        limits, record every outcome in one transaction. Returns how many rows were handled;
        rows held back (by a 429, or not started within SEND_WINDOW or by ``deadline``, loop
        time) do not count."""
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
        started = asyncio.get_running_loop().time()
        window = PassWindow(started + SEND_WINDOW, started + SEND_WINDOW + REQUEST_TIMEOUT)
        if deadline is not None:
            window.cut(deadline, deadline + FLIGHT_GRACE)
        self._window = window
        how = Background(window.in_time, self._paused_seconds)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def attempt(row: OutboxMessage) -> Outcome:
            try:
                async with window.in_time():
                    await gate.acquire()
            except TimeoutError:
                return Outcome("held", error=LATE)
            try:
                with background(how):  # this task's calls: behind the people waiting
                    return await self._attempt(row, window)
            finally:
                gate.release()

        try:
            outcomes = await asyncio.gather(*(attempt(row) for row in rows))
        finally:
            self._window = None
        await record(self.db, self.clock, self.tickets, rows, outcomes)
        return sum(1 for outcome in outcomes if outcome.kind not in ("pause", "held"))

    # ------------------------------------------------------------------------------- sending

    async def _attempt(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        try:
            return await self._send(row, window)
        except NotNow as held:
            return Outcome("held", held.seconds, held.reason)
        except TelegramRetryAfter as error:
            # Telegram wants the whole bot to slow down, not only this chat: nothing more is
            # sent, to anyone, until retry_after has passed.
            self.hold(error.retry_after)
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
        except Exception as error:  # noqa: BLE001 (recorded on the row, logged with its trace)
            return self._broken(row, error)

    def _broken(self, row: OutboxMessage, error: Exception) -> Outcome:
        """Anything else on one row: a payload that does not fit, a card that cannot be
        rendered (a community's broken settings), a bug. It is this row's failure, recorded on
        it; the pass goes on with the others. The database or the network failing under it
        may pass: back off and try again. The rest would fail the same way next time: failed
        (``./scripts/bot outbox`` counts it; the log has the trace, once)."""
        what = f"{type(error).__name__}: {error}"
        if isinstance(error, SQLAlchemyError | OSError | TimeoutError):
            log.warning("outbox %s to %s: %s; trying again later", row.id, row.address, what)
            return Outcome("postpone", backoff(row.attempts + 1), what)
        log.error("outbox %s to %s cannot be sent", row.id, row.address, exc_info=error)
        return Outcome("failed", error=what)

    def _paused_seconds(self) -> float:
        if self._paused_until is None:
            return 0.0
        return max(0.0, (self._paused_until - self.clock()).total_seconds())

    async def _request(self, method: TelegramMethod[T], window: PassWindow) -> T:
        """Every request of the worker. Its slots (the chat's and the overall one) are taken
        by the bot's budget right before it leaves, behind the calls of people who wait for an
        answer; a request whose turn has not come by the end of the pass's window, or that a
        429 holds back meanwhile, raises NotNow unsent. One still unanswered when a shutdown
        ends the window is given up: sent again later (at least once: it may have arrived)."""
        try:
            async with window.in_flight():
                return await self.bot(
                    method, request_timeout=window.request_timeout(REQUEST_TIMEOUT)
                )
        except TimeoutError:
            raise NotNow(0.0, "no answer before the shutdown; sent again next time") from None

    async def _send(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        if row.kind == OutboxKind.CARD:
            return Outcome("sent", collapse_upto=await self._send_card(row, window))
        if row.kind == OutboxKind.JOIN_CARD:
            await self._send_join_card(row, window)
            return Outcome("sent")
        sent = await self._request(method_for(row), window)
        return Outcome("sent", message_id=sent.message_id)

    async def _send_card(self, row: OutboxMessage, window: PassWindow) -> int | None:
        """Cards are rendered now, from the ticket as it is, and edited in place when the
        recipient already has one. Returns the newest pending update of the same card that this
        rendering includes (those rows need no send of their own)."""
        if self.tickets is None or row.ticket_id is None or row.person_id is None:
            return None
        async with self.db.session() as session:
            upto = await OutboxRepository(session).last_pending_card(row.ticket_id, row.to)
        view = await self.tickets.card_for_delivery(row.ticket_id, row.person_id)
        if view is None:
            return upto
        existing = await self.tickets.card_message(row.ticket_id, int(row.address))
        markup = card_keyboard(row.ticket_id, view)
        # An old card loses its buttons; nobody gets a new "no access" one.
        sent = await self._show(
            int(row.address), existing, view.text, markup, window, resend=view.access
        )
        if sent is not None:
            await self.tickets.remember_card(row.ticket_id, int(row.address), sent)
        return upto

    async def _send_join_card(self, row: OutboxMessage, window: PassWindow) -> None:
        """A join request's card, rendered now and edited in place like a ticket card (so a
        decision shows on every approver's copy)."""
        if self.approvals is None or row.person_id is None:
            return
        request_id = int(row.payload["request_id"])
        view = await self.approvals.card_for_delivery(request_id, row.person_id)
        if view is None:
            return
        existing = await self.approvals.card_message(request_id, row.person_id)
        markup = join_markup(request_id, view)
        sent = await self._show(int(row.address), existing, view.text, markup, window)
        if sent is not None:
            await self.approvals.remember_card(request_id, row.person_id, sent)

    async def _show(
        self,
        chat_id: int,
        existing: int | None,
        text: str,
        markup: InlineKeyboardMarkup | None,
        window: PassWindow,
        *,
        resend: bool = True,
    ) -> int | None:
        """A card edited in place where the chat has it, else (unless not ``resend``) sent
        anew: the new message's id, or None (an edit that changes nothing is no error)."""
        if existing is not None:
            edit = EditMessageText(
                text=text, chat_id=chat_id, message_id=existing, reply_markup=markup
            )
            try:
                await self._request(edit, window)
                return None
            except TelegramBadRequest as error:
                if "not modified" in error.message.lower():
                    return None
                if "not found" not in error.message.lower():
                    raise
                # The card was deleted in the chat: send a new one below.
        if not resend:
            return None
        send = SendMessage(chat_id=chat_id, text=text, reply_markup=markup)
        return (await self._request(send, window)).message_id
