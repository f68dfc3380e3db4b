"""the console's search: an index of descriptions and of the history's words (notes, replies)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:40:00
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0018"
# The integrator renumbers this one after the migrations landing beside it.
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# The words of a ticket are its description and, in its history (ticket_events.data), the notes
# (resolve, escalate, reopen) and the relayed messages (replies and the resident's answers).
# Chinese has no spaces, so both databases index character trigrams: any substring of three
# characters or more is found through the index (storage/repositories/ticket_search.py; shorter
# queries scan with LIKE).
#
# SQLite: two FTS5 tables with the trigram tokenizer, kept in step by triggers, so every writer
# (the ticket services, forgetting a person, retracting a message) is covered without knowing.
# The rowid of tickets_fts is the ticket's id, of ticket_events_fts the event's id.
# PostgreSQL: pg_trgm GIN indexes on the description and on the same expression the search
# uses (EVENT_WORDS_PG, repeated in the repository: the planner matches it textually).

EVENT_WORDS_SQLITE = (
    "trim(coalesce(json_extract({row}.data, '$.note'), '') || ' ' || "
    "coalesce(json_extract({row}.data, '$.text'), ''))"
)
EVENT_WORDS_PG = "(coalesce(data ->> 'note', '') || ' ' || coalesce(data ->> 'text', ''))"

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(description, tokenize='trigram')",
    "CREATE VIRTUAL TABLE ticket_events_fts USING fts5(words, ticket_id UNINDEXED, "
    "tokenize='trigram')",
    "INSERT INTO tickets_fts(rowid, description) SELECT id, description FROM tickets",
    "INSERT INTO ticket_events_fts(rowid, words, ticket_id) "
    f"SELECT id, {EVENT_WORDS_SQLITE.format(row='ticket_events')}, ticket_id FROM ticket_events "
    f"WHERE {EVENT_WORDS_SQLITE.format(row='ticket_events')} != ''",
    """CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO tickets_fts(rowid, description) VALUES (new.id, new.description);
    END""",
    """CREATE TRIGGER tickets_fts_update AFTER UPDATE OF description ON tickets BEGIN
        DELETE FROM tickets_fts WHERE rowid = old.id;
        INSERT INTO tickets_fts(rowid, description) VALUES (new.id, new.description);
    END""",
    """CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
        DELETE FROM tickets_fts WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER ticket_events_fts_insert AFTER INSERT ON ticket_events
    WHEN {EVENT_WORDS_SQLITE.format(row="new")} != '' BEGIN
        INSERT INTO ticket_events_fts(rowid, words, ticket_id)
        VALUES (new.id, {EVENT_WORDS_SQLITE.format(row="new")}, new.ticket_id);
    END""",
    f"""CREATE TRIGGER ticket_events_fts_update AFTER UPDATE OF data ON ticket_events BEGIN
        DELETE FROM ticket_events_fts WHERE rowid = old.id;
        INSERT INTO ticket_events_fts(rowid, words, ticket_id)
        SELECT new.id, {EVENT_WORDS_SQLITE.format(row="new")}, new.ticket_id
        WHERE {EVENT_WORDS_SQLITE.format(row="new")} != '';
    END""",
    """CREATE TRIGGER ticket_events_fts_delete AFTER DELETE ON ticket_events BEGIN
        DELETE FROM ticket_events_fts WHERE rowid = old.id;
    END""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ticket_events_fts_delete",
    "DROP TRIGGER IF EXISTS ticket_events_fts_update",
    "DROP TRIGGER IF EXISTS ticket_events_fts_insert",
    "DROP TRIGGER IF EXISTS tickets_fts_delete",
    "DROP TRIGGER IF EXISTS tickets_fts_update",
    "DROP TRIGGER IF EXISTS tickets_fts_insert",
    "DROP TABLE IF EXISTS ticket_events_fts",
    "DROP TABLE IF EXISTS tickets_fts",
]
_PG_UP = [
    "CREATE INDEX ix_tickets_description_trgm ON tickets USING gin (description gin_trgm_ops)",
    f"CREATE INDEX ix_ticket_events_words_trgm ON ticket_events USING gin ({EVENT_WORDS_PG} "
    "gin_trgm_ops)",
]
_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_ticket_events_words_trgm",
    "DROP INDEX IF EXISTS ix_tickets_description_trgm",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)
        return
    if bind.dialect.name != "postgresql":
        return
    # Creating an extension needs a privilege a hosted database may not give: then the search
    # stays a scan (ILIKE, correct but slow at 100,000 tickets), and the log says so. The
    # savepoint keeps the failed statement from aborting the migration's transaction.
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as error:
        log.warning(
            "pg_trgm could not be created (%s): the console's search scans with ILIKE, "
            "without an index; once the database's owner has run CREATE EXTENSION pg_trgm, "
            "downgrade to 0017 and upgrade again to add the indexes",
            error.orig,
        )
        return
    for statement in _PG_UP:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        statements = _SQLITE_DOWN
    elif bind.dialect.name == "postgresql":
        statements = _PG_DOWN
    else:
        return
    for statement in statements:
        op.execute(statement)
