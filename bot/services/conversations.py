"""Talking without Telegram's Reply: after the head's question a resident simply types the
answer. A person has a conversation in progress on a ticket when the other side's relayed
message reached them in the last CONVERSATION_DAYS days and the ticket is still active; a plain
message then goes there (the handler asks which ticket when there are several). A message sent
there by mistake can be taken back: where it was delivered already the other side is told to
ignore it, where it still waits to go it does not go, and the history says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.categories import Category, find_category
from bot.services.clock import Clock
from bot.services.errors import ServiceError, Spent
from bot.services.policy import Action, Relation, is_staff
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import Content
from storage.db import Database
from storage.models import Person, Ticket, TicketEvent
from storage.repositories import CommunityRepository, OutboxRepository
from storage.repositories.conversations import ConversationRepository, retracted_ids
from storage.repositories.tickets import UNFINISHED, TicketRepository

# "The last few days": a question the head asked on Monday is still being answered on
# Wednesday; a week later a plain message is more likely something new.
CONVERSATION_DAYS = 3
# Photos of one album arrive within seconds; the window only bounds the lookup.
ALBUM_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Conversation:
    ticket: Ticket
    building: str
    category: Category | None  # None: a category the community no longer has
    staff: bool  # the person answers as staff (head, deputy, coordinator) on this ticket
    last_at: datetime  # when the other side last wrote


@dataclass(frozen=True, slots=True)
class Relayed:
    ticket: Ticket
    event_id: int  # the relayed message in the ticket's history: what "take back" names
    staff: bool
    first: bool  # not a further photo of an album already relayed (which is answered once)


@dataclass(frozen=True, slots=True)
class Retracted:
    ticket: Ticket
    contents: list[Content]  # what was taken back, e.g. to report it as a new problem
    staff: bool
    # Whether anybody had it and is asked to ignore it (else it was still waiting to go).
    told: bool = True


class ConversationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        access: TicketAccess,
        audience: TicketAudience,
        actions: TicketActions,
    ) -> None:
        self.db = db
        self.clock = clock
        self.access = access
        self.audience = audience
        self.actions = actions

    async def in_progress(self, person: Person) -> list[Conversation]:
        """The person's conversations in progress, the most recent first."""
        since = self.clock() - timedelta(days=CONVERSATION_DAYS)
        async with self.db.session() as session:
            rows = await ConversationRepository(session).recent(person.id, since, UNFINISHED)
            taken_back = retracted_ids([event for _, event in rows])
            # ticket id → (ticket, the other side's latest message, the person answers as staff)
            latest: dict[int, tuple[Ticket, TicketEvent, bool]] = {}
            audience: dict[int, set[int]] = {}
            for ticket, event in rows:
                if event.kind != "message" or event.actor_id == person.id:
                    continue
                if event.id in taken_back:
                    continue  # the other side said to ignore it
                direction = event.data.get("direction")
                if direction == "to-resident" and ticket.author_id == person.id:
                    latest[ticket.id] = (ticket, event, False)
                elif direction == "to-staff":
                    # Only whoever the resident's message reached: the holder once taken.
                    if ticket.id not in audience:
                        reached = await self.audience.staff_audience(session, ticket)
                        audience[ticket.id] = {p.id for p in reached}
                    if person.id in audience[ticket.id]:
                        latest[ticket.id] = (ticket, event, True)
            found = []
            # The most recent first (by event id: two messages may share a timestamp).
            ordered = sorted(latest.values(), key=lambda row: row[1].id, reverse=True)
            for ticket, event, staff in ordered:
                action = Action.REPLY if staff else Action.MESSAGE
                try:
                    # Roles change: what the person may no longer do is no conversation.
                    await self.access.authorise(session, person, ticket.id, action)
                except ServiceError:
                    continue
                building = await TicketRepository(session).building_of(ticket)
                community = await CommunityRepository(session).get(ticket.community_id)
                assert community is not None
                category = find_category(community.settings, ticket.category)
                found.append(Conversation(ticket, building.name, category, staff, event.created_at))
        return found

    async def album_ticket(self, person: Person, album: str) -> int | None:
        """The ticket the first photos of this album went to (through a step's Reply or
        Message, a Telegram reply or a plain message) in the last ALBUM_WINDOW: an album comes
        as one update per photo, and the rest of it follows the first."""
        since = self.clock() - ALBUM_WINDOW
        async with self.db.session() as session:
            rows = await ConversationRepository(session).recent(person.id, since, UNFINISHED)
        for ticket, event in reversed(rows):
            if (
                event.kind == "message"
                and event.actor_id == person.id
                and event.data.get("album") == album
            ):
                return ticket.id
        return None

    async def send(self, person: Person, ticket_id: int, content: Content) -> Relayed:
        """Relays ``content`` on the ticket as a Telegram reply would (same rules, same
        messages: TicketActions.talk), and says which history event it became."""
        before = self.clock()
        ticket = await self.actions.talk(person, ticket_id, content)
        async with self.db.session() as session:
            events = await ConversationRepository(session).talk_since(
                ticket.id, before - ALBUM_WINDOW
            )
        mine = [e for e in events if e.kind == "message" and e.actor_id == person.id]
        # One user's updates are handled one at a time: the newest of theirs is this one.
        event = mine[-1]
        first = content.album is None or not any(
            e.data.get("album") == content.album for e in mine[:-1]
        )
        staff = event.data.get("direction") == "to-resident"
        return Relayed(ticket, event.id, staff, first)

    async def retract(self, person: Person, event_id: int) -> Retracted:
        """Takes back a message (with the rest of its album) that went to the wrong ticket:
        the people it reached are asked to ignore it, and where it is still waiting to go it
        does not go; the history keeps both."""
        now = self.clock()
        async with self.db.session() as session:
            talk = ConversationRepository(session)
            event = await talk.event(event_id)
            if event is None or event.kind != "message" or event.actor_id != person.id:
                raise ServiceError("not-allowed")
            if event.created_at < now - timedelta(days=CONVERSATION_DAYS):
                raise Spent("button-stale")
            events = await talk.talk_since(event.ticket_id, event.created_at)
            if event.id in retracted_ids(events):
                raise Spent("conv-retracted-already")
            album = event.data.get("album")
            group = [
                e
                for e in events
                if e.kind == "message"
                and e.actor_id == person.id
                and (
                    e.id == event.id or (album and e.id > event.id and e.data.get("album") == album)
                )
            ]
            tickets = TicketRepository(session)
            ticket = await tickets.get(event.ticket_id)
            assert ticket is not None
            to_staff = event.data.get("direction") == "to-staff"
            # Only a side they still stand on: a removed head's words stay as they were.
            relations = await self.access.relations(session, person, ticket)
            if not (Relation.AUTHOR in relations if to_staff else is_staff(relations)):
                raise ServiceError("not-allowed")
            await tickets.add_event(
                ticket.id, person.id, "retracted", now, events=[e.id for e in group]
            )
            if to_staff:
                audience = await self.audience.staff_audience(session, ticket)
                key = "conv-retracted-resident"
            else:
                # A staff reply reached the author only (followers are not in the conversation).
                author = await self.audience.author(session, ticket)
                audience = [author] if author is not None else []
                key = "conv-retracted-head"
            # Still waiting in the outbox (no pass holds it): it never goes, and whoever it
            # had not reached yet is not asked to ignore what they never saw.
            withdrawn, delivered = await OutboxRepository(session).withdraw_waiting(
                ticket.id, [e.created_at for e in group], now
            )
            told = False
            for someone in audience:
                if someone.id == person.id or (
                    someone.id in withdrawn and someone.id not in delivered
                ):
                    continue
                await self.audience.tell(
                    session, someone, key, ticket, number=ticket.number, count=len(group)
                )
                told = True
            await session.commit()
        return Retracted(ticket, [_content(e.data) for e in group], not to_staff, told)


def _content(data: dict[str, object]) -> Content:
    """A relayed message as the history keeps it (see Content.event_data)."""
    photo, voice, kept = data.get("photo"), data.get("voice"), data.get("web_photo")
    text = data.get("text")
    if (photo or voice or kept) and text in ("[photo]", "[voice]"):
        text = None  # the placeholder of a photo or voice note without a caption
    return Content(
        text=str(text) if text else None,
        photo=str(photo) if photo else None,
        voice=str(voice) if voice else None,
        web_photo=str(kept) if kept else None,
    )
