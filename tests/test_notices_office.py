"""The office's part of /notices (the notices others sent, to withdraw one), as an admin and a
community's coordinator read it with heads writing in several communities: the newest first, at
most five, only those of the reader's communities, never the reader's own; and the same few
statements however many communities there are."""

from __future__ import annotations

import re

from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.notices import NoticeDraft
from storage.db import Database
from storage.models import Role
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, FakeClock
from tests.factories import World, make_world
from tests.statements import counting

COORDINATOR = 700


async def community_with_a_notice(world: World, n: int) -> int:
    """Community ``n`` with one building and its head, who sends a notice there; its id."""
    row = BuildingRow(f"Community {n}", f"K{n}", f"Tower {n}", f"{n} Long Road")
    [building] = (await world.services.community.import_buildings([row])).buildings
    world.payloads[building.code] = building.payload
    head = await world.appoint(world.client.user(800 + n, "en", "Head"), Role.HEAD, f"K{n}")
    person = await world.person(head)
    [target] = await world.services.notices.targets(person)
    draft = NoticeDraft([target.id], text=f"Water cut in tower {n}", urgent=True)
    notice, _ = await world.services.notices.publish(person, draft)
    world.clock.advance(minutes=1)
    return notice.id


async def office_list(world: World, user_id: int) -> tuple[list[int], int]:
    """The notice numbers the office's message of /notices shows, and the statements run."""
    user = world.client.user(user_id, "en", "Office")
    with counting(world.db, this_task=True) as statements:
        sent = await world.client.send(user, "/notices")
    [office] = [s.text for s in sent if s.text.startswith("🏢")]
    return [int(n) for n in re.findall(r"^#(\d+) · ", office, re.MULTILINE)], len(statements)


async def test_the_office_list_is_one_look_however_many_communities(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    world = await make_world(client, services, db, clock)
    db.cache.enabled = False  # as with PostgreSQL: each look reads, the cache's state aside
    ids = [await community_with_a_notice(world, n) for n in (1, 2)]
    await world.appoint(client.user(COORDINATOR, "en", "Chen"), Role.COORDINATOR, "Community 2")
    # The coordinator's own notice is theirs (their part of /notices), not the office's list's.
    coordinator = await world.person(client.user(COORDINATOR, "en", "Chen"))
    [target] = await services.notices.targets(coordinator)
    mine, _ = await services.notices.publish(
        coordinator, NoticeDraft([target.id], "Mine", urgent=True)
    )
    clock.advance(minutes=1)

    # (The admin's first word to the bot makes their person: not the list's statements.)
    assert (await office_list(world, ADMIN_ID))[0] == [mine.id, *ids[::-1]]
    clock.advance(minutes=1)
    shown, few = await office_list(world, ADMIN_ID)
    assert shown == [mine.id, *ids[::-1]]
    assert (await office_list(world, COORDINATOR))[0] == [ids[1]]

    ids += [await community_with_a_notice(world, n) for n in (3, 4, 5, 6)]
    shown, many = await office_list(world, ADMIN_ID)
    assert shown == [*ids[:1:-1], mine.id]  # the newest five of every community's
    assert many == few
    assert (await office_list(world, COORDINATOR))[0] == [ids[1]]
