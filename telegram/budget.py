"""One budget for every Bot API call of the process: the handlers' answers and the delivery
worker's notifications share Telegram's limits (30 messages a second overall, about one a second
per chat with a small burst, 20 a minute per group), and a 429 is waited out instead of failing
the update.

It sits in the bot's HTTP session as a request middleware (aiogram's
``bot.session.middleware(...)``), so no call can go around it. What counts
(telegram/budget_rules.py):

- messages (``send*``, ``copyMessage``, ``forwardMessage``…) and edits (``editMessage*``) take a
  slot of the chat's bucket and of the overall window: Telegram's flood control counts edits as
  it counts messages (an edit storm on one card draws a 429 too);
- ``answerCallbackQuery`` is not a message to a chat: no slot, but a 429 is waited out; and a
  callback query is answered once (Telegram refuses a second answer: "query is too old"), so a
  second answer is dropped here and ``answered()`` tells who asks (the errors router);
- the rest (getUpdates, getMe, setMyCommands, deleteMessage…) is not limited.

Answers are not broadcasts: Telegram's overall limit (about 30 messages a second) is the one for
notifying many people at once; what a bot sends in the chat of a person who just wrote to it
is limited by that chat's rule alone (sends and edits share it). So a message or edit to the
chat of the update being handled (``replying_to``, set around every update by
handlers/middlewares.py) takes that chat's tokens and waits out a pause of the whole bot, but
takes no slot of the overall window and waits for none: a burst of people writing at once is
answered as fast as the bot can, and the notifications keep the whole window to themselves. A
call made while handling an update to any other chat is counted as a notification would be.

Priorities: a call made while handling an update is URGENT (a person waits for it); the delivery
worker marks its calls BACKGROUND (``background(...)``): they wait while urgent calls wait, and
only as long as their pass allows; among them, a more urgent row's go first (a new report's card
before a notice's copies still waiting, of another pass in hand too). A 429 on an urgent call
holds that chat back for ``retry_after`` and retries, at most MAX_ATTEMPTS times and PATIENCE
seconds in all; one on a background call is the worker's to handle.

Whose limit a 429 was: Telegram's answer does not say. A 429 on a message to a chat holds that
chat only (its bucket pauses for ``retry_after``; a background call raises ChatRetryAfter, and
the worker sends that chat's row later while the other chats go on): one head with twenty cards
must not stop the notifications of a hundred others. It is the whole bot's limit (a flood) when
the call has no chat (a button's answer, deleteMessage…) or when GLOBAL_CHATS different chats
are refused within GLOBAL_SPAN seconds: then every call holds back for ``retry_after`` (the
overall window pauses) and the worker is told (``on_retry_after``).

Several instances (REDIS_URL, ``shared``): the process's queue stays as above, and a call whose
turn has come also takes its place in the limits every instance counts in Redis
(bot/shared_limits.py: the overall window, the chat's bucket, the 429s any of them met), or
waits as long as Redis says: a chat another instance filled waits outside the overall queue; a
429 another instance met holds the chat (an answer waits it out as its own, a notification's row
is held for then) or, for the whole bot, every call and the worker. Redis unreachable: the
process keeps to its share of the overall limit (``SharedLimits.share``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.delivery_window import LATE
from bot.ratelimit import (
    BACKGROUND,
    URGENT,
    ChatBuckets,
    Monotonic,
    Remote,
    Sleep,
    SlidingWindow,
    Slot,
)
from telegram.budget_rules import Kind, Limits, kind_of, weight_of
from telegram.hand import stepped_out

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.shared_limits import SharedLimits, Verdict

__all__ = [
    "BACKGROUND",
    "Background",
    "Budget",
    "BudgetMiddleware",
    "ChatRetryAfter",
    "Kind",
    "Limits",
    "NotNow",
    "background",
    "budget_of",
    "install_budget",
    "kind_of",
    "weight_of",
]
log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an urgent call: the first try and two retries after a 429
PATIENCE = 20.0  # seconds an urgent call may spend waiting out 429s before it gives up
CHAT_BUCKETS = 4096  # remembered per-chat buckets (idle ones beyond are forgotten)
ANSWERED_IDS = 10_000  # callback query ids remembered as answered (queries expire in minutes)
# This many different chats refused within GLOBAL_SPAN seconds: the bot's overall limit, not
# theirs. (Each chat's sends are spaced by its own bucket: several chats over their own limits
# at the same moment is unlikely; a flood, or a limit of Telegram's we do not know, is not.)
GLOBAL_CHATS = 3
GLOBAL_SPAN = 1.0
PAUSED = "held back: Telegram asked to slow down (429)"
CHAT_PAUSED = "held back: Telegram asked to slow down for this chat (429, seen by another instance)"
CHAT_BUSY = "held back: another instance has just sent to this chat (its turn comes later)"
# A background call whose chat another instance filled waits this long at most in its place
# among the delivery worker's concurrent sends; longer, its row is held for then (the place
# goes to another chat's row): it would otherwise hold that place for up to a second.
CHAT_BUSY_WAIT = 0.05


class ChatRetryAfter(TelegramRetryAfter):
    """A 429 that holds back only its chat (the budget judged it the chat's limit): the delivery
    worker sends that chat's row later and goes on with the others."""


class _ChatHeld(Exception):
    """An urgent call's chat is held back by a 429 another instance met (learnt from Redis)."""


class _ChatBusy(Exception):
    """Other instances' sends to the chat fill its bucket (learnt from Redis): the call leaves
    its place in the overall window (the sends to other chats go on) and waits ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class NotNow(Exception):
    """A background call not made: its pass's time ran out before its turn, or Telegram asked
    the bot to slow down meanwhile. Nothing was sent."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Background:
    """How the delivery worker's calls behave: ``in_time()`` bounds the wait for a slot (raises
    TimeoutError when the pass's window is over); ``paused()`` is how long the worker is held
    back by a 429 (then a call whose turn came is not made); ``priority``: BACKGROUND, or
    more for a less urgent row (BACKGROUND + its storage.models.Urgency): the worker's calls
    take their turns most urgent first, then first come first served."""

    in_time: Callable[[], AbstractAsyncContextManager[object]]
    paused: Callable[[], float]
    priority: int = BACKGROUND


_BACKGROUND: ContextVar[Background | None] = ContextVar("louzhang_background", default=None)
_REPLYING: ContextVar[int | str | None] = ContextVar("louzhang_replying", default=None)


@contextlib.contextmanager
def background(how: Background) -> Iterator[None]:
    """Calls made inside (in this task and the tasks it starts) are queued notifications."""
    token = _BACKGROUND.set(how)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


@contextlib.contextmanager
def replying_to(chat: int | str | None) -> Iterator[None]:
    """Calls made inside (in this task and the tasks it starts) answer a person who wrote from
    ``chat``: their messages to that chat are answers, not notifications (see above)."""
    token = _REPLYING.set(chat)
    try:
        yield
    finally:
        _REPLYING.reset(token)


class _RecentIds:
    """The last ``size`` ids seen, in order (a set that forgets the oldest)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, item: str) -> bool:
        return item in self._ids

    def add(self, item: str) -> None:
        self._ids[item] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def discard(self, item: str) -> None:
        self._ids.pop(item, None)


class Budget:
    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        shared: SharedLimits | None = None,
    ) -> None:
        self.limits = limits = limits or Limits()
        # Several instances (REDIS_URL): the limits are counted in Redis too (bot/shared_limits.py)
        self.shared = shared
        self._fallback: SlidingWindow | None = None  # the local share while Redis is away
        self._shared_pause = -math.inf  # the whole bot's pause last learnt from Redis (clock)
        self.clock = clock
        self.sleep = sleep
        self.overall = SlidingWindow.per_second(limits.per_second, clock=clock, sleep=sleep)
        self.chats = ChatBuckets(
            limits.private_per_second,
            limits.private_burst,
            limits.group_per_minute,
            CHAT_BUCKETS,
            clock=clock,
            sleep=sleep,
        )
        self._answered = _RecentIds(ANSWERED_IDS)
        self._listeners: list[Callable[[float], None]] = []
        self._refused: deque[tuple[float, int | str]] = deque()  # recent 429s: when, chat

    # ------------------------------------------------------------------------ for others

    def answered(self, callback_query_id: str) -> bool:
        """Whether this callback query was answered (or is being answered) already."""
        return callback_query_id in self._answered

    def on_retry_after(self, listener: Callable[[float], None]) -> None:
        """``listener(seconds)`` on every 429 that holds back the whole bot (the delivery
        worker holds back); a 429 that holds one chat only does not call it."""
        self._listeners.append(listener)

    def forget_listener(self, listener: Callable[[float], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    # ------------------------------------------------------------------------ the calls

    async def call(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: Any
    ) -> Any:
        kind = kind_of(method)
        if kind is Kind.FREE and str(method.__api_method__) == "getUpdates":
            return await make_request(bot, method)  # long polling has its own back-off
        if kind is Kind.CALLBACK:
            return await self._answer(make_request, bot, method)
        how = _BACKGROUND.get()
        if how is not None:
            return await self._background(make_request, bot, method, kind, how)
        return await self._urgent(make_request, bot, method, kind)

    async def _answer(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: Any
    ) -> Any:
        query_id = str(method.callback_query_id)
        if query_id in self._answered:
            log.debug("callback query %s: answered already, not again", query_id)
            return True
        self._answered.add(query_id)
        try:
            return await self._urgent(make_request, bot, method, Kind.CALLBACK)
        except TelegramNetworkError:
            self._answered.discard(query_id)  # it may not have arrived: may be tried again
            raise

    async def _urgent(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: Any,
        kind: Kind,
    ) -> Any:
        chat = _chat_of(method, kind)
        give_up_at = self.clock() + PATIENCE
        attempt = 0
        while True:
            attempt += 1
            held = self.chats[chat].paused_for() if chat is not None else 0.0
            if held > give_up_at - self.clock():
                # Telegram asked (on an earlier call) to wait longer than a person waits.
                self._give_up(method, chat, held, attempt - 1)
                raise TelegramRetryAfter(method, "held back by an earlier 429", math.ceil(held))
            try:
                async with self._slots(method, kind, chat, URGENT):
                    return await make_request(bot, method)
            except _ChatHeld:
                continue  # its bucket pauses now: wait that out (or give up) as above
            except TelegramRetryAfter as error:
                self._retry_after(chat, error.retry_after)
                if attempt >= MAX_ATTEMPTS or self.clock() + error.retry_after > give_up_at:
                    self._give_up(method, chat, error.retry_after, attempt)
                    raise
                log.info(
                    "%s to chat %s: Telegram asked to wait %s s (429); retrying",
                    method.__api_method__,
                    chat if chat is not None else "-",
                    error.retry_after,
                )
                if chat is None:  # no bucket holds it back: wait here
                    await self.sleep(error.retry_after)

    async def _background(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: Any,
        kind: Kind,
        how: Background,
    ) -> Any:
        chat = _chat_of(method, kind)
        async with contextlib.AsyncExitStack() as stack:
            try:
                async with how.in_time():
                    await stack.enter_async_context(self._slots(method, kind, chat, how.priority))
            except TimeoutError:
                raise NotNow(0.0, LATE) from None
            left = how.paused()
            if left > 0:  # a 429 arrived while this one waited for its turn: not sent
                raise NotNow(left, PAUSED)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if self._retry_after(chat, error.retry_after):
                    raise
                raise ChatRetryAfter(method, error.message, error.retry_after) from error

    @contextlib.asynccontextmanager
    async def _slots(
        self, method: Any, kind: Kind, chat: int | str | None, priority: int
    ) -> AsyncIterator[None]:
        """The chat's tokens, then the overall slots, taken right before the request leaves
        and counted from its end (see SlidingWindow)."""
        if kind not in (Kind.MESSAGE, Kind.EDIT):
            yield
            return
        weight = weight_of(method)
        bucket = self.chats[chat] if chat is not None else None
        reply = priority == URGENT and chat is not None and chat == _REPLYING.get()
        tokens = 0
        taken: list[Slot] = []
        shared: list[Verdict] = []  # the slots taken in Redis
        made = flying = False
        try:
            if bucket is not None:
                # A handler waiting for its chat's turn waits out of the updates in hand: the
                # others go on meanwhile (telegram/hand.py).
                waits = priority == URGENT and bucket.at_once() < weight
                async with stepped_out() if waits else contextlib.nullcontext():
                    for _ in range(weight):
                        await bucket.acquire(priority, sending=False)
                        tokens += 1
                bucket.sending(tokens)  # on their way from here (see Bucket)
                flying = True
            if reply:
                await self._reply_turn(chat, weight, shared)
                made = True
                yield
                return
            for n in range(weight):
                remote = None
                if n == 0 and self.shared is not None:
                    remote = self._shared_take(self.shared, chat, weight, priority, taken, shared)
                while True:
                    try:
                        taken.append(await self.overall.acquire(priority, remote=remote))
                        break
                    except _ChatBusy as busy:
                        await self.sleep(busy.seconds)
            made = True
            yield
        finally:
            for slot in taken:
                slot.finished()
            if self.shared is not None:
                for verdict in shared:
                    self.shared.finished(verdict)
            if bucket is not None:
                for _ in range(tokens):
                    # The chat's tokens count from the end of the request (see Bucket); a
                    # request never made (its overall turn did not come) spent none.
                    if made:
                        bucket.finished()
                    else:
                        bucket.give_back(in_flight=flying)

    async def _reply_turn(self, chat: int | str | None, weight: int, slots: list[Verdict]) -> None:
        """An answer's turn: no slot of the overall window, but a pause of the whole bot (a
        429 for the whole bot, here or in another instance) is waited out, and with several
        instances the chat's bucket in Redis is taken too."""
        while (paused := self.overall.paused_until - self.clock()) > 0:
            await self.sleep(paused)
        if self.shared is None:
            return
        while True:
            verdict = await self.shared.take(chat, weight, reply=True)
            if verdict.kind in ("ok", "down"):  # down: the process's own bucket has counted it
                if verdict.kind == "ok":
                    slots.append(verdict)
                return
            self._learn(verdict.kind, verdict.wait, chat)
            if verdict.kind == "chat-paused":
                raise _ChatHeld
            await self.sleep(max(verdict.wait, 1e-3))

    def _shared_take(
        self,
        shared: SharedLimits,
        chat: int | str | None,
        weight: int,
        priority: int,
        taken: list[Slot],
        slots: list[Verdict],
    ) -> Remote:
        """The call's place in the limits shared by every instance (asked once the process's
        own window lets it go, see bot/ratelimit.py _Gate): 0 once taken, else the wait."""

        async def take() -> float:
            verdict = await shared.take(chat, weight)
            if verdict.kind == "ok":
                slots.append(verdict)
                return 0.0
            if verdict.kind == "down":  # this instance's share, in the process
                window = self._fallback_window(shared)
                for _ in range(weight):
                    taken.append(await window.acquire(priority))
                return 0.0
            self._learn(verdict.kind, verdict.wait, chat)
            if verdict.kind == "paused" and priority >= BACKGROUND:
                raise NotNow(verdict.wait, PAUSED)
            if verdict.kind == "chat-paused":
                if priority >= BACKGROUND:
                    raise NotNow(verdict.wait, CHAT_PAUSED)
                raise _ChatHeld
            if verdict.kind == "chat":
                if priority >= BACKGROUND and verdict.wait > CHAT_BUSY_WAIT:
                    raise NotNow(verdict.wait, CHAT_BUSY)
                raise _ChatBusy(max(verdict.wait, 1e-3))
            return max(verdict.wait, 1e-3)

        return take

    def _fallback_window(self, shared: SharedLimits) -> SlidingWindow:
        rate = shared.share(self.limits.per_second)
        if self._fallback is None or not math.isclose(
            self._fallback.count / self._fallback.period, rate
        ):
            self._fallback = SlidingWindow.per_second(rate, clock=self.clock, sleep=self.sleep)
        return self._fallback

    def _learn(self, kind: str, seconds: float, chat: int | str | None) -> None:
        """A 429 another instance met, as Redis tells it: held back here too."""
        if kind == "chat-paused" and chat is not None:
            self.chats[chat].pause(seconds)
        elif kind == "paused":
            until = self.clock() + seconds
            if until > self._shared_pause + 0.5:  # new (not the same pause told again)
                log.info(
                    "Telegram asked another instance to slow down: holding back %.1f s", seconds
                )
                for listener in list(self._listeners):
                    listener(seconds)
            self._shared_pause = max(self._shared_pause, until)
            self.overall.pause(seconds)

    async def close(self) -> None:
        """Lets what is being written to Redis finish, and closes its connection."""
        if self.shared is not None:
            await self.shared.close()

    def ready_in(self, chat: int | str) -> float:
        """Seconds until a message to ``chat`` could go, as its bucket stands (0: now), so
        the worker can send to others first."""
        bucket = self.chats.get(chat)
        return 0.0 if bucket is None else bucket.ready_in()

    def at_once(self, chat: int | str) -> int:
        """How many messages ``chat`` could take now without waiting, as its bucket stands
        (a chat with no bucket yet: its burst)."""
        return self.chats[chat].at_once()

    async def until_ready(self, chat: int | str, send_by: float) -> float:
        """Waits until a message to ``chat`` could go, unless that is after ``send_by`` (loop
        time): then returns how long it would still be (0 once it may go)."""
        # As this process's bucket stands: other instances' sends to the chat, and their
        # 429s, are learnt when the send takes its place in Redis (no second round trip: a
        # 429 held there holds the row back then, see _shared_take).
        loop = asyncio.get_running_loop()
        while (wait := self.ready_in(chat)) > 0:
            if loop.time() + wait > send_by:
                return wait
            await self.sleep(wait)
        return 0.0

    def _retry_after(self, chat: int | str | None, seconds: float) -> bool:
        """Holds back what Telegram refused, in every instance; True when that is the whole
        bot."""
        whole = self._hold_back(chat, seconds)
        if whole:  # Redis will tell this instance its own pause again: not news then
            self._shared_pause = max(self._shared_pause, self.clock() + seconds)
        if self.shared is not None:
            self.shared.refused(chat, seconds, whole=whole, chats=GLOBAL_CHATS, span=GLOBAL_SPAN)
        return whole

    def _hold_back(self, chat: int | str | None, seconds: float) -> bool:
        now = self.clock()
        if chat is not None:
            self.chats[chat].pause(seconds)
            self._refused.append((now, chat))
        while self._refused and self._refused[0][0] < now - GLOBAL_SPAN:
            self._refused.popleft()
        if chat is not None and len({c for _, c in self._refused}) < GLOBAL_CHATS:
            log.debug("chat %s: Telegram asked to wait %s s; holding that chat only", chat, seconds)
            return False
        self.overall.pause(seconds)
        for listener in list(self._listeners):
            listener(seconds)
        return True

    @staticmethod
    def _give_up(method: Any, chat: int | str | None, seconds: float, attempts: int) -> None:
        # One line, no traceback: the errors router stays silent about a 429.
        log.warning(
            "%s to chat %s: Telegram asked to wait %s s (429); given up after %d attempt(s)",
            method.__api_method__,
            chat if chat is not None else "-",
            seconds,
            attempts,
        )


