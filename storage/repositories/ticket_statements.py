"""The statements of the tickets' hot reads and writes (a report, a press on a card, History,
/tickets), built once with their parameters bound at execution. Built anew, each cost its
construction and a new cache key (0.1-0.3 ms, more than running it); a built one keeps its
key. Counters and values only the caller reads are asked of the tables (Core), without the
ORM's loading machinery; an UPDATE is on the table too, since an ORM-enabled one is annotated,
so keyed, anew at every execution."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.dml import Insert

from storage.models import (
    Community,
    Membership,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketMessage,
    TicketRecipient,
    TicketStatus,
    table_of,
)
from storage.rows import EventRow, ListedTicket, SimilarTicket

NEWEST_FIRST = (Ticket.created_at.desc(), Ticket.id.desc())

_TICKETS, _COMMUNITIES = table_of(Ticket), table_of(Community)
_FOLLOWS = table_of(TicketFollower)
_FOLLOWS_TICKET = exists().where(
    TicketFollower.ticket_id == Ticket.id, TicketFollower.person_id == bindparam("person_id")
)
TICKET_AND_FOLLOWING = select(Ticket, _FOLLOWS_TICKET.label("following")).where(
    Ticket.id == bindparam("ticket_id")
)
BY_DRAFT = select(Ticket).where(
    Ticket.author_id == bindparam("author_id"), Ticket.draft_key == bindparam("draft_key")
)
BY_AUTHOR_SINCE = select(func.count()).where(
    _TICKETS.c.author_id == bindparam("author_id"), _TICKETS.c.created_at >= bindparam("since")
)
NEXT_NUMBER = (
    update(_COMMUNITIES)
    .where(_COMMUNITIES.c.id == bindparam("community_id"))
    .values(ticket_seq=_COMMUNITIES.c.ticket_seq + 1)
    .returning(_COMMUNITIES.c.ticket_seq)
)
_EVENTS, _RECIPIENTS = table_of(TicketEvent), table_of(TicketRecipient)
# Read as rows (storage/rows.py): History and the ticket page only read them.
EVENTS = (
    select(*(_EVENTS.c[name] for name in EventRow._fields))
    .where(_EVENTS.c.ticket_id == bindparam("ticket_id"))
    .order_by(_EVENTS.c.id)
)
FOLLOWERS = (
    select(_FOLLOWS.c.person_id)
    .where(_FOLLOWS.c.ticket_id == bindparam("ticket_id"))
    .order_by(_FOLLOWS.c.id)
)
RECIPIENTS = (
    select(_RECIPIENTS.c.person_id, _RECIPIENTS.c.reason)
    .where(_RECIPIENTS.c.ticket_id == bindparam("ticket_id"))
    .order_by(_RECIPIENTS.c.id)
)
HEADS_AND_DEPUTIES = (
    select(Person, Membership.role)
    .join(Membership, Membership.person_id == Person.id)
    .where(
        Membership.building_id == bindparam("building_id"),
        Membership.role.in_([Role.HEAD, Role.DEPUTY]),
    )
    # Heads before deputies, then by seniority.
    .order_by(case((Membership.role == Role.HEAD, 0), else_=1), Membership.since, Person.id)
    .options(joinedload(Person.contacts))  # one statement, not the "selectin" two
)


def _remember(insert: Any) -> Insert:
    messages = table_of(TicketMessage)
    statement: Insert = insert(messages).on_conflict_do_nothing(
        index_elements=[messages.c.channel, messages.c.address, messages.c.message_ref]
    )
    return statement


# A pass's new cards and relayed messages (executemany): one a door already names (its unique
# channel, address and reference) is left as it is, in the same statement; it was a SELECT of
# the known ones and then the INSERT.
REMEMBER_MESSAGES = {"sqlite": _remember(sqlite.insert), "postgresql": _remember(postgresql.insert)}

# The newest open ticket of a building and category ("me too", asked at the report's category
# step): read as a row (storage.rows.SimilarTicket).
SIMILAR_OPEN = (
    select(*(_TICKETS.c[name] for name in SimilarTicket._fields))
    .where(
        _TICKETS.c.building_id == bindparam("building_id"),
        _TICKETS.c.category == bindparam("category"),
        _TICKETS.c.created_at >= bindparam("since"),
        _TICKETS.c.status.in_(bindparam("statuses", expanding=True)),
    )
    .order_by(_TICKETS.c.created_at.desc())
    .limit(1)
)

_MEMBERSHIPS = table_of(Membership)
_FILED = (
    select(_TICKETS.c.id)
    .where(
        _TICKETS.c.author_id == bindparam("author_id"),
        _TICKETS.c.draft_key == bindparam("draft_key"),  # unique per author
    )
    .scalar_subquery()
)
REPORT_GATE = select(_MEMBERSHIPS.c.flat, _FILED, BY_AUTHOR_SINCE.scalar_subquery()).where(
    _MEMBERSHIPS.c.person_id == bindparam("author_id"),
    _MEMBERSHIPS.c.building_id == bindparam("building_id"),
    _MEMBERSHIPS.c.role == Role.RESIDENT,
)


@lru_cache(maxsize=64)
def transition(expected: tuple[TicketStatus, ...], columns: tuple[str, ...]) -> Select[Ticket]:
    """``TicketRepository.transition``'s statement for these states and these columns (the
    values bound at execution as ``set_<column>``): an UPDATE of the table RETURNING the whole
    row, read as the ticket, which refreshes the session's copy in the same statement (it was
    an UPDATE and then a SELECT). On the table, not the mapped class: an ORM UPDATE is
    annotated, so keyed, anew at every execution; a Core one read through ``from_statement``
    keeps its key. The transitions are a handful (Take, resolve, close, withdraw, reopen,
    hand over)."""
    names = ("updated_at", *columns)
    changed = (
        update(_TICKETS)
        .where(_TICKETS.c.id == bindparam("ticket_id"), _TICKETS.c.status.in_(expected))
        .values({name: bindparam(f"set_{name}", type_=_TICKETS.c[name].type) for name in names})
        .returning(*_TICKETS.c)
    )
    query = select(Ticket).from_statement(changed)
    return query.execution_options(populate_existing=True)  # type: ignore[return-value]


@cache
def status_count(buildings: bool, communities: bool, escalated_only: bool) -> Select[Any]:
    """``TicketRepository.status_count``'s statement for a scope of this shape (the lists bound
    at execution): every /tickets asks it."""
    mine: list[ColumnElement[bool]] = []
    if buildings:
        mine.append(_TICKETS.c.building_id.in_(bindparam("building_ids", expanding=True)))
    if communities:
        mine.append(_TICKETS.c.community_id.in_(bindparam("community_ids", expanding=True)))
    where = [_TICKETS.c.status.in_(bindparam("statuses", expanding=True)), or_(false(), *mine)]
    if escalated_only:
        where.append(_TICKETS.c.escalated.is_(True))
    return select(func.count()).select_from(_TICKETS).where(*where)


# What a staff list shows of a ticket (storage.rows.ListedTicket's fields): read as rows,
# without loading ten tickets for their buttons.
LISTED = tuple(_TICKETS.c[name] for name in ListedTicket._fields)
LISTED_NEWEST_FIRST = (_TICKETS.c.created_at.desc(), _TICKETS.c.id.desc())
LISTED_BY_IDS = (
    select(*LISTED)
    .where(_TICKETS.c.id.in_(bindparam("ticket_ids", expanding=True)))
    .order_by(*LISTED_NEWEST_FIRST)
)


@lru_cache(maxsize=64)
def status_walks(
    buildings: int, communities: int, statuses: tuple[TicketStatus, ...], escalated_only: bool
) -> CompoundSelect[Any]:
    """``TicketRepository.status_page``'s one statement for a scope of this shape (so many
    buildings, so many communities, these states): the places and the rows wanted are bound at
    execution (``walk_b0``…, ``walk_c0``…, ``wanted``). A head's /tickets asks it every time,
    and building it anew cost more than running it; the shapes are few (a person's roles
    times the lists' filters). Its rows are ``LISTED``'s columns."""
    wanted = bindparam("wanted", type_=Integer)
    where = [_TICKETS.c.escalated.is_(True)] if escalated_only else []
    places = [_TICKETS.c.building_id == bindparam(f"walk_b{i}") for i in range(buildings)]
    places += [_TICKETS.c.community_id == bindparam(f"walk_c{i}") for i in range(communities)]
    walks = [
        select(*LISTED)
        .where(place, _TICKETS.c.status == status, *where)
        .order_by(*LISTED_NEWEST_FIRST)
        .limit(wanted)
        .subquery()
        for place in places
        for status in statuses
    ]
    # One statement: the walks' rows (a page's worth each at most).
    return union_all(*(select(walk) for walk in walks))
