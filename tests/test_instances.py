"""Who holds the outbox's claims: a restarted process takes back its dead predecessor's claims at
once (not after the lease), a second live process gets an id of its own and leaves the first
one's claims alone, a heartbeat that stops frees an instance's claims, and a clean stop frees
its id. (The real process, killed with SIGKILL: tests/test_restart.py.)"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.delivery import LEASE
from bot.instances import STALE, InstanceRegistry, process_alive
from storage.db import Database
from storage.models import DeliveryInstance, OutboxMessage, OutboxStatus, telegram_address
from storage.repositories import OutboxRepository
from storage.repositories.instances import IdTaken, InstanceRepository
from telegram.delivery import TelegramDelivery
from tests.botclient import FakeSession
from tests.conftest import TOKEN, FakeClock
from tests.test_postgres import pg_url  # noqa: F401 (a fixture)

PG_URL = os.environ.get("TEST_POSTGRES_URL")
HOST = "louzhang-1"
CHAT = 501


def registry(
    db: Database, clock: FakeClock, pid: int, dead: set[int], host: str = HOST
) -> InstanceRegistry:
    return InstanceRegistry(
        db, clock, "bot", host=host, pid=pid, alive=lambda other: other not in dead
    )


async def queue_and_claim(db: Database, clock: FakeClock, token: str) -> int:
    """A notification queued and claimed by the process with ``token`` (sent, in its hands,
    when it died)."""
    async with db.session() as session:
        outbox = OutboxRepository(session)
        row = await outbox.add(
            to=telegram_address(CHAT), person_id=None, payload={"text": "hi"}, now=clock()
        )
        [claimed] = await outbox.claim_due(clock(), 10, token, clock() + LEASE)
        await session.commit()
    assert claimed.id == row.id
    return row.id


async def claims(db: Database) -> list[tuple[str | None, OutboxStatus]]:
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [(r.claim_token, r.status) for r in rows]


async def instances(db: Database) -> dict[str, tuple[int, bool]]:
    async with db.session() as session:
        rows = (await session.scalars(select(DeliveryInstance))).all()
        return {r.instance_id: (r.pid, r.stopped_at is not None) for r in rows}


async def test_a_restarted_process_takes_back_its_dead_predecessors_claims_at_once(
    db: Database, clock: FakeClock
) -> None:
    dead: set[int] = set()
    first = registry(db, clock, pid=100, dead=dead)
    token = await first.register()
    await queue_and_claim(db, clock, token)
    dead.add(100)  # kill -9

    clock.advance(seconds=5)  # the restart, well within the lease
    second = registry(db, clock, pid=101, dead=dead)
    new_token = await second.register()
    assert second.instance_id == first.instance_id == "bot"  # the same identity
    assert new_token != token
    assert await claims(db) == [(None, OutboxStatus.PENDING)]

    session = FakeSession()
    worker = TelegramDelivery(Bot(TOKEN, session=session), db, clock, token=new_token)
    assert await worker.run_once() == 1  # now, not a minute later
    assert await claims(db) == [(new_token, OutboxStatus.SENT)]


async def test_a_second_live_process_gets_its_own_id_and_leaves_the_claims_alone(
    db: Database, clock: FakeClock
) -> None:
    first = registry(db, clock, pid=100, dead=set())
    token = await first.register()
    await queue_and_claim(db, clock, token)
    second = registry(db, clock, pid=200, dead=set())
    await second.register()
    assert (first.instance_id, second.instance_id) == ("bot", "bot-2")
    assert await claims(db) == [(token, OutboxStatus.PENDING)]
    # On another host, the pid says nothing: only the heartbeat does.
    third = registry(db, clock, pid=100, dead={100}, host="louzhang-2")
    await third.register()
    assert third.instance_id == "bot-3"
    assert await claims(db) == [(token, OutboxStatus.PENDING)]


async def test_an_instance_whose_heartbeat_stopped_loses_its_claims_to_the_others(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    remote = registry(db, clock, pid=100, dead=set(), host="louzhang-2")
    token = await remote.register()
    await queue_and_claim(db, clock, token)
    here = registry(db, clock, pid=200, dead=set())
    await here.register()

    clock.advance(seconds=STALE.total_seconds() - 1)
    await here.beat()  # the other one may just be slow
    assert await claims(db) == [(token, OutboxStatus.PENDING)]
    clock.advance(seconds=2)
    with caplog.at_level(logging.INFO):
        await here.beat()
    assert await claims(db) == [(None, OutboxStatus.PENDING)]
    assert (await instances(db))["bot"] == (100, True)
    assert any("no heartbeat since" in r.getMessage() for r in caplog.records)
    assert STALE < LEASE  # sooner than the lease would have freed them


async def test_a_clean_stop_frees_the_id_for_the_next_start_whatever_the_pid(
    db: Database, clock: FakeClock
) -> None:
    first = registry(db, clock, pid=100, dead=set())
    await first.register()
    await first.stop()
    assert await instances(db) == {"bot": (100, True)}
    # (A new process that happens to get a live pid's number: the stop mark is enough.)
    second = registry(db, clock, pid=300, dead=set())
    await second.register()
    assert second.instance_id == "bot"
    assert await instances(db) == {"bot": (300, False)}


async def test_of_two_starts_that_saw_the_id_free_at_once_the_second_takes_the_next_id(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = registry(db, clock, pid=100, dead=set())
    await first.register()
    await first.stop()
    async with db.session() as session:
        [stopped] = await InstanceRepository(session).all()
    # Both new processes read the instances before either wrote: "bot" stopped, free for both.
    winner = registry(db, clock, pid=201, dead=set())
    await winner.register()
    read = InstanceRepository.all
    stale = [[stopped]]

    async def as_read_before_the_winner_wrote(self: InstanceRepository) -> object:
        return stale.pop() if stale else await read(self)

    monkeypatch.setattr(InstanceRepository, "all", as_read_before_the_winner_wrote)
    second = registry(db, clock, pid=202, dead=set())
    await second.register()
    assert (winner.instance_id, second.instance_id) == ("bot", "bot-2")
    assert await instances(db) == {"bot": (201, False), "bot-2": (202, False)}


async def test_a_predecessors_id_is_taken_only_with_the_token_it_was_seen_with(
    db: Database, clock: FakeClock
) -> None:
    first = registry(db, clock, pid=100, dead=set())
    await first.register()
    await first.stop()
    async with db.session() as session:
        await InstanceRepository(session).take(
            "bot", "t-a", HOST, 201, clock(), replacing=first.token
        )
        await session.commit()
    async with db.session() as session:
        with pytest.raises(IdTaken):
            await InstanceRepository(session).take(
                "bot", "t-b", HOST, 202, clock(), replacing=first.token
            )
    assert await instances(db) == {"bot": (201, False)}


async def test_a_process_whose_id_was_taken_over_goes_on_under_a_new_one(
    db: Database, clock: FakeClock
) -> None:
    """A process frozen past STALE was found dead and its id taken: when it wakes, its
    heartbeat finds out and it registers again, and its worker follows the new token."""
    frozen = registry(db, clock, pid=100, dead=set(), host="louzhang-2")
    await frozen.register()
    followed: list[str] = []
    frozen.on_token = followed.append
    clock.advance(seconds=STALE.total_seconds() + 1)
    taker = registry(db, clock, pid=200, dead=set(), host="louzhang-3")
    await taker.register()
    assert taker.instance_id == "bot"
    await frozen.beat()
    assert frozen.instance_id == "bot-2" and followed == [frozen.token]


def test_this_process_and_a_vanished_one_are_not_alive_others_are() -> None:
    assert not process_alive(os.getpid())  # a row with our own pid is a predecessor's
    assert process_alive(1)  # init: someone else's, alive
    assert not process_alive(2**22 + 12345)  # beyond pid_max: nobody


def test_the_stale_time_is_a_few_heartbeats() -> None:
    from bot.instances import HEARTBEAT_SECONDS

    assert timedelta(seconds=4 * HEARTBEAT_SECONDS) <= STALE


@pytest.mark.skipif(not PG_URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server)")
async def test_on_postgres_two_processes_starting_at_once_get_two_ids_and_a_successor_takes_over(
    pg_url: str,  # noqa: F811 (the fixture)
    clock: FakeClock,
) -> None:
    dbs = [Database(pg_url), Database(pg_url)]  # two processes: two pools
    try:
        await dbs[0].migrate()
        first, second = (registry(db, clock, pid=n + 1, dead=set()) for n, db in enumerate(dbs))
        await asyncio.gather(first.register(), second.register())
        assert {first.instance_id, second.instance_id} == {"bot", "bot-2"}
        await queue_and_claim(dbs[0], clock, first.token)
        successor = registry(dbs[1], clock, pid=3, dead={first.pid})
        await successor.register()
        assert successor.instance_id == first.instance_id
        assert await claims(dbs[0]) == [(None, OutboxStatus.PENDING)]
    finally:
        for db in dbs:
            await db.close()