def _chat_of(method: Any, kind: Kind) -> int | str | None:
    if kind not in (Kind.MESSAGE, Kind.EDIT):
        return None
    chat = getattr(method, "chat_id", None)
    return chat if isinstance(chat, int | str) else None


class BudgetMiddleware(BaseRequestMiddleware):
    """Every request of the bot goes through its budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # (aiogram's chain really passes the method's result along, typed as its Response.)
        return cast(Response[TelegramType], await self.budget.call(make_request, bot, method))


def install_budget(
    bot: Bot,
    limits: Limits | None = None,
    *,
    clock: Monotonic = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    shared: SharedLimits | None = None,
) -> Budget:
    """Puts a new budget in front of every request of ``bot`` (replacing one it had);
    ``shared``: the limits every instance shares through Redis (bot/shared_limits.py)."""
    session = bot.session
    for middleware in list(session.middleware):
        if isinstance(middleware, BudgetMiddleware):
            session.middleware.unregister(middleware)
    budget = Budget(limits, clock=clock, sleep=sleep, shared=shared)
    session.middleware(BudgetMiddleware(budget))
    return budget


def budget_of(bot: Bot) -> Budget:
    """The bot's budget; a bot made without one (create_bot installs it) gets the default."""
    for middleware in bot.session.middleware:
        if isinstance(middleware, BudgetMiddleware):
            return middleware.budget
    return install_budget(bot)
