"""Each Telegram update is handled once."""

from __future__ import annotations

from datetime import timedelta

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.updates import UpdateRepository

# Telegram keeps an unconfirmed update for 24 hours; remembering three days is plenty.
KEEP = timedelta(days=3)
PRUNE_EVERY = 1000


class UpdateLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._claims = 0

    async def claim(self, update_id: int) -> bool:
        """True the first time an update id is seen. A replay after a crash, or a webhook
        redelivery, gets False and is skipped."""
        now = self.clock()
        async with self.db.session() as session:
            updates = UpdateRepository(session)
            if not await updates.claim(update_id, now):
                return False
            self._claims += 1
            if self._claims % PRUNE_EVERY == 0:
                await updates.prune(now - KEEP)
            await session.commit()
            return True
