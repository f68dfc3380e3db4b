"""Who may join (join_policy), driven like users: a newcomer picks their building from the list
and waits for the head's approval, the head and the deputy decide in chat (the first decision
wins, every copy shows it), the newcomer hears the outcome; withdrawing, limits, link_only,
the join link that still joins at once, the fallback approvers, forged presses, the list
reached from /tickets and the digest's line."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.join_rules import JoinStale
from bot.services.joins import REQUESTS_PER_DAY
from storage.db import Database
from storage.models import (
    Building,
    Contact,
    JoinRequest,
    JoinStatus,
    Membership,
    OutboxMessage,
    Person,
    Role,
)
from tests.botclient import BotClient, Sent, texts
from tests.conftest import ADMIN_ID, TOKEN, FakeClock
from tests.factories import make_world, telegram_id_of
from tests.test_ticket_handling import RecordingSession, Town, answer, one, to

HEAD, DEPUTY, OFFICE = 100, 101, 300
NEWCOMER, OTHER, RESIDENT = 700, 701, 500


@pytest.fixture
async def client(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> AsyncIterator[BotClient]:
    session = RecordingSession()
    dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
    yield BotClient(dispatcher, Bot(TOKEN, session=session), session)
    await dispatcher.storage.close()


@pytest.fixture
async def town(client: BotClient, services: Services, db: Database, clock: FakeClock) -> Town:
    """A1 with a head (en) and a deputy (zh), the community office (zh), a resident of A1 who
    joined with the link; two newcomers (en) who have only said hello. The community keeps the
    default join_policy, "approve"."""
    world = await make_world(client, services, db, clock)
    c = client
    users = {
        HEAD: await world.appoint(c.user(HEAD, "en", "Wang"), Role.HEAD, "A1"),
        DEPUTY: await world.appoint(c.user(DEPUTY, "zh-hans", "Li"), Role.DEPUTY, "A1"),
        OFFICE: await world.appoint(
            c.user(OFFICE, "zh-hans", "Chen"), Role.COORDINATOR, "塘中社区"
        ),
        RESIDENT: await world.join(c.user(RESIDENT, "en", "Auntie"), "A1"),
        NEWCOMER: c.user(NEWCOMER, "en", "Newcomer"),
        OTHER: c.user(OTHER, "en", "Other"),
    }
    ids = {tg: (await world.person(user)).id for tg, user in users.items()}
    town = Town(world, users, ids, itertools.count())
    await town.deliver()  # the appointment notices
    return town


async def pick(town: Town, who: int, building: str) -> list[Sent]:
    """/join, then the building's button (the community has one page of three buildings)."""
    [picker] = texts_sent(await town.send(who, "/join"))
    return await town.click(who, picker, building)


def texts_sent(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if type(s.method).__name__ == "SendMessage"]


async def requests(db: Database) -> list[tuple[int | None, str, str | None, JoinStatus]]:
    async with db.session() as session:
        rows = (await session.scalars(select(JoinRequest).order_by(JoinRequest.id))).all()
        people = {p.id: telegram_id_of(p) for p in (await session.scalars(select(Person))).all()}
    return [(people.get(r.person_id or 0), r.display_name, r.flat, r.status) for r in rows]


async def residents_of(db: Database, code: str) -> list[tuple[int, str | None]]:
    from storage.models import Building

    async with db.session() as session:
        rows = await session.execute(
            select(Contact.address, Membership.flat)
            .join(Membership, Membership.person_id == Contact.person_id)
            .join(Building, Building.id == Membership.building_id)
            .where(Building.code == code, Membership.role == Role.RESIDENT)
        )
        return sorted((int(tg), flat) for tg, flat in rows.all())


async def ask_to_join_a1(town: Town, flat: str | None = "3-502") -> list[Sent]:
    sent = await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    if flat is None:
        return await town.click(NEWCOMER, texts_sent(sent)[-1], "Ask without a flat number")
    return await town.send(NEWCOMER, flat)


# --------------------------------------------------------------------------- approve


