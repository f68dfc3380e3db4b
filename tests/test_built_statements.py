"""The statements the hot paths build once (issue 11) read what the reads they replaced read:
the report's gate (membership, draft, the day's count in one statement), ``by_id`` against
``Session.get``, a building with its community, /tickets' count and page per scope shape, and
the rows read instead of mapped objects (a ticket's events and recipients, a list's tickets,
a neighbour's similar open ticket),
each compared with the ORM read it stands for over a table of cases, on SQLite and (with
TEST_POSTGRES_URL) on PostgreSQL. The bot-level behaviour is the report, card and list tests';
these are the places where a rewritten query could quietly differ (a parameter bound to the
wrong place, a shape's statement reused for another scope)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest
from sqlalchemy import false, or_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm.util import identity_key

from storage.by_id import by_id
from storage.db import Database
from storage.models import (
    Address,
    Building,
    Channel,
    Community,
    Contact,
    CoordinatorScope,
    Membership,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketRecipient,
    TicketStatus,
)
from storage.repositories import PersonRepository
from storage.repositories.candidates import CandidateRepository
from storage.repositories.communities import CommunityRepository
from storage.repositories.people import reach_of
from storage.repositories.ticket_statements import NEWEST_FIRST
from storage.repositories.tickets import (
    OLDEST_FIRST,
    Scope,
    TicketRepository,
    _beyond,
    _by_status,
)
from storage.rows import EventRow, ListedTicket, Reach, RecipientRow, SimilarTicket, StaffRow

S = TicketStatus
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/built.db")
        await db.migrate()
        yield db
        await db.close()
        return
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)")
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def seed(db: Database) -> dict[str, int]:
    """Two communities, three buildings, people in several roles, tickets of several ages,
    states and draft keys (two authors share a draft key)."""
    async with db.session() as session:
        one = Community(name="塘中社区", created_at=NOW)
        two = Community(name="翠湖社区", created_at=NOW)
        session.add_all([one, two])
        await session.flush()
        buildings = [
            Building(community_id=c.id, code=code, name=code, join_token=code, created_at=NOW)
            for c, code in ((one, "A1"), (one, "A2"), (two, "B1"))
        ]
        people = [Person(display_name=f"p{i}", created_at=NOW) for i in range(3)]
        session.add_all([*buildings, *people])
        await session.flush()
        a1, a2, b1 = buildings
        resident, head, other = people
        session.add_all(
            [
                Membership(
                    person_id=resident.id,
                    building_id=a1.id,
                    role=Role.RESIDENT,
                    flat="3-101",
                    since=NOW,
                ),
                Membership(person_id=resident.id, building_id=b1.id, role=Role.RESIDENT, since=NOW),
                Membership(person_id=head.id, building_id=a1.id, role=Role.HEAD, since=NOW),
                Membership(person_id=head.id, building_id=a2.id, role=Role.DEPUTY, since=NOW),
                Membership(person_id=other.id, building_id=a2.id, role=Role.RESIDENT, since=NOW),
            ]
        )
        statuses = [S.NEW, S.TAKEN, S.REOPENED, S.RESOLVED, S.CLOSED]
        number = 0
        cases = product(enumerate(buildings), [resident, other, head])
        for i, ((b, building), author) in enumerate(cases):
            for j, status in enumerate(statuses):
                number += 1
                at = NOW - timedelta(hours=5 * i + 7 * j)
                session.add(
                    Ticket(
                        community_id=building.community_id,
                        number=100 + number,  # not the id: a list shows the number
                        building_id=building.id,
                        author_id=author.id,
                        category=("repairs", "lift")[(i + j) % 3 == 0],
                        status=status,
                        escalated=j % 2 == 0,
                        draft_key=f"d{j}b{b}" if j < 3 else None,
                        created_at=at,
                        updated_at=at,
                    )
                )
        await session.commit()
        return {
            "one": one.id,
            "two": two.id,
            "a1": a1.id,
            "a2": a2.id,
            "b1": b1.id,
            "resident": resident.id,
            "head": head.id,
            "other": other.id,
        }


async def test_the_report_gate_reads_what_its_three_reads_read(database: Database) -> None:
    ids = await seed(database)
    people = [ids["resident"], ids["head"], ids["other"], 999]
    buildings = [ids["a1"], ids["a2"], ids["b1"], 999]
    drafts = [None, "d0b0", "d2b2", "d1b1", "d9"]
    sinces = [NOW - timedelta(days=1), NOW - timedelta(hours=12), NOW + timedelta(hours=1)]
    for person_id, building_id, draft, since in product(people, buildings, drafts, sinces):
        async with database.session() as session:
            tickets = TicketRepository(session)
            gate = await tickets.report_gate(person_id, building_id, draft, since)
        async with database.session() as session:
            tickets = TicketRepository(session)
            membership = await PersonRepository(session).membership(
                person_id, building_id, Role.RESIDENT
            )
            filed = await tickets.by_draft(person_id, draft) if draft else None
            count = await tickets.count_by_author_since(person_id, since)
        case = (person_id, building_id, draft, since)
        assert gate.resident == (membership is not None), case
        if membership is None:
            continue
        assert gate.flat == membership.flat, case
        assert gate.filed_id == (filed.id if filed else None), case
        assert gate.since_count == count, case


async def test_by_id_gives_what_session_get_gives(database: Database) -> None:
    ids = await seed(database)
    wanted = [
        (Ticket, 1),
        (Ticket, 10**6),
        (Person, ids["head"]),
        (Person, 10**6),
        (Community, ids["two"]),
        (Building, ids["b1"]),
        (Building, 10**6),
    ]
    for model, row_id in wanted:
        async with database.session() as session:
            found = await by_id(session, model, row_id)
            again = await by_id(session, model, row_id)  # from the session now
            assert again is found
        async with database.session() as session:
            expected = await session.get(model, row_id)
        assert (found is None) == (expected is None), (model, row_id)
        if found is not None and expected is not None:
            assert found.id == expected.id  # type: ignore[attr-defined]
    async with database.session() as session:
        # An expired copy is read again; a pending new row is flushed before the SELECT that
        # looks for it (autoflush), as ``get`` does.
        ticket = await by_id(session, Ticket, 1)
        assert ticket is not None
        await session.execute(text("UPDATE tickets SET description = 'changed' WHERE id = 1"))
        session.expire(ticket)
        reread = await by_id(session, Ticket, 1)
        assert reread is ticket and reread.description == "changed"
        pending = Person(id=5000, display_name="new", created_at=NOW)
        session.add(pending)
        assert await by_id(session, Person, 5000) is pending


async def test_a_building_with_its_community(database: Database) -> None:
    ids = await seed(database)
    for building_id, community_id in ((ids["a2"], ids["one"]), (ids["b1"], ids["two"])):
        for known in (False, True):
            async with database.session() as session:
                communities = CommunityRepository(session)
                if known:
                    await communities.building(building_id)  # in the session already
                found = await communities.building_and_community(building_id)
                assert found is not None
                building, community = found
                assert (building.id, community.id) == (building_id, community_id)
                assert building is await communities.building(building_id)
                assert community is await communities.get(community_id)
    async with database.session() as session:
        assert await CommunityRepository(session).building_and_community(10**6) is None


async def test_a_buildings_community_to_read_is_the_communitys_id_and_settings(
    database: Database,
) -> None:
    ids = await seed(database)
    async with database.session() as session:
        two = await session.get(Community, ids["two"])
        assert two is not None
        two.settings = {"categories": [{"code": "lift", "private": True}], "sla": {"hours": 4}}
        await session.commit()
    for building_id, community_id in ((ids["a2"], ids["one"]), (ids["b1"], ids["two"])):
        for known in (False, True):
            async with database.session() as session:
                communities = CommunityRepository(session)
                if known:
                    await communities.building(building_id)  # in the session already
                found = await communities.community_of_building(building_id)
                assert found is not None
                # The building is in the session either way (its name is read next, unasked).
                assert session.identity_map.get(identity_key(Building, building_id))
            async with database.session() as session:
                both = await CommunityRepository(session).building_and_community(building_id)
                assert both is not None
                expected = both[1]
            case = (building_id, known)
            assert (found.id, found.settings) == (expected.id, expected.settings), case
            assert found.id == community_id, case
    async with database.session() as session:
        assert await CommunityRepository(session).community_of_building(10**6) is None


async def test_a_buildings_place_is_its_communitys_id_and_settings_and_its_name(
    database: Database,
) -> None:
    """A report's Send reads a row (``place_of_building``) where it loaded the building and
    read its community's id and settings: what the mapped building and community give."""
    ids = await seed(database)
    async with database.session() as session:
        two = await session.get(Community, ids["two"])
        b1 = await session.get(Building, ids["b1"])
        assert two is not None and b1 is not None
        two.settings = {"categories": [{"code": "lift", "private": True}], "sla": {"hours": 4}}
        b1.name = "翠湖 B1 栋"
        await session.commit()
    for building_id in (ids["a1"], ids["a2"], ids["b1"]):
        async with database.session() as session:
            found = await CommunityRepository(session).place_of_building(building_id)
        async with database.session() as session:
            both = await CommunityRepository(session).building_and_community(building_id)
        assert found is not None and both is not None
        building, community = both
        assert found == (community.id, community.settings, building.name), building_id
    assert found == (ids["two"], two.settings, "翠湖 B1 栋")
    async with database.session() as session:
        assert await CommunityRepository(session).place_of_building(10**6) is None


