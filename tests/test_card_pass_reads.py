"""The delivery pass's merged statements (issue 11: statements per card) read what the reads
they replaced read, on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL: where a pass's cards
stand (the newest pending card row, the card the chat has) against ``last_pending_card`` and
``card_message``; the tickets with their followers, newest work order and last reopening
against the ticket and its ``CardSideRepository`` side; the readers with the administrators
marked against ``get_many`` and their contacts; the claim's one statement for a chat's run
against the chats' first rows and pending rows read apart; and the claim itself, an UPDATE
that reads back what it took, takes nothing another worker holds. The bot-level behaviour (the
cards each reader gets, privacy) is tests/test_delivery_statements.py's and the card tests'."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import product

from sqlalchemy import func, select

from storage.db import Database
from storage.models import (
    Address,
    Building,
    Channel,
    Community,
    Contact,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    TicketEvent,
    TicketFollower,
    TicketMessage,
    WorkOrder,
)
from storage.repositories import OutboxRepository, PersonRepository
from storage.repositories.card_pass import CardPassRepository
from storage.repositories.card_side import CardSideRepository
from storage.repositories.tickets import TicketRepository
from storage.repositories.work_orders import WorkOrderRepository
from storage.rows import OrderRow
from tests.test_built_statements import NOW, database, seed

__all__ = ["database"]

TG = Channel.TELEGRAM
CHATS = [Address(TG, "501"), Address(TG, "502"), Address(TG, "503"), Address("wechat", "501")]


async def cards_in_chats(db: Database) -> None:
    """Card rows of tickets 1-4 in the chats (pending, sent, several of one card, other kinds),
    and the cards and relayed messages the chats already have (several cards of one ticket in
    one chat: the newest counts)."""
    async with db.session() as session:
        for n, (ticket_id, to, status, kind) in enumerate(
            product(
                (1, 2, 3, 4),
                CHATS[:3],
                (OutboxStatus.PENDING, OutboxStatus.SENT),
                (OutboxKind.CARD, OutboxKind.TEXT),
            )
        ):
            if (ticket_id + n) % 3 == 0:
                continue  # some pairs have none
            for _ in range(1 + n % 2):
                session.add(
                    OutboxMessage(
                        channel=to.channel,
                        address=to.address,
                        kind=kind,
                        payload={},
                        ticket_id=ticket_id,
                        status=status,
                        attempts=0,
                        not_before=NOW,
                        created_at=NOW,
                    )
                )
        refs = [
            (1, CHATS[0], "11", "card"),
            (1, CHATS[0], "9", "card"),  # newer (a higher id), though a lower reference
            (1, CHATS[1], "12", "relay"),
            (2, CHATS[1], "13", "card"),
            (2, CHATS[3], "14", "card"),  # the same address in another channel
            (3, CHATS[2], "15", "relay"),
            (4, CHATS[0], "16", "card"),
        ]
        for ticket_id, to, ref, message_kind in refs:
            session.add(
                TicketMessage(
                    ticket_id=ticket_id,
                    channel=to.channel,
                    address=to.address,
                    message_ref=ref,
                    kind=message_kind,
                )
            )
        await session.commit()


async def test_where_a_passs_cards_stand_is_what_each_cards_two_reads_say(
    database: Database,
) -> None:
    await seed(database)
    await cards_in_chats(database)
    everything = list(product((1, 2, 3, 4, 5, 10**6), CHATS))
    for wanted in (everything, everything[::3], everything[1::5], [(1, CHATS[1])]):
        async with database.session() as session:
            stand = await CardPassRepository(session).stand(wanted)
        async with database.session() as session:
            outbox, tickets = OutboxRepository(session), TicketRepository(session)
            upto = {pair: await outbox.last_pending_card(*pair) for pair in wanted}
            refs = {pair: await tickets.card_message(*pair) for pair in wanted}
        assert stand.upto == {pair: n for pair, n in upto.items() if n is not None}
        assert stand.refs == {pair: ref for pair, ref in refs.items() if ref is not None}
    assert stand.refs == {}  # ticket 1 has no card (only a relayed message) at 502
    async with database.session() as session:
        empty = await CardPassRepository(session).stand([])
    assert (empty.upto, empty.refs) == ({}, {})


async def sides(database: Database) -> dict[str, int]:
    """``seed``, and what cards show beside tickets 1-4: followers of three, work orders of
    three (the newest is the latest forwarded, not the highest id; two at the same time: the
    higher id; one answered), reopenings of two among other events."""
    ids = await seed(database)
    people = [ids["resident"], ids["head"], ids["other"]]
    async with database.session() as session:
        for ticket_id in (1, 2, 3):  # followers of three tickets, none of the others
            session.add_all(
                TicketFollower(ticket_id=ticket_id, person_id=p, since=NOW)
                for p in people[:ticket_id]
            )
        # Work orders: the newest is the latest forwarded (not the highest id); two at the
        # same time: the higher id.
        for n, (ticket_id, hours) in enumerate(((2, 5), (2, 9), (2, 1), (3, 4), (3, 4), (4, 0))):
            session.add(
                WorkOrder(
                    community_id=ids["one"],
                    ticket_id=ticket_id,
                    reference=f"r{n}",
                    department="power",
                    department_names={"en": "Power", "zh-CN": "供电"} if n % 2 == 0 else {},
                    forwarded_at=NOW - timedelta(hours=hours),
                    door=TG,
                    answered_at=NOW - timedelta(hours=hours / 2) if ticket_id == 3 else None,
                    answer="fixed" if ticket_id == 3 else None,
                )
            )
        for ticket_id, kind, note in (
            (2, "reopened", "first"),
            (2, "reopened", "again"),
            (2, "resolved", ""),
            (3, "resolved", ""),
            (4, "reopened", "once"),
        ):
            session.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    actor_id=None,
                    kind=kind,
                    data={"note": note},
                    created_at=NOW,
                )
            )
        one = await session.get(Community, ids["one"])
        assert one is not None
        one.timezone, one.settings = "Asia/Urumqi", {"categories": [{"code": "power"}]}
        await session.commit()
    return ids


async def test_the_tickets_of_a_pass_with_their_sides_are_each_tickets_side(
    database: Database,
) -> None:
    await sides(database)
    for wanted in ([1, 2, 3, 4, 5, 10**6], [3], [10**6], []):
        async with database.session() as session:
            shown = await CardPassRepository(session).tickets(wanted)
        assert set(shown) == {i for i in wanted if i != 10**6}
        for ticket_id, side in shown.items():
            async with database.session() as session:
                ticket = await TicketRepository(session).get(ticket_id)
                assert ticket is not None
                alone = await CardSideRepository(session).of(ticket, reopened=True)
            assert side.ticket.id == ticket.id and side.ticket.status == ticket.status
            assert side.followers == alone.followers, ticket_id
            assert (side.order and side.order.id) == (alone.order and alone.order.id), ticket_id
            assert (side.reopened and side.reopened.id) == (alone.reopened and alone.reopened.id), (
                ticket_id
            )
    async with database.session() as session:
        shown = await CardPassRepository(session).tickets([2, 3])
    assert shown[2].order is not None and shown[2].order.reference == "r2"
    assert shown[3].order is not None and shown[3].order.reference == "r4"
    assert shown[2].reopened is not None and shown[2].reopened.data == {"note": "again"}
    assert [shown[2].followers, shown[3].followers] == [2, 3]


async def test_a_cards_side_is_what_the_mapped_objects_it_read_gave(database: Database) -> None:
    """``CardSideRepository.of`` reads rows (a card only reads them): the community, the
    building, the followers counted, the newest work order and the last reopening are what
    the mapped objects it loaded before gave, with and without the reopening asked for."""
    await sides(database)
    for ticket_id, reopened in product((1, 2, 3, 4, 5), (True, False)):
        async with database.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            assert ticket is not None
            side = await CardSideRepository(session).of(ticket, reopened=reopened)
        async with database.session() as session:
            community = await session.get(Community, ticket.community_id)
            building = await session.get(Building, ticket.building_id)
            followers = await session.scalar(
                select(func.count()).where(TicketFollower.ticket_id == ticket_id)
            )
            order = await WorkOrderRepository(session).latest(ticket_id)
            event = await session.scalar(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "reopened")
                .order_by(TicketEvent.id.desc())
                .limit(1)
            )
        assert community is not None and building is not None
        assert side.community == (community.name, community.timezone, community.settings)
        assert side.building == (building.name,)
        assert side.followers == followers
        assert side.order == (order and tuple(getattr(order, f) for f in OrderRow._fields))
        assert side.reopened == (event and reopened and (event.id, event.data) or None)
    assert side.community.timezone == "Asia/Urumqi"  # not the default: read, not assumed
    async with database.session() as session:
        ticket = await TicketRepository(session).get(3)
        assert ticket is not None
        side = await CardSideRepository(session).of(ticket, reopened=True)
    assert side.order is not None and (side.order.reference, side.order.answer) == ("r4", "fixed")
    assert side.order.answered_at == NOW - timedelta(hours=2)
    assert side.order.department_names == {"en": "Power", "zh-CN": "供电"}


async def test_readers_with_the_administrators_marked_are_get_many_and_their_contacts(
    database: Database,
) -> None:
    ids = await seed(database)
    resident, head, other = ids["resident"], ids["head"], ids["other"]
    async with database.session() as session:
        for person_id, channel, address in (
            (resident, TG, "1001"),
            (head, TG, "1002"),
            (head, "wechat", "1001"),  # an administrator's id in another channel: not one
            (other, TG, "1003"),
        ):
            session.add(
                Contact(
                    person_id=person_id,
                    channel=channel,
                    address=address,
                    last_used_at=NOW,
                    created_at=NOW,
                )
            )
        await session.commit()
    everyone = [resident, head, other, 10**6]
    for wanted, admins in product(
        (everyone, [head], [10**6], []), (["1001"], ["1001", "1003"], ["9"], [])
    ):
        async with database.session() as session:
            found, marked = await PersonRepository(session).get_many_marked(wanted, TG, admins)
            names = {i: p.display_name for i, p in found.items()}
        async with database.session() as session:
            expected = await PersonRepository(session).get_many(wanted, contacts=True)
            reached = {
                i
                for i, person in expected.items()
                if any(c.channel == TG and c.address in admins for c in person.contacts)
            }
        assert names == {i: p.display_name for i, p in expected.items()}, (wanted, admins)
        assert marked == reached, (wanted, admins)


async def queue(db: Database) -> list[int]:
    """Rows to eight chats: several each, some not due yet, one held by another worker, cards
    of one ticket twice in a chat, urgencies that put later chats first."""
    rows = []
    async with db.session() as session:
        for chat in range(8):
            for n in range(chat % 4 + 1):
                row = OutboxMessage(
                    channel=TG if chat != 5 else "wechat",
                    address=str(700 + chat),
                    kind=OutboxKind.CARD if chat == 6 else OutboxKind.TEXT,
                    payload={},
                    ticket_id=1 if chat == 6 else None,
                    status=OutboxStatus.SENT if (chat, n) == (3, 0) else OutboxStatus.PENDING,
                    attempts=0,
                    not_before=NOW + timedelta(minutes=5 if (chat, n) in ((2, 1), (4, 0)) else 0),
                    claimed_until=NOW + timedelta(minutes=1) if (chat, n) == (7, 2) else None,
                    claim_token="other" if (chat, n) == (7, 2) else None,
                    created_at=NOW,
                    urgency=3 - chat % 3,
                )
                session.add(row)
                rows.append(row)
        await session.commit()
        return [row.id for row in rows]


async def runs_read_apart(
    db: Database, limit: int, channels: Sequence[str] | None, per_chat: int
) -> list[int]:
    """What ``due`` takes, from the chats' first rows (``per_chat=1``) and each chat's pending
    rows read on their own (``pending_for``), the rest as ``due`` documents it."""
    async with db.session() as session:
        outbox = OutboxRepository(session)
        firsts = await outbox.due(NOW, limit, channels)
        taken: list[int] = []
        for first in firsts:
            cards: set[int | None] = set()
            for row in list(await outbox.pending_for(first.to))[:per_chat]:
                if (
                    len(taken) == limit
                    or row.not_before > NOW
                    or (row.claimed_until is not None and row.claimed_until >= NOW)
                    or (row.kind == OutboxKind.CARD and row.ticket_id in cards)
                ):
                    break
                if row.kind == OutboxKind.CARD:
                    cards.add(row.ticket_id)
                taken.append(row.id)
        return taken


async def test_a_claims_runs_in_one_statement_are_the_first_rows_and_the_chats_rows(
    database: Database,
) -> None:
    await seed(database)
    await queue(database)
    sizes = []
    for limit, channels, per_chat in product((1, 3, 50), (None, [TG], ["wechat"]), (2, 3, 5)):
        async with database.session() as session:
            rows = await OutboxRepository(session).due(NOW, limit, channels, per_chat=per_chat)
            taken = [row.id for row in rows]
        case = (limit, channels, per_chat)
        assert taken == await runs_read_apart(database, limit, channels, per_chat), case
        sizes.append(len(taken))
    assert max(sizes) > 8  # several rows of several chats


async def test_a_claim_takes_no_row_another_worker_took_after_it_looked(
    database: Database,
) -> None:
    """The claim reads back only what its UPDATE took: a row another worker claimed between
    this claim's look (``due``) and its UPDATE is neither returned nor taken from them, and
    the rest of that chat's run is let go (it must not go before that row)."""
    await seed(database)
    await queue(database)
    async with database.session() as session:
        due = await OutboxRepository(session).due(NOW, 50, per_chat=3)
        looked = [row.id for row in due]
        # The first row of a chat with a run of several (after another chat's, before others).
        first = next(row for row in due[1:] if sum(r.to == row.to for r in due) > 1)
        chat = first.address
        first.claimed_until, first.claim_token = NOW + timedelta(minutes=1), "other"
        await session.commit()
    async with database.session() as session:
        outbox = OutboxRepository(session)

        async def as_looked(*_args: object, **_kwargs: object) -> list[OutboxMessage]:
            query = select(OutboxMessage).where(OutboxMessage.id.in_(looked))
            found = {row.id: row for row in await session.scalars(query)}
            return [found[i] for i in looked]

        outbox.due = as_looked  # type: ignore[method-assign]
        kept = await outbox.claim_due(NOW, 50, "mine", NOW + timedelta(minutes=1), per_chat=3)
        await session.commit()
    async with database.session() as session:
        rows = {
            row.id: row
            for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(looked))
            )
        }
    in_chat = {i for i in looked if rows[i].address == chat}
    assert len(in_chat) > 1 and len(looked) > len(in_chat)
    assert [row.id for row in kept] == [i for i in looked if i not in in_chat]
    assert all(row.claim_token == "mine" for row in kept)
    assert rows[first.id].claim_token == "other"  # still theirs
    assert all(rows[i].claim_token is None for i in in_chat - {first.id})  # let go
    assert {i for i, row in rows.items() if row.claim_token == "mine"} == {r.id for r in kept}


async def test_a_passs_messages_are_remembered_once_and_a_known_one_is_left_as_it_is(
    database: Database,
) -> None:
    await seed(database)
    await cards_in_chats(database)
    new = [
        (2, CHATS[0], "11", "card"),  # ticket 1's card there already: left as it is
        (2, CHATS[0], "21", "card"),
        (3, CHATS[0], "21", "relay"),  # the same message twice in the pass: the first kept
        (3, CHATS[3], "11", "card"),  # the same reference in another channel: another one
    ]
    async with database.session() as session:
        await TicketRepository(session).remember_messages(new)
        await session.commit()
    async with database.session() as session:
        rows = await session.execute(
            select(
                TicketMessage.ticket_id,
                TicketMessage.channel,
                TicketMessage.address,
                TicketMessage.message_ref,
                TicketMessage.kind,
            ).where(TicketMessage.message_ref.in_(["11", "21"]))
        )
        found = {(c, a, r): (t, k) for t, c, a, r, k in rows}
    assert found == {
        (TG, "501", "11"): (1, "card"),
        (TG, "501", "21"): (2, "card"),
        ("wechat", "501", "11"): (3, "card"),
    }