async def test_a_join_by_the_picker_waits_for_the_heads_approval(town: Town) -> None:
    sent = await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    prompt = texts_sent(sent)[-1]
    # Before anything is sent: who decides, and exactly what they will see.
    assert "your building head first confirms" in prompt.text
    assert "“Newcomer 700”" in prompt.text and "flat number" in prompt.text
    assert await requests(town.db) == []

    sent = await town.send(NEWCOMER, "3-502")
    told = one(sent, NEWCOMER)
    assert "has been sent to your building head" in told.text
    assert told.buttons == ["Withdraw my request"]
    assert await requests(town.db) == [(NEWCOMER, "Newcomer 700", "3-502", JoinStatus.PENDING)]
    assert await residents_of(town.db, "A1") == [(RESIDENT, None)]
    # Not a resident yet: no reports.
    assert "First join your building" in texts(await town.send(NEWCOMER, "/report"))[0]

    # The head and the deputy each get a card, in their language, with the two buttons.
    delivered = await town.deliver()
    head_card, deputy_card = one(delivered, HEAD), one(delivered, DEPUTY)
    assert "Newcomer 700 asks to join 塘中新村1栋" in head_card.text
    assert "Flat: 3-502" in head_card.text
    assert head_card.buttons == ["✅ Approve", "❌ Decline"]
    assert "申请加入" in deputy_card.text and deputy_card.buttons == ["✅ 通过", "❌ 不通过"]
    assert to(delivered, OFFICE) == []  # the head is there: the office is not bothered

    sent = await town.click(HEAD, head_card, "✅ Approve")
    assert "Approved" in answer(sent)
    edited = one(sent, HEAD, "EditMessageText")
    assert "Approved by Wang 100" in edited.text and edited.buttons == []
    assert await residents_of(town.db, "A1") == [(RESIDENT, None), (NEWCOMER, "3-502")]
    assert (await requests(town.db))[0][3] is JoinStatus.APPROVED

    delivered = await town.deliver()
    # The deputy's copy is edited in place and loses its buttons; the newcomer hears it.
    deputy_edit = one(delivered, DEPUTY, "EditMessageText")
    assert deputy_edit.method.message_id == town.message_id(deputy_card)  # type: ignore[attr-defined]
    assert "Wang 100" in deputy_edit.text and deputy_edit.buttons == []
    assert "you are now a resident of 塘中新村1栋" in one(delivered, NEWCOMER).text
    assert "First join" not in texts(await town.send(NEWCOMER, "/report"))[0]
    await town.send(NEWCOMER, "/cancel")

    # The deputy's old buttons are stale: they say so, show the outcome and change nothing.
    sent = await town.click(DEPUTY, deputy_card, "✅ 通过")
    assert "已经处理过了" in answer(sent)
    assert one(sent, DEPUTY, "EditMessageText").buttons == []
    assert await residents_of(town.db, "A1") == [(RESIDENT, None), (NEWCOMER, "3-502")]
    assert to(await town.deliver(), NEWCOMER) == []


async def test_a_flat_out_of_shape_is_asked_again_and_the_request_still_waits(town: Town) -> None:
    """A flat the service refuses keeps the flat step: the question again, with the button to
    ask without one, nothing sent; the next answer that fits sends the request."""
    await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    sent = await town.send(NEWCOMER, "flat 3-502, the one upstairs!")
    again = one(sent, NEWCOMER)
    assert "That does not look like a flat number" in again.text
    assert again.buttons == ["Ask without a flat number"]
    assert await requests(town.db) == []

    sent = await town.send(NEWCOMER, "3-502")
    assert "has been sent to your building head" in one(sent, NEWCOMER).text
    assert await requests(town.db) == [(NEWCOMER, "Newcomer 700", "3-502", JoinStatus.PENDING)]


async def test_two_approvers_at_once_one_decision_wins(town: Town, services: Services) -> None:
    await ask_to_join_a1(town)
    [request_id] = [r.id for r in await _rows(town.db)]
    head, deputy = await town.person(HEAD), await town.person(DEPUTY)
    outcomes = await asyncio.gather(
        services.approvals.decide(head, request_id, True),
        services.approvals.decide(deputy, request_id, False),
        return_exceptions=True,
    )
    assert sum(isinstance(o, JoinStale) for o in outcomes) == 1
    assert sum(isinstance(o, JoinRequest) for o in outcomes) == 1
    status = (await requests(town.db))[0][3]
    assert status in (JoinStatus.APPROVED, JoinStatus.DECLINED)
    joined = (NEWCOMER, "3-502") in await residents_of(town.db, "A1")
    assert joined is (status is JoinStatus.APPROVED)
    told = [s.text for s in to(await town.deliver(), NEWCOMER)]
    assert len(told) == 1  # one outcome, not two


async def _rows(db: Database) -> list[JoinRequest]:
    async with db.session() as session:
        return list((await session.scalars(select(JoinRequest).order_by(JoinRequest.id))).all())