async def test_tickets_count_and_page_are_the_scopes_whatever_the_shape(
    database: Database,
) -> None:
    ids = await seed(database)
    a1, a2, b1, one, two = ids["a1"], ids["a2"], ids["b1"], ids["one"], ids["two"]
    scopes = [
        Scope(0, [a1]),
        Scope(0, [a2]),  # the same shape as the one before, another building
        Scope(0, [b1, a2]),
        Scope(0, [], [two]),
        Scope(0, [a1], [two]),
        Scope(0, [b1], [one]),
        Scope(0, [a1, a1], []),  # a building twice
        Scope(0, [], []),
    ]
    filters = [(S.NEW, S.TAKEN, S.REOPENED), (S.NEW, S.REOPENED), (S.TAKEN,), (S.RESOLVED,)]
    pages = [(0, 2), (2, 2), (0, 20), (5, 3)]
    for scope, statuses, escalated, (offset, limit) in product(
        scopes, filters, (False, True), pages
    ):
        async with database.session() as session:
            tickets = TicketRepository(session)
            count = await tickets.status_count(scope, statuses, escalated)
            page = await tickets.status_page(scope, statuses, escalated, offset, limit)
            where = _by_status(scope, statuses, escalated)
            every = (await session.scalars(select(Ticket).where(*where))).all()
            expected = (
                await session.scalars(
                    select(Ticket).where(*where).order_by(*NEWEST_FIRST).offset(offset).limit(limit)
                )
            ).all()
        case = (scope, statuses, escalated, offset, limit)
        assert count == len(every), case
        assert page == [listed(t) for t in expected], case


