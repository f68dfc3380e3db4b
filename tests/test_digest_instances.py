"""The morning digest over several instances (issue 11, part 4): each instance claims a
community before gathering its figures, so two instances share the communities instead of
both gathering every one (bench.district found N instances doing N × the database work), and
the claim is a lease, so a digest whose instance died or failed after claiming still goes out,
once. Two "instances" are two Services over two Database objects on the same database, as in
tests/test_scheduler.py's nudge tests."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.digest import DIGEST_LEASE, DigestService
from storage.db import Database
from storage.models import Community, Role
from storage.repositories.sla import SlaRepository
from tests.test_scheduler import Town, local, needs_postgres, pg_town, town

__all__ = ["pg_town", "town"]  # the fixtures this module uses, from test_scheduler

COMMUNITIES = 4


async def coordinated(town: Town) -> list[int]:
    """COMMUNITIES more communities, each with a building, a coordinator of the whole community
    and one of the building (two scopes, two digests each), appointed the day before."""
    await town.at(local(11, 26, 10))
    rows = [BuildingRow(f"社区{i}", f"C{i}", f"楼{i}", "") for i in range(COMMUNITIES)]
    await town.services.community.import_buildings(rows)
    readers = []
    for i in range(COMMUNITIES):
        for n, (target, building_only) in enumerate(((f"社区{i}", False), (f"C{i}", True))):
            person = await town.person(5000 + 10 * i + n, f"Coordinator {i}.{n}")
            invite = await town.services.community.invite(
                Role.COORDINATOR, target, building_only=building_only
            )
            await town.services.onboarding.open_payload(person, invite.payload)
            readers.append(5000 + 10 * i + n)
    return readers


def counted(digest: DigestService, gathered: Counter[tuple[int, Any]]) -> None:
    gather = digest.gather

    async def counting(community: Community, scope: Any, *args: Any, **kwargs: Any) -> Any:
        gathered[community.id, scope] += 1
        return await gather(community, scope, *args, **kwargs)

    setattr(digest, "gather", counting)  # noqa: B010


async def two_instances_send_once(
    town: Town, url: str, config: Config, translations: Translations
) -> None:
    readers = await coordinated(town)
    mark = await town.mark()
    await town.at(local(11, 27, 8))
    second_db = Database(url)
    gathered: Counter[tuple[int, Any]] = Counter()
    try:
        other = Services.create(
            dataclasses.replace(config, database_url=url), second_db, translations, town.clock
        )
        first, second = town.services.scheduling.digest, other.scheduling.digest
        counted(first, gathered)
        counted(second, gathered)
        written = await asyncio.gather(first.run(), second.run())
        assert sum(written) == 2 * COMMUNITIES  # every coordinator's digest, once
        # Each community's scopes were gathered once between the two, not once by each.
        assert len(gathered) == 2 * COMMUNITIES and set(gathered.values()) == {1}
        # Later runs of either find nothing to do and gather nothing.
        await town.at(local(11, 27, 8, 1))
        assert list(await asyncio.gather(first.run(), second.run())) == [0, 0]
        assert sum(gathered.values()) == 2 * COMMUNITIES
    finally:
        await second_db.close()
    rows = await town.outbox(mark)
    for reader in readers:
        assert [r.kind for r in rows if int(r.address) == reader] == ["text", "chart"], reader
    async with town.db.session() as session:
        leases = await session.scalars(select(Community.digest_lease_until))
        assert set(leases) == {None}  # every lease ended with its digest


async def test_two_instances_share_the_digests_and_gather_each_once(
    town: Town, config: Config, translations: Translations
) -> None:
    await two_instances_send_once(town, config.database_url, config, translations)


@needs_postgres
async def test_two_instances_on_postgres_share_the_digests(
    pg_town: tuple[Town, str], config: Config, translations: Translations
) -> None:
    pg, url = pg_town
    await two_instances_send_once(pg, url, config, translations)


async def test_a_digest_claimed_by_an_instance_that_died_goes_out_after_its_lease(
    town: Town,
) -> None:
    readers = await coordinated(town)
    mark = await town.mark()
    now = local(11, 27, 8)
    await town.at(now)
    async with town.db.session() as session:
        community = await session.scalar(select(Community).where(Community.name == "社区0"))
        assert community is not None
        # An instance claimed 社区0 and was killed before it sent anything.
        assert await SlaRepository(session).lease_digest(
            community, now.date(), now, now + DIGEST_LEASE
        )
        await session.commit()
    digest = town.services.scheduling.digest
    assert await digest.run() == 2 * (COMMUNITIES - 1)  # the others; 社区0 is leased
    await town.at(now + DIGEST_LEASE - timedelta(seconds=1))
    assert await digest.run() == 0
    await town.at(now + DIGEST_LEASE)
    assert await digest.run() == 2  # the lease ran out: 社区0's digest is not lost
    await town.at(now + DIGEST_LEASE + timedelta(minutes=1))
    assert await digest.run() == 0
    rows = await town.outbox(mark)
    for reader in readers:
        assert [r.kind for r in rows if int(r.address) == reader] == ["text", "chart"], reader


async def test_a_digest_whose_gathering_failed_is_tried_again_at_the_next_run(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    readers = await coordinated(town)
    mark = await town.mark()
    await town.at(local(11, 27, 8))
    digest = town.services.scheduling.digest

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(digest, "gather", broken)
    with pytest.raises(RuntimeError):
        await digest.run()
    monkeypatch.undo()
    await town.at(local(11, 27, 8, 1))  # the next minute, well within the lease
    assert await digest.run() == 2 * COMMUNITIES
    rows = await town.outbox(mark)
    for reader in readers:
        assert [r.kind for r in rows if int(r.address) == reader] == ["text", "chart"], reader
