"""Closing the loop: a resolved ticket the resident has not confirmed gets one reminder, then
closes itself after 3 days (its author may still reopen it for 7 more days; its followers may
say it is still a problem for them); 30 days after closing the author is asked once "still
fixed?", and "no" opens a new linked ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.cards import category_label
from bot.services.categories import Category, find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.reopening import TicketReopening
from bot.services.scheduling import SchedAction, sla_of, translator, write
from bot.services.sla import (
    Sla,
    autoclose_due,
    confirm_reminder_due,
    followup_due,
    local,
    may_send,
    reopen_allowed,
)
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import StaleAction
from storage.db import Database
from storage.models import Community, Person, Ticket, TicketStatus
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.sla import SlaRepository
from storage.repositories.tickets import TicketRepository


class ClosingService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        audience: TicketAudience,
        reopening: TicketReopening,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.audience = audience
        self.reopening = reopening

    async def run(self) -> int:
        """One scan of every community; returns how many tickets were acted on."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        done = 0
        for community in communities:
            sla = sla_of(community)
            if may_send(now, sla):  # everything here speaks to residents: not at night
                done += await self._community(community, now, sla)
        return done

    async def _community(self, community: Community, now: datetime, sla: Sla) -> int:
        done = 0
        async with self.db.session() as session:
            repo = SlaRepository(session)
            for ticket in await repo.resolved(community.id):
                assert ticket.resolved_at is not None
                if autoclose_due(ticket.resolved_at, now, sla):
                    if await repo.autoclose(ticket, now):
                        await self._autoclosed(session, ticket, now, sla)
                        done += 1
                elif confirm_reminder_due(
                    ticket.resolved_at, ticket.confirm_reminded_at, now, sla
                ) and await repo.claim_confirm_reminder(ticket, now):
                    await self._remind_confirm(
                        session, ticket, ticket.resolved_at + sla.autoclose, sla
                    )
                    done += 1
            window = (now - sla.followup - sla.followup_grace, now - sla.followup)
            for ticket in await repo.followup_candidates(community.id, *window):
                assert ticket.closed_at is not None
                if followup_due(
                    ticket.closed_at, ticket.followup_sent_at, now, sla
                ) and await repo.claim_followup(ticket, now):
                    await self._ask_followup(session, community, ticket, now, sla)
                    done += 1
            await session.commit()
        return done

    async def _autoclosed(
        self, session: AsyncSession, ticket: Ticket, now: datetime, sla: Sla
    ) -> None:
        await TicketRepository(session).add_event(ticket.id, None, "auto-closed", now)
        await self.audience.refresh_cards(session, ticket)
        until = local(now + sla.reopen_window, sla).strftime("%Y-%m-%d")
        author = await self.audience.author(session, ticket)
        if author is not None:
            t = translator(self.translations, author)
            text = t(
                "sched-autoclosed",
                number=ticket.number,
                days=sla.autoclose.days,
                until=until,
            )
            reopen = [(t("sched-btn-reopen"), SchedAction.REOPEN.value, ticket.id)]
            await write(session, author, now, text, buttons=[reopen])
        # Only the author reopens; a follower for whom it is not fixed goes on in a ticket of
        # their own.
        await self.audience.tell_followers(
            session,
            ticket,
            "notice-closed-follower",
            number=ticket.number,
            buttons=[[("btn-still", Action.STILL)]],
        )

    async def _remind_confirm(
        self, session: AsyncSession, ticket: Ticket, closes_at: datetime, sla: Sla
    ) -> None:
        author = await PersonRepository(session).get(ticket.author_id or 0)
        if author is None:
            return
        await self.audience.tell(
            session,
            author,
            "sched-confirm-reminder",
            ticket,
            buttons=[[("btn-confirm", Action.CONFIRM), ("btn-reopen", Action.REOPEN)]],
            number=ticket.number,
            date=local(closes_at, sla).strftime("%m-%d %H:%M"),
        )

    async def _ask_followup(
        self, session: AsyncSession, community: Community, ticket: Ticket, now: datetime, sla: Sla
    ) -> None:
        await TicketRepository(session).add_event(ticket.id, None, "followup-asked", now)
        author = await PersonRepository(session).get(ticket.author_id or 0)
        if author is None:
            return
        t = translator(self.translations, author)
        category = find_category(community.settings, ticket.category)
        assert ticket.closed_at is not None
        text = t(
            "sched-followup-ask",
            number=ticket.number,
            category=category_label(t, category, ticket.category),
            date=local(ticket.closed_at, sla).strftime("%Y-%m-%d"),
        )
        buttons = [
            [
                (t("sched-btn-fixed-yes"), SchedAction.FIXED_YES.value, ticket.id),
                (t("sched-btn-fixed-no"), SchedAction.FIXED_NO.value, ticket.id),
            ]
        ]
        await write(session, author, now, text, buttons=buttons)

    # ------------------------------------------------------------------------- residents

    async def reopen_closed(self, person: Person, ticket_id: int) -> Ticket:
        """ "Not fixed" on a ticket the scheduler closed, within the reopen window. (The ticket
        table of bot/services/policy.py allows REOPEN on resolved tickets only; this is the
        one way a closed ticket opens again.)"""
        now = self.clock()
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            ticket = await tickets.get(ticket_id)
            if ticket is None:
                raise ServiceError("not-allowed")
            if ticket.author_id != person.id:
                if await tickets.is_follower(ticket.id, person.id):
                    raise ServiceError("follower-not-author", number=ticket.number)
                raise ServiceError("not-allowed")
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            sla = sla_of(community)
            if not reopen_allowed(ticket.status, ticket.autoclosed_at, ticket.closed_at, now, sla):
                if ticket.status is TicketStatus.CLOSED and ticket.autoclosed_at is not None:
                    raise ServiceError(
                        "sched-reopen-expired",
                        number=ticket.number,
                        days=sla.reopen_window.days,
                    )
                raise StaleAction(ticket)
            holder = await self.reopening.holder_back(session, ticket, now)
            status = TicketStatus.TAKEN if holder else TicketStatus.REOPENED
            if not await SlaRepository(session).reopen_closed(ticket, now, status):
                raise StaleAction(ticket)
            await self.reopening.reopened(session, ticket, person, "", holder, now)
            await session.commit()
            return ticket

    async def followup_answer(
        self, person: Person, ticket_id: int, fixed: bool
    ) -> tuple[Ticket, Ticket | None]:
        """Records the answer to "still fixed?"; "no" opens a new ticket linked to the old one
        and routes it like a new report. Returns (old ticket, new ticket or None)."""
        now = self.clock()
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            ticket = await tickets.get(ticket_id)
            if ticket is None or ticket.author_id != person.id or ticket.followup_sent_at is None:
                raise ServiceError("not-allowed")
            repo = SlaRepository(session)
            if not await repo.answer_followup(ticket, "yes" if fixed else "no"):
                raise ServiceError("sched-followup-answered", number=ticket.number)
            if fixed:
                await tickets.add_event(ticket.id, person.id, "followup-yes", now)
                await session.commit()
                return ticket, None
            linked = await self._linked(session, ticket, person, now)
            await tickets.add_event(
                ticket.id, person.id, "followup-no", now, note=f"#{linked.number}"
            )
            await session.commit()
            return ticket, linked

    async def _linked(
        self, session: AsyncSession, old: Ticket, person: Person, now: datetime
    ) -> Ticket:
        tickets = TicketRepository(session)
        community = await CommunityRepository(session).get(old.community_id)
        assert community is not None
        category = find_category(community.settings, old.category) or Category(old.category, "📝")
        t = translator(self.translations, person)
        description = t("sched-followup-description", number=old.number)
        if old.description:
            description += "\n" + old.description
        ticket = await tickets.add(
            Ticket(
                community_id=community.id,
                number=await tickets.next_number(community.id),
                building_id=old.building_id,
                author_id=person.id,
                category=category.code,
                urgent=category.urgent,
                status=TicketStatus.NEW,
                description=description,
                media=[],
                flat=old.flat,
                show_name=old.show_name,
                show_phone=old.show_phone,
                created_at=now,
                updated_at=now,
                parent_id=old.id,
            )
        )
        await tickets.add_event(ticket.id, person.id, "created", now)
        await tickets.add_event(ticket.id, None, "linked", now, note=f"#{old.number}")
        await self.audience.route_new(session, ticket, community, category, now)
        return ticket
