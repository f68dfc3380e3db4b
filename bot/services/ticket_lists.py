"""The ticket lists: /tickets for staff (status filters and "all") and /my for residents.

A staff list must cost the same after twenty years as after one. The status filters are small
whatever the history (the tickets still open), so they keep an exact count and numbered pages.
"all" is the whole history: it is counted only up to LIST_CAP ("1000+") and paged from ticket to
ticket (keyset), so no page reads the pages before it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.categories import Category, find_category
from bot.services.contacts import is_admin
from bot.services.errors import NotStaff
from storage.db import Database
from storage.models import OPEN_STATUSES, Person, Role, Ticket, TicketStatus
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.tickets import Scope, TicketRepository
from storage.rows import ListedTicket

S = TicketStatus
PAGE_SIZE = 10
LIST_CAP = 1000
FILTERS: dict[str, Sequence[TicketStatus] | None] = {
    "open": OPEN_STATUSES,
    "new": (S.NEW, S.REOPENED),
    "taken": (S.TAKEN,),
    "resolved": (S.RESOLVED,),
    "escalated": OPEN_STATUSES,
    "all": None,
}


# A staff list's tickets are rows read for their buttons (ListedTicket); a resident's are the
# tickets (their doors read more of them). Either is a storage.rows.ListedView.
L = TypeVar("L")  # a ListedView (mypy takes Ticket as one, not as its bound)


@dataclass(frozen=True, slots=True)
class TicketPage(Generic[L]):
    tickets: Sequence[L]
    page: int  # from 0
    pages: int
    total: int
    # There are newer tickets than this page's, or older ones.
    newer: bool = False
    older: bool = False
    # "all": the next pages continue from this page's first or last ticket (see Keyset), and
    # the total is only counted up to LIST_CAP: ``capped`` says there are more than ``total``.
    keyset: bool = False
    capped: bool = False
    # /my: the tickets the reader follows but did not write ("me too"), listed without the
    # author's words.
    followed: frozenset[int] = frozenset()
    # Their categories as their community defines them (its own names), by ticket id.
    categories: Mapping[int, Category | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where a page of "all" continues: the tickets just older (or just newer) than this one."""

    ticket_id: int
    newer: bool = False


class TicketLists:
    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db

    async def staff_tickets(
        self, person: Person, flt: str, page: int = 0, keyset: Keyset | None = None
    ) -> TicketPage[ListedTicket]:
        """A page of the tickets of the person's buildings and area (current roles only).
        ``page`` counts from 0; for "all", ``keyset`` (from a page's Newer / Older button)
        goes on from a ticket instead, however deep, and ``page`` is then only its label."""
        statuses = FILTERS.get(flt, OPEN_STATUSES)
        page = max(page, 0)
        async with self.db.session() as session:
            scope = await self._staff_scope(session, person)
            tickets = TicketRepository(session)
            if statuses is None:
                return await _all(tickets, scope, page, keyset)
            escalated = flt == "escalated"
            total = await tickets.status_count(scope, statuses, escalated)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(page, pages - 1)
            rows = await tickets.status_page(
                scope, statuses, escalated, page * PAGE_SIZE, PAGE_SIZE
            )
        return TicketPage(rows, page, pages, total, newer=page > 0, older=page < pages - 1)

    async def _staff_scope(self, session: AsyncSession, person: Person) -> Scope:
        people = PersonRepository(session)
        roles = await people.building_roles(person.id)
        areas = await people.coordinator_areas(person.id)
        building_ids = [r.building_id for r in roles if r.role in (Role.HEAD, Role.DEPUTY)]
        building_ids += [a.building_id for a in areas if a.building_id is not None]
        community_ids = [a.community_id for a in areas if a.building_id is None]
        if is_admin(self.config, person):
            community_ids += [c.id for c in await CommunityRepository(session).page(0, 1000)]
        if not building_ids and not community_ids:
            raise NotStaff()  # a resident only: /tickets is for staff
        return Scope(person.id, building_ids, community_ids)

    async def my_tickets(self, person: Person, page: int) -> TicketPage[Ticket]:
        async with self.db.session() as session:
            total, tickets = await TicketRepository(session).resident_page(
                person.id, page * PAGE_SIZE, PAGE_SIZE
            )
            followed = frozenset(t.id for t in tickets if t.author_id != person.id)
            communities = CommunityRepository(session)
            settings = {
                c: found.settings if (found := await communities.get(c)) else {}
                for c in {t.community_id for t in tickets if t.id in followed}
            }
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(page, pages - 1)
        categories = {
            t.id: find_category(settings[t.community_id], t.category)
            for t in tickets
            if t.id in followed
        }
        return TicketPage(
            tickets,
            page,
            pages,
            total,
            newer=page > 0,
            older=page < pages - 1,
            followed=followed,
            categories=categories,
        )


async def _all(
    tickets: TicketRepository, scope: Scope, page: int, keyset: Keyset | None
) -> TicketPage[ListedTicket]:
    counted = await tickets.count_all(scope, LIST_CAP)
    total, capped = min(counted, LIST_CAP), counted > LIST_CAP
    pages = max(1, math.ceil(total / PAGE_SIZE))

    def shown(
        rows: Sequence[ListedTicket], page: int, newer: bool, older: bool
    ) -> TicketPage[ListedTicket]:
        # New tickets arriving while someone pages shift the labels; never "page 3 of 2".
        page = page if capped else min(page, pages - 1)
        return TicketPage(rows, page, pages, total, newer, older, keyset=True, capped=capped)

    start = await tickets.position(keyset.ticket_id) if keyset is not None else None
    if keyset is not None and start is not None:
        rows = await tickets.all_page(scope, start, keyset.newer, PAGE_SIZE + 1)
        if keyset.newer and len(rows) > PAGE_SIZE:
            return shown(rows[1:], max(page, 1), newer=True, older=True)
        if not keyset.newer and rows:
            return shown(rows[:PAGE_SIZE], max(page, 1), True, len(rows) > PAGE_SIZE)
    if keyset is not None:
        page = 0  # back at the newest, or a button that leads nowhere: from the top
    # A page by number (no keyset) is read from the newest, so it is one of the first LIST_CAP
    # tickets' pages: even the deepest reads at most that many.
    page = min(page, pages - 1)
    rows = await tickets.all_page(scope, None, False, PAGE_SIZE + 1, skip=page * PAGE_SIZE)
    return shown(rows[:PAGE_SIZE], page, page > 0, len(rows) > PAGE_SIZE)
