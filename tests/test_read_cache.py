"""The person, roles and community settings an update reads are kept in memory
(storage/cache.py); these tests prove they are never acted on stale: a change made in this
process (a role revoked in chat, a language chosen, a category's settings) shows at the very
next update, and one made by another process on the same SQLite file (``python -m bot
revoke``, a console run apart) as soon as the cache looks for it (at most every 0.25 s; here
at every read)."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from handlers.keyboards import TicketCb
from storage.db import Database
from storage.models import Building, Community, Role
from tests.conftest import FakeClock
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    RESIDENT,
    Town,
    answer,
    client,
    ticket,
    town,
)

__all__ = ["client", "town"]  # the fixtures this module uses, from test_ticket_handling


async def test_a_head_revoked_in_this_process_is_refused_at_the_next_press(town: Town) -> None:
    found = await town.report()
    await town.deliver()
    take = TicketCb(action=Action.TAKE, ticket_id=found.id).pack()
    # The deputy's roles are read (and kept) by a press that works.
    await town.press(DEPUTY, TicketCb(action=Action.HISTORY, ticket_id=found.id).pack())
    assert town.db.cache.hits + town.db.cache.misses > 0

    await town.world.services.revoke.revoke(Role.DEPUTY, DEPUTY, "A1")
    sent = await town.press(DEPUTY, take)
    assert "没有权限" in answer(sent)  # "not allowed", in the deputy's Chinese
    assert (await ticket(town.db, found.number)).holder_id is None


async def test_a_head_revoked_by_another_process_is_refused_once_the_cache_looks(
    town: Town, config: Config, clock: FakeClock
) -> None:
    found = await town.report()
    await town.deliver()
    await town.press(HEAD, TicketCb(action=Action.HISTORY, ticket_id=found.id).pack())

    # Another process: its own connection to the same file (as `python -m bot revoke`).
    other = Database(config.database_url)
    try:
        services = Services.create(config, other, Translations(), clock)
        await services.revoke.revoke(Role.HEAD, HEAD, "A1")
    finally:
        await other.close()
    town.db.cache.recheck = 0  # look now (the bot looks at most every 0.25 s)
    sent = await town.press(HEAD, TicketCb(action=Action.TAKE, ticket_id=found.id).pack())
    assert "not allowed" in answer(sent)
    assert (await ticket(town.db, found.number)).holder_id is None


async def test_a_language_chosen_is_spoken_at_the_next_update(town: Town) -> None:
    before = await town.send(RESIDENT, "/help")
    assert "Commands:" in before[0].text
    resident = await town.person(RESIDENT)
    await town.world.services.onboarding.set_language(resident.id, "zh-hans")
    after = await town.send(RESIDENT, "/help")
    assert "Commands:" not in after[0].text and "/report" in after[0].text


async def test_a_communitys_categories_change_at_the_next_report(town: Town) -> None:
    sent = await town.send(RESIDENT, "/report")
    assert any("Elevator" in b for s in sent for b in s.buttons)
    await town.send(RESIDENT, "/cancel")
    async with town.db.session() as session:
        community = await session.scalar(select(Community))
        assert community is not None
        community.settings = {
            **community.settings,
            "categories": [{"code": "repairs"}, {"code": "other"}],
        }
        await session.commit()
    sent = await town.send(RESIDENT, "/report")
    buttons = [b for s in sent for b in s.buttons]
    assert buttons and not any("Elevator" in b for b in buttons)


async def test_a_building_renamed_shows_on_the_next_card(town: Town, config: Config) -> None:
    """A delivery pass takes communities and buildings from the cache (CommunityRepository
    .to_read): a rename in this process, or in another one, shows on the next card."""
    found = await town.report()
    await town.deliver()  # the building is read for these cards, and kept
    async with town.db.session() as session:
        building = await session.get(Building, found.building_id)
        assert building is not None
        building.name = "Renamed Tower"
        await session.commit()
    await town.press(HEAD, TicketCb(action=Action.TAKE, ticket_id=found.id).pack())
    assert any("Renamed Tower" in s.text for s in await town.deliver())

    other = Database(config.database_url)  # another process on the same file
    try:
        async with other.session() as session:
            building = await session.get(Building, found.building_id)
            assert building is not None
            building.name = "Tower Elsewhere"
            await session.commit()
    finally:
        await other.close()
    town.db.cache.recheck = 0  # look now (the bot looks at most every 0.25 s)
    await town.report(text="The door is stuck")
    assert any("Tower Elsewhere" in s.text for s in await town.deliver())