def listed(ticket: Ticket) -> ListedTicket:
    """The list's row of a ticket, read from the mapped one (each field by its name)."""
    return ListedTicket(*(getattr(ticket, name) for name in ListedTicket._fields))


async def test_an_all_page_is_the_tickets_the_orm_read(database: Database) -> None:
    ids = await seed(database)
    scopes = [Scope(0, [ids["a1"]]), Scope(0, [ids["b1"]], [ids["one"]]), Scope(0, [], [])]
    cases = product(scopes, (None, 8, 30), (False, True), ((3, 0), (20, 2), (4, 3)))
    for scope, start_id, newer, (limit, skip) in cases:
        async with database.session() as session:
            tickets = TicketRepository(session)
            start = await tickets.position(start_id) if start_id else None
            page = await tickets.all_page(scope, start, newer, limit, skip)
            mine = or_(
                false(),
                Ticket.building_id.in_(scope.building_ids),
                Ticket.community_id.in_(scope.community_ids),
            )
            nearest = (
                select(Ticket)
                .where(mine, *_beyond(start, newer))
                .order_by(*(OLDEST_FIRST if newer else NEWEST_FIRST))
                .offset(skip)
                .limit(limit)
            )
            expected = sorted(
                (await session.scalars(nearest)).all(),
                key=lambda t: (t.created_at, t.id),
                reverse=True,
            )
        assert page == [listed(t) for t in expected], (scope, start_id, newer, limit, skip)


