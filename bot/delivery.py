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
from aiogram.types import InlineKeyboardMarkup

from bot.services.clock import Clock
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
        self, bot: Bot, db: Database, clock: Clock, *, poll_seconds: float = 1.0, batch: int = 50
    ) -> None:
        self.bot = bot
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
            try:
                delivered = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass failed; retrying")
                delivered = 0
            if delivered:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

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
            await self._send(row)
        except TelegramRetryAfter as error:
            await self._postpone(row, float(error.retry_after), str(error))
            return False
        except TelegramForbiddenError as error:
            await self._unreachable(row, str(error))
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                await self._unreachable(row, str(error))
            elif "message is not modified" in error.message.lower():
                await self._mark_sent(row)
            else:
                await self._fail(row, str(error))
        except (TelegramNetworkError, TelegramServerError) as error:
            await self._postpone(row, backoff(row.attempts + 1), str(error))
        else:
            await self._mark_sent(row)
        return True

    async def _send(self, row: OutboxMessage) -> None:
        payload: dict[str, Any] = dict(row.payload)
        markup = payload.pop("reply_markup", None)
        if row.method != "sendMessage":
            raise ValueError(f"unknown outbox method {row.method}")
        await self.bot.send_message(
            chat_id=row.chat_id,
            text=payload["text"],
            reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None,
        )

    async def _mark_sent(self, row: OutboxMessage) -> None:
        async with self.db.session() as session:
            await OutboxRepository(session).mark_sent(row.id, self.clock())
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
