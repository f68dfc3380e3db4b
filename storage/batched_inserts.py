"""A unit of work's new outbox rows, ticket events and ticket recipients written in one INSERT
each (SQLite).

The ORM writes new rows of a table with one INSERT each on SQLite: it needs each row's id back,
and it gets several in one statement only where it can match RETURNING's rows to its objects
(a "sentinel" column; SQLite's dialect has none). A report to two heads wrote its outbox rows
and its recipients one by one, a Take three outbox rows. Here, before the flush, the pending
rows of these plain tables (no relationships, nothing refers to them in the same flush; a
recipient's ticket is written before it) go in one multi-row INSERT … RETURNING id; the objects
get their ids and stay in the session as if the ORM had written them.

The ids: SQLite gives the rows of one INSERT rowids in the order of its VALUES, each above the
largest present (the tables have no AUTOINCREMENT and never reach 2^63), so the returned ids,
sorted, are the objects' in order. PostgreSQL keeps the ORM's own batching."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from storage.models import OutboxMessage, TicketEvent, TicketRecipient

BATCHED = (OutboxMessage, TicketEvent, TicketRecipient)
# SQLite's oldest supported limit on a statement's parameters is 999; outbox rows have 15.
MAX_PARAMETERS = 999


@event.listens_for(Session, "before_flush")
def _batch(session: Session, _context: Any, _instances: Any) -> None:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for model in BATCHED:
        pending = [o for o in session.new if type(o) is model]
        if len(pending) > 1:
            _insert(session, model, pending)


def _insert(session: Session, model: type[Any], pending: list[Any]) -> None:
    pending.sort(key=lambda o: inspect(o).insert_order)
    mapper = inspect(model)
    table = mapper.local_table
    columns = [
        (prop.key, prop.columns[0])
        for prop in mapper.column_attrs
        if prop.columns[0].table is table and not prop.columns[0].primary_key
    ]
    # The ORM's defaults (applied at its flush) are applied here: the column's own default.
    rows: list[dict[str, Any]] = []
    for obj in pending:
        state = inspect(obj)
        row: dict[str, Any] = {}
        for key, column in columns:
            if key in state.dict:
                row[column.key] = state.dict[key]
            elif column.default is not None and column.default.is_scalar:
                row[column.key] = column.default.arg
            elif column.default is not None and column.default.is_callable:
                row[column.key] = column.default.arg(None)
            else:
                row[column.key] = None
        rows.append(row)
    per_statement = max(1, MAX_PARAMETERS // max(1, len(columns)))
    connection = session.connection()
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        objects = pending[start : start + per_statement]
        # Executed "many" rather than built with these rows as VALUES: SQLAlchemy renders the
        # rows into the one compiled INSERT it keeps (a multi-row VALUES statement is never
        # cached: it was compiled anew each time, ~0.4 ms); still one statement for the chunk.
        result = connection.execute(table.insert().returning(table.c.id), chunk)
        ids = sorted(r[0] for r in result)
        assert len(ids) == len(objects)
        for obj, row, new_id in zip(objects, chunk, ids, strict=True):
            session.expunge(obj)
            for key, column in columns:
                setattr(obj, key, row[column.key])
            obj.id = new_id
            make_transient_to_detached(obj)
            session.add(obj)