async def test_a_declined_neighbour_may_ask_again_after_a_day(town: Town, clock: FakeClock) -> None:
    await ask_to_join_a1(town, flat=None)
    head_card = one(await town.deliver(), HEAD)
    assert "No flat number given." in head_card.text
    await town.click(HEAD, head_card, "❌ Decline")
    told = one(await town.deliver(), NEWCOMER)
    assert "was not approved" in told.text
    assert await residents_of(town.db, "A1") == [(RESIDENT, None)]

    # Asking the same building again at once is refused politely, and nothing is sent.
    sent = await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    assert "Please wait a day" in answer(sent)
    assert len(await requests(town.db)) == 1
    clock.advance(days=1, minutes=1)
    await ask_to_join_a1(town)
    assert [r[3] for r in await requests(town.db)] == [JoinStatus.DECLINED, JoinStatus.PENDING]


async def test_requests_per_day_are_limited(
    town: Town, services: Services, clock: FakeClock
) -> None:
    newcomer = await town.person(NEWCOMER)
    buildings = {r.code: r for r in await _buildings(town.db)}
    for n in range(REQUESTS_PER_DAY):
        building = buildings["A1" if n % 2 == 0 else "A2"]
        pending = await services.joins.request(newcomer, building.id, None)
        await services.joins.cancel(newcomer, pending.request.id)  # type: ignore[union-attr]
    sent = await pick(town, NEWCOMER, "翠湖苑1座 (B1)")
    assert f"{REQUESTS_PER_DAY} join requests today" in answer(sent)
    assert len(await requests(town.db)) == REQUESTS_PER_DAY
    clock.advance(days=1, minutes=1)
    sent = await pick(town, NEWCOMER, "翠湖苑1座 (B1)")
    assert "What is your flat number" in texts_sent(sent)[-1].text


async def _buildings(db: Database) -> list[Building]:
    async with db.session() as session:
        return list((await session.scalars(select(Building))).all())


async def test_one_pending_request_per_person_and_building(town: Town, services: Services) -> None:
    await ask_to_join_a1(town)
    sent = await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    again = texts_sent(sent)[-1]
    assert "already asked to join 塘中新村1栋" in again.text
    assert again.buttons == ["Withdraw my request"]
    # Two requests at the very same moment make one.
    newcomer = await town.person(OTHER)
    [a1] = [b for b in await _buildings(town.db) if b.code == "A1"]
    await asyncio.gather(
        services.joins.request(newcomer, a1.id, "1-101"),
        services.joins.request(newcomer, a1.id, "1-101"),
    )
    assert [r[0] for r in await requests(town.db)] == [NEWCOMER, OTHER]


async def test_the_resident_may_withdraw_and_the_copies_say_so(town: Town) -> None:
    sent = await ask_to_join_a1(town)
    request_message = one(sent, NEWCOMER)
    head_card = one(await town.deliver(), HEAD)
    sent = await town.click(NEWCOMER, request_message, "Withdraw my request")
    assert "withdrawn" in one(sent, NEWCOMER, "EditMessageText").text
    assert (await requests(town.db))[0][3] is JoinStatus.WITHDRAWN
    edit = one(await town.deliver(), HEAD, "EditMessageText")
    assert "Withdrawn by the neighbour" in edit.text and edit.buttons == []
    # The head's stale Approve changes nothing.
    sent = await town.click(HEAD, head_card, "✅ Approve")
    assert "the neighbour withdrew it" in answer(sent)
    assert await residents_of(town.db, "A1") == [(RESIDENT, None)]
    # Withdrawing twice is harmless.
    sent = await town.click(NEWCOMER, request_message, "Withdraw my request")
    assert "the neighbour withdrew it" in answer(sent)


async def test_the_join_link_still_joins_at_once_and_settles_the_request(town: Town) -> None:
    await ask_to_join_a1(town)
    head_card = one(await town.deliver(), HEAD)
    await town.send(NEWCOMER, f"/start {town.world.payloads['A1']}")
    assert (NEWCOMER, None) in await residents_of(town.db, "A1")
    assert (await requests(town.db))[0][3] is JoinStatus.JOINED
    edit = one(await town.deliver(), HEAD, "EditMessageText")
    assert "joined with the building's QR code" in edit.text and edit.buttons == []
    sent = await town.click(HEAD, head_card, "✅ Approve")
    assert "already settled" in answer(sent)


