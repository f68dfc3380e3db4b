"""Handing a ticket on when the people who had it lost their part in it: a head or deputy
removed (revoke, /staff), an admin taken out of ADMIN_IDS (noticed by the scheduler's scan, as
a config change makes no event), a person who used /forgetme. One rule for all of them, so a
ticket is never left "taken" by, or routed only to, someone who may no longer open it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.categories import find_category
from storage.models import TicketStatus
from storage.repositories import CommunityRepository
from storage.repositories.tickets import UNFINISHED, TicketRepository

if TYPE_CHECKING:
    from bot.services.ticket_audience import TicketAudience


async def hand_over(
    session: AsyncSession,
    audience: TicketAudience,
    ticket_id: int,
    now: datetime,
    *,
    gone: Collection[int] = (),
    released: bool = False,
) -> bool:
    """The ticket goes to whom routing says now (the people in ``gone`` are out of the chain
    already: their role went, or their row): the current staff missing from its recipients get
    the card; taken by one of ``gone`` it is "new" again so someone can take it (``released``:
    the caller already did that); owned by one of them (or by nobody), the new first in line
    owns it. In the caller's transaction. Returns whether it changed hands."""
    repo = TicketRepository(session)
    ticket = await repo.get(ticket_id)
    if ticket is None or ticket.status not in UNFINISHED:
        return False
    if ticket.holder_id is not None and ticket.holder_id in gone:
        if ticket.status is TicketStatus.TAKEN:
            await repo.transition(
                ticket.id,
                [TicketStatus.TAKEN],
                now,
                status=TicketStatus.NEW,
                holder_id=None,
                taken_at=None,
                nudge_since=now,
                nudges_sent=0,
                nudged_at=None,
            )
        else:
            ticket.holder_id = None  # resolved or reopened: the next answer goes to the owner
        released = True
    community = await CommunityRepository(session).get(ticket.community_id)
    assert community is not None
    category = find_category(community.settings, ticket.category)
    routing = await audience.routing(session, ticket, community, category, now)
    added = []
    for person_id, _ in routing.recipients:
        if await repo.add_recipient(ticket.id, person_id, "handover", now):
            added.append(person_id)
            reach = routing.reach.get(person_id)
            await audience.send_card(session, ticket, person_id, with_media=True, reach=reach)
    owner = ticket.owner_id
    if owner is None or owner in gone:
        ticket.owner_id = routing.owner_id
    if not (released or added or ticket.owner_id != owner):
        return False  # the others still have it (a deputy left; the head is there)
    ticket.updated_at = now
    await repo.add_event(ticket.id, None, "handed-over", now, previous=sorted(gone), to=added)
    await audience.refresh_cards(session, ticket)
    return True
