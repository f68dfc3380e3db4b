"""The delivery worker with no messenger at all: a door's Sender (here a fake "web" one) gets
the rows of its channel, in order, and what it answers is recorded; rows of a channel no door
delivers here wait for theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from bot.delivery import DeliveryWorker, Sender
from bot.delivery_outcomes import Outcome
from bot.delivery_window import PassWindow
from storage.db import Database
from storage.models import Address, OutboxMessage, OutboxStatus, telegram_address
from storage.repositories import OutboxRepository, PersonRepository
from tests.conftest import FakeClock

WEB = Address("web", "device-1")


class FakeSender:
    channel = "web"

    def __init__(self, answers: dict[str, Outcome] | None = None) -> None:
        self.sent: list[str] = []
        self.answers = answers or {}
        self.holds: list[Callable[[float], None]] = []

    def listen(self, hold: Callable[[float], None]) -> None:
        self.holds.append(hold)

    def forget(self, hold: Callable[[float], None]) -> None:
        self.holds.remove(hold)

    async def send(
        self, row: OutboxMessage, window: PassWindow, paused: Callable[[], float]
    ) -> Outcome:
        text = str(row.payload.get("text"))
        if text == "bug":
            raise ValueError("cannot render")
        self.sent.append(text)
        return self.answers.get(text, Outcome("sent"))


async def queue(db: Database, clock: FakeClock, to: Address, *texts: str) -> None:
    async with db.session() as session:
        for text in texts:
            await OutboxRepository(session).add(
                to=to, person_id=None, payload={"text": text}, now=clock()
            )
        await session.commit()


async def statuses(db: Database) -> list[tuple[str, str, OutboxStatus]]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.channel, str(r.payload.get("text")), r.status) for r in rows]


async def test_a_door_gets_its_channels_rows_in_order_and_others_wait_for_theirs(
    db: Database, clock: FakeClock
) -> None:
    sender = FakeSender()
    assert isinstance(sender, Sender)
    worker = DeliveryWorker(sender, db, clock)
    await queue(db, clock, WEB, "one", "two")
    await queue(db, clock, telegram_address(5), "for telegram")
    while await worker.run_once():
        pass
    assert sender.sent == ["one", "two"]
    assert await statuses(db) == [
        ("web", "one", OutboxStatus.SENT),
        ("web", "two", OutboxStatus.SENT),
        ("telegram", "for telegram", OutboxStatus.PENDING),
    ]


async def test_what_a_door_answers_is_recorded_and_a_slow_down_holds_every_send(
    db: Database, clock: FakeClock
) -> None:
    person = None
    async with db.session() as session:
        person = await PersonRepository(session).add(WEB, "Visitor", clock())
        await session.commit()
    sender = FakeSender(
        {
            "later": Outcome("postpone", 30.0, "503"),
            "gone": Outcome("unreachable", error="device gone"),
        }
    )
    worker = DeliveryWorker(sender, db, clock)
    other = Address("web", "device-2")
    await queue(db, clock, other, "bug", "later")
    await queue(db, clock, WEB, "gone", "behind it")
    while await worker.run_once():
        pass
    assert await statuses(db) == [
        ("web", "bug", OutboxStatus.FAILED),  # this row's failure; the others go on
        ("web", "later", OutboxStatus.PENDING),
        ("web", "gone", OutboxStatus.FAILED),
        ("web", "behind it", OutboxStatus.FAILED),  # nobody reads it there any more
    ]
    async with db.session() as session:
        reloaded = await PersonRepository(session).get(person.id)
        assert reloaded is not None and reloaded.unreachable_since == clock()
    # A door asked to slow down (a 429): nothing is sent, to anyone, until then.
    pausing = FakeSender({"first": Outcome("pause", 60.0, "slow down")})
    worker = DeliveryWorker(pausing, db, clock)
    await queue(db, clock, Address("web", "device-3"), "first")
    await worker.run_once()
    await queue(db, clock, Address("web", "device-4"), "second")
    assert await worker.run_once() == 0
    assert pausing.sent == ["first"]
    clock.advance(seconds=61)
    while await worker.run_once():
        pass
    # (the postponed "later" is due by then too)
    assert pausing.sent == ["first", "later", "first", "second"]


class LimitedSender(FakeSender):
    """A door with a burst per address (``per_chat``) and a limit: each address may take
    ``tokens`` messages now, then one a second (``ready`` waits for it within the window)."""

    per_chat = 3

    def __init__(self, tokens: int) -> None:
        super().__init__()
        self.tokens = tokens
        self.waited = 0.0

    async def ready(self, row: OutboxMessage, window: PassWindow) -> float:
        if self.tokens > 0:
            self.tokens -= 1
            return 0.0
        loop = asyncio.get_running_loop()
        if loop.time() + 1.0 > window.send_by:
            return 1.0  # past the window: held for the next pass
        self.waited += 1.0  # (a real door would sleep here, holding the pass)
        return 0.0


async def test_a_pass_takes_an_addresss_burst_and_leaves_what_must_wait_to_the_next(
    db: Database, clock: FakeClock
) -> None:
    """A pass takes up to the door's burst of one address's rows, one after the other. The
    first waits for its turn if it must; a later one goes only if the address may take it at
    once, else the next pass takes it (a wait there would hold every other address's next
    rows until the pass ends)."""
    sender = LimitedSender(tokens=2)
    worker = DeliveryWorker(sender, db, clock)
    await queue(db, clock, WEB, "one", "two", "three", "four")
    assert await worker.run_once() == 2
    assert sender.sent == ["one", "two"] and sender.waited == 0
    assert await worker.run_once() == 1  # "three" waits for its turn; "four" is not held up
    assert sender.sent == ["one", "two", "three"] and sender.waited == 1.0
    assert await worker.run_once() == 1
    assert sender.sent == ["one", "two", "three", "four"]
    assert [status for *_, status in await statuses(db)] == [OutboxStatus.SENT] * 4
