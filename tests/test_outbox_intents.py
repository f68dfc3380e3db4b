"""The outbox records what is meant (a kind and its payload) for an address in a channel:
migration 0010 turns the old Bot API methods and chat ids into kinds and addresses, the writer
applies each channel's length rule, and each recipient's rows leave in order."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from storage.models import Address, OutboxKind, telegram_address
from storage.repositories import OutboxRepository
from tests.conftest import FakeClock
from tests.test_contacts_migration import _upgrade_to
from tests.test_contacts_migration import pg_url as pg_url_fixture

pg_url = pg_url_fixture
PG_URL = os.environ.get("TEST_POSTGRES_URL")
WEB = Address("web", "device-1")

OLD_ROWS = [
    ("sendMessage", '{"text": "hi"}', "text"),
    ("sendPhoto", '{"photo": "AgAD", "caption": "#1"}', "media"),
    ("sendVoice", '{"voice": "AwAD", "caption": "#1"}', "media"),
    ("sendPhoto", '{"photo_png": "iVBOR", "caption": "digest"}', "chart"),
    ("sendLocation", '{"latitude": 23.0, "longitude": 113.1}', "location"),
    ("card", "{}", "card"),
    ("join_card", '{"request_id": 3}', "join_card"),
]


async def _check(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0009"))  # type: ignore[arg-type]
        for number, (method, payload, _) in enumerate(OLD_ROWS, start=1):
            await connection.execute(
                text(
                    "INSERT INTO outbox (id, chat_id, method, payload, status, attempts, "
                    "not_before, created_at) VALUES (:id, :chat, :method, :payload, 'pending', "
                    "0, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
                ),
                {"id": number, "chat": 9007199254740993, "method": method, "payload": payload},
            )
    await db.migrate()
    async with db.engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT channel, address, kind FROM outbox ORDER BY id"))
        ).all()
    assert [tuple(r) for r in rows] == [
        ("telegram", "9007199254740993", kind) for _, _, kind in OLD_ROWS
    ]


async def test_migration_0010_turns_methods_into_kinds_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check(db)
    finally:
        await db.close()


async def test_migration_0010_turns_methods_into_kinds_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await _check(db)
    finally:
        await db.close()


async def test_the_writer_keeps_telegrams_length_rule_and_no_rule_for_a_channel_without_one(
    db: Database, clock: FakeClock
) -> None:
    from bot.services.messages import write_media, write_text

    long = "楼" * 5000
    async with db.session() as session:
        assert (
            await write_text(
                session, to=telegram_address(1), person_id=None, text=long, now=clock()
            )
            == 2
        )
        assert await write_text(session, to=WEB, person_id=None, text=long, now=clock()) == 1
        await write_media(
            session,
            to=WEB,
            person_id=None,
            media={"photo": "p"},
            header="#1",
            text="字" * 2000,
            now=clock(),
        )
        await session.commit()
        rows = await OutboxRepository(session).all_for(WEB)
    assert [(r.kind, len(r.payload.get("text") or r.payload["caption"])) for r in rows] == [
        (OutboxKind.TEXT, 5000),
        (OutboxKind.MEDIA, 2003),
    ]


async def test_each_recipient_gets_its_rows_in_order_whatever_the_channel(
    db: Database, clock: FakeClock
) -> None:
    """The same address in two channels is two recipients; one recipient's second row waits
    for its first."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with db.session() as session:
        outbox = OutboxRepository(session)
        first = await outbox.add(to=telegram_address(7), person_id=None, payload={}, now=now)
        await outbox.add(to=telegram_address(7), person_id=None, payload={}, now=now)
        other = await outbox.add(to=Address("web", "7"), person_id=None, payload={}, now=now)
        await session.commit()
        due = await outbox.due(now, 10)
    assert [r.id for r in due] == [first.id, other.id]


async def test_a_chats_run_is_its_oldest_rows_up_to_its_room(
    db: Database, clock: FakeClock
) -> None:
    """Each chat's oldest rows in a row: at most ``per_chat``, fewer when ``room`` says the
    chat may take fewer now; a later update of a card already in the run, or a row not due
    yet, ends the run (nothing after it goes first)."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    ada, bo, cy = telegram_address(1), telegram_address(2), telegram_address(3)
    async with db.session() as session:
        outbox = OutboxRepository(session)
        rows = {}
        for name, to, kind, ticket in [
            ("a1", ada, OutboxKind.TEXT, None),
            ("b1", bo, OutboxKind.CARD, None),
            ("a2", ada, OutboxKind.TEXT, None),
            ("b2", bo, OutboxKind.CARD, None),  # b1's card again (no ticket: the same one)
            ("c1", cy, OutboxKind.TEXT, None),
            ("a3", ada, OutboxKind.TEXT, None),
            ("c2", cy, OutboxKind.TEXT, None),
        ]:
            rows[name] = await outbox.add(
                to=to, person_id=None, payload={}, now=now, kind=kind, ticket_id=ticket
            )
        await session.commit()
        names = {row.id: name for name, row in rows.items()}

        async def run(per_chat: int, room: dict[str, int] | None = None) -> list[str]:
            found = await outbox.due(
                now,
                10,
                per_chat=per_chat,
                room=None if room is None else (lambda to: room.get(to.address, 9)),
            )
            return [names[row.id] for row in found]

        assert await run(1) == ["a1", "b1", "c1"]
        assert await run(3) == ["a1", "a2", "a3", "b1", "c1", "c2"]
        assert await run(3, {"1": 2, "3": 0}) == ["a1", "a2", "b1", "c1"]
        rows["a2"].not_before = now.replace(hour=1)  # backing off: a3 may not overtake it
        await session.commit()
        assert await run(3) == ["a1", "b1", "c1", "c2"]
