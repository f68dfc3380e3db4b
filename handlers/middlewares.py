"""Per-update context: the person behind the update and a translator in their language; the
update handled once, logged, within the flood limits and the bot's budget; every button press
answered exactly once."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User

from bot.i18n import Translations
from bot.services import Clock, Services
from bot.services.updates import SharedStateUnavailable, UpdateClaims
from storage.models import telegram_address
from telegram.budget import budget_of, replying_to
from telegram.isolation import holds_user_lock

log = logging.getLogger(__name__)


class PersonMiddleware(BaseMiddleware):
    def __init__(self, services: Services, translations: Translations) -> None:
        self.services = services
        self.translations = translations

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        language = self.translations.default
        # People who talk to the bot privately or press its buttons become people here; the
        # members of a group the bot was added to do not.
        talks_to_bot = (
            chat is None
            or chat.type == "private"
            or isinstance(event, Update)
            and (event.callback_query is not None)
        )
        if user is not None and not user.is_bot and talks_to_bot:
            person = await self.services.onboarding.touch(
                telegram_address(user.id), user.full_name, user.language_code
            )
            data["person"] = person
            language = person.language or language
        data["t"] = self.translations.bind(language)
        return await handler(event, data)


class OnceMiddleware(BaseMiddleware):
    """Skips an update whose id was handled before (webhook redelivery, replay after a crash),
    by this process or, with shared claims (bot/services/updates.py), by any instance."""

    def __init__(self, updates: UpdateClaims) -> None:
        self.updates = updates

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        update_id = event.update_id
        if not await self.updates.begin(update_id, exclusive=holds_user_lock()):
            log.info("update %s: seen before, skipped", update_id)
            return None
        try:
            result = await handler(event, data)
        except SharedStateUnavailable:
            raise  # not handled: delivered again
        except BaseException:
            await self.updates.done(update_id)  # handled, badly: the errors router answers
            raise
        await self.updates.done(update_id)
        return result


class LogMiddleware(BaseMiddleware):
    """One line per update: its id, kind, the user's id and how long it took (ids only)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            user: User | None = data.get("event_from_user")
            if isinstance(event, Update):
                log.info(
                    "update %s %s user %s handled in %.0f ms",
                    event.update_id,
                    event.event_type,
                    user.id if user else "-",
                    (time.perf_counter() - started) * 1000,
                )


# The people one instance keeps flood counts for at most. Only people who wrote in the last
# minute are kept at all; past this many, the least recently active are forgotten first (they
# start a fresh minute). 100,000 past senders once held 83 MB that was never freed.
MAX_SENDERS = 10_000
WINDOW_SECONDS = 60.0


class _Sender:
    __slots__ = ("times", "warned")

    def __init__(self) -> None:
        # When their messages of the last minute arrived, oldest first (a list: at most
        # ``limit`` floats, a fraction of a deque's fixed 600 bytes).
        self.times: list[float] = []
        self.warned = False


class FloodMiddleware(BaseMiddleware):
    """At most ``limit`` messages per person per minute (or button presses: a second instance
    on callback queries). Past it the person is asked once to slow down and the rest of that
    minute is ignored. Kept in memory: per instance, for the people who wrote in the last minute
    only (see MAX_SENDERS)."""

    def __init__(self, limit: int, clock: Clock, *, max_senders: int = MAX_SENDERS) -> None:
        self.limit = limit
        self.clock = clock
        self.max_senders = max_senders
        # Least recently counted first: a sender moves to the end with every counted message,
        # so the idle ones are always at the front.
        self._senders: OrderedDict[int, _Sender] = OrderedDict()
        self._full_logged = False

    def __len__(self) -> int:
        return len(self._senders)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if not isinstance(event, Message | CallbackQuery) or user is None:
            return await handler(event, data)
        now = self.clock().timestamp()
        self._forget_idle(now)
        sender = self._senders.get(user.id)
        if sender is None:
            sender = self._senders[user.id] = _Sender()
            self._keep_bounded()
        times = sender.times
        while times and times[0] <= now - WINDOW_SECONDS:
            del times[0]
        if len(times) >= self.limit:
            if not sender.warned:
                sender.warned = True
                log.info("user %s: flood limit reached", user.id)
                t = data.get("t")
                if t is not None:
                    press = isinstance(event, CallbackQuery)
                    await event.answer(t("flood-slow-down-press" if press else "flood-slow-down"))
            return None
        sender.warned = False
        times.append(now)
        self._senders.move_to_end(user.id)
        return await handler(event, data)

    def _forget_idle(self, now: float) -> None:
        """Drop the senders whose newest counted message is a minute old: their window is
        empty, so forgetting them changes nothing."""
        senders = self._senders
        while senders:
            first = next(iter(senders.values()))
            if first.times and first.times[-1] > now - WINDOW_SECONDS:
                break
            senders.popitem(last=False)

    def _keep_bounded(self) -> None:
        while len(self._senders) > self.max_senders:
            self._senders.popitem(last=False)
            if not self._full_logged:
                self._full_logged = True
                log.warning(
                    "flood limiter: more than %d people wrote within a minute; the least "
                    "recently active are forgotten first",
                    self.max_senders,
                )


class ShortWorkMiddleware(BaseMiddleware):
    """First of ours on updates: an update's units of work are short statements, so on SQLite
    they run on the event loop's thread, without a hand-over to the database's thread for each
    (``Database.on_loop``, storage/sqlite_trips.py)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        with data["db"].on_loop():
            return await handler(event, data)


class WithinBudgetMiddleware(BaseMiddleware):
    """Second of ours on updates: the bot that handles them has its budget before any handler
    calls Telegram (create_bot installs it; a bot made elsewhere gets the default here, not
    halfway through an update), and what the handlers send to the chat the update came from
    counts as an answer to that person, not as a notification (telegram/budget.py)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        budget_of(data["bot"])
        chat = data.get("event_chat")
        with replying_to(chat.id if isinstance(chat, Chat) else None):
            return await handler(event, data)


class AnswerOnceMiddleware(BaseMiddleware):
    """Outermost on callback queries: a press nothing answered (refused by the flood limit, a
    handler that forgot) is answered silently afterwards. A second answer is dropped by the
    bot's budget (telegram/budget.py), which remembers the answered ones; a failing handler is the
    errors router's (handlers/errors.py), which asks the budget too."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        if isinstance(event, CallbackQuery) and not budget_of(data["bot"]).answered(event.id):
            await event.answer()
        return result
