"""Data retention: delivered notifications are deleted after OUTBOX_RETENTION_DAYS (a payload
holds residents' words: relayed messages, descriptions on cards); how many were sent or failed
each day is kept (storage/repositories/outbox_retention.py). The contact an Open311 caller gave
goes as long after their ticket is finished. A photo kept for a report that was never sent (a
web summary left, or sent twice and filed once; a WeChat report never written) goes a day
after it was sent; the photos on a ticket stay. The WeChat door's record of the callbacks it
handled (kept so that WeChat's retry, seconds later, is not handled twice) goes after
WECHAT_CALLBACK_KEPT."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.open311 import Open311Repository
from storage.repositories.outbox_retention import OutboxRetentionRepository
from storage.repositories.web_files import WebFileRepository
from storage.repositories.wechat import WeChatCallbackRepository

log = logging.getLogger(__name__)
# Rows per transaction: each batch holds SQLite's write lock for a moment only.
BATCH = 500
# A photo on none of its sender's tickets this long after it came is a report left unsent:
# a summary page is sent within minutes, a WeChat report's photos wait an hour at most.
UNSENT_PHOTO_KEPT = timedelta(days=1)
# How far back each (hourly) sweep looks: a week of the service being down is covered, and
# the sweep reads a week's photos, not every photo ever kept.
UNSENT_PHOTO_SWEPT = timedelta(days=7)
# WeChat retries a callback within seconds (three tries, five seconds apart); three days
# leave a replay by a slow proxy, or a clock set wrong for a while, still recognised.
WECHAT_CALLBACK_KEPT = timedelta(days=3)


class RetentionService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def run(self) -> int:
        """One purge: every sent or failed row older than the retention, a batch at a time.
        Returns how many rows went."""
        before = self.clock() - timedelta(days=self.config.outbox_retention_days)
        total = 0
        while True:
            async with self.db.session() as session:
                purged = await OutboxRetentionRepository(session).purge(before, BATCH)
                await session.commit()
            total += purged
            if purged < BATCH:
                break
        await self._forget_callers(before)
        await self._drop_unsent_photos()
        await self._prune_wechat_callbacks()
        if total:
            log.info(
                "outbox: %d notification(s) older than %d days purged (counts kept)",
                total,
                self.config.outbox_retention_days,
            )
        return total

    async def _in_batches(self, step: Callable[[AsyncSession], Awaitable[int]]) -> int:
        """``step`` (at most BATCH rows changed) a transaction at a time until one changes
        fewer; how many rows changed in all."""
        done = 0
        while True:
            async with self.db.session() as session:
                changed = await step(session)
                await session.commit()
            done += changed
            if changed < BATCH:
                return done

    async def _forget_callers(self, before: datetime) -> None:
        forgotten = await self._in_batches(
            lambda session: Open311Repository(session).forget_callers(before, BATCH)
        )
        if forgotten:
            log.info("open311: the callers' contacts of %d finished ticket(s) cleared", forgotten)

    async def _drop_unsent_photos(self) -> None:
        before = self.clock() - UNSENT_PHOTO_KEPT
        async with self.db.session() as session:
            senders = await WebFileRepository(session).kept_between(
                before - UNSENT_PHOTO_SWEPT, before
            )
        dropped = 0
        for person_id, keys in senders.items():  # one sender's photos a transaction
            async with self.db.session() as session:
                dropped += await WebFileRepository(session).drop_unfiled_of(person_id, keys)
                await session.commit()
        if dropped:
            log.info("web_files: %d photo(s) of reports never sent dropped", dropped)

    async def _prune_wechat_callbacks(self) -> None:
        before = self.clock() - WECHAT_CALLBACK_KEPT
        pruned = await self._in_batches(
            lambda session: WeChatCallbackRepository(session).prune(before, BATCH)
        )
        if pruned:
            log.info("wechat_callbacks: %d record(s) of handled callbacks pruned", pruned)
