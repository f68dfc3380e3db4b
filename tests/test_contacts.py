"""A person and their contacts: the person behind an update found through a contact, the
contact used last receiving the notifications, /link joining a second app to one person (in the
chat, and a door that is not Telegram through the service), and /forgetme removing contacts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.services import Services
from bot.services.contact_links import ContactLinks
from bot.services.errors import ServiceError
from storage.db import Database
from storage.models import Address, Contact, Membership, Person, Role, telegram_address
from storage.repositories import PersonRepository
from storage.repositories.people import address_of
from tests.conftest import FakeClock
from tests.test_ticket_handling import HEAD, OFFICE, RESIDENT, Town, one, to
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture
SECOND = 700  # the head's second Telegram account
WEB = Address("web", "device-1")


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def contacts_of(db: Database, person_id: int) -> list[tuple[str, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(Contact.channel, Contact.address)
            .where(Contact.person_id == person_id)
            .order_by(Contact.id)
        )
        return [(channel, address) for channel, address in rows.all()]


async def test_the_person_behind_an_update_is_found_by_contact_and_its_use_noted_once_a_minute(
    services: Services, db: Database, clock: FakeClock
) -> None:
    first = await services.onboarding.touch(telegram_address(42), "Auntie", "en")
    assert await contacts_of(db, first.id) == [("telegram", "42")]
    writes: list[str] = []

    def count_updates(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE contacts"):
            writes.append(statement)

    from sqlalchemy import event

    event.listen(db.engine.sync_engine, "before_cursor_execute", count_updates)
    try:
        clock.advance(seconds=30)
        again = await services.onboarding.touch(telegram_address(42), "Auntie", "en")
        assert again.id == first.id
        assert writes == []  # within the minute: nothing written
        clock.advance(seconds=31)
        await services.onboarding.touch(telegram_address(42), "Auntie", "en")
        assert len(writes) == 1
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count_updates)
    async with db.session() as session:
        person = await PersonRepository(session).get(first.id)
        assert person is not None
        assert person.contacts[0].last_used_at == clock()


async def test_a_notification_goes_to_the_contact_used_last_among_those_a_door_delivers(
    services: Services, db: Database, clock: FakeClock
) -> None:
    person = await services.onboarding.touch(telegram_address(1), "A", "en")
    async with db.session() as session:
        people = PersonRepository(session)
        clock.advance(minutes=5)
        await people.ensure_contact(person.id, telegram_address(2), clock())
        loaded = await people.get(person.id)
        assert loaded is not None
        assert address_of(loaded) == telegram_address(2)
        clock.advance(minutes=5)
        await people.ensure_contact(person.id, WEB, clock())
        # A browser that gave no push subscription cannot be notified: Telegram's newest
        # contact is; once it subscribed, the browser (used last) is.
        assert address_of(loaded) == telegram_address(2)
        assert address_of(loaded, frozenset({"telegram"})) == telegram_address(2)
        await people.set_push(WEB, {"endpoint": "https://push.example.org/1", "keys": {}})
        await session.commit()
    async with db.session() as session:
        loaded = await PersonRepository(session).get(person.id)
        assert loaded is not None
        assert address_of(loaded) == WEB
        assert address_of(loaded, frozenset({"telegram"})) == telegram_address(2)


async def test_link_in_chat_joins_a_second_account_and_notifications_follow_the_last_used(
    town: Town, clock: FakeClock
) -> None:
    head = await town.person(HEAD)
    shown = one(await town.send(HEAD, "/link"), HEAD).text
    code = next(word for word in shown.split() if word.isdigit() and len(word) == 6)
    second = town.client.user(SECOND, "en", "Wang at work")
    town.users[SECOND] = second
    stray = await town.world.person(second)  # the middleware made a person of the new chat
    clock.advance(minutes=2)
    reply = one(await town.send(SECOND, f"/link {code}"), SECOND).text
    assert "Linked" in reply
    assert await contacts_of(town.db, head.id) == [("telegram", str(HEAD)), ("telegram", "700")]
    assert await count(town.db, Person, Person.id == stray.id) == 0
    assert (await town.world.person(second)).id == head.id
    # The head used the second chat last: the next card goes there.
    await town.report(RESIDENT, "The lift is stuck")
    delivered = await town.deliver()
    assert to(delivered, SECOND, "SendMessage") and not to(delivered, HEAD, "SendMessage")
    # Writing from the first chat again (a minute later) brings the notifications back there.
    clock.advance(minutes=2)
    await town.send(HEAD, "/help")
    await town.report(RESIDENT, "The door is broken")
    delivered = await town.deliver()
    assert to(delivered, HEAD, "SendMessage") and not to(delivered, SECOND, "SendMessage")
    # The code worked once.
    third = town.client.user(701, "en", "Someone")
    town.users[701] = third
    assert "wrong, used or expired" in one(await town.send(701, f"/link {code}"), 701).text


async def test_a_link_code_expires_after_ten_minutes_and_wrong_codes_are_limited(
    services: Services, db: Database, clock: FakeClock
) -> None:
    links = ContactLinks(db, clock)
    owner = await services.onboarding.touch(telegram_address(1), "A", "en")
    issued = await links.issue(owner)
    assert len(issued.code) == 6 and issued.code.isdigit()
    await services.onboarding.touch(WEB, "", None)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(ServiceError) as refused:
        await links.redeem(WEB, issued.code)
    assert refused.value.key == "link-code-invalid"
    fresh = await links.issue(owner)
    wrong = f"{(int(fresh.code) + 1) % 1_000_000:06d}"
    for _ in range(4):  # with the expired one, five wrong codes in ten minutes
        with pytest.raises(ServiceError) as refused:
            await links.redeem(WEB, wrong)
        assert refused.value.key == "link-code-invalid"
    with pytest.raises(ServiceError) as refused:
        await links.redeem(WEB, fresh.code)  # the sixth try, even with the right code
    assert refused.value.key == "link-too-many"
    clock.advance(minutes=10, seconds=1)
    fresh = await links.issue(owner)
    assert (await links.redeem(WEB, fresh.code)).id == owner.id
    # Only the hash is kept, and a used code is gone.
    async with db.session() as session:
        from storage.models import ContactCode

        assert await session.scalar(select(func.count()).select_from(ContactCode)) == 0
    with pytest.raises(ServiceError) as refused:
        await links.redeem(telegram_address(1), (await links.issue(owner)).code)
    assert refused.value.key == "link-same-person"


async def test_a_web_visitor_who_entered_a_code_becomes_the_telegram_resident_roles_and_all(
    services: Services, db: Database, clock: FakeClock
) -> None:
    """A door that is not Telegram, through the service alone: the web visitor had joined a
    building; linking folds them into the Telegram resident, who keeps one membership."""
    from bot.services.community import BuildingRow

    await services.community.import_buildings(
        [BuildingRow("社区", "A1", "1栋", ""), BuildingRow("社区", "A2", "2栋", "")]
    )
    a1 = await services.community.find_building("A1")
    a2 = await services.community.find_building("A2")
    resident = await services.onboarding.touch(telegram_address(5), "Auntie", "en")
    await services.onboarding.join_building(resident, a1.id)
    visitor = await services.onboarding.touch(WEB, "", "zh-hans")
    await services.onboarding.join_building(visitor, a1.id)
    await services.onboarding.join_building(visitor, a2.id)
    code = (await services.links.issue(resident)).code
    linked = await services.links.redeem(WEB, code)
    assert linked.id == resident.id
    assert await contacts_of(db, resident.id) == [("telegram", "5"), ("web", "device-1")]
    assert await count(db, Person, Person.id == visitor.id) == 0
    async with db.session() as session:
        buildings = await session.scalars(
            select(Membership.building_id)
            .where(Membership.person_id == resident.id, Membership.role == Role.RESIDENT)
            .order_by(Membership.building_id)
        )
        assert list(buildings) == [a1.id, a2.id]


async def test_forgetme_deletes_the_persons_contacts(town: Town) -> None:
    office = await town.person(OFFICE)
    async with town.db.session() as session:
        await PersonRepository(session).ensure_contact(office.id, WEB, town.world.clock())
        await session.commit()
    assert len(await contacts_of(town.db, office.id)) == 2
    asked = one(await town.send(OFFICE, "/forgetme"), OFFICE)
    await town.click(OFFICE, asked, asked.buttons[0])
    assert await contacts_of(town.db, office.id) == []
    assert await count(town.db, Contact, Contact.address == "device-1") == 0
