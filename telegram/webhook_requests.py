"""The Telegram webhook: Telegram POSTs each update to WEBHOOK_URL, with the secret token the bot
gave ``setWebhook`` in a header. A request
without it is answered 401 and logged; an update is handled like a polled one, through the
dispatcher and its middlewares (the update-id dedupe skips a redelivery), and then answered."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.services.updates import SharedStateUnavailable
from telegram.hand import AWAY, Hand, held

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler for one bot (its constant-time secret check), with three differences:

    - Telegram gets its 200 once the update is handled, not before (aiogram's default answers
      first): an update in hand when the process dies unanswered is delivered again, to this
      bot's successor, instead of being lost with the process.
    - At most ``in_hand`` updates are handled at a time, as in polling: a full hand holds the
      next request, and so Telegram's queue, until one is done (one waiting for its own
      person waits out of the hand: telegram/hand.py).
    - Updates wait until the bot has started (``open``); a stopping bot (``shut``) takes no
      new one (503: Telegram delivers it again later) and finishes the ones in hand
      (``drain``)."""

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, *, secret_token: str, in_hand: int
    ) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret_token)
        self.closing = False
        self.waiting = 0  # requests held back: the start-up is not done, or a full hand
        self._open = asyncio.Event()
        self._slots = asyncio.Semaphore(in_hand)
        self._away = asyncio.Semaphore(AWAY * in_hand)
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            # Who tried, never what they sent (it may be a guess at the secret).
            log.warning("webhook: 401 for %s: no or a wrong secret token", request.remote)
            return web.Response(status=401, text="Unauthorized")
        try:
            raw = await request.json(loads=self.bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": self.bot})
        except (ValueError, ValidationError):
            log.warning("webhook: 400 for %s: not an update", request.remote)
            return web.Response(status=400, text="Bad Request")
        self.waiting += 1
        try:
            await self._open.wait()  # the bot's start-up is done (or it is stopping)
            if self.closing:
                return web.Response(status=503, text="Stopping")
            await self._slots.acquire()  # a free hand
        finally:
            self.waiting -= 1
        if self.closing:
            self._slots.release()
            return web.Response(status=503, text="Stopping")
        task = asyncio.create_task(
            self._feed(update, Hand(self._slots, self._away)), name=f"update-{update.update_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_retrieved)
        # Shielded: a request Telegram gives up on (its timeout) does not cancel the handling;
        # the redelivery is then skipped as seen before.
        try:
            await asyncio.shield(task)
        except SharedStateUnavailable as error:
            # Several instances and Redis did not answer (or the person's lock stayed taken):
            # nothing was done; Telegram delivers the update again later.
            log.warning("update %s: 503, delivered again later: %s", update.update_id, error)
            return web.Response(status=503, text="Try again later")
        return web.json_response({})

    async def _feed(self, update: Update, hand: Hand) -> None:
        with held(hand):  # its place, given back at the end (or while it waits: telegram/hand.py)
            try:
                result: Any = await self.dispatcher.feed_update(self.bot, update, **self.data)
                if isinstance(result, TelegramMethod):
                    await self.dispatcher.silent_call_request(self.bot, result)
            except SharedStateUnavailable:
                raise  # the request answers 503
            except Exception:
                # As polling does: the update is done with (the errors router answered the user
                # where it could); the next one is not held up.
                log.exception("update %s failed", update.update_id)

    def open(self) -> None:
        """The bot has started: updates are handled (until then they wait)."""
        self._open.set()

    def shut(self) -> None:
        """The bot is stopping: no new update (503); the ones in hand go on (``drain``)."""
        self.closing = True
        self._open.set()

    async def close(self) -> None:
        """Nothing: the bot's session outlives the web server (the outbox is flushed after)."""

    async def drain(self, timeout: float) -> int:  # noqa: ASYNC109 (a deadline, not a pause)
        """Waits up to ``timeout`` seconds for the updates in hand; cancels the ones still in
        hand then (unanswered, Telegram delivers them again) and returns how many they were."""
        if not self._tasks:
            return 0
        log.info("waiting for %d update(s) in hand", len(self._tasks))
        _, left = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left)
        return len(left)


def _retrieved(task: asyncio.Task[None]) -> None:
    """A 503's exception is read even when Telegram had given up on the request."""
    if not task.cancelled():
        task.exception()
