"""Finding tickets the way the office asks: by status, building, category, urgent, overdue,
escalated, hidden reporter and date range, newest or oldest first, always within the asker's
*current* coverage. ``TicketQuery`` is the filter as a value: read from and written back to a
URL's query (so a list can be bookmarked, and an export can ask for the same rows), and run a
page at a time from a keyset cursor (never OFFSET)."""

from __future__ import annotations

from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.services.access import Coverage
from bot.services.categories import Category, categories_for
from bot.services.clock import Clock
from bot.services.scheduling import sla_of
from bot.services.sla import WAITING, overdue_reason, reckonable
from storage.db import Database
from storage.models import OPEN_STATUSES, Building, Community, Person, TicketStatus
from storage.repositories import PersonRepository
from storage.repositories.ticket_search import (
    NEWEST,
    OLDEST,
    SORTS,  # the orders the console offers (re-exported for the door)
    STATUS,
    UPDATED,
    Found,
    SearchFilters,
    TicketSearchRepository,
)

PAGE_SIZE = 50
# With "overdue", rows are read in batches of this many and kept when overdue (only open
# tickets can be: a small set whatever the history).
BATCH = 200
__all__ = ["SORTS", "ResultPage", "Row", "TicketQuery", "TicketSearch"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_YES, _NO = ("1", "yes", "true", "on"), ("0", "no", "false", "off")


def _flag(raw: str | None) -> bool | None:
    value = (raw or "").strip().lower()
    return True if value in _YES else False if value in _NO else None


def _day(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return day if reckonable(day) else None


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """A ticket filter. Unknown or malformed parameters are ignored (a hand-edited URL shows
    a wider list, never an error)."""

    statuses: frozenset[TicketStatus] = frozenset()
    building_ids: frozenset[int] = frozenset()
    category: str | None = None
    urgent: bool | None = None
    overdue: bool = False
    escalated: bool | None = None
    reporter_hidden: bool | None = None
    created_from: date | None = None  # inclusive, in the deployment's time zone
    created_to: date | None = None  # inclusive
    # The order (storage/repositories/ticket_search.py SORTS): newest, oldest, updated,
    # building, status.
    sort: str = NEWEST
    # Text the description or the history (notes, replies) contains (storage/repositories/
    # ticket_search.py: indexed from three characters on).
    text: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> TicketQuery:
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        statuses = {TicketStatus(v) for k, v in pairs if k == "status" and v in _STATUS_VALUES}
        buildings = {int(v) for k, v in pairs if k == "building" and _id(v)}
        single = {k: v for k, v in pairs}
        category = (single.get("category") or "").strip()[:32] or None
        return cls(
            statuses=frozenset(statuses),
            building_ids=frozenset(buildings),
            category=category,
            urgent=_flag(single.get("urgent")),
            overdue=_flag(single.get("overdue")) is True,
            escalated=_flag(single.get("escalated")),
            reporter_hidden=_flag(single.get("hidden")),
            created_from=_day(single.get("from")),
            created_to=_day(single.get("to")),
            sort=sort if (sort := single.get("sort") or NEWEST) in SORTS else NEWEST,
            # A NUL is no word (and ends an FTS5 phrase early): left out, as PostgreSQL does.
            text=" ".join((single.get("q") or "").replace("\x00", "").split())[:100] or None,
        )

    def to_params(self) -> list[tuple[str, str]]:
        """The URL query that gives this filter back (``from_params`` of it is equal)."""
        params = [("status", s.value) for s in sorted(self.statuses)]
        params += [("building", str(b)) for b in sorted(self.building_ids)]
        if self.category:
            params.append(("category", self.category))
        for name, flag in (
            ("urgent", self.urgent),
            ("escalated", self.escalated),
            ("hidden", self.reporter_hidden),
        ):
            if flag is not None:
                params.append((name, "1" if flag else "0"))
        if self.overdue:
            params.append(("overdue", "1"))
        if self.created_from:
            params.append(("from", self.created_from.isoformat()))
        if self.created_to:
            params.append(("to", self.created_to.isoformat()))
        if self.sort != NEWEST:
            params.append(("sort", self.sort))
        if self.text:
            params.append(("q", self.text))
        return params


_STATUS_VALUES = frozenset(s.value for s in TicketStatus)


@dataclass(frozen=True, slots=True)
class Row:
    found: Found
    overdue: bool
    community: Community

    @property
    def reporter_shown(self) -> bool:
        """The reporter's name may be shown (their consent on this ticket)."""
        return self.found.ticket.show_name and self.found.author is not None


@dataclass(frozen=True, slots=True)
class ResultPage:
    rows: Sequence[Row]
    # The cursor of the next page (None: this is the last one).
    next_cursor: str | None
    buildings: Sequence[Building] = field(default_factory=list)
    # The categories of the communities in scope (for the filter), by code.
    categories: Mapping[str, Category] = field(default_factory=dict)
    # The cursor of the previous page (``before``; None: this is the first one).
    prev_cursor: str | None = None


def encode_cursor(key: tuple[Any, int]) -> str:
    """A row's place in its order as URL-safe text: ``<value>.<id>``, the value as microseconds
    (a time), a number (a status's rank) or base64 (a building's code)."""
    value, ticket_id = key
    if isinstance(value, datetime):
        token = str(int((value - EPOCH) / timedelta(microseconds=1)))
    elif isinstance(value, int):
        token = f"r{value}"
    else:
        token = "s" + urlsafe_b64encode(str(value).encode()).decode().rstrip("=")
    return f"{token}.{ticket_id}"


def _id(text: str) -> bool:
    """An id the database can hold (a longer one, hand-typed into the URL, overflows it)."""
    return text.isascii() and text.isdigit() and len(text) < 12


def decode_cursor(raw: str | None, sort: str = NEWEST) -> tuple[Any, int] | None:
    """The key ``encode_cursor`` wrote, when it is one of ``sort``'s (None: start over)."""
    token, _, ticket_id = (raw or "").rpartition(".")
    if not _id(ticket_id):
        return None
    value: Any
    if sort in (NEWEST, OLDEST, UPDATED):
        if not (token.isascii() and token.isdigit() and len(token) <= 17):  # before 5000 AD
            return None
        value = EPOCH + timedelta(microseconds=int(token))
    elif sort == STATUS:
        if not _id(token[1:]) or token[:1] != "r":
            return None
        value = int(token[1:])
    else:
        try:
            value = urlsafe_b64decode(token[1:] + "=" * (-len(token[1:]) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if token[:1] != "s":
            return None
    return value, int(ticket_id)


class TicketSearch:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    def filters(self, seen: Coverage, query: TicketQuery) -> SearchFilters:
        zone = ZoneInfo(self.config.timezone)

        def start_of(day: date) -> datetime:
            return datetime.combine(day, time(), zone).astimezone(UTC)

        statuses: Sequence[TicketStatus] = sorted(query.statuses)
        if query.overdue:  # only an open ticket can be overdue
            statuses = [s for s in (statuses or OPEN_STATUSES) if s in OPEN_STATUSES]
        return SearchFilters(
            everything=seen.admin,
            scope_building_ids=sorted(seen.building_ids),
            scope_community_ids=sorted(seen.community_ids),
            statuses=statuses,
            building_ids=sorted(query.building_ids),
            category=query.category,
            urgent=query.urgent,
            escalated=query.escalated,
            reporter_hidden=query.reporter_hidden,
            text=query.text,
            created_from=start_of(query.created_from) if query.created_from else None,
            created_before=(
                start_of(query.created_to + timedelta(days=1)) if query.created_to else None
            ),
        )

    async def page(
        self,
        seen: Coverage,
        query: TicketQuery,
        cursor: str | None,
        size: int = PAGE_SIZE,
        *,
        before: str | None = None,
    ) -> ResultPage:
        """A page of the tickets ``seen`` covers that match ``query``, from ``cursor``; with
        ``before`` (and no cursor), the page that ends just before that row."""
        back = decode_cursor(before, query.sort) if cursor is None else None
        start = back or decode_cursor(cursor, query.sort)
        rows, more, buildings, categories = await self._walk(
            seen, query, start, size, backwards=back is not None
        )
        if back is not None:
            if not more:  # reached the top: the first page, full
                return await self.page(seen, query, None, size)
            rows.reverse()
            prev_key = rows[0].found.key
            next_key = rows[-1].found.key
        else:
            prev_key = rows[0].found.key if rows and start is not None else None
            next_key = rows[-1].found.key if rows and more else None
        return ResultPage(
            rows,
            encode_cursor(next_key) if next_key else None,
            buildings,
            categories,
            encode_cursor(prev_key) if prev_key else None,
        )

    async def _walk(
        self,
        seen: Coverage,
        query: TicketQuery,
        after: tuple[Any, int] | None,
        size: int,
        *,
        backwards: bool,
    ) -> tuple[list[Row], bool, Sequence[Building], dict[str, Category]]:
        """Up to ``size`` rows past ``after`` in the query's order (or against it), and whether
        there are more."""
        filters = self.filters(seen, query)
        impossible = query.overdue and not filters.statuses  # e.g. overdue and closed
        now = self.clock()
        rows: list[Row] = []
        more = False
        limit = BATCH if query.overdue else size + 1
        async with self.db.session() as session:
            search = TicketSearchRepository(session)
            buildings = await search.buildings(filters)
            communities = await search.communities(sorted({b.community_id for b in buildings}))
            categories = {
                c.code: c for community in communities.values()
                for c in categories_for(community.settings or {})
            }  # fmt: skip
            while not impossible:
                batch = await search.page(
                    filters, after, limit, sort=query.sort, backwards=backwards
                )
                missing = {f.ticket.community_id for f in batch} - communities.keys()
                if missing:
                    communities |= await search.communities(sorted(missing))
                for found in batch:
                    community = communities[found.ticket.community_id]
                    row = Row(found, is_overdue(found, community, now), community)
                    if query.overdue and not row.overdue:
                        continue
                    if len(rows) == size:
                        more = True
                        break
                    rows.append(row)
                if more or len(batch) < limit:
                    break
                after = batch[-1].key
        return rows, more, buildings, categories

    async def viewer_of(self, seen: Coverage, person_id: int, ticket_id: int) -> Person | None:
        """The person, when ``seen`` (their coverage now) covers the ticket; None when it does
        not or the ticket does not exist (the console tells neither apart: no probing)."""
        async with self.db.session() as session:
            found = await TicketSearchRepository(session).ticket(ticket_id)
            if found is None or not seen.covers_ticket(found):
                return None
            return await PersonRepository(session).get(person_id)


def is_overdue(found: Found, community: Community, now: datetime) -> bool:
    ticket = found.ticket
    if ticket.status not in OPEN_STATUSES:
        return False
    waiting = found.reopened_at if ticket.status is TicketStatus.REOPENED else None
    waiting = waiting or ticket.created_at
    handled = ticket.taken_at
    if handled is not None and found.reopened_at is not None and found.reopened_at > handled:
        handled = found.reopened_at
    sla = sla_of(community)
    since = waiting if ticket.status in WAITING else None
    return overdue_reason(ticket.status, ticket.category, since, handled, now, sla) is not None
