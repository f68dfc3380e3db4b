"""When delivery is behind, which chats go first (storage.models.Urgency): a head's card for a
new report goes before a notice's copies to the rest of the community, and a vote's copies to a
whole building go after other news; every chat still gets its messages in the order they were
written. Migration 0030 adds the column, a notice's pending copies going last from the start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from storage.db import Database
from storage.models import OutboxMessage, Urgency
from telegram.delivery import TelegramDelivery
from tests.botclient import Sent
from tests.test_contacts_migration import _downgrade_to, _upgrade_to
from tests.test_contacts_migration import pg_url as pg_url_fixture
from tests.test_notices import write
from tests.test_privacy import report_through_the_chat
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture
from tests.test_votes import FOURTH, THIRD, open_lift_vote, the_vote
from tests.test_votes import owners as owners_fixture

client, town, pg_url, owners = client_fixture, town_fixture, pg_url_fixture, owners_fixture


async def one_row_a_pass(town: Town) -> list[Sent]:
    """Delivers what is pending one row per pass, as a worker far behind takes the first
    rows of a long queue: the order of the sends is the order of the claims."""
    world = town.world
    worker = TelegramDelivery(
        town.client.bot,
        town.db,
        world.clock,
        cards=world.services.ticket_cards,
        notices=world.services.notice_copies,
        batch=1,
    )
    requests = town.client.session.requests
    before = len(requests)
    while await worker.run_once():
        pass
    return [Sent(m) for m in requests[before:]]


def _what(sent: Sent) -> str:
    text = sent.text or ""
    return "notice" if text.startswith("📢") else "card" if "#1" in text.split("\n")[0] else text


async def test_a_new_reports_card_goes_before_a_notice_to_everyone(town: Town) -> None:
    # The office's notice to both buildings is still waiting (five copies: heads and residents
    # alike) when a resident reports the lift.
    await write(town, OFFICE, buildings=("塘中新村1栋", "翠湖苑1座"))
    await report_through_the_chat(town, NEIGHBOUR, "🔧 Repairs", "Lift stuck on floor 3")

    sent = [(int(s.chat_id), _what(s)) for s in await one_row_a_pass(town)]
    # The head and the deputy, who must act, come first; in their own chats the notice they
    # were sent earlier still comes before the card.
    first = sent[:4]
    assert {chat for chat, _ in first} == {HEAD, DEPUTY}
    for chat in (HEAD, DEPUTY):
        assert [what for c, what in first if c == chat] == ["notice", "card"]
    # Then the rest of the notice.
    assert sorted(sent[4:]) == sorted(
        [(RESIDENT, "notice"), (NEIGHBOUR, "notice"), (STRANGER, "notice")]
    )


async def test_an_urgent_notice_goes_before_one_that_is_not(town: Town) -> None:
    await write(town, OFFICE, buildings=("翠湖苑1座",))  # the stranger's building, not urgent
    await write(
        town, OFFICE, "Burst pipe: keep off the stairs", buildings=("塘中新村1栋",), urgent=True
    )
    sent = [int(s.chat_id) for s in await one_row_a_pass(town)]
    assert set(sent[:4]) == {HEAD, DEPUTY, RESIDENT, NEIGHBOUR}
    assert sent[4:] == [STRANGER]


async def test_a_vote_to_the_whole_building_goes_after_other_news(owners: Town) -> None:
    town = owners
    # The head opens a vote: its four owners' copies are still waiting when the office warns
    # the other building of a burst pipe.
    await open_lift_vote(town)
    await write(
        town, OFFICE, "Burst pipe: keep off the stairs", buildings=("翠湖苑1座",), urgent=True
    )

    sent = [int(s.chat_id) for s in await one_row_a_pass(town)]
    assert sent[0] == STRANGER
    assert sorted(sent[1:]) == sorted([RESIDENT, NEIGHBOUR, THIRD, FOURTH])

    # The result: the building's copies after other news, the organiser's (who acts on it)
    # with it.
    town.world.clock.now = (await the_vote(town)).deadline + timedelta(minutes=1)
    assert await town.world.services.votes.run() == 5
    async with town.db.session() as session:
        query = select(OutboxMessage.address, OutboxMessage.urgency).order_by(OutboxMessage.id)
        rows = (await session.execute(query)).all()
    pending = {int(address): urgency for address, urgency in rows[-5:]}
    assert pending == {
        HEAD: Urgency.TELL,
        RESIDENT: Urgency.BULK,
        NEIGHBOUR: Urgency.BULK,
        THIRD: Urgency.BULK,
        FOURTH: Urgency.BULK,
    }


# ---------------------------------------------------------------------------- migration 0030

COMMUNITY = (
    "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at) "
    "VALUES (1, 'C', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00')"
)
NOTICE = (
    "INSERT INTO notices (id, community_id, author_id, building_ids, text, photos, urgent, "
    "status, send_at, recipients, created_at) VALUES (:id, 1, NULL, '[1]', 'Water', '[]', "
    ":urgent, 'released', '2026-12-01 00:00:00', 2, '2026-12-01 00:00:00')"
)
ROW = (
    "INSERT INTO outbox (id, channel, address, kind, payload, notice_id, status, attempts, "
    "not_before, created_at) VALUES (:id, 'telegram', :address, :kind, '{}', :notice, :status, "
    "0, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
)
ROWS = [
    {"id": 1, "address": "7", "kind": "notice", "notice": 1, "status": "pending"},
    {"id": 2, "address": "8", "kind": "notice", "notice": 1, "status": "sent"},
    {"id": 3, "address": "7", "kind": "card", "notice": None, "status": "pending"},
    {"id": 4, "address": "9", "kind": "notice", "notice": 2, "status": "pending"},  # urgent
]


async def _check_migration(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0029"))  # type: ignore[arg-type]
        await connection.execute(text(COMMUNITY))
        await connection.execute(text(NOTICE), {"id": 1, "urgent": False})
        await connection.execute(text(NOTICE), {"id": 2, "urgent": True})
        for row in ROWS:
            await connection.execute(text(ROW), row)
    await db.migrate()
    async with db.engine.connect() as connection:
        found = (await connection.execute(text("SELECT id, urgency FROM outbox ORDER BY id"))).all()
    # The pending copy of a notice that is not urgent goes last; one already sent, an urgent
    # notice's and everything else go by age.
    assert [tuple(r) for r in found] == [
        (1, Urgency.BULK),
        (2, Urgency.TELL),
        (3, Urgency.TELL),
        (4, Urgency.TELL),
    ]
    async with db.engine.begin() as connection:
        await connection.run_sync(_downgrade_to("0029"))  # type: ignore[arg-type]
        columns = await connection.execute(text("SELECT * FROM outbox"))
        assert "urgency" not in list(columns.keys())
        assert await connection.scalar(text("SELECT count(*) FROM outbox")) == len(ROWS)


async def test_migration_0030_up_and_down_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check_migration(db)
    finally:
        await db.close()


async def test_migration_0030_up_and_down_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await _check_migration(db)
    finally:
        await db.close()
