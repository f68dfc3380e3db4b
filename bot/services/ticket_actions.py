"""What heads and residents do to a ticket: take, resolve, escalate, merge, talk, confirm,
rate, withdraw ("not fixed" is in reopening, "me too" in neighbours). Each is one transaction:
the state change (a conditional UPDATE, so a double tap or two heads at once change it once)
and the messages it causes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translator
from bot.services.cards import CardView
from bot.services.categories import is_private
from bot.services.clock import Clock
from bot.services.contacts import admin_people
from bot.services.errors import InputRefused, ServiceError
from bot.services.points import pay_fix
from bot.services.policy import Action, Relation, is_staff, may
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_cards import TicketCards
from bot.services.ticket_core import (
    Content,
    StaleAction,
    TicketNotOpen,
    checked,
    community_of_building,
    door_data,
)
from storage.db import Database
from storage.models import (
    OPEN_STATUSES,
    Address,
    Channel,
    Person,
    Ticket,
    TicketStatus,
)
from storage.repositories import PersonRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.tickets import TicketRepository

S = TicketStatus


class TicketActions:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        access: TicketAccess,
        audience: TicketAudience,
        cards: TicketCards,
    ) -> None:
        self.cards = cards
        self.config = config
        self.db = db
        self.clock = clock
        self.access = access
        self.audience = audience

    async def take(self, person: Person, ticket_id: int, *, door: str = Channel.TELEGRAM) -> Ticket:
        async with self.db.session() as session:
            ticket, _ = await self._take(session, person, ticket_id, door)
            return ticket

    async def take_and_show(
        self, person: Person, ticket_id: int, t: Translator, *, door: str = Channel.TELEGRAM
    ) -> tuple[Ticket, CardView]:
        """Take, and the presser's card as it is now, rendered in the same unit of work after
        its commit: the ticket, its people and the presser's relations are not loaded again
        (a fresh ``card()`` was half of Take's statements)."""
        async with self.db.session() as session:
            ticket, relations = await self._take(session, person, ticket_id, door)
            return ticket, await self.cards.render_in(session, ticket, relations, t)

    async def _take(
        self, session: AsyncSession, person: Person, ticket_id: int, door: str
    ) -> tuple[Ticket, frozenset[Relation]]:
        now = self.clock()
        try:
            ticket, relations = await self.access.authorise(session, person, ticket_id, Action.TAKE)
        except StaleAction as stale:
            raise await self.access.taken_by(session, person, stale.ticket) from None
        tickets = TicketRepository(session)
        if not await tickets.transition(
            ticket.id,
            [S.NEW, S.REOPENED],
            now,
            status=S.TAKEN,
            holder_id=person.id,
            taken_at=now,
        ):
            await session.rollback()
            raise await self.access.taken_by(
                session, person, await self.access.fresh(session, ticket_id)
            )
        await tickets.add_event(ticket.id, person.id, "taken", now, **door_data(door))
        await self.audience.refresh_cards(session, ticket)
        await self.audience.tell_author(session, ticket, "notice-taken", number=ticket.number)
        await self.audience.tell_followers(
            session, ticket, "notice-taken-follower", number=ticket.number
        )
        await session.commit()
        return ticket, relations

    async def resolve(
        self, person: Person, ticket_id: int, note: str, *, door: str = Channel.TELEGRAM
    ) -> Ticket:
        now = self.clock()
        note = checked(note)
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.RESOLVE)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, [S.TAKEN], now, status=S.RESOLVED, resolved_at=now
            ):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            await tickets.add_event(
                ticket.id, person.id, "resolved", now, note=note, **door_data(door)
            )
            await self.audience.refresh_cards(session, ticket)
            # The note is the head's word to the author; followers hear the status only,
            # and have their own way on if it is not fixed for them.
            buttons = [[("btn-confirm", Action.CONFIRM), ("btn-reopen", Action.REOPEN)]]
            if note:
                await self.audience.tell_author(
                    session,
                    ticket,
                    "notice-resolved-note",
                    number=ticket.number,
                    note=note,
                    footer="notice-resolved-ask",
                    buttons=buttons,
                )
            else:
                await self.audience.tell_author(
                    session, ticket, "notice-resolved", number=ticket.number, buttons=buttons
                )
            await self.audience.tell_followers(
                session,
                ticket,
                "notice-resolved-follower",
                number=ticket.number,
                buttons=[[("btn-still", Action.STILL)]],
            )
            await session.commit()
            return ticket

    async def escalate(
        self, person: Person, ticket_id: int, reason: str, *, door: str = Channel.TELEGRAM
    ) -> Ticket:
        now = self.clock()
        reason = checked(reason)
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.ESCALATE)
            tickets = TicketRepository(session)
            coordinators = [
                *await tickets.coordinators(ticket.community_id, ticket.building_id),
                *await tickets.coordinators(ticket.community_id, None),
            ]
            people = PersonRepository(session)
            if not coordinators:
                coordinators += await admin_people(people, self.config)
            owner = next((c for c in coordinators if c.id != person.id), None)
            ticket.escalated = True
            if owner is not None:
                ticket.owner_id = owner.id
            ticket.updated_at = now
            await tickets.add_event(
                ticket.id,
                person.id,
                "escalated",
                now,
                note=reason,
                to=[c.id for c in coordinators],
                **door_data(door),
            )
            for coordinator in coordinators:
                await tickets.add_recipient(ticket.id, coordinator.id, "escalation", now)
            await self.audience.refresh_cards(session, ticket)
            for coordinator in coordinators:
                if coordinator.id != person.id:
                    await self.audience.tell(
                        session,
                        coordinator,
                        "notice-escalated-staff",
                        ticket,
                        number=ticket.number,
                        note=reason or "-",
                    )
            await self.audience.tell_author(
                session, ticket, "notice-escalated", number=ticket.number
            )
            await self.audience.tell_followers(
                session, ticket, "notice-escalated-follower", number=ticket.number
            )
            await session.commit()
            return ticket

    async def merge(
        self, person: Person, ticket_id: int, into_number: int, *, door: str = Channel.TELEGRAM
    ) -> Ticket:
        """Merges a duplicate into another open ticket of the same building; followers (and
        the duplicate's author) follow the target from now on."""
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.MERGE)
            tickets = TicketRepository(session)
            target = await tickets.by_number(ticket.community_id, into_number)
            if target is None or target.id == ticket.id:
                raise InputRefused("merge-no-target", number=into_number)
            target_relations = await self.access.relations(session, person, target)
            if not may(Action.MERGE, target_relations, target.status):
                raise InputRefused("merge-no-target", number=into_number)
            if target.building_id != ticket.building_id:
                # The duplicate's author would follow another building's ticket: hear of its
                # status, find it in /my. Neighbours follow only their own building's tickets.
                raise ServiceError("merge-other-building", number=into_number)
            community = await community_of_building(session, ticket.building_id)
            if is_private(community.settings, ticket.category) or is_private(
                community.settings, target.category
            ):
                # Merging makes each author a follower of the other's dispute.
                raise ServiceError("merge-private", number=into_number)
            if not await tickets.transition(
                ticket.id,
                list(OPEN_STATUSES),
                now,
                status=S.CLOSED,
                closed_at=now,
                merged_into_id=target.id,
            ):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            # Everyone who followed the duplicate hears where it went, before they move.
            residents = await self.audience.residents(session, ticket)
            await tickets.move_followers(ticket.id, target.id, now)
            if ticket.author_id is not None and ticket.author_id != target.author_id:
                await tickets.follow(target.id, ticket.author_id, now)
            await tickets.add_event(
                ticket.id, person.id, "merged", now, into=target.number, **door_data(door)
            )
            await tickets.add_event(
                target.id, person.id, "merged-in", now, source=ticket.number, **door_data(door)
            )
            await self.audience.refresh_cards(session, ticket)
            await self.audience.refresh_cards(session, target)
            for resident in residents:
                await self.audience.tell(
                    session,
                    resident,
                    "notice-merged",
                    ticket,
                    number=ticket.number,
                    into=target.number,
                )
            await session.commit()
            return target

    async def reply(
        self, person: Person, ticket_id: int, content: Content, *, door: str = Channel.TELEGRAM
    ) -> Ticket:
        """Staff → the author. Followers are not part of the conversation: the author may have
        written where the key is, or who the noisy neighbour is."""
        now = self.clock()
        _check_content(content)
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.REPLY)
            if content.once and await ConversationRepository(session).said_once(
                ticket.id, person.id, content.once
            ):
                return ticket  # the same form again (the console's): passed on already, once
            tickets = TicketRepository(session)
            await tickets.add_event(
                ticket.id,
                person.id,
                "message",
                now,
                direction="to-resident",
                **content.event_data(),
                **door_data(door),
            )
            author = await self.audience.author(session, ticket)
            if author is not None:
                await self.audience.relay(session, author, ticket, content, "relay-from-head")
            await session.commit()
            return ticket

    async def message(self, person: Person, ticket_id: int, content: Content) -> Ticket:
        """Resident → the staff: the holder when taken, else every recipient."""
        now = self.clock()
        _check_content(content)
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.MESSAGE)
            if content.once and await ConversationRepository(session).said_once(
                ticket.id, person.id, content.once
            ):
                return ticket  # the same form again: passed on already, once
            tickets = TicketRepository(session)
            await tickets.add_event(
                ticket.id,
                person.id,
                "message",
                now,
                direction="to-staff",
                **content.event_data(),
            )
            for staff in await self.audience.staff_audience(session, ticket):
                await self.audience.relay(session, staff, ticket, content, "relay-from-resident")
            await session.commit()
            return ticket

    async def reply_target(self, person: Person, where: Address, message_ref: str) -> int | None:
        """The ticket a reply belongs to, when the message it answers (the door's
        ``message_ref`` at ``where``) was one of ours."""
        async with self.db.session() as session:
            return await TicketRepository(session).ticket_of_message(where, message_ref)

    async def talk(self, person: Person, ticket_id: int, content: Content) -> Ticket:
        """A reply to a relayed message or card: staff reply, residents message."""
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(ticket_id)
            if ticket is None:
                raise ServiceError("not-allowed")
            relations = await self.access.relations(session, person, ticket)
        try:
            if is_staff(relations):
                return await self.reply(person, ticket_id, content)
            return await self.message(person, ticket_id, content)
        except StaleAction as stale:
            # Passing a message on, "stale" means the ticket stopped being open while they
            # wrote: nothing went, and they are told so (not that a button is out of date).
            raise TicketNotOpen(stale.ticket) from stale

    async def confirm(self, person: Person, ticket_id: int) -> Ticket:
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.CONFIRM)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, [S.RESOLVED], now, status=S.CLOSED, closed_at=now
            ):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            await tickets.add_event(ticket.id, person.id, "confirmed", now)
            # The points bank: whoever resolved it earns, in this same commit, once per ticket.
            await pay_fix(session, ticket.id, ticket.community_id, now)
            await self.audience.refresh_cards(session, ticket)
            await self.audience.tell_followers(
                session,
                ticket,
                "notice-closed-follower",
                number=ticket.number,
                buttons=[[("btn-still", Action.STILL)]],
            )
            await session.commit()
            return ticket

    async def rate(self, person: Person, ticket_id: int, stars: int) -> Ticket:
        now = self.clock()
        if not 1 <= stars <= 5:
            raise ServiceError("not-allowed")
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.RATE)
            tickets = TicketRepository(session)
            # Conditional, so a double tap (or two followers at once) rates once.
            if ticket.rating is not None or not await tickets.set_rating(ticket.id, stars, now):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            await tickets.add_event(ticket.id, person.id, "rated", now, stars=stars)
            await self.audience.refresh_cards(session, ticket)
            await session.commit()
            return ticket

    async def comment(self, person: Person, ticket_id: int, text: str) -> Ticket:
        """The optional comment after a rating; it reaches the head like a message."""
        now = self.clock()
        text = checked(text)
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.RATE)
            await TicketRepository(session).add_event(
                ticket.id, person.id, "commented", now, note=text
            )
            for staff in await self.audience.staff_audience(session, ticket):
                await self.audience.tell(
                    session, staff, "notice-commented", ticket, number=ticket.number, note=text
                )
            await session.commit()
            return ticket

    async def withdraw(self, person: Person, ticket_id: int) -> Ticket:
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.WITHDRAW)
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id, list(OPEN_STATUSES), now, status=S.WITHDRAWN, closed_at=now
            ):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            await tickets.add_event(ticket.id, person.id, "withdrawn", now)
            await self.audience.refresh_cards(session, ticket)
            for staff in await self.audience.staff_audience(session, ticket, everyone=True):
                await self.audience.tell(
                    session, staff, "notice-withdrawn", ticket, number=ticket.number
                )
            await self.audience.tell_followers(
                session,
                ticket,
                "notice-withdrawn-follower",
                number=ticket.number,
                buttons=[[("btn-still", Action.STILL)]],
            )
            await session.commit()
            return ticket


def _check_content(content: Content) -> None:
    """What Telegram would not have let a person send is refused, never cut."""
    if content.text is not None:
        checked(content.text, content.limit)
