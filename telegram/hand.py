"""The updates in hand: at most so many handled at a time (polling's ``tasks_concurrency_limit``,
the webhook's slots), so a backlog is taken up a batch at a time. An update that has to wait for
its own person (Telegram's limit on that chat: about one message a second after a burst of three,
telegram/budget.py; or their previous update, still in hand) steps out of the hand while it
waits, and comes back for a place once it may go on.

Why: a burst of people tapping quickly each wait up to a second for their chat's next message.
Holding their places, sixty-four of them stopped every other update for that second; the
reports sent meanwhile were written, and their cards queued, a second later (bench.throughput:
no update handled and no call made for ~0.75 s, several times a burst). Waiting for one's own
chat uses no CPU and no database, so another person's update may have the place meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Hashable
from contextvars import ContextVar
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

__all__ = ["Hand", "HandDispatcher", "PersonTurns", "held", "stepped_out"]


# Updates out of the hand, waiting for their own person, at most this many times the hand's
# size: past that one waits in its place, as before. (While updates are out, polling takes more
# from Telegram; an update taken is Telegram's no longer, so the bot holds at most
# (1 + AWAY) × the hand's size at once.)
AWAY = 2


class Hand:
    """One update's place among those in hand (``slots``): taken before the update is handled,
    given back when it is done, and given back meanwhile while it waits for its own person if
    one of the places out of the hand (``away``) is free."""

    def __init__(self, slots: asyncio.Semaphore, away: asyncio.Semaphore) -> None:
        self.slots = slots
        self.away = away
        self.holding = True

    def give_back(self) -> None:
        if self.holding:
            self.holding = False
            self.slots.release()

    async def take_again(self) -> None:
        if not self.holding:
            await self.slots.acquire()  # cancelled here: no place taken, none to give back
            self.holding = True


_HAND: ContextVar[Hand | None] = ContextVar("update_hand", default=None)


@contextlib.contextmanager
def held(hand: Hand) -> Any:
    """The update handled inside holds ``hand``; its place is given back at the end."""
    token = _HAND.set(hand)
    try:
        yield hand
    finally:
        _HAND.reset(token)
        hand.give_back()


@contextlib.asynccontextmanager
async def stepped_out() -> AsyncIterator[None]:
    """Around a wait for the update's own person: its place is another update's meanwhile, and
    taken again (waiting for one, if the hand is full) after. An error or a cancellation inside
    leaves it out: the update ends without its place (nothing to give back)."""
    hand = _HAND.get()
    if hand is None or not hand.holding or hand.away.locked():
        yield
        return
    await hand.away.acquire()  # at once: it is not locked
    hand.give_back()
    try:
        yield
    finally:
        hand.away.release()
    await hand.take_again()


class HandDispatcher(Dispatcher):
    """aiogram's Dispatcher, whose polling lets an update step out of the hand (``Hand``).

    aiogram takes the place (its semaphore) before it starts an update's task and gives it back
    when the task ends, in ``_process_with_semaphore``; here that method gives the place to the
    update as a ``Hand``. (If a later aiogram stops calling it, updates simply never step out:
    tests/test_hand.py says so.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._away = asyncio.Semaphore(0)  # polling's own, made by start_polling

    async def start_polling(self, *bots: Bot, **kwargs: Any) -> None:
        in_hand = kwargs.get("tasks_concurrency_limit")
        self._away = asyncio.Semaphore(AWAY * in_hand if in_hand else 0)
        await super().start_polling(*bots, **kwargs)

    async def _process_with_semaphore(
        self, handle_update: Awaitable[bool], semaphore: asyncio.Semaphore
    ) -> bool:
        with held(Hand(semaphore, self._away)):
            return await handle_update


class PersonTurns(BaseEventIsolation):
    """One person's updates one at a time (aiogram's SimpleEventIsolation, which also never
    forgets a person): an update whose person has another in hand waits for it out of the hand,
    and a person's lock is forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            if lock.locked():
                async with stepped_out():
                    await lock.acquire()
            else:
                await lock.acquire()
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]

    async def close(self) -> None:
        """Nothing to let go: aiogram closes the isolation when polling stops, while the
        updates in hand still finish, each giving its person's turn back."""