async def test_staff_of_the_building_join_it_at_once(town: Town) -> None:
    sent = await pick(town, HEAD, "塘中新村1栋 (A1)")
    assert "You have joined 塘中新村1栋" in texts_sent(sent)[-1].text
    assert await requests(town.db) == []


async def test_link_only_points_to_the_poster(town: Town, services: Services) -> None:
    await services.community.settings("塘中社区", {"join_policy": "link_only"})
    sent = await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    assert "scan the QR code on the poster" in texts_sent(sent)[-1].text
    assert await requests(town.db) == []
    assert to(await town.deliver(), HEAD) == []
    await town.send(NEWCOMER, f"/start {town.world.payloads['A1']}")
    assert (NEWCOMER, None) in await residents_of(town.db, "A1")


async def test_open_joins_at_once(town: Town, services: Services) -> None:
    await services.community.settings("塘中社区", {"join_policy": "open"})
    sent = await pick(town, NEWCOMER, "塘中新村1栋 (A1)")
    assert "You have joined" in texts_sent(sent)[-1].text
    assert (NEWCOMER, None) in await residents_of(town.db, "A1")


async def test_join_policy_is_checked_when_it_is_set(services: Services, town: Town) -> None:
    with pytest.raises(ServiceError) as refused:
        await services.community.settings("塘中社区", {"join_policy": "everyone"})
    assert refused.value.key == "settings-invalid"
    assert refused.value.args_["setting"] == "join_policy"
    view = await services.community.settings("塘中社区", {"join_policy": "link_only"})
    assert view.value("join_policy") == "link_only"
    view = await services.community.settings("塘中社区", {"join_policy": None})
    line = next(line for line in view.lines if line.key == "join_policy")
    assert (line.value, line.default) == ("approve", True)  # back to the default


# --------------------------------------------------------------------------- who decides


async def test_without_a_head_the_office_decides_and_is_named_by_role(town: Town) -> None:
    sent = await pick(town, NEWCOMER, "塘中新村2栋 (A2)")
    assert "What is your flat number" in texts_sent(sent)[-1].text
    told = one(await town.send(NEWCOMER, "8-808"), NEWCOMER)
    assert "sent to the community office" in told.text
    office_card = one(await town.deliver(), OFFICE)
    assert "申请加入" in office_card.text
    await town.click(OFFICE, office_card, "✅ 通过")
    assert (NEWCOMER, "8-808") in await residents_of(town.db, "A2")


async def test_with_nobody_but_the_admin_the_admin_decides(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    world = await make_world(client, services, db, clock)
    await client.send(client.user(ADMIN_ID, "en", "Admin"), "/help")  # the admin is known
    newcomer = client.user(NEWCOMER, "en", "Newcomer")
    [picker] = texts_sent(await client.send(newcomer, "/join"))
    await client.click(newcomer, picker, "翠湖苑1座 (B1)")
    told = [s for s in await client.send(newcomer, "2-201") if s.text]
    assert "sent to the administrator" in told[-1].text
    before = len(client.session.requests)
    await world.deliver()
    assert [getattr(m, "chat_id", None) for m in client.session.requests[before:]] == [ADMIN_ID]


async def test_with_nobody_at_all_the_request_is_refused(
    client: BotClient, services: Services, db: Database, clock: FakeClock
) -> None:
    await make_world(client, services, db, clock)
    newcomer = client.user(NEWCOMER, "en", "Newcomer")
    [picker] = texts_sent(await client.send(newcomer, "/join"))
    await client.click(newcomer, picker, "翠湖苑1座 (B1)")
    told = [s for s in await client.send(newcomer, "2-201") if s.text]
    assert "Nobody can approve new residents" in told[-1].text
    assert await requests(db) == []


async def test_forged_and_foreign_presses_change_nothing(town: Town) -> None:
    await ask_to_join_a1(town)
    [request_id] = [r.id for r in await _rows(town.db)]
    outbox_before = await _outbox(town.db)
    for who, data in [
        (RESIDENT, f"jr1:a:{request_id}:0"),  # a resident is no approver
        (OTHER, f"jr1:a:{request_id}:0"),
        (OTHER, f"jr1:x:{request_id}:0"),  # someone else's request
        (HEAD, "jr1:a:999999:0"),  # no such request
    ]:
        sent = await town.press(who, data)
        assert "not allowed" in answer(sent)
    # A page far beyond the last is the last page (beyond 2**31 it is an out-of-date button).
    sent = await town.press(HEAD, f"jr1:l:0:{2**31 - 1}")
    assert "page 1 of 1" in one(sent, HEAD, "EditMessageText").text
    assert (await requests(town.db))[0][3] is JoinStatus.PENDING
    assert await residents_of(town.db, "A1") == [(RESIDENT, None)]
    assert await _outbox(town.db) == outbox_before


async def _outbox(db: Database) -> list[tuple[int, str]]:
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(int(r.address), r.kind) for r in rows]


