"""The escalation ladder. A ticket not taken 24 h after routing, or not resolved 7 days after it
was taken (or given back to its holder by "not fixed"; per-category overrides), climbs: level
1, the building's coordinators co-own it and get its card with the reason; level 2, 48 h later
and still overdue, the community's coordinators (or the admins). Each step is a ticket event,
shown in History."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.contacts import admin_people
from bot.services.scheduling import sla_of, translator, write
from bot.services.sla import WAITING, Rung, Sla, may_send, next_rung
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_audience import TicketAudience
from storage.db import Database
from storage.models import OPEN_STATUSES, Community, Person, Ticket
from storage.repositories import PersonRepository
from storage.repositories.sla import SlaRepository
from storage.repositories.tickets import TicketRepository


class LadderService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        access: TicketAccess,
        audience: TicketAudience,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.access = access
        self.audience = audience

    async def run(self) -> int:
        """One scan of every community; returns how many steps were taken."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        steps = 0
        for community in communities:
            steps += await self._community(community, now)
        return steps

    async def _community(self, community: Community, now: datetime) -> int:
        sla = sla_of(community)
        steps = 0
        async with self.db.session() as session:
            repo = SlaRepository(session)
            for row in await repo.open_tickets(community.id, list(OPEN_STATUSES), below_level=2):
                ticket = row.ticket
                rung = next_rung(
                    ticket.status,
                    ticket.category,
                    row.waiting_since if ticket.status in WAITING else None,
                    row.handled_since,
                    ticket.escalation_level,
                    ticket.escalation_at,
                    now,
                    sla,
                )
                if rung is None or not may_send(now, sla, urgent=ticket.urgent):
                    continue
                if await repo.claim_rung(ticket, rung.level, rung.reason, now):
                    await self._climb(session, ticket, rung, now, sla)
                    steps += 1
            await session.commit()
        return steps

    async def _climb(
        self, session: AsyncSession, ticket: Ticket, rung: Rung, now: datetime, sla: Sla
    ) -> None:
        tickets = TicketRepository(session)
        before = {r.person_id for r in await tickets.recipients(ticket.id)}
        targets = await self._targets(session, ticket, rung.level, before)
        await tickets.add_event(
            ticket.id,
            None,
            f"ladder-{rung.reason}-{rung.level}",
            now,
            to=[p.id for p in targets],
        )
        for person in targets:
            if await tickets.add_recipient(ticket.id, person.id, "escalation", now):
                await self.audience.send_card(session, ticket, person.id, with_media=True)
        for person_id in before:
            await self.audience.send_card(session, ticket, person_id)  # shows "escalated"
        limits = sla.thresholds(ticket.category)
        hours = round(limits.untaken.total_seconds() / 3600)
        days = limits.unresolved.days
        key = "sched-ladder-untaken" if rung.reason == "untaken" else "sched-ladder-unresolved"
        for person in targets:
            t = translator(self.translations, person)
            text = t(key, number=ticket.number, level=rung.level, hours=hours, days=days)
            await write(session, person, now, text, ticket_id=ticket.id)
        if rung.reason == "unresolved" and ticket.holder_id is not None:
            holder = await PersonRepository(session).get(ticket.holder_id)
            if (
                holder is not None
                and holder not in targets
                and await self.access.covers(session, holder, ticket)
            ):
                t = translator(self.translations, holder)
                text = t("sched-ladder-holder", number=ticket.number, days=days)
                await write(session, holder, now, text, ticket_id=ticket.id)

    async def _targets(
        self, session: AsyncSession, ticket: Ticket, level: int, already: set[int]
    ) -> list[Person]:
        """Level 1: the building's coordinators, else the community's, else the admins.
        Level 2: the community's coordinators not yet on it, else the admins not yet on it."""
        tickets = TicketRepository(session)
        building = list(await tickets.coordinators(ticket.community_id, ticket.building_id))
        community = list(await tickets.coordinators(ticket.community_id, None))
        people = PersonRepository(session)
        admins = await admin_people(people, self.config)
        if level == 1:
            chain = [building, community, admins]
        else:
            chain = [
                [p for p in community if p.id not in already],
                [p for p in admins if p.id not in already],
            ]
        for group in chain:
            reachable = [p for p in group if p.unreachable_since is None]
            if reachable:
                return reachable
        return []
