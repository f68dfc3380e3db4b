"""What /forgetme reads and removes. Deleting the ``people`` row does most of the work through
the foreign keys (memberships, coordinator scopes, follows, ticket recipients and join request
copies go with it; tickets, events and join requests lose the reference); these are the parts
the foreign keys cannot reach."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Address,
    Channel,
    FsmRecord,
    JoinRequest,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketRecipient,
    TicketStatus,
)
from storage.repositories.outbox_retention import OutboxRetentionRepository
from storage.repositories.tickets import UNFINISHED


class ForgetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def handled_tickets(self, person_id: int) -> Sequence[int]:
        """Unfinished tickets the person owns, holds or receives as staff: they need someone
        else once the person is gone."""
        received = select(TicketRecipient.ticket_id).where(TicketRecipient.person_id == person_id)
        query = select(Ticket.id).where(
            Ticket.status.in_(UNFINISHED),
            or_(
                Ticket.owner_id == person_id,
                Ticket.holder_id == person_id,
                Ticket.id.in_(received),
            ),
        )
        return (await self.session.scalars(query.order_by(Ticket.id))).all()

    async def held(self, person_id: int) -> Sequence[int]:
        query = select(Ticket.id).where(
            Ticket.holder_id == person_id, Ticket.status == TicketStatus.TAKEN
        )
        return (await self.session.scalars(query.order_by(Ticket.id))).all()

    async def authored_unfinished(self, person_id: int) -> Sequence[int]:
        query = select(Ticket.id).where(
            Ticket.author_id == person_id, Ticket.status.in_(UNFINISHED)
        )
        return (await self.session.scalars(query.order_by(Ticket.id))).all()

    async def release_holds(self, person_id: int, now: datetime) -> None:
        """Taken tickets go back to "new" so the next person can take them (the time it was
        first taken stays for the statistics); their reminders start again from now."""
        await self.session.execute(
            update(Ticket)
            .where(Ticket.holder_id == person_id, Ticket.status == TicketStatus.TAKEN)
            .values(
                status=TicketStatus.NEW,
                holder_id=None,
                nudge_since=now,
                nudges_sent=0,
                nudged_at=None,
                updated_at=now,
            )
        )

    async def anonymise_authored(self, person_id: int) -> None:
        """The flat on a ticket is the author's; the problem's description, photos and place
        are the building's record and stay."""
        await self.session.execute(
            update(Ticket)
            .where(Ticket.author_id == person_id)
            .values(flat=None, show_name=False, show_phone=False)
        )

    async def events_by(self, person_id: int, kinds: Sequence[str]) -> Sequence[TicketEvent]:
        query = select(TicketEvent).where(
            TicketEvent.actor_id == person_id, TicketEvent.kind.in_(list(kinds))
        )
        return (await self.session.scalars(query.order_by(TicketEvent.id))).all()

    async def join_requests(self, person_id: int) -> Sequence[JoinRequest]:
        query = select(JoinRequest).where(JoinRequest.person_id == person_id)
        return (await self.session.scalars(query.order_by(JoinRequest.id))).all()

    async def authored(self, person_id: int) -> Sequence[int]:
        query = select(Ticket.id).where(Ticket.author_id == person_id)
        return (await self.session.scalars(query.order_by(Ticket.id))).all()

    async def drop_outbox(self, to: Address) -> None:
        """Messages still to send to the address, and the record of those sent (the day's
        counts keep the numbers, as the retention purge does)."""
        await OutboxRetentionRepository(self.session).delete_counted(
            and_(OutboxMessage.channel == to.channel, OutboxMessage.address == to.address)
        )

    async def drop_words(self, authored: Sequence[int]) -> None:
        """The sent (or failed) messages that passed on the person's words, whoever they went
        to: every one about their tickets but the cards (rendered at delivery, their payload
        is empty); the day's counts keep the numbers."""
        outbox = OutboxRetentionRepository(self.session)
        for first in range(0, len(authored), 500):
            await outbox.delete_counted(
                and_(
                    OutboxMessage.ticket_id.in_(list(authored[first : first + 500])),
                    OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
                    OutboxMessage.kind != OutboxKind.CARD,
                )
            )

    async def drop_words_in_flight(self, authored: Sequence[int]) -> None:
        """The messages that pass on their words to the staff and are still waiting to go, as
        ``drop_words`` removes the sent ones. Only those: a row written in the same unit of
        work as one of their messages (its event's time; the event keeps its direction when
        its words are gone), and not the ticket's own photos and place (a report and a message
        of the same moment). The ticket's cards, a follower's status change or an escalation
        about it still go."""
        for first in range(0, len(authored), 500):
            chunk = list(authored[first : first + 500])
            events = await self.session.execute(
                select(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.data).where(
                    TicketEvent.ticket_id.in_(chunk), TicketEvent.kind == "message"
                )
            )
            said = {
                (ticket_id, at)
                for ticket_id, at, data in events.all()
                if data.get("direction") == "to-staff"
            }
            if not said:
                continue
            rows = await self.session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.ticket_id,
                    OutboxMessage.created_at,
                    OutboxMessage.kind,
                    OutboxMessage.payload,
                    Ticket.media,
                )
                .join(Ticket, Ticket.id == OutboxMessage.ticket_id)
                .where(
                    OutboxMessage.ticket_id.in_(chunk),
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.kind != OutboxKind.CARD,
                )
            )
            doomed = [
                row_id
                for row_id, ticket_id, at, kind, payload, media in rows.all()
                if (ticket_id, at) in said
                and not _the_reports_own(OutboxKind(kind), payload, media)
            ]
            if doomed:
                await self.session.execute(
                    delete(OutboxMessage)
                    .where(OutboxMessage.id.in_(doomed))
                    .execution_options(synchronize_session=False)
                )

    async def drop_chat(self, chat_id: int) -> None:
        """Everything kept about the person's Telegram chat: the bot's messages there that
        belong to tickets, their conversation state (``fsm:<bot>:<chat>:<user>:…``; in a
        private chat both are their id)."""
        await self.session.execute(
            delete(TicketMessage).where(
                TicketMessage.channel == Channel.TELEGRAM, TicketMessage.address == str(chat_id)
            )
        )
        await self.session.execute(
            delete(FsmRecord).where(FsmRecord.key.like(f"%:{chat_id}:{chat_id}:%"))
        )

    async def delete_person(self, person_id: int) -> None:
        await self.session.execute(delete(Person).where(Person.id == person_id))


def _the_reports_own(
    kind: OutboxKind, payload: dict[str, Any], media: list[dict[str, Any]]
) -> bool:
    """Whether an outbox row passes on the ticket's own place, photo or voice note (what
    ``TicketAudience.send_card`` sends a newcomer with the card), not a message's."""
    if kind is OutboxKind.LOCATION:
        return True
    if kind is not OutboxKind.MEDIA:
        return False
    sent = payload.get("photo") or payload.get("voice") or payload.get("web_photo")
    return sent is not None and any(sent in (m.get("file_id"), m.get("web_file")) for m in media)
