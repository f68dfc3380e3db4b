"""Gentle reminders to the staff: tickets waiting to be taken (2 h, 6 h, 24 h after routing),
tickets taken but quiet for days, and the reminder a head asked for by snoozing. One message per
person lists all their waiting tickets with a button to open each.

Before reminding, each scan hands on the tickets held by, owned by or routed to someone who no
longer has a role for them: an admin taken out of ADMIN_IDS is a config change that no revoke
call ever saw, and a ticket they had taken would otherwise stay "taken" forever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.access import Coverage, coverage
from bot.services.cards import age, category_label
from bot.services.categories import find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.handover import hand_over
from bot.services.scheduling import (
    MAX_LISTED,
    Buttons,
    SchedAction,
    open_buttons,
    sla_of,
    translator,
    write,
)
from bot.services.sla import (
    WAITING,
    Sla,
    idle_due,
    local,
    may_send,
    nudge_count,
    nudge_due,
    sla_for,
    snooze_until,
)
from bot.services.ticket_audience import TicketAudience
from storage.db import Database
from storage.models import Community, Person, TicketStatus
from storage.repositories.sla import Listed, SlaRepository
from storage.repositories.stats import Scope
from storage.repositories.tickets import TicketRepository


class ReminderService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        audience: TicketAudience,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.audience = audience

    async def run(self) -> int:
        """One scan of every community; returns how many reminders were written."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        written = 0
        for community in communities:
            written += await self._community(community, now)
        return written

    async def _community(self, community: Community, now: datetime) -> int:
        sla = sla_of(community)
        quiet = not may_send(now, sla)
        async with self.db.session() as session:
            repo = SlaRepository(session)
            tickets = TicketRepository(session)
            await self._hand_on(session, repo, community, now)
            due: dict[int, None] = {}  # people to remind, in order
            nudged: list[int] = []
            for row in await repo.open_tickets(community.id, list(WAITING)):
                ticket = row.ticket
                if quiet and not ticket.urgent:
                    continue  # waits for the morning; safety does not
                since = row.waiting_since
                sent = nudge_count(ticket.status, since, ticket.nudges_sent, ticket.nudge_since)
                count = nudge_due(since, sent, now, sla)
                if count is not None and await repo.claim_nudge(ticket, count, since, now):
                    await tickets.add_event(ticket.id, None, "nudged", now, n=count)
                    nudged.append(ticket.id)
            for recipients in (await repo.recipients(nudged)).values():
                due.update(dict.fromkeys(recipients))
            if not quiet:
                await self._idle(repo, community, now, sla, due)
                for snoozed in await repo.snoozed_over(await repo.staff_people(community.id), now):
                    if await repo.claim_wakeup(snoozed):
                        due[snoozed.id] = None
            people = await repo.people(due)
            written = 0
            for person_id in due:
                person = people.get(person_id)
                if person is not None and _reachable(person, now):
                    written += await self._remind(session, repo, person, community, now, sla)
            await session.commit()
        return written

    async def _hand_on(
        self, session: AsyncSession, repo: SlaRepository, community: Community, now: datetime
    ) -> None:
        """Access follows current roles: whoever lost the role for an unfinished ticket loses
        its card (edited to "no access") and its place among the recipients; a ticket they
        held or owned goes to the building's current staff (bot/services/handover.py). The
        roles are checked in the database for everyone at once (the same rule as
        ``Coverage.covers``: head or deputy of the building, coordinator of it or of the
        community, admin), not person by person: a few statements per community, whatever
        its staff."""
        admins = {str(admin) for admin in self.config.admin_ids}
        gone: dict[int, list[int]] = {}  # ticket -> people without a role for it
        for person_id, ticket_id, _ in await repo.staff_without_role(community.id, admins):
            gone.setdefault(ticket_id, []).append(person_id)
        tickets = TicketRepository(session)
        for ticket_id, people in gone.items():
            ticket = await tickets.get(ticket_id)
            assert ticket is not None
            for person_id in people:
                await self.audience.send_card(session, ticket, person_id)
                await tickets.drop_recipient(person_id, [ticket_id])
            await hand_over(session, self.audience, ticket_id, now, gone=people)

    async def _idle(
        self,
        repo: SlaRepository,
        community: Community,
        now: datetime,
        sla: Sla,
        due: dict[int, None],
    ) -> None:
        taken = await repo.open_tickets(community.id, [TicketStatus.TAKEN])
        activity = await repo.last_activity(row.ticket.id for row in taken)
        for row in taken:
            ticket = row.ticket
            last = activity.get(ticket.id, ticket.taken_at or ticket.created_at)
            if (
                ticket.holder_id is not None
                and idle_due(last, ticket.idle_reminded_at, now, sla)
                and await repo.claim_idle(ticket, now)
            ):
                due[ticket.holder_id] = None

    async def _remind(
        self,
        session: AsyncSession,
        repo: SlaRepository,
        person: Person,
        community: Community,
        now: datetime,
        sla: Sla,
    ) -> int:
        # Only what the person's current roles cover: a ticket routed to them under a role
        # they no longer have (or as an admin no longer in ADMIN_IDS) is not theirs to hear of.
        covered = await coverage(session, self.config, person)
        waiting = [x for x in await repo.waiting_for(person.id, community.id) if covers(covered, x)]
        idle = [
            x
            for x in await repo.idle_for(person.id, community.id, now - sla.idle)
            if covers(covered, x)
        ]
        if not waiting and not idle:
            return 0
        t = translator(self.translations, person)
        lines: list[str] = []
        if waiting:
            lines.append(t("sched-nudge-waiting", count=len(waiting)))
            lines += self._lines(t, community, waiting, now)
        if idle:
            if lines:
                lines.append("")
            lines.append(t("sched-nudge-idle", count=len(idle)))
            lines += self._lines(t, community, idle, now)
        lines += ["", t("sched-nudge-footer")]
        listed = [(x.ticket.id, x.ticket.number) for x in (waiting + idle)[:MAX_LISTED]]
        buttons: Buttons = open_buttons(t, listed)
        buttons.append(
            [
                (t("sched-btn-snooze-hour"), SchedAction.SNOOZE_HOUR.value, 0),
                (t("sched-btn-snooze-morning"), SchedAction.SNOOZE_MORNING.value, 0),
            ]
        )
        buildings = tuple(sorted({x.ticket.building_id for x in waiting + idle}))
        staff = Scope(community.id, buildings)
        await write(session, person, now, "\n".join(lines), buttons=buttons, staff=staff)
        return 1

    def _lines(
        self, t: Translator, community: Community, listed: list[Listed], now: datetime
    ) -> list[str]:
        lines = [
            t(
                "sched-line",
                number=x.ticket.number,
                category=category_label(
                    t, find_category(community.settings, x.ticket.category), x.ticket.category
                ),
                building=x.building,
                age=age(t, x.since, now),
            )
            for x in listed[:MAX_LISTED]
        ]
        if len(listed) > MAX_LISTED:
            lines.append(t("sched-more", count=len(listed) - MAX_LISTED))
        return lines

    # ------------------------------------------------------------------------- snooze

    async def snooze(self, person: Person, kind: str) -> str:
        """No reminders for an hour, or until tomorrow 09:00 community time; then one. Returns
        the local time of that reminder."""
        if kind not in ("hour", "morning"):
            raise ServiceError("not-allowed")
        now = self.clock()
        async with self.db.session() as session:
            repo = SlaRepository(session)
            community = await repo.home_community(person.id)
            sla = sla_of(community) if community else sla_for({}, self.config.timezone)
            until = snooze_until(kind, now, sla)
            await repo.snooze(person.id, until)
            await session.commit()
        return local(until, sla).strftime("%H:%M")


def covers(covered: Coverage, listed: Listed) -> bool:
    return covered.covers_ticket(listed.ticket)


def _reachable(person: Person, now: datetime) -> bool:
    """Away heads are covered by routing; blocked chats cannot be written to; a snoozed head
    gets the reminder when the snooze ends."""
    if person.unreachable_since is not None:
        return False
    if person.away_until is not None and person.away_until > now:
        return False
    return person.snoozed_until is None or person.snoozed_until <= now
