"""The console's ticket list (and the exports that reuse its filters): one keyset walk over
(created_at, id), never OFFSET, so page 500 costs what page 1 does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    ScalarSelect,
    and_,
    case,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Building, Community, Person, Ticket, TicketEvent, TicketStatus


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What the SQL can decide (the caller adds what needs the communities' rules: overdue)."""

    # Scope: every ticket (admin), or those of these buildings and communities.
    everything: bool = False
    scope_building_ids: Sequence[int] = ()
    scope_community_ids: Sequence[int] = ()
    statuses: Sequence[TicketStatus] = ()
    building_ids: Sequence[int] = ()
    category: str | None = None
    urgent: bool | None = None
    escalated: bool | None = None
    reporter_hidden: bool | None = None
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    # Words the description or the history's notes and messages contain (a substring: Chinese
    # has no spaces between words).
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Found:
    ticket: Ticket
    building: str
    author: Person | None
    reopened_at: datetime | None
    # The sort column's value and the id: where the next page starts (TicketSearchRepository.page).
    key: tuple[Any, int] | None = None


class TicketSearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        filters: SearchFilters,
        after: tuple[Any, int] | None,
        limit: int,
        *,
        sort: str = "newest",
        backwards: bool = False,
    ) -> list[Found]:
        """Up to ``limit`` tickets past ``after`` (the sort column's value and the ticket's id,
        a ``Found.key``) in the order ``sort`` asks for; ``backwards``: those before it,
        nearest first (the previous page, read in reverse)."""
        value, ascending, id_ascending = _SORTS.get(sort, _SORTS[NEWEST])
        if backwards:
            ascending, id_ascending = not ascending, not id_ascending
        where = _where(filters)
        if filters.text:
            where.append(Ticket.id.in_(_with_words(filters.text, self._dialect())))
        if after is not None:
            where.append(_past(value, ascending, id_ascending, after))
        rows = await self.session.execute(
            select(Ticket, Building.name, Person, _reopened_at(), value)
            .join(Building, Building.id == Ticket.building_id)
            .outerjoin(Person, Person.id == Ticket.author_id)
            .where(*where)
            .order_by(
                value.asc() if ascending else value.desc(),
                Ticket.id.asc() if id_ascending else Ticket.id.desc(),
            )
            .limit(limit)
        )
        return [
            Found(t, name, author, reopened, (key, t.id)) for t, name, author, reopened, key in rows
        ]

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def buildings(self, filters: SearchFilters) -> Sequence[Building]:
        """The buildings in scope, for the filter's choices."""
        query = select(Building).order_by(Building.community_id, Building.code)
        if not filters.everything:
            query = query.where(
                or_(
                    false(),
                    Building.id.in_(list(filters.scope_building_ids)),
                    Building.community_id.in_(list(filters.scope_community_ids)),
                )
            )
        return (await self.session.scalars(query)).all()

    async def ticket(self, ticket_id: int) -> Ticket | None:
        return await self.session.get(Ticket, ticket_id)

    async def communities(self, ids: Sequence[int]) -> dict[int, Community]:
        rows = await self.session.scalars(select(Community).where(Community.id.in_(list(ids))))
        return {c.id: c for c in rows}


# The orders of the list: the sort column, its direction, the id's direction (the tie-break, and
# with the column the keyset: each page starts past the last row's pair, never at an OFFSET).
NEWEST, OLDEST, UPDATED, BUILDING, STATUS = "newest", "oldest", "updated", "building", "status"
# Status in the order of a ticket's life, not the alphabet's.
_LIFE = (
    TicketStatus.NEW,
    TicketStatus.REOPENED,
    TicketStatus.TAKEN,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
    TicketStatus.WITHDRAWN,
)
_SORTS: dict[str, tuple[ColumnElement[Any], bool, bool]] = {
    NEWEST: (Ticket.created_at.expression, False, False),
    OLDEST: (Ticket.created_at.expression, True, True),
    UPDATED: (Ticket.updated_at.expression, False, False),  # the latest change first
    # A building's tickets together (by its code), newest first within it.
    BUILDING: (Building.code.expression, True, False),
    # The ones waiting first, newest first within a status.
    STATUS: (case({s: rank for rank, s in enumerate(_LIFE)}, value=Ticket.status), True, False),
}
SORTS = tuple(_SORTS)