async def seed_history(db: Database, ids: dict[str, int]) -> None:
    """Events of several kinds, data and actors (none: the bot's) on tickets 1 and 2, written
    out of order between them; recipients added out of the order of their ids."""
    data: list[tuple[int, int | None, str, dict[str, Any]]] = [
        (1, ids["resident"], "created", {}),
        (2, None, "routed", {"recipients": [[ids["head"], "head"]], "skipped": []}),
        (1, None, "routed", {"recipients": [[ids["head"], "head"]], "skipped": []}),
        (1, ids["head"], "taken", {}),
        (2, ids["other"], "message", {"text": "楼道灯坏了", "direction": "to-staff"}),
        (1, ids["resident"], "retracted", {"events": [5]}),
    ]
    async with db.session() as session:
        for i, (ticket_id, actor_id, kind, values) in enumerate(data):
            session.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    actor_id=actor_id,
                    kind=kind,
                    data=values,
                    created_at=NOW + timedelta(minutes=i),
                )
            )
        for ticket_id, person_id, reason in (
            (1, ids["head"], "head"),
            (2, ids["other"], "coordinator"),
            (1, ids["other"], "escalation"),
            (1, ids["resident"], "admin"),
        ):
            session.add(
                TicketRecipient(ticket_id=ticket_id, person_id=person_id, reason=reason, since=NOW)
            )
            await session.flush()  # their ids in this order
        await session.commit()


async def test_a_tickets_events_and_recipients_are_the_rows_the_orm_read(
    database: Database,
) -> None:
    ids = await seed(database)
    await seed_history(database, ids)
    for ticket_id in (1, 2, 3, 10**6):
        async with database.session() as session:
            tickets = TicketRepository(session)
            events = await tickets.events(ticket_id)
            recipients = await tickets.recipients(ticket_id)
        async with database.session() as session:
            mapped_events = (
                await session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket_id)
                    .order_by(TicketEvent.id)
                )
            ).all()
            mapped_recipients = (
                await session.scalars(
                    select(TicketRecipient)
                    .where(TicketRecipient.ticket_id == ticket_id)
                    .order_by(TicketRecipient.id)
                )
            ).all()
        assert events == [
            EventRow(*(getattr(e, name) for name in EventRow._fields)) for e in mapped_events
        ], ticket_id
        assert recipients == [RecipientRow(r.person_id, r.reason) for r in mapped_recipients], (
            ticket_id
        )
    async with database.session() as session:
        # What the unit of work added and has not written yet is read too (autoflush), as
        # the ORM read did: an event added just before, a recipient of a routed ticket.
        tickets = TicketRepository(session)
        await tickets.add_event(3, ids["head"], "note", NOW, text="稍后处理")
        tickets.add_new_recipient(3, ids["head"], "head", NOW)
        assert [(e.kind, e.data) for e in await tickets.events(3)] == [
            ("note", {"text": "稍后处理"})
        ]
        assert await tickets.recipients(3) == [RecipientRow(ids["head"], "head")]


