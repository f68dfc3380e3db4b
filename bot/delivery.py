"""The delivery worker: sends what services wrote to the outbox.

A row is marked sent only after Telegram accepted it, so a committed row is never lost (a crash
between the send and the mark repeats that one message: at-least-once). Rate limits, re-routing and
exactly-once hardening come with the delivery issue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Message

from bot.services.clock import Clock
from bot.services.tickets import TicketService
from handlers.keyboards import ticket_markup
from storage.db import Database
from storage.models import OutboxMessage
from storage.repositories import OutboxRepository, PersonRepository

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 600.0


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
        poll_seconds: float = 1.0,
        batch: int = 50,
    ) -> None:
        self.bot = bot
        self.tickets = tickets
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
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
            if delivered:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def drain(self, seconds: float) -> int:
        """Delivers what is due for up to ``seconds`` (on shutdown); returns how many rows are
        still pending (they are sent on the next start)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            try:
                if not await asyncio.wait_for(self.run_once(), deadline - loop.time()):
                    break
            except TimeoutError:
                break
        async with self.db.session() as session:
            return (await OutboxRepository(session).stats()).pending

    async def run_once(self) -> int:
        """One pass over the due rows; returns how many were handled."""
        async with self.db.session() as session:
            rows = await OutboxRepository(session).due(self.clock(), self.batch)
        for handled, row in enumerate(rows):
            if not await self._deliver(row):
                return handled
        return len(rows)

    async def _deliver(self, row: OutboxMessage) -> bool:
        """Sends one row and records the outcome. False: stop this pass (Telegram asked us to
        slow down)."""
        try:
            collapse_upto = await self._send(row)
        except TelegramRetryAfter as error:
            await self._postpone(row, float(error.retry_after), str(error))
            return False
        except TelegramForbiddenError as error:
            await self._unreachable(row, str(error))
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                await self._unreachable(row, str(error))
            elif "message is not modified" in error.message.lower():
                await self._mark_sent(row, None)
            else:
                await self._fail(row, str(error))
        except (TelegramNetworkError, TelegramServerError) as error:
            await self._postpone(row, backoff(row.attempts + 1), str(error))
        except (ValueError, KeyError) as error:
            # A row that can never be sent (unknown method, malformed payload) fails alone
            # instead of aborting every pass and holding up the whole queue behind it.
            await self._fail(row, f"{type(error).__name__}: {error}")
        else:
            await self._mark_sent(row, collapse_upto)
        return True

    async def _send(self, row: OutboxMessage) -> int | None:
        """Sends one row. For a card, returns the newest pending update of the same card that
        the rendering already includes (those rows need no send of their own)."""
        payload: dict[str, Any] = dict(row.payload)
        if row.method == "card":
            return await self._send_card(row)
        markup = None
        if row.ticket_id is not None and payload.get("buttons"):
            markup = ticket_markup(row.ticket_id, payload["buttons"])
        chat = row.chat_id
        sent: Message
        if row.method == "sendMessage":
            sent = await self.bot.send_message(chat, payload["text"], reply_markup=markup)
        elif row.method == "sendPhoto":
            sent = await self.bot.send_photo(
                chat, payload["photo"], caption=payload.get("caption"), reply_markup=markup
            )
        elif row.method == "sendVoice":
            sent = await self.bot.send_voice(
                chat, payload["voice"], caption=payload.get("caption"), reply_markup=markup
            )
        elif row.method == "sendLocation":
            sent = await self.bot.send_location(chat, payload["latitude"], payload["longitude"])
        else:
            raise ValueError(f"unknown outbox method {row.method}")
        if row.ticket_id is not None and self.tickets is not None:
            # A Telegram reply to this message is a reply on the ticket.
            await self.tickets.remember_relay(row.ticket_id, chat, sent.message_id)
        return None

    async def _send_card(self, row: OutboxMessage) -> int | None:
        """Cards are rendered now, from the ticket as it is, and edited in place when the
        recipient already has one."""
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
            try:
                await self.bot.edit_message_text(
                    text=view.text, chat_id=row.chat_id, message_id=existing, reply_markup=markup
                )
                return upto
            except TelegramBadRequest as error:
                if "not modified" in error.message.lower():
                    return upto
                if "not found" not in error.message.lower():
                    raise
                # The card was deleted in the chat: send a new one below.
        sent = await self.bot.send_message(row.chat_id, view.text, reply_markup=markup)
        await self.tickets.remember_card(row.ticket_id, row.chat_id, sent.message_id)
        return upto

    async def _mark_sent(self, row: OutboxMessage, collapse_upto: int | None) -> None:
        async with self.db.session() as session:
            outbox = OutboxRepository(session)
            await outbox.mark_sent(row.id, self.clock())
            if collapse_upto is not None and row.ticket_id is not None:
                # Pending updates of the same card written before it was rendered are in it.
                await outbox.collapse_cards(row.ticket_id, row.chat_id, collapse_upto, self.clock())
            await session.commit()

    async def _postpone(self, row: OutboxMessage, seconds: float, error: str) -> None:
        log.info("outbox %s to %s postponed %.1fs: %s", row.id, row.chat_id, seconds, error)
        async with self.db.session() as session:
            until = self.clock() + timedelta(seconds=seconds)
            await OutboxRepository(session).postpone(row.id, until, error)
            await session.commit()

    async def _fail(self, row: OutboxMessage, error: str) -> None:
        log.warning("outbox %s to %s failed: %s", row.id, row.chat_id, error)
        async with self.db.session() as session:
            await OutboxRepository(session).mark_failed(row.id, error)
            await session.commit()

    async def _unreachable(self, row: OutboxMessage, error: str) -> None:
        log.warning("chat %s unreachable: %s", row.chat_id, error)
        async with self.db.session() as session:
            outbox = OutboxRepository(session)
            await outbox.mark_failed(row.id, error)
            await outbox.fail_pending_for_chat(row.chat_id, error)
            await PersonRepository(session).mark_unreachable(row.chat_id, self.clock())
            await session.commit()
