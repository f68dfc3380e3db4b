"""Migration 0021: the bot's messages that belong to a ticket are kept as a door names them
(channel, address, message_ref), no longer as Telegram's chat_id and message_id. The rows there
were are Telegram's: after the upgrade a reply to a card or relayed message sent before it still
finds its ticket, and the card is still edited in place. On PostgreSQL too when
TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from storage.models import (
    Address,
    Channel,
    Person,
    Ticket,
    TicketStatus,
    telegram_address,
)
from storage.repositories.tickets import TicketRepository
from tests.test_contacts_migration import _downgrade_to, _upgrade_to, pg_url  # noqa: F401

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
BIG = 9007199254740993  # more than a double holds: the text keeps every digit


async def _old_rows(db: Database) -> int:
    """The schema before 0021, with a ticket, its card in one chat and a relayed message in
    another."""
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0020"))  # type: ignore[arg-type]
    async with db.session() as session:
        # Written as 0020 had them: today's Community and Building have columns 0020 has not
        # (0028's estate, 0029's digest lease).
        await session.execute(
            text(
                "INSERT INTO communities (name, timezone, settings, ticket_seq, created_at)"
                " VALUES ('C', 'Asia/Shanghai', '{}', 1, :now)"
            ),
            {"now": NOW},
        )
        community_id = await session.scalar(text("SELECT id FROM communities WHERE name = 'C'"))
        await session.execute(
            text(
                "INSERT INTO buildings (community_id, code, name, address, join_token, created_at)"
                " VALUES (:c, 'A1', 'A1', '', 'tok', :now)"
            ),
            {"c": community_id, "now": NOW},
        )
        building_id = await session.scalar(text("SELECT id FROM buildings WHERE code = 'A1'"))
        author = Person(display_name="Resident", created_at=NOW)
        session.add(author)
        await session.flush()
        ticket = Ticket(
            community_id=community_id,
            number=1,
            building_id=building_id,
            author_id=author.id,
            category="repairs",
            status=TicketStatus.NEW,
            description="lift",
            media=[],
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(ticket)
        await session.commit()
        ticket_id = ticket.id
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO ticket_messages (ticket_id, chat_id, message_id, kind) "
                f"VALUES (:t, {BIG}, 41, 'card'), (:t, 100, 42, 'relay')"
            ),
            {"t": ticket_id},
        )
    return ticket_id


async def _check_migration(db: Database) -> None:
    ticket_id = await _old_rows(db)
    await db.migrate()
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT channel, address, message_ref, kind FROM ticket_messages ORDER BY id")
        )
        assert [tuple(r) for r in rows] == [
            ("telegram", str(BIG), "41", "card"),
            ("telegram", "100", "42", "relay"),
        ]
    async with db.session() as session:
        tickets = TicketRepository(session)
        assert await tickets.ticket_of_message(telegram_address(100), "42") == ticket_id
        assert await tickets.card_message(ticket_id, telegram_address(BIG)) == "41"
        # Another door's message with the same numbers is another message.
        wechat = Address(Channel.WECHAT, "100")
        assert await tickets.ticket_of_message(wechat, "42") is None
        await tickets.remember_message(ticket_id, wechat, "42", "relay")
        await tickets.remember_message(ticket_id, telegram_address(100), "42", "relay")  # known
        await session.commit()
    async with db.engine.connect() as connection:
        count = await connection.execute(text("SELECT count(*) FROM ticket_messages"))
        assert count.scalar() == 3
    # And back: Telegram's rows return to their numbers; no other door had a place there.
    async with db.engine.begin() as connection:
        await connection.run_sync(_downgrade_to("0020"))  # type: ignore[arg-type]
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT chat_id, message_id, kind FROM ticket_messages ORDER BY id")
        )
        assert [tuple(r) for r in rows] == [(BIG, 41, "card"), (100, 42, "relay")]


async def test_telegram_messages_before_the_upgrade_keep_their_tickets_on_sqlite(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check_migration(db)
    finally:
        await db.close()


async def test_telegram_messages_before_the_upgrade_keep_their_tickets_on_postgres(
    pg_url: str,  # noqa: F811
) -> None:
    db = Database(pg_url)
    try:
        await _check_migration(db)
    finally:
        await db.close()