def _past(
    value: ColumnElement[Any], ascending: bool, id_ascending: bool, after: tuple[Any, int]
) -> ColumnElement[bool]:
    """The rows after ``after`` in this order. One direction: a row-value comparison (an index
    on the pair answers it); mixed (a column up, the id down): spelled out."""
    last, last_id = after
    if ascending == id_ascending:
        key = tuple_(value, Ticket.id)
        return key > tuple_(last, last_id) if ascending else key < tuple_(last, last_id)
    beyond = value > last if ascending else value < last
    tie = Ticket.id > last_id if id_ascending else Ticket.id < last_id
    return or_(beyond, and_(value == last, tie))


def _reopened_at() -> ScalarSelect[datetime]:
    return (
        select(func.max(TicketEvent.created_at))
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "reopened")
        .scalar_subquery()
    )


def _where(f: SearchFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not f.everything:
        where.append(
            or_(
                false(),
                Ticket.building_id.in_(list(f.scope_building_ids)),
                Ticket.community_id.in_(list(f.scope_community_ids)),
            )
        )
    if f.statuses:
        where.append(Ticket.status.in_(list(f.statuses)))
    if f.building_ids:
        where.append(Ticket.building_id.in_(list(f.building_ids)))
    if f.category is not None:
        where.append(Ticket.category == f.category)
    if f.urgent is not None:
        where.append(Ticket.urgent.is_(f.urgent))
    if f.escalated is not None:
        where.append(Ticket.escalated.is_(f.escalated))
    if f.reporter_hidden is not None:
        where.append(Ticket.show_name.is_(not f.reporter_hidden))
    if f.created_from is not None:
        where.append(Ticket.created_at >= f.created_from)
    if f.created_before is not None:
        where.append(Ticket.created_at < f.created_before)
    return where


# The trigram indexes of migration 0018 answer substrings of three characters or more.
TRIGRAM = 3
# The history's words as migration 0018 indexes them on PostgreSQL (the same text, or the
# planner does not use the index).
_EVENT_WORDS_PG = "(coalesce(data ->> 'note', '') || ' ' || coalesce(data ->> 'text', ''))"


def _with_words(text: str, dialect: str) -> CompoundSelect[tuple[int]]:
    """The ids of the tickets whose description or history contains ``text``: on SQLite
    through the FTS5 trigram tables, on PostgreSQL through pg_trgm's GIN indexes (ILIKE uses
    them), and a LIKE scan for fewer than three characters, which no trigram can answer."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if dialect == "sqlite":
        described_fts = table("tickets_fts", column("rowid"), column("description"))
        written_fts = table("ticket_events_fts", column("ticket_id"), column("words"))
        if len(text) >= TRIGRAM:
            phrase = '"' + text.replace('"', '""') + '"'  # one phrase: every character literal
            return union(
                select(described_fts.c.rowid).where(
                    literal_column("tickets_fts").op("MATCH")(phrase)
                ),
                select(written_fts.c.ticket_id).where(
                    literal_column("ticket_events_fts").op("MATCH")(phrase)
                ),
            )
        # Shorter: a scan still, but of the indexed copies (only the events with words in
        # them, a sixth of the history in bench.generate's community, see bench/search.py).
        return union(
            select(described_fts.c.rowid).where(
                described_fts.c.description.ilike(pattern, escape="\\")
            ),
            select(written_fts.c.ticket_id).where(written_fts.c.words.ilike(pattern, escape="\\")),
        )
    if dialect == "postgresql":
        words: ColumnElement[str] = literal_column(_EVENT_WORDS_PG)
    else:
        note, said = TicketEvent.data["note"].as_string(), TicketEvent.data["text"].as_string()
        words = func.coalesce(note, "") + " " + func.coalesce(said, "")
    # An alias: the outer query is on tickets too, and must not correlate it away.
    inner = aliased(Ticket)
    described = select(inner.id).where(inner.description.ilike(pattern, escape="\\"))
    written = select(TicketEvent.ticket_id).where(words.ilike(pattern, escape="\\"))
    return union(described, written)