async def test_a_transition_changes_only_an_expected_state_and_refreshes_the_copy(
    database: Database,
) -> None:
    await seed(database)
    later = NOW + timedelta(hours=1)
    cases: list[
        tuple[int, list[TicketStatus], dict[str, Any]]
    ] = [  # ticket (its status: NEW, TAKEN, REOPENED, RESOLVED, CLOSED by turn), expected
        (1, [S.NEW, S.REOPENED], {"status": S.TAKEN, "holder_id": 2, "taken_at": later}),
        (2, [S.NEW, S.REOPENED], {"status": S.TAKEN, "holder_id": 2, "taken_at": later}),
        (3, [S.NEW, S.REOPENED], {"status": S.TAKEN, "holder_id": 3, "taken_at": later}),
        (2, [S.TAKEN], {"status": S.RESOLVED, "resolved_at": later}),
        (4, [S.TAKEN], {"status": S.RESOLVED, "resolved_at": later}),
        (5, [S.NEW, S.TAKEN, S.REOPENED], {"status": S.WITHDRAWN, "closed_at": later}),
        (7, [S.TAKEN], {"status": S.NEW, "holder_id": None, "taken_at": None}),
    ]
    for ticket_id, expected, values in cases:
        async with database.session() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            before = ticket.status
            changed = await TicketRepository(session).transition(
                ticket_id, expected, later, **values
            )
            assert changed == (before in expected), (ticket_id, before, expected)
            # The session's copy is the row as it is now, without another read.
            want = {"updated_at": later, **values} if changed else {"status": before}
            assert {k: getattr(ticket, k) for k in want} == want, ticket_id
            await session.commit()
        async with database.session() as session:
            stored = await session.get(Ticket, ticket_id)
            assert stored is not None
            assert {k: getattr(stored, k) for k in want} == want, ticket_id


async def test_a_similar_open_ticket_is_the_one_the_orm_read(database: Database) -> None:
    ids = await seed(database)
    buildings = [ids["a1"], ids["a2"], ids["b1"], 999]
    categories = ["repairs", "lift", "noise"]
    sinces = [NOW - timedelta(days=3), NOW - timedelta(hours=20), NOW - timedelta(hours=6)]
    states = [(S.NEW, S.TAKEN, S.REOPENED), (S.NEW,), (S.RESOLVED, S.TAKEN), (S.CLOSED, S.NEW)]
    found = 0
    for building_id, category, since, statuses in product(buildings, categories, sinces, states):
        async with database.session() as session:
            similar = await TicketRepository(session).similar_open(
                building_id, category, since, statuses
            )
            expected = await session.scalar(
                select(Ticket)
                .where(
                    Ticket.building_id == building_id,
                    Ticket.category == category,
                    Ticket.created_at >= since,
                    Ticket.status.in_(statuses),
                )
                .order_by(Ticket.created_at.desc())
                .limit(1)
            )
        case = (building_id, category, since, statuses)
        if expected is None:
            assert similar is None, case
            continue
        found += 1
        assert similar == SimilarTicket(
            *(getattr(expected, name) for name in SimilarTicket._fields)
        ), case
    assert found > 10  # the table has cases with a ticket, not only without