async def test_a_head_of_another_building_cannot_decide(town: Town, services: Services) -> None:
    await ask_to_join_a1(town)
    invite = await services.community.invite(Role.HEAD, "A2")
    stranger_head = town.client.user(200, "en", "Zhao")
    await town.client.send(stranger_head, f"/start {invite.payload}")
    town.users[200] = stranger_head
    [request_id] = [r.id for r in await _rows(town.db)]
    sent = await town.press(200, f"jr1:a:{request_id}:0")
    assert "not allowed" in answer(sent)
    assert (await requests(town.db))[0][3] is JoinStatus.PENDING


# --------------------------------------------------------------------------- lists


async def test_tickets_shows_the_waiting_requests_with_paging(
    town: Town, services: Services
) -> None:
    listing = one(await town.send(HEAD, "/tickets"), HEAD)
    assert not any("Join requests" in b for b in listing.buttons)  # none waiting: no button

    a1 = [b for b in await _buildings(town.db) if b.code == "A1"][0]
    for n in range(7):
        user = town.client.user(800 + n, "en", f"N{n}")
        person = await town.world.person(user)
        await services.joins.request(person, a1.id, f"{n}-10{n}")
    listing = one(await town.send(HEAD, "/tickets"), HEAD)
    assert "🏠 Join requests (7)" in listing.buttons

    sent = await town.click(HEAD, listing, "🏠 Join requests (7)")
    page = one(sent, HEAD, "EditMessageText")
    assert "waiting: 7, page 1 of 2" in page.text
    assert "1. N0 800 · Flat: 0-100 → 塘中新村1栋" in page.text
    assert page.buttons[:2] == ["✅ 1", "❌ 1"] and "›" in page.buttons
    second = one(await town.click(HEAD, page, "›"), HEAD, "EditMessageText")
    assert "6. N5 805" in second.text and "7. N6 806" in second.text

    sent = await town.click(HEAD, second, "✅ 7")
    assert "Approved" in answer(sent)
    again = one(sent, HEAD, "EditMessageText")
    assert "waiting: 6" in again.text and "N6 806" not in again.text
    assert (806, "6-106") in await residents_of(town.db, "A1")
    # The office sees the same requests (its area is the whole community).
    office_list = one(await town.send(OFFICE, "/tickets"), OFFICE)
    assert "🏠 加入申请（6）" in office_list.buttons
    # A resident has no such list.
    sent = await town.press(RESIDENT, "jr1:l:0:1")
    assert "building heads" in answer(sent)


async def test_the_digest_counts_waiting_requests_per_building(
    town: Town, services: Services
) -> None:
    await ask_to_join_a1(town)
    await pick(town, OTHER, "塘中新村1栋 (A1)")
    await town.send(OTHER, "1-101")
    office, english = await town.person(OFFICE), Translations().bind("en")
    [digest] = await services.scheduling.digest.on_demand(office, None, english)
    assert "Join requests waiting: 塘中新村1栋 2" in digest.text
    await services.community.settings("塘中社区", {"join_policy": "open"})
    newcomer = await town.person(NEWCOMER)
    await services.joins.cancel(newcomer, (await _rows(town.db))[0].id)
    [digest] = await services.scheduling.digest.on_demand(office, None, english)
    assert "Join requests waiting: 塘中新村1栋 1" in digest.text
    await services.joins.cancel(await town.person(OTHER), (await _rows(town.db))[1].id)
    [digest] = await services.scheduling.digest.on_demand(office, None, english)
    assert "Join requests" not in digest.text  # nothing waiting: no line


# --------------------------------------------------------------------------- current roles only

NEW_HEAD, NEW_OFFICE = 702, 703


