"""The fake Bot API server of tests/fakeapi.py, made fit for load:

- a pre-built queue of updates served by ``getUpdates`` in Telegram's batches (``limit``, 100 by
  default), either all at once ("burst": as fast as the bot asks) or paced (update *i* becomes
  available at ``start + i / rate``, as if users wrote at that rate);
- the time each update was first served (``served_at``), so a call's arrival time (already
  recorded by the base class as ``ApiCall.time``, same clock) gives the latency;
- optionally Telegram's overall message limit: at most ``message_limit`` messages in any sliding
  1-second window, a 429 with ``retry_after`` past it (counted in ``rejected``).

Serving a queue is O(batch) per call (an index, not a list filter), so the fake stays cheap next
to the bot; ``bench.fakeclient`` measures how much it can serve on its own."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from tests.fakeapi import JSON, ApiError, FakeBotAPI, Files, error_response

MESSAGE_METHODS = ("send", "copy", "forward")  # what Telegram's ~30 messages/s counts


class LoadFakeAPI(FakeBotAPI):
    def __init__(
        self,
        *,
        message_limit: int | None = None,
        window: float = 1.0,
        record_messages: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.queue: list[JSON] = []
        self.served_at: dict[int, float] = {}
        self.rate: float | None = None
        self.started: float | None = None  # monotonic time the feed started
        self.confirmed = 0  # index in ``queue`` of the first update not confirmed by an offset
        self.batches: list[int] = []  # sizes of the non-empty getUpdates answers
        self.message_limit = message_limit
        self.window = window
        self.rejected = 0
        self.accepted_messages: list[float] = []
        self._recent: deque[float] = deque()
        self._record_messages = record_messages
        self._first_id = 0
        self.on_call: Callable[[str, JSON, float], None] | None = None

    # ------------------------------------------------------------------------- the queue

    def load(self, updates: list[JSON]) -> list[int]:
        """Queues pre-built updates (without ids); returns their ids. Nothing is served before
        ``start_feed``."""
        first = next(self._update_ids)
        self._first_id = first
        self.queue = [{**u, "update_id": first + i} for i, u in enumerate(updates)]
        self._update_ids = itertools.count(first + len(updates))
        self.served_at.clear()
        self.confirmed = 0
        self.started = None
        self.batches.clear()
        return [u["update_id"] for u in self.queue]

    def start_feed(self, rate: float | None = None) -> float:
        """Makes the queue available: all at once (``rate`` None) or ``rate`` updates/s."""
        self.rate = rate
        self.started = time.monotonic()
        self._wake_updates()
        return self.started

    def available(self, now: float) -> int:
        if self.started is None:
            return 0
        if self.rate is None:
            return len(self.queue)
        return min(len(self.queue), int((now - self.started) * self.rate) + 1)

    @property
    def all_confirmed(self) -> bool:
        return self.confirmed >= len(self.queue)

    async def api_getUpdates(self, p: JSON, files: Files) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(p.get("offset", 0)), min(max(int(p.get("limit", 100)), 1), 100)
        if offset > 0 and self.queue:
            self.confirmed = max(self.confirmed, min(len(self.queue), offset - self._first_id))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(p.get("timeout", 0)), self.max_poll_timeout)
        while not self._closing:
            now = time.monotonic()
            ready = self.available(now)
            if ready > self.confirmed:
                batch = self.queue[self.confirmed : min(ready, self.confirmed + limit)]
                for update in batch:
                    self.served_at.setdefault(update["update_id"], now)
                self.batches.append(len(batch))
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            if self.started is not None and self.rate is not None and ready < len(self.queue):
                # The next update's arrival time (never later than the poll's deadline).
                due = self.started + ready / self.rate - now
                remaining = min(remaining, max(due, 0.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), remaining)
        return []

    # ------------------------------------------------------------------------- the limit

    async def _respond(
        self, method: str, handler: Callable[[JSON, Files], Any] | None, p: JSON, files: Files
    ) -> tuple[int, JSON]:
        if self.on_call is not None:
            self.on_call(method, p, time.monotonic())
        if self.message_limit is not None and method.startswith(MESSAGE_METHODS):
            now = time.monotonic()
            recent = self._recent
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.message_limit:
                self.rejected += 1
                retry_after = max(1, math.ceil(recent[0] + self.window - now))
                return 429, error_response(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after
                )
            status, body = await super()._respond(method, handler, p, files)
            if status == 200:
                recent.append(now)
                self.accepted_messages.append(now)
            return status, body
        return await super()._respond(method, handler, p, files)

    def _message(self, chat_id: int | str, sender: JSON, message_id: int | None = None) -> JSON:
        # The base class remembers every message for replies and edits; under load that is
        # memory the benchmark does not need (edits of unknown messages get a placeholder).
        msg = super()._message(chat_id, sender, message_id)
        if not self._record_messages and message_id is None:
            self.messages.pop((chat_id, msg["message_id"]), None)
        return msg