async def test_routing_candidates_are_the_people_the_orm_reads_gave(database: Database) -> None:
    """``CandidateRepository.of`` (one statement of rows) against the three reads of mapped
    people it replaced at every report's Send: the heads and deputies (heads first, then by
    seniority), the building's and the community's coordinators, and the people reached at the
    administrators' chats (in the chats' order, each once); each with whether they are away or
    unreachable and where a card to them goes (the contact used last that delivers)."""
    ids = await seed(database)
    tg = Channel.TELEGRAM
    async with database.session() as session:
        extra = [
            Person(
                display_name=f"c{i}",
                language=("en", None)[i % 2],
                away_until=NOW + timedelta(days=1) if i == 1 else None,
                unreachable_since=NOW if i == 2 else None,
                created_at=NOW,
            )
            for i in range(4)
        ]
        session.add_all(extra)
        await session.flush()
        own, whole, both, admin = (p.id for p in extra)
        head, other, resident = ids["head"], ids["other"], ids["resident"]
        session.add_all(
            [
                # A second head of A1, a deputy of A1 senior to both, and the head twice in A2.
                Membership(person_id=own, building_id=ids["a1"], role=Role.HEAD, since=NOW),
                Membership(
                    person_id=other,
                    building_id=ids["a1"],
                    role=Role.DEPUTY,
                    since=NOW - timedelta(days=9),
                ),
                Membership(person_id=head, building_id=ids["a2"], role=Role.HEAD, since=NOW),
                *(
                    CoordinatorScope(
                        person_id=person_id, community_id=community, building_id=building, since=NOW
                    )
                    for person_id, community, building in (
                        (own, ids["one"], ids["a1"]),
                        (whole, ids["one"], None),
                        (both, ids["one"], ids["a1"]),
                        (both, ids["one"], None),
                        (both, ids["two"], ids["b1"]),
                        (admin, ids["two"], None),
                    )
                ),
            ]
        )
        hour = timedelta(hours=1)
        for n, (person_id, channel, address, push, used) in enumerate(
            (
                (head, tg, "1002", None, NOW - hour),
                (head, Channel.WEB, "w-head", None, NOW),  # no push: reaches nobody
                (head, "wechat", "wx-head", None, NOW - hour / 2),  # used last of those that do
                (resident, tg, "1001", None, NOW),
                (other, tg, "1003", None, NOW),
                (own, Channel.WEB, "w-own", {"endpoint": "e"}, NOW),
                (admin, tg, "9001", None, NOW - hour),
                (admin, tg, "9002", None, NOW),  # the same administrator's second chat
                (admin, "wechat", "9003", None, NOW),  # an administrator's id elsewhere: not one
                (both, tg, "1005", None, NOW),
                (both, "wechat", "wx-both", None, NOW),  # the same time: the newer contact
            )
        ):
            session.add(
                Contact(
                    person_id=person_id,
                    channel=channel,
                    address=address,
                    push=push,
                    last_used_at=used,
                    created_at=NOW + timedelta(seconds=n),
                )
            )
        await session.commit()
    chat_lists: tuple[list[str], ...] = (
        [],
        ["9001"],
        ["9002", "1003", "9001", "77"],
        ["9003", "1002", "1005"],
    )
    places = [(ids["one"], ids["a1"]), (ids["one"], ids["a2"]), (ids["two"], ids["b1"])]
    for (community, building), chats in product(places, chat_lists):
        async with database.session() as session:
            found = await CandidateRepository(session).of(community, building, chats)
        async with database.session() as session:
            tickets, people = TicketRepository(session), PersonRepository(session)
            heads = await tickets.heads_and_deputies(building)
            own_ones = await tickets.coordinators(community, building)
            whole_ones = await tickets.coordinators(community, None)
            admins: list[Person] = []
            for chat in chats:  # as admin_people reads them
                person = await people.by_contact(tg, chat)
                if person is not None and all(person.id != a.id for a in admins):
                    admins.append(person)

        def staff(p: Person) -> StaffRow:
            return StaffRow(p.id, p.away_until, p.unreachable_since, reach_of(p))

        assert found.heads == [(staff(p), role) for p, role in heads], (building, chats)
        assert found.own == [staff(p) for p in own_ones], (building, chats)
        assert found.whole == [staff(p) for p in whole_ones], (building, chats)
        assert found.admins == [staff(p) for p in admins], (building, chats)
    async with database.session() as session:
        found = await CandidateRepository(session).of(ids["one"], ids["a1"], ["9002", "9001"])
    assert [(p.id, role) for p, role in found.heads] == [
        (head, Role.HEAD),  # heads at the same time: by id
        (own, Role.HEAD),
        (other, Role.DEPUTY),  # a deputy after the heads, however senior
    ]
    assert [p.reach.address for p, _ in found.heads][:2] == [
        Address("wechat", "wx-head"),
        Address(Channel.WEB, "w-own"),
    ]
    assert [p.id for p in found.admins] == [admin]
    assert [p.reach for p in found.own] == [
        Reach(own, "en", Address(Channel.WEB, "w-own")),
        Reach(both, "en", Address("wechat", "wx-both")),
    ]
    assert [p.reach for p in found.whole] == [
        Reach(whole, None, None),
        Reach(both, "en", Address("wechat", "wx-both")),
    ]
