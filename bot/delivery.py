"""The delivery worker: hands what services wrote to the outbox to the door of each row's
channel (a ``Sender``: telegram/sender.py for Telegram), and records what became of it. It knows
no messenger: claims, leases, instances, order, retries and outcomes are the same for every door.

- A row is marked sent only after Telegram accepted it, so a committed row is never lost (a crash
  between the send and the mark repeats that one message: at-least-once).
- Rows are claimed (a lease in the row, and the worker's token) before sending, so several
  workers or instances never send the same row. A restarted process takes its predecessor's
  claims back at once (bot/instances.py); the lease is what is left for a process nobody
  knows is dead.
- Order per chat is kept: only a chat's oldest pending row is ever due, and a chat is in one send
  at a time. Pending updates of one ticket card collapse into the latest rendering.
- Limits are the door's (Telegram's: the bot's one budget, telegram/budget.py, shared with the
  handlers' answers, which go first). A row whose address is busy (its own limit, or a 429 for
  that address) waits, or is held for later, while the other addresses go; a door that is asked
  to slow down as a whole (a flood 429) pauses the whole worker (``hold``); network errors
  and 5xx back off exponentially with jitter (the row waits in the outbox, not in the pass).
- A pass is bounded: its requests start within SEND_WINDOW of the claim and each may take
  REQUEST_TIMEOUT, so LEASE can be short and a killed worker's rows are not held up for long.
- An address the door cannot reach (Telegram: 403 blocked, "chat not found"): the person is
  marked unreachable and the ticket cards and messages meant for them go to the next person of
  the ticket's fallback chain.
- A row written to someone as staff of an area (bot/services/staff_rows.py) is sent only if
  their current roles still cover it (an admin taken out of ADMIN_IDS loses his at a restart,
  with no commit to fail what was queued): otherwise it is failed before the sends, for every
  door, and the chat's next rows go as if it had never been there.
- Anything else that goes wrong with one row (a payload that does not fit, a card that cannot be
  rendered, a bug) is recorded on that row, and the pass goes on with the others.
- The loop may have two passes in hand (PASSES): a row written while one still sends is claimed
  at once, and its rows are apart from the other's (a chat is in one pass at a time).
- On shutdown (``shutdown()``) the passes in hand and the next ones run until the flush deadline;
  whatever this worker claimed and did not send is then released, due at once for the next
  start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.exc import SQLAlchemyError

from bot.delivery_outcomes import Outcome, record
from bot.delivery_window import LATE, PassWindow
from bot.services.availability import StaffAvailability
from bot.services.clock import Clock
from bot.services.staff_rows import LAPSED, STAFF, StaffRows
from storage.db import Database
from storage.models import Address, OutboxMessage
from storage.repositories import OutboxRepository

__all__ = ["LEASE", "REQUEST_TIMEOUT", "SEND_WINDOW", "DeliveryWorker", "Outcome", "Sender"]

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 600.0
CONCURRENCY = 16
# Passes the loop has in hand at once: a row written while a pass sends is claimed at once
# (a new report's card does not wait for that pass's slowest send and its record, and goes
# before the pass's less urgent rows still waiting for their turn: telegram/budget.py), and
# claims are never more than one pass ahead. Their rows are apart: a chat whose oldest
# pending row another pass holds is not due (storage/repositories/outbox.py).
PASSES = 2
# A claim beside a pass in hand at most this often (seconds): each costs a claim's and a record's
# statements, and a burst commits many times a second (a claim for each made passes of a row or
# two, and the handlers' CPU went to them). A card waits this long at most for its claim.
OVERLAP_EVERY = 0.25
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
BUSY = "not sent: its address may take no message before the pass ends (its limit, a 429)"
AFTER = "not sent: the message before it to the same address did not go in this pass"


def backoff(attempts: int) -> float:
    """Exponential back-off with jitter: ~2 s, 4 s, 8 s … capped at ten minutes."""
    return float(min(MAX_BACKOFF_SECONDS, 2.0**attempts * (0.5 + random.random())))  # noqa: S311


@runtime_checkable
class Sender(Protocol):
    """A door's delivery for its channel: renders one claimed row (its kind and payload, see
    storage.models.OutboxKind) for the channel, sends it within the channel's limits, and says
    what became of it. Anything it raises is that row's failure (DeliveryWorker._broken).

    A door with limits per address may also have ``async ready(row, window) -> float``: it
    waits until the row's address may take a message (the worker sends to others meanwhile),
    or says how long that would still be after the window (the row is held for then); and
    ``async prepare(rows)``: it reads what a pass's rows will need together, before their
    sends (the Telegram door: its ticket cards, rendered for the pass); ``per_chat``: how
    many rows of one address a pass may take (its burst; 1 without it); and ``room(address)``:
    how many of them it may take now."""

    channel: str

    def listen(self, hold: Callable[[float], None]) -> None:
        """``hold(seconds)`` whenever the channel asks the bot to slow down (a 429 on any of
        the door's calls, not only the worker's)."""

    def forget(self, hold: Callable[[float], None]) -> None: ...

    async def send(
        self, row: OutboxMessage, window: PassWindow, paused: Callable[[], float]
    ) -> Outcome:
        """Send ``row`` now: every request starts within ``window``; none is made while
        ``paused()`` is above zero (return Outcome("held") instead)."""
        ...


class DeliveryWorker:
    def __init__(
        self,
        senders: Sender | Iterable[Sender],
        db: Database,
        clock: Clock,
        *,
        availability: StaffAvailability | None = None,
        staff: StaffRows | None = None,
        poll_seconds: float = 1.0,
        batch: int = 50,
        token: str | None = None,
    ) -> None:
        listed = [senders] if isinstance(senders, Sender) else list(senders)
        self.senders: dict[str, Sender] = {s.channel: s for s in listed}
        # How many of one address's rows a pass takes at most: a door's burst (``per_chat``),
        # sent one after the other, so a head with six new cards gets three in the first pass.
        self.per_chat = max(getattr(s, "per_chat", 1) for s in listed) if listed else 1
        self.availability = availability
        self.staff = staff
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
        self._windows: set[PassWindow] = set()  # of the passes in hand
        self._cut: tuple[float, float] | None = None  # stop()'s, for passes still claiming
        # One claim at a time: two of one worker at the same moment (one token, and with a
        # clock that has not moved, one lease) would each take the rows the other claimed.
        self._claiming = asyncio.Lock()

    def wake(self) -> None:
        """Something was committed: look now rather than at the next poll."""
        self._wake.set()

    def claim_as(self, token: str) -> None:
        """Claims from now on carry this token (the process's own, bot/instances.py)."""
        self.token = token

    def hold(self, seconds: float) -> None:
        """A door asked the bot (any of its calls) to slow down: nothing is sent until then."""
        until = self.clock() + timedelta(seconds=seconds)
        self._paused_until = max(self._paused_until or until, until)

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._cut = None
            for sender in self.senders.values():
                sender.listen(self.hold)
            self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self, until: float | None = None) -> None:
        """Ends the loop once the passes in hand are recorded: they start no request after
        ``until`` (loop time; default now) and ends the ones in hand within FLIGHT_GRACE after.
        Cancelling a pass inside a database call leaves SQLAlchemy an interrupted connection
        reset to log as an error, so that is only the fallback, after STOP_GRACE more."""
        task, self._task = self._task, None
        if task is None:
            return
        for sender in self.senders.values():
            sender.forget(self.hold)
        self._stopping = True
        self._wake.set()
        now = asyncio.get_running_loop().time()
        until = now if until is None else until
        self._cut = (until, until + FLIGHT_GRACE)
        for window in self._windows:
            window.cut(*self._cut)
        # asyncio.wait, not `await task` under suppress(CancelledError): that would also
        # swallow a cancellation of the caller itself.
        grace = max(0.0, until - now) + FLIGHT_GRACE + STOP_GRACE
        if (await asyncio.wait([task], timeout=grace))[1]:
            task.cancel()
            await asyncio.wait([task])

    async def _run(self) -> None:
        # A pass's few short units of work go before the handlers' when they wait for the
        # SQLite connection (a burst keeps dozens waiting): a card is not held for them. Its
        # statements are short: on SQLite they run on the loop's thread (Database.on_loop).
        with self.db.first_in_line(), self.db.on_loop():
            await self._loop()

    async def _loop(self) -> None:
        passes: set[asyncio.Task[int]] = set()

        def ended(task: asyncio.Task[int]) -> None:
            passes.discard(task)
            if not task.cancelled() and task.result():
                self._wake.set()  # it delivered: more may be due (its chats' next rows)

        loop = asyncio.get_running_loop()
        claimed_at = -math.inf
        try:
            while not self._stopping:
                if len(passes) >= PASSES:
                    await asyncio.wait(set(passes), return_when=asyncio.FIRST_COMPLETED)
                    continue
                if passes and (wait := claimed_at + OVERLAP_EVERY - loop.time()) > 0:
                    # (A pass that ends meanwhile lets the claim go at once.)
                    await asyncio.wait(
                        set(passes), timeout=wait, return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                # Cleared before the pass looks, not after: a wake() while it claims (a
                # handler committing meanwhile) must not be lost until the next poll.
                self._wake.clear()
                claimed_at = loop.time()
                task = asyncio.create_task(self._pass(), name="outbox-delivery-pass")
                passes.add(task)
                task.add_done_callback(ended)
                # The next claim: when a pass delivered (``ended``), when something is
                # committed (even while this pass still sends: a new report's card does not
                # wait for its slowest send and its record), or at the poll.
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
                # cancellation that arrives just after the wake-up (a handler's wake() right
                # before stop() on shutdown), and the worker would run on for ever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
            if passes:  # stopping: their windows are cut (stop())
                await asyncio.wait(set(passes))
        except BaseException:
            for task in passes:
                task.cancel()
            if passes:
                await asyncio.wait(set(passes))
            raise
        finally:
            self._cut = None  # what runs after the loop (drain) keeps its own time

    async def _pass(self) -> int:
        try:
            delivered = await self.run_once()
        except Exception:
            log.exception("delivery pass failed; retrying")
            return 0
        if _cancel_requested():
            # A cancellation that arrived as a send's time ran out became that send's
            # TimeoutError ("held") and was not re-raised: the pass must still end as
            # cancelled, or the loop that cancelled it takes it for a pass that delivered.
            raise asyncio.CancelledError
        return delivered

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
        """One pass: claim the due rows (a few per chat at most), send them concurrently
        within the limits (one chat's one after the other), record every outcome in one
        transaction. Returns how many rows were handled; rows held back (by a 429, or not
        started within SEND_WINDOW or by ``deadline``, loop time) do not count."""
        if self._paused_seconds() > 0:
            return 0
        async with self._claiming:
            now = self.clock()
            async with self.db.session() as session:
                rows = await OutboxRepository(session).claim_due(
                    now,
                    self.batch,
                    self.token,
                    now + LEASE,
                    channels=list(self.senders),
                    per_chat=self.per_chat,
                    room=self._room,
                )
                await session.commit()
        if not rows:
            return 0
        rows, lapsed = await self._lapsed(rows)
        if lapsed is not None:
            await record(self.db, self.clock, self.availability, *lapsed)
            if not rows:
                return len(lapsed[0])
        started = asyncio.get_running_loop().time()
        window = PassWindow(started + SEND_WINDOW, started + SEND_WINDOW + REQUEST_TIMEOUT)
        if deadline is not None:
            window.cut(deadline, deadline + FLIGHT_GRACE)
        if self._cut is not None:  # the loop's pass, stopped while it claimed
            window.cut(*self._cut)
        self._windows.add(window)
        await self._prepare(rows)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def attempt(row: OutboxMessage, before: asyncio.Task[Outcome] | None) -> Outcome:
            try:
                async with window.in_time():
                    if before is None:
                        wait = await self._ready(row, window)
                        if wait > 0:
                            return Outcome("held", wait, BUSY)
                    else:
                        # The chat's earlier row of the pass first; if it did not go, nor does
                        # this. (Shielded: this row's time running out must not cancel that
                        # one's send.)
                        if (await asyncio.shield(before)).kind != "sent":
                            return Outcome("held", error=AFTER)
                        # Then only if the chat may take it at once: a wait for the chat's
                        # limit would hold the whole pass, the other chats' next rows with it.
                        # The next pass takes it first (and waits for its turn).
                        now = asyncio.get_running_loop().time()
                        if await self._ready(row, PassWindow(now, window.end_by)) > 0:
                            return Outcome("held", error=BUSY)
                    await gate.acquire()
            except TimeoutError:
                return Outcome("held", error=LATE)
            try:
                return await self._attempt(row, window)
            finally:
                gate.release()

        last: dict[tuple[str, str], asyncio.Task[Outcome]] = {}  # each chat's latest attempt
        attempts = []
        for row in rows:
            chat = (row.channel, row.address)
            last[chat] = asyncio.ensure_future(attempt(row, last.get(chat)))
            attempts.append(last[chat])
        try:
            outcomes = await asyncio.gather(*attempts)
        finally:
            self._windows.discard(window)
        await record(self.db, self.clock, self.availability, rows, outcomes)
        handled = sum(1 for outcome in outcomes if outcome.kind not in ("pause", "held"))
        return handled + (len(lapsed[0]) if lapsed is not None else 0)

    async def _lapsed(
        self, rows: list[OutboxMessage]
    ) -> tuple[list[OutboxMessage], tuple[list[OutboxMessage], list[Outcome]] | None]:
        """The claimed rows to send, and those not to (with their outcomes): written to
        someone as staff of an area they no longer cover (failed), or, when that cannot be
        asked now (the database), postponed. Taken out before the sends, so a chat's next
        row does not wait behind one that will never go."""
        if self.staff is None:
            return rows, None
        try:
            gone = await self.staff.lapsed(rows)
            postponed: set[int] = set()
        except SQLAlchemyError as error:
            log.warning("delivery pass: staff rows not checked (%s); later", error)
            gone, postponed = set(), {r.id for r in rows if STAFF in r.payload}
        if not gone and not postponed:
            return rows, None
        kept = [r for r in rows if r.id not in gone and r.id not in postponed]
        out = [r for r in rows if r.id in gone or r.id in postponed]
        outcomes = [
            Outcome("failed", error=LAPSED)
            if r.id in gone
            else Outcome("postpone", backoff(r.attempts + 1), "staff rows not checked")
            for r in out
        ]
        return kept, (out, outcomes)

    # ------------------------------------------------------------------------------- sending

    async def _attempt(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        try:
            outcome = await self.senders[row.channel].send(row, window, self._paused_seconds)
        except Exception as error:  # noqa: BLE001 (recorded on the row, logged with its trace)
            return self._broken(row, error)
        if outcome.kind == "pause":
            # The channel wants the whole bot to slow down, not only this address: nothing
            # more is sent, to anyone, until then.
            self.hold(outcome.seconds)
        return outcome

    def _room(self, to: Address) -> int:
        """How many of the address's rows a pass takes now (a door with limits per address
        says, ``room(address)``: what it may take at once)."""
        room: Callable[[Address], int] | None = getattr(self.senders[to.channel], "room", None)
        return self.per_chat if room is None else room(to)

    async def _prepare(self, rows: Sequence[OutboxMessage]) -> None:
        """Each door that can (``prepare(rows)``) reads what its rows of the pass need
        together, before the sends. If that fails, its rows are each read as they are sent."""
        for channel, sender in self.senders.items():
            prepare: Callable[[Sequence[OutboxMessage]], Awaitable[None]] | None = getattr(
                sender, "prepare", None
            )
            mine = [row for row in rows if row.channel == channel]
            if prepare is None or not mine:
                continue
            try:
                await prepare(mine)
            except Exception:  # noqa: BLE001 (each row is then read alone, as it is sent)
                log.warning("delivery pass: preparing %s rows failed", channel, exc_info=True)

    async def _ready(self, row: OutboxMessage, window: PassWindow) -> float:
        """Waits, without a place among the CONCURRENCY sends, until the row's address may
        take a message (a door with per-address limits says when: ``ready(row, window)``),
        so a busy chat waits while the others go. Returns 0 when it may go now, else how long
        it would still wait, past the pass's window (the row is held for then)."""
        ready: Callable[[OutboxMessage, PassWindow], Awaitable[float]] | None = getattr(
            self.senders[row.channel], "ready", None
        )
        return 0.0 if ready is None else await ready(row, window)

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


def _cancel_requested() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