async def test_a_removed_head_no_longer_decides_and_a_new_head_does(
    town: Town, services: Services
) -> None:
    await ask_to_join_a1(town)
    delivered = await town.deliver()
    head_card = one(delivered, HEAD)
    a1 = (await services.community.find_building("A1")).id
    await services.revoke.remove(await town.person(OFFICE), town.ids[HEAD], a1, Role.HEAD)

    # His copy is edited on delivery: which building, not who asks, no buttons.
    delivered = await town.deliver()
    [stripped] = [s for s in to(delivered, HEAD, "EditMessageText")]
    assert stripped.method.message_id == town.message_id(head_card)  # type: ignore[attr-defined]
    assert "no longer decide requests" in stripped.text and "塘中新村1栋" in stripped.text
    assert "Newcomer" not in stripped.text and "3-502" not in stripped.text
    assert stripped.buttons == []

    # Pressed anyway (a copy kept in another device's cache): refused, shown as "no access".
    sent = await town.click(HEAD, head_card, "✅ Approve")
    assert "not allowed" in answer(sent)
    edited = one(sent, HEAD, "EditMessageText")
    assert "no longer decide requests" in edited.text and edited.buttons == []
    assert (await requests(town.db))[0][3] is JoinStatus.PENDING
    assert await residents_of(town.db, "A1") == [(RESIDENT, None)]

    # A head appointed after the request was sent finds it in /tickets and decides it.
    town.users[NEW_HEAD] = await town.world.appoint(
        town.client.user(NEW_HEAD, "en", "Zhou"), Role.HEAD, "A1"
    )
    listing = one(await town.send(NEW_HEAD, "/tickets"), NEW_HEAD)
    page = one(
        await town.click(NEW_HEAD, listing, "🏠 Join requests (1)"), NEW_HEAD, "EditMessageText"
    )
    assert "1. Newcomer 700 · Flat: 3-502" in page.text
    # A coordinator appointed after it sees it in the digest too.
    town.users[NEW_OFFICE] = await town.world.appoint(
        town.client.user(NEW_OFFICE, "en", "Sun"), Role.COORDINATOR, "塘中社区"
    )
    english = Translations().bind("en")
    [digest] = await services.scheduling.digest.on_demand(
        await town.person(NEW_OFFICE), None, english
    )
    assert "Join requests waiting: 塘中新村1栋 1" in digest.text
    sent = await town.click(NEW_HEAD, page, "✅ 1")
    assert "Approved" in answer(sent)
    assert (NEWCOMER, "3-502") in await residents_of(town.db, "A1")


async def test_a_lone_removed_head_s_requests_go_to_the_office(
    town: Town, services: Services
) -> None:
    a1 = (await services.community.find_building("A1")).id
    office = await town.person(OFFICE)
    await services.revoke.remove(office, town.ids[DEPUTY], a1, Role.DEPUTY)
    await ask_to_join_a1(town)
    await town.deliver()
    await services.revoke.remove(office, town.ids[HEAD], a1, Role.HEAD)
    office_card = [s for s in to(await town.deliver(), OFFICE) if s.buttons][-1]
    assert "申请加入" in office_card.text and office_card.buttons == ["✅ 通过", "❌ 不通过"]


async def test_an_admin_taken_out_of_admin_ids_no_longer_decides(
    client: BotClient,
    services: Services,
    db: Database,
    clock: FakeClock,
    config: Config,
    translations: Translations,
) -> None:
    world = await make_world(client, services, db, clock)
    admin = client.user(ADMIN_ID, "en", "Admin")
    await client.send(admin, "/help")
    newcomer = client.user(NEWCOMER, "en", "Newcomer")
    [picker] = texts_sent(await client.send(newcomer, "/join"))
    await client.click(newcomer, picker, "翠湖苑1座 (B1)")
    await client.send(newcomer, "2-201")
    before = len(client.session.requests)
    await world.deliver()
    [copy] = [Sent(m) for m in client.session.requests[before:]]
    assert copy.buttons == ["✅ Approve", "❌ Decline"]

    # The next start, with ADMIN_IDS emptied: no event told the bot, the press does.
    restarted = replace(config, admin_ids=frozenset())
    client.dp = create_dispatcher(restarted, db, translations=translations, clock=clock)
    try:
        sent = await client.click(admin, copy, "✅ Approve")
        assert "not allowed" in answer(sent)
        [edited] = [s for s in sent if type(s.method).__name__ == "EditMessageText"]
        assert "no longer decide requests" in edited.text and edited.buttons == []
        assert "Newcomer" not in edited.text
        assert (await requests(db))[0][3] is JoinStatus.PENDING
    finally:
        await client.dp.storage.close()
