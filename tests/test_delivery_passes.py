"""The delivery worker's loop has more than one pass in hand: a row written while a pass still
waits for an answer is claimed then, not after that pass's slowest send and its record. A new
report's card reaches the head while a notice's copy is still in flight, takes its turn before
the less urgent rows still waiting, and every chat still gets its messages once and in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import TelegramMethod
from sqlalchemy import select

from bot import delivery
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, Urgency, telegram_address
from storage.repositories import OutboxRepository
from telegram.budget import Limits, install_budget
from telegram.delivery import TelegramDelivery
from tests.botclient import FakeSession, Sent
from tests.conftest import TOKEN, FakeClock
from tests.test_contacts_migration import pg_url as pg_url_fixture
from tests.test_notices import write
from tests.test_privacy import report_through_the_chat
from tests.test_ticket_handling import DEPUTY, HEAD, NEIGHBOUR, OFFICE, STRANGER, Town
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture
from tests.waiting import PATIENCE, eventually

client, town, pg_url = client_fixture, town_fixture, pg_url_fixture
NOBODY = range(9001, 9013)  # chats of a bulk message's readers the town does not know


class HeldAnswers:
    """Telegram takes its time to answer the sends to one chat: they arrive (and are recorded
    by the fake) only once ``release`` is set. The worker waits for them as long as the test
    (a pass that ended at its window's end would let the next one go anyway)."""

    def __init__(self, session: FakeSession, chat: int, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(delivery, "REQUEST_TIMEOUT", 10 * int(PATIENCE))
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        original = session.make_request

        async def make_request(
            bot: Bot,
            method: TelegramMethod[Any],
            timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
        ) -> Any:
            if getattr(method, "chat_id", None) == chat:
                self.arrived.set()
                await self.release.wait()
            return await original(bot, method, timeout)

        session.make_request = make_request  # type: ignore[method-assign]


def running_worker(town: Town) -> TelegramDelivery:
    """The worker as the bot runs it: woken by every commit that queued a message (the poll
    is far away, so nothing here waits for it)."""
    world = town.world
    worker = TelegramDelivery(
        town.client.bot,
        town.db,
        world.clock,
        cards=world.services.ticket_cards,
        availability=world.services.availability,
        notices=world.services.notice_copies,
        poll_seconds=60,
    )
    town.db.on_queued(worker.wake)
    worker.start()
    return worker


def sent_to(town: Town, chat: int, since: int) -> list[Sent]:
    """What reached ``chat`` after the first ``since`` requests (the town's setting up)."""
    requests = town.client.session.requests[since:]
    return [Sent(m) for m in requests if getattr(m, "chat_id", None) == chat]


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def all_sent(db: Database) -> bool:
    return all(row.status is OutboxStatus.SENT for row in await outbox(db))


async def test_a_new_reports_card_reaches_the_head_while_a_notice_is_still_in_flight(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    since = len(town.client.session.requests)
    held = HeldAnswers(town.client.session, STRANGER, monkeypatch)
    worker = running_worker(town)
    try:
        # The office's notice to the stranger's building: its copy is on its way, and
        # Telegram has not answered yet.
        await write(town, OFFICE, buildings=("翠湖苑1座",))
        await eventually(held.arrived.is_set, "the notice's copy to be in flight")

        await report_through_the_chat(town, NEIGHBOUR, "🔧 Repairs", "Lift stuck on floor 3")
        await eventually(
            lambda: any("#1" in (s.text or "") for s in sent_to(town, HEAD, since)),
            "the head's card while the notice's pass still waits for its answer",
        )
        assert not held.release.is_set() and sent_to(town, STRANGER, since) == []

        held.release.set()
        await eventually(lambda: all_sent(town.db), "every row to be recorded as sent")
    finally:
        held.release.set()
        await worker.stop()
    # Each message once: the head and the deputy their card, the stranger the notice.
    for chat in (HEAD, DEPUTY, STRANGER):
        assert len(sent_to(town, chat, since)) == 1, chat


async def enqueue(db: Database, now: Any, chat: int, text: str, urgency: Urgency) -> None:
    async with db.session() as session:
        await OutboxRepository(session).add(
            to=telegram_address(chat),
            person_id=None,
            payload={"text": text},
            now=now,
            urgency=urgency,
        )
        await session.commit()


async def test_a_chat_whose_rows_are_in_a_pass_in_hand_waits_for_it_and_keeps_its_order(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head's first rows are in a pass still waiting for Telegram's answer; a report's
    card (for the head and the deputy) is written meanwhile: the next pass takes the deputy's
    at once, but none of the head's (not even its card, the more urgent one), which follow
    the rows in hand, in the order they were written, each once."""
    clock = town.world.clock
    since = len(town.client.session.requests)
    held = HeldAnswers(town.client.session, HEAD, monkeypatch)
    worker = running_worker(town)
    try:
        for n in range(1, 6):
            await enqueue(town.db, clock(), HEAD, f"h{n}", Urgency.TELL)
        await eventually(held.arrived.is_set, "the head's first row to be in flight")

        await report_through_the_chat(town, NEIGHBOUR, "🔧 Repairs", "Lift stuck on floor 3")
        await eventually(lambda: len(sent_to(town, DEPUTY, since)) == 1, "the deputy's card")
        await asyncio.sleep(0.2)  # a pass that took the head's rows would have sent by now
        assert sent_to(town, HEAD, since) == []

        held.release.set()
        await eventually(lambda: all_sent(town.db), "every row to be recorded as sent")
    finally:
        held.release.set()
        await worker.stop()
    texts = [s.text or "" for s in sent_to(town, HEAD, since)]
    assert texts[:5] == ["h1", "h2", "h3", "h4", "h5"]
    assert len(texts) == 6 and "#1" in texts[5]


async def test_an_urgent_row_of_the_next_pass_goes_before_the_bulk_rows_still_waiting(
    town: Town,
) -> None:
    """Two messages a second overall: a pass's twelve bulk rows (a notice to people the town
    does not know) need six seconds. A report's card, claimed by the next pass meanwhile,
    takes the next turn, not the one after the last bulk row. (The chats' own limits are
    loose here: the resident's answers take no time.)"""
    install_budget(town.client.bot, Limits(per_second=2, private_per_second=1000, private_burst=50))
    clock = town.world.clock
    since = len(town.client.session.requests)
    for chat in NOBODY:
        await enqueue(town.db, clock(), chat, "bulk", Urgency.BULK)
    worker = running_worker(town)
    try:
        await eventually(
            lambda: any(
                getattr(m, "chat_id", None) in NOBODY for m in town.client.session.requests
            ),
            "the bulk pass to be sending",
        )
        await report_through_the_chat(town, NEIGHBOUR, "🔧 Repairs", "Lift stuck on floor 3")
        await eventually(lambda: all_sent(town.db), "every row to be recorded as sent")
    finally:
        await worker.stop()
    order = [
        "card" if to in (HEAD, DEPUTY) else "bulk"
        for m in town.client.session.requests[since:]
        if (to := getattr(m, "chat_id", None)) in (HEAD, DEPUTY, *NOBODY)
    ]
    # Behind the few bulk rows already under way when the card was claimed, not all twelve.
    assert order.count("card") == 2 and order.count("bulk") == len(NOBODY)
    assert order.index("card") <= len(NOBODY) // 2, order


async def _two_passes_at_once_send_each_row_once(db: Database) -> None:
    """Two passes of one worker claim at the same moment (one token, and on a clock that has
    not moved, one lease): each row still goes once."""
    clock = FakeClock()
    session = FakeSession()
    bot = Bot(TOKEN, session=session)
    install_budget(bot, Limits(per_second=1000, private_per_second=1000, private_burst=50))
    worker = TelegramDelivery(bot, db, clock)
    try:
        chats = range(7001, 7041)
        for chat in chats:
            await enqueue(db, clock(), chat, f"to {chat}", Urgency.TELL)
        await asyncio.gather(*(worker.run_once() for _ in range(4)))
        while await worker.run_once():
            pass
        sent = sorted(int(m.chat_id) for m in session.requests)  # type: ignore[attr-defined]
        assert sent == list(chats)
    finally:
        await bot.session.close()


async def test_two_passes_of_one_worker_claiming_at_once_send_each_row_once(db: Database) -> None:
    await _two_passes_at_once_send_each_row_once(db)


async def test_two_passes_of_one_worker_claiming_at_once_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await db.migrate()
        await _two_passes_at_once_send_each_row_once(db)
    finally:
        await db.close()


async def test_a_shutdown_ends_every_pass_in_hand_and_releases_their_rows(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two passes in hand, each waiting for an answer that does not come (the notice's copy,
    then the head's card): a shutdown ends both within its time and the grace of a request in
    flight (not after the fallback that cancels a pass), and their rows are due again at once
    for the next start."""
    HeldAnswers(town.client.session, STRANGER, monkeypatch)
    held = HeldAnswers(town.client.session, HEAD, monkeypatch)
    worker = running_worker(town)
    try:
        await write(town, OFFICE, buildings=("翠湖苑1座",))
        await report_through_the_chat(town, NEIGHBOUR, "🔧 Repairs", "Lift stuck on floor 3")
        await eventually(held.arrived.is_set, "the head's card to be in flight too")
        loop = asyncio.get_running_loop()
        began = loop.time()
        left = await worker.shutdown(0.5)
        took = loop.time() - began
    finally:
        await worker.stop()
    assert took < 0.5 + delivery.FLIGHT_GRACE + delivery.STOP_GRACE / 2
    unsent = [row for row in await outbox(town.db) if row.status is OutboxStatus.PENDING]
    assert {int(row.address) for row in unsent} >= {STRANGER, HEAD}
    assert left == len(unsent)
    assert all(row.claimed_until is None for row in unsent)


async def test_commits_while_a_pass_is_in_hand_are_claimed_together_not_one_by_one(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Residents' messages committed one after the other while a pass waits for an answer: the
    worker claims beside it at most every OVERLAP_EVERY, not once for every commit (each claim
    and its record cost their statements, and a burst commits many times a second)."""
    held = HeldAnswers(town.client.session, STRANGER, monkeypatch)
    worker = running_worker(town)
    claims = 0
    run_once = worker.run_once

    async def counted(deadline: float | None = None) -> int:
        nonlocal claims
        claims += 1
        return await run_once(deadline)

    worker.run_once = counted  # type: ignore[method-assign]
    try:
        await enqueue(town.db, town.world.clock(), STRANGER, "first", Urgency.TELL)
        await eventually(held.arrived.is_set, "a pass waiting for its answer")
        before = claims
        loop = asyncio.get_running_loop()
        began = loop.time()
        chats = range(8001, 8021)
        for chat in chats:  # each commit wakes the worker
            await enqueue(town.db, town.world.clock(), chat, f"to {chat}", Urgency.TELL)
            await asyncio.sleep(0.005)
        await eventually(lambda: all(sent_to(town, c, 0) for c in chats), "every message")
        took = loop.time() - began
        made = claims - before
        assert made <= 2 + took / delivery.OVERLAP_EVERY and made < len(chats) / 2, (made, took)
    finally:
        held.release.set()
        await worker.stop()
