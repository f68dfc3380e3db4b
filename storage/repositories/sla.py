"""The scheduler's scans and claims.

A scan reads a small candidate set through an index (open tickets of one community, resolved
ones, recently closed ones); a claim is a conditional UPDATE that succeeds only while the row is
still as the scan saw it. Two instances (or a restart half-way) race on the claim and exactly
one wins, so nothing is sent twice and nothing is skipped."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    OPEN_STATUSES,
    Building,
    Channel,
    Community,
    Contact,
    CoordinatorScope,
    Membership,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketRecipient,
    TicketStatus,
)
from storage.repositories.tickets import UNFINISHED

S = TicketStatus
WAITING = (S.NEW, S.REOPENED)


@dataclass(frozen=True, slots=True)
class OpenRow:
    """An open ticket as the scans need it."""

    ticket: Ticket
    reopened_at: datetime | None  # the latest reopening, when there was one

    @property
    def waiting_since(self) -> datetime:
        """When the current wait for a taker began: creation, or the latest reopening."""
        if self.ticket.status is S.REOPENED and self.reopened_at is not None:
            return self.reopened_at
        return self.ticket.created_at

    @property
    def handled_since(self) -> datetime | None:
        """When the current handling of a taken ticket began: its take, or the reopening that
        gave it back to its holder (``taken_at`` keeps the first take, for the KPIs)."""
        taken = self.ticket.taken_at
        if taken is not None and self.reopened_at is not None and self.reopened_at > taken:
            return self.reopened_at
        return taken


@dataclass(frozen=True, slots=True)
class Listed:
    """A ticket in a reminder's list."""

    ticket: Ticket
    building: str
    since: datetime


def _changed(result: object) -> bool:
    return int(getattr(result, "rowcount", 0)) == 1


class SlaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def communities(self) -> Sequence[Community]:
        return (await self.session.scalars(select(Community).order_by(Community.id))).all()

    # ------------------------------------------------------------------------- open tickets

    def _reopened_at(self) -> ScalarSelect[datetime]:
        return (
            select(func.max(TicketEvent.created_at))
            .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "reopened")
            .scalar_subquery()
        )

    async def open_tickets(
        self, community_id: int, statuses: Sequence[TicketStatus], *, below_level: int = 99
    ) -> list[OpenRow]:
        """The community's tickets in ``statuses``, oldest first. One query per status: with
        one status the (community, status, created) index finds the rows in order; with
        ``status IN (…)`` and ORDER BY created_at, SQLite's planner walks the community's
        whole history by date instead (40 ms at 100,000 tickets, growing with every year)."""
        rows: list[OpenRow] = []
        for status in dict.fromkeys(statuses):
            query = (
                select(Ticket, self._reopened_at())
                .where(
                    Ticket.community_id == community_id,
                    Ticket.status == status,
                    Ticket.escalation_level < below_level,
                )
                .order_by(Ticket.created_at, Ticket.id)
            )
            rows += [OpenRow(t, r) for t, r in (await self.session.execute(query)).all()]
        if len(statuses) > 1:
            rows.sort(key=lambda row: (row.ticket.created_at, row.ticket.id))
        return rows

    async def claim_nudge(
        self,
        ticket: Ticket,
        count: int,
        since: datetime,
        now: datetime,
    ) -> bool:
        """Records reminder number ``count`` of the wait that began ``since``, if no one else
        did since ``ticket`` was read."""
        result = await self.session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.nudges_sent == ticket.nudges_sent,
                Ticket.nudge_since.is_not_distinct_from(ticket.nudge_since),
            )
            .values(nudges_sent=count, nudge_since=since, nudged_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def last_activity(self, ticket_ids: Iterable[int]) -> dict[int, datetime]:
        ids = list(ticket_ids)
        if not ids:
            return {}
        query = (
            select(TicketEvent.ticket_id, func.max(TicketEvent.created_at))
            .where(TicketEvent.ticket_id.in_(ids))
            .group_by(TicketEvent.ticket_id)
        )
        return {i: at for i, at in (await self.session.execute(query)).all()}

    async def claim_idle(self, ticket: Ticket, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.status == S.TAKEN,
                Ticket.idle_reminded_at.is_not_distinct_from(ticket.idle_reminded_at),
            )
            .values(idle_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def claim_rung(self, ticket: Ticket, level: int, reason: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.escalation_level == ticket.escalation_level)
            .values(
                escalation_level=level,
                escalation_at=now,
                escalation_reason=reason,
                escalated=True,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if _changed(result):
            await self.session.refresh(ticket)
            return True
        return False

    # ------------------------------------------------------------------------- recipients

    async def recipients(self, ticket_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(ticket_ids)
        found: dict[int, list[int]] = {i: [] for i in ids}
        if ids:
            query = (
                select(TicketRecipient.ticket_id, TicketRecipient.person_id)
                .where(TicketRecipient.ticket_id.in_(ids))
                .order_by(TicketRecipient.id)
            )
            for ticket_id, person_id in (await self.session.execute(query)).all():
                found[ticket_id].append(person_id)
        return found

    async def staff_of_unfinished(self, community_id: int) -> list[tuple[int, int, int]]:
        """(person, ticket, building) for everyone who holds, owns or was sent the card of an
        unfinished ticket of the community: the scan checks they still have a role for it."""
        unfinished = (Ticket.community_id == community_id, Ticket.status.in_(list(UNFINISHED)))
        received = (
            select(TicketRecipient.person_id, Ticket.id, Ticket.building_id)
            .join(Ticket, Ticket.id == TicketRecipient.ticket_id)
            .where(*unfinished)
        )
        rows = {(p, t, b) for p, t, b in (await self.session.execute(received)).all()}
        for column in (Ticket.holder_id, Ticket.owner_id):
            query = select(column, Ticket.id, Ticket.building_id).where(
                *unfinished, column.is_not(None)
            )
            rows |= {(p, t, b) for p, t, b in (await self.session.execute(query)).all() if p}
        return sorted(rows)

    async def staff_without_role(
        self, community_id: int, admin_addresses: Collection[str]
    ) -> list[tuple[int, int, int]]:
        """The rows of ``staff_of_unfinished`` whose person no longer has a role for the
        ticket's building: not head or deputy of it, not coordinator of it or of the whole
        community, not an admin (a Telegram contact among ``admin_addresses``). Asked in the
        database for everyone at once, three statements whatever the number of staff (the
        scan did four or five per person, every minute). A person without a row (forgotten)
        has no contact and no role, but also no rows here: recipients go with the person, and
        holder and owner are set to NULL."""
        unfinished = (Ticket.community_id == community_id, Ticket.status.in_(list(UNFINISHED)))

        def without_role(person: Any, building: Any) -> list[ColumnElement[bool]]:
            conditions: list[ColumnElement[bool]] = [
                exists().where(Person.id == person),
                ~exists().where(
                    Membership.person_id == person,
                    Membership.building_id == building,
                    Membership.role.in_([Role.HEAD, Role.DEPUTY]),
                ),
                ~exists().where(
                    CoordinatorScope.person_id == person,
                    or_(
                        CoordinatorScope.building_id == building,
                        and_(
                            CoordinatorScope.community_id == community_id,
                            CoordinatorScope.building_id.is_(None),
                        ),
                    ),
                ),
            ]
            if admin_addresses:
                conditions.append(
                    ~exists().where(
                        Contact.person_id == person,
                        Contact.channel == Channel.TELEGRAM,
                        Contact.address.in_(sorted(admin_addresses)),
                    )
                )
            return conditions

        received = (
            select(TicketRecipient.person_id, Ticket.id, Ticket.building_id)
            .join(Ticket, Ticket.id == TicketRecipient.ticket_id)
            .where(*unfinished, *without_role(TicketRecipient.person_id, Ticket.building_id))
        )
        rows = {(p, t, b) for p, t, b in (await self.session.execute(received)).all()}
        for column in (Ticket.holder_id, Ticket.owner_id):
            query = select(column, Ticket.id, Ticket.building_id).where(
                *unfinished, column.is_not(None), *without_role(column, Ticket.building_id)
            )
            rows |= {(p, t, b) for p, t, b in (await self.session.execute(query)).all() if p}
        return sorted(rows)

    async def people(self, person_ids: Iterable[int]) -> dict[int, Person]:
        ids = sorted(set(person_ids))
        if not ids:
            return {}
        rows = (await self.session.scalars(select(Person).where(Person.id.in_(ids)))).all()
        return {p.id: p for p in rows}

    async def waiting_for(self, person_id: int, community_id: int) -> list[Listed]:
        """The person's tickets waiting to be taken in this community, oldest first (one query
        per status, for the index: see open_tickets). Routed to the person is asked of each
        open ticket (EXISTS), not listed from every ticket ever routed to them (IN)."""
        routed = exists().where(
            TicketRecipient.ticket_id == Ticket.id, TicketRecipient.person_id == person_id
        )
        listed: list[Listed] = []
        for status in WAITING:
            query = (
                select(Ticket, Building.name, self._reopened_at())
                .join(Building, Building.id == Ticket.building_id)
                .where(
                    Ticket.community_id == community_id,
                    Ticket.status == status,
                    routed,
                )
                .order_by(Ticket.created_at, Ticket.id)
            )
            listed += [
                Listed(t, name, OpenRow(t, r).waiting_since)
                for t, name, r in (await self.session.execute(query)).all()
            ]
        listed.sort(key=lambda x: (x.ticket.created_at, x.ticket.id))
        return listed

    async def idle_for(self, person_id: int, community_id: int, before: datetime) -> list[Listed]:
        """Tickets the person holds with no event since ``before``, quietest first."""
        last = (
            select(TicketEvent.ticket_id, func.max(TicketEvent.created_at).label("at"))
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.holder_id == person_id, Ticket.status == S.TAKEN)
            .group_by(TicketEvent.ticket_id)
            .subquery()
        )
        query = (
            select(Ticket, Building.name, last.c.at)
            .join(last, last.c.ticket_id == Ticket.id)
            .join(Building, Building.id == Ticket.building_id)
            .where(Ticket.community_id == community_id, last.c.at <= before)
            .order_by(last.c.at, Ticket.id)
        )
        return [Listed(t, name, at) for t, name, at in (await self.session.execute(query)).all()]

    async def snoozed_over(self, person_ids: Iterable[int], now: datetime) -> list[Person]:
        ids = sorted(set(person_ids))
        if not ids:
            return []
        query = select(Person).where(
            Person.id.in_(ids), Person.snoozed_until.is_not(None), Person.snoozed_until <= now
        )
        return list((await self.session.scalars(query)).all())

    async def claim_wakeup(self, person: Person) -> bool:
        """The reminder a head asked for when snoozing: claimed by clearing the snooze."""
        result = await self.session.execute(
            update(Person)
            .where(Person.id == person.id, Person.snoozed_until == person.snoozed_until)
            .values(snoozed_until=None)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def snooze(self, person_id: int, until: datetime) -> None:
        await self.session.execute(
            update(Person).where(Person.id == person_id).values(snoozed_until=until)
        )

    async def home_community(self, person_id: int) -> Community | None:
        """The community whose clock a person's snooze follows: of their first building as a
        head or deputy, else of their first coordinator area."""
        as_head = (
            select(Building.community_id)
            .join(Membership, Membership.building_id == Building.id)
            .where(
                Membership.person_id == person_id,
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
            .order_by(Membership.id)
            .limit(1)
        )
        community_id = await self.session.scalar(as_head)
        if community_id is None:
            community_id = await self.session.scalar(
                select(CoordinatorScope.community_id)
                .where(CoordinatorScope.person_id == person_id)
                .order_by(CoordinatorScope.id)
                .limit(1)
            )
        return await self.session.get(Community, community_id) if community_id else None

    async def staff_people(self, community_id: int) -> list[int]:
        """Everyone a reminder may wake in this community: its tickets' recipients and holders."""
        open_ids = select(Ticket.id).where(
            Ticket.community_id == community_id, Ticket.status.in_(list(OPEN_STATUSES))
        )
        recipients = select(TicketRecipient.person_id).where(
            TicketRecipient.ticket_id.in_(open_ids)
        )
        holders = select(Ticket.holder_id).where(
            Ticket.community_id == community_id,
            Ticket.status == S.TAKEN,
            Ticket.holder_id.is_not(None),
        )
        query = select(Person.id).where(
            Person.snoozed_until.is_not(None),
            or_(Person.id.in_(recipients), Person.id.in_(holders)),
        )
        return list((await self.session.scalars(query)).all())

    # ------------------------------------------------------------------------- closing

    async def resolved(self, community_id: int) -> Sequence[Ticket]:
        """The tickets resolved and not yet confirmed, longest waiting first. Sorted here: for
        ORDER BY resolved_at SQLite's planner walks every ticket the community ever resolved
        (the resolved_at index) instead of finding these few by status."""
        query = select(Ticket).where(
            Ticket.community_id == community_id, Ticket.status == S.RESOLVED
        )
        tickets = list((await self.session.scalars(query)).all())
        tickets.sort(key=lambda t: (t.resolved_at or t.created_at, t.id))
        return tickets

    async def claim_confirm_reminder(self, ticket: Ticket, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.status == S.RESOLVED,
                Ticket.confirm_reminded_at.is_not_distinct_from(ticket.confirm_reminded_at),
            )
            .values(confirm_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def autoclose(self, ticket: Ticket, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.status == S.RESOLVED)
            .values(status=S.CLOSED, closed_at=now, autoclosed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if _changed(result):
            await self.session.refresh(ticket)
            return True
        return False

    async def reopen_closed(
        self, ticket: Ticket, now: datetime, status: TicketStatus = S.REOPENED
    ) -> bool:
        """A closed ticket opens again: ``reopened``, or ``taken`` when it goes back to its
        holder (bot/services/reopening.py)."""
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.status == S.CLOSED)
            .values(
                status=status,
                closed_at=None,
                resolved_at=None,
                autoclosed_at=None,
                rating=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if _changed(result):
            await self.session.refresh(ticket)
            return True
        return False

    async def followup_candidates(
        self, community_id: int, closed_from: datetime, closed_to: datetime
    ) -> Sequence[Ticket]:
        query = (
            select(Ticket)
            .where(
                Ticket.community_id == community_id,
                Ticket.closed_at >= closed_from,
                Ticket.closed_at <= closed_to,
                Ticket.status == S.CLOSED,
                Ticket.merged_into_id.is_(None),
                Ticket.author_id.is_not(None),
                Ticket.followup_sent_at.is_(None),
            )
            .order_by(Ticket.closed_at, Ticket.id)
        )
        return (await self.session.scalars(query)).all()

    async def claim_followup(self, ticket: Ticket, now: datetime) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.followup_sent_at.is_(None))
            .values(followup_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def answer_followup(self, ticket: Ticket, answer: str) -> bool:
        result = await self.session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.followup_sent_at.is_not(None),
                Ticket.followup_answer.is_(None),
            )
            .values(followup_answer=answer)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    # ------------------------------------------------------------------------- digests

    async def lease_digest(
        self, community: Community, day: date, now: datetime, until: datetime
    ) -> bool:
        """Claims the preparation of ``day``'s digest until ``until``: only while it is not
        sent and no other instance holds a lease that has not run out. The instance that
        gets it gathers the figures; the others go on to the next community."""
        result = await self.session.execute(
            update(Community)
            .where(
                Community.id == community.id,
                or_(Community.digest_sent_on.is_(None), Community.digest_sent_on < day),
                or_(
                    Community.digest_lease_until.is_(None),
                    Community.digest_lease_until <= now,
                ),
            )
            .values(digest_lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def release_digest(self, community: Community, until: datetime) -> None:
        """Gives back a lease this instance holds (its preparation failed): the next run, of
        any instance, tries again at once instead of when the lease runs out."""
        await self.session.execute(
            update(Community)
            .where(Community.id == community.id, Community.digest_lease_until == until)
            .values(digest_lease_until=None)
            .execution_options(synchronize_session=False)
        )

    async def claim_digest(self, community: Community, day: date) -> bool:
        """Marks ``day``'s digest sent (and ends the lease), in the transaction that writes its
        messages: if a lease ran out while its holder was still at work and another instance
        prepared it too, only the first to commit sends it."""
        result = await self.session.execute(
            update(Community)
            .where(
                Community.id == community.id,
                or_(Community.digest_sent_on.is_(None), Community.digest_sent_on < day),
            )
            .values(digest_sent_on=day, digest_lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def claim_weekly(self, community: Community, day: date) -> bool:
        return await self._claim_day(community, Community.weekly_sent_on, day)

    async def _claim_day(
        self, community: Community, column: InstrumentedAttribute[date | None], day: date
    ) -> bool:
        result = await self.session.execute(
            update(Community)
            .where(Community.id == community.id, or_(column.is_(None), column < day))
            .values({column.key: day})
            .execution_options(synchronize_session=False)
        )
        return _changed(result)
