"""Catching up on missed work on start never reaches back before the community existed, or before
the person had the role: the first start of a freshly imported community sends no "last week's
summary" and no digest about the day before it existed; a head or coordinator appointed
recently gets the summaries and digests of their own days only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.scheduler import job_functions
from bot.services import Services
from storage.db import Database
from storage.models import OutboxMessage, Role
from tests.conftest import FakeClock
from tests.test_scheduler import OFFICE, Town, local, make_town

HEADS = {"A1": (100, 110), "A2": (101, 111), "B1": (102, 112)}  # head, deputy


async def texts(town: Town, after: int) -> list[tuple[int, str]]:
    async with town.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id > after, OutboxMessage.kind == "text")
            .order_by(OutboxMessage.id)
        )
        return [(int(r.address), str(r.payload.get("text"))) for r in rows]


async def town_since(moment: datetime, services: Services, db: Database, clock: FakeClock) -> Town:
    clock.now = moment
    return await make_town(services, db, clock)


async def run_every_job(services: Services) -> int:
    """What the scheduler does on start: each job once (bot/scheduler.py, next_run_time=now)."""
    return sum([await job() for job in job_functions(services).values()])


async def test_the_first_start_of_a_new_community_sends_no_summaries(
    services: Services, db: Database, clock: FakeClock
) -> None:
    # Imported on Wednesday 25 November at 15:00, heads and the office appointed at once, and
    # the bot started: Monday's summary slot and this morning's digest have passed.
    town = await town_since(local(11, 25, 15), services, db, clock)
    for code, (head, deputy) in HEADS.items():
        await town.appoint(head, Role.HEAD, code)
        await town.appoint(deputy, Role.DEPUTY, code)
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    mark = await town.mark()
    assert await run_every_job(services) == 0
    assert await texts(town, mark) == []

    # Thursday morning: the digest about Wednesday, its first day.
    await town.at(local(11, 26, 8))
    assert await services.scheduling.digest.run() == 1
    [(chat, digest)] = await texts(town, mark)
    assert chat == OFFICE and "daily report for Wed 25/11" in digest
    assert await services.scheduling.digest.run_weekly() == 0  # still this week's slot

    # Monday: the first summary, of the days the community has existed.
    mark = await town.mark()
    await town.at(local(11, 30, 9))
    assert await services.scheduling.digest.run_weekly() == 6
    summaries = await texts(town, mark)
    assert {chat for chat, _ in summaries} == {p for pair in HEADS.values() for p in pair}
    assert all("Wed 25/11 – Sun 29/11" in text for _, text in summaries)


async def test_a_head_appointed_yesterday_gets_a_summary_of_their_own_days(
    services: Services, db: Database, clock: FakeClock
) -> None:
    town = await town_since(local(11, 1, 10), services, db, clock)
    await town.appoint(100, Role.HEAD, "A1")  # 1 November
    await town.at(local(11, 29, 18))  # Sunday
    await town.appoint(101, Role.HEAD, "A2")
    await town.at(local(11, 30, 8, 30))  # Monday, before the slot's 09:00
    await town.appoint(102, Role.HEAD, "B1")
    mark = await town.mark()
    await town.at(local(11, 30, 9))
    assert await services.scheduling.digest.run_weekly() == 2
    summaries = dict(await texts(town, mark))
    assert "Your week, Mon 23/11 – Sun 29/11" in summaries[100]
    assert "Your week, Sun 29/11 – Sun 29/11" in summaries[101]
    assert 102 not in summaries  # appointed on the slot's day: next week's is theirs


async def test_a_coordinator_appointed_this_morning_gets_tomorrows_digest(
    services: Services, db: Database, clock: FakeClock
) -> None:
    town = await town_since(local(11, 1, 10), services, db, clock)
    await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    await town.at(local(11, 26, 7, 30))
    await town.appoint(301, Role.COORDINATOR, "B1")
    mark = await town.mark()
    await town.at(local(11, 26, 8))
    assert await services.scheduling.digest.run() == 1
    assert [chat for chat, _ in await texts(town, mark)] == [OFFICE]
    await town.at(local(11, 27, 8))
    assert await services.scheduling.digest.run() == 2
