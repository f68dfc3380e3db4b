"""One ticket as the office console shows it to staff: its facts as values (not the card's one
text), its photos and voice notes (the report's and the relayed messages', in order), the SLA
state, the work order, and which actions the viewer may take *now*: computed from the same
policy table the chat's buttons are (bot/services/policy.py), against current roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.services.categories import Category, find_category
from bot.services.clock import Clock
from bot.services.departments import Department, departments_for
from bot.services.errors import ServiceError
from bot.services.policy import Action, Relation, is_staff, may
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_query import is_overdue
from storage.db import Database
from storage.models import Building, Community, Person, Role, Ticket, WorkOrder
from storage.repositories import CommunityRepository, PersonRepository, WorkOrderRepository
from storage.repositories.ticket_search import Found
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository
from storage.rows import EventView

# The console's actions, in the order its page offers them.
CONSOLE_ACTIONS = (
    Action.TAKE,
    Action.ASSIGN,
    Action.REPLY,
    Action.RESOLVE,
    Action.ESCALATE,
    Action.MERGE,
    Action.WHISTLE,
    Action.WHISTLE_ANSWER,
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or voice note of the ticket; ``index`` names it in the console's URL."""

    index: int
    kind: str  # "photo" or "voice"
    file_id: str
    at: datetime
    from_resident: bool  # the report or a resident's message (else a staff reply)
    # A photo kept in the database (web_files: the web door's, WeChat's), not at Telegram.
    stored: str | None = None


@dataclass(frozen=True, slots=True)
class Detail:
    ticket: Ticket
    community: Community
    building: Building
    category: Category | None
    author: Person | None
    holder: Person | None
    relations: frozenset[Relation]
    order: WorkOrder | None
    overdue: bool
    attachments: Sequence[Attachment]
    actions: frozenset[Action]
    assignees: Sequence[Person]
    departments: Sequence[Department]


def attachments_of(ticket: Ticket, events: Sequence[EventView]) -> list[Attachment]:
    found: list[Attachment] = []
    for item in ticket.media:
        kind = "photo" if item.get("type") == "photo" else "voice"
        if "web_file" in item:
            key = str(item["web_file"])
            found.append(Attachment(len(found), kind, "", ticket.created_at, True, stored=key))
            continue
        found.append(Attachment(len(found), kind, str(item["file_id"]), ticket.created_at, True))
    for event in events:
        if event.kind != "message":
            continue
        resident = event.data.get("direction") == "to-staff"
        kept = event.data.get("web_photo")
        if kept:  # a photo from WeChat (or the web door) in the conversation
            found.append(
                Attachment(len(found), "photo", "", event.created_at, resident, stored=str(kept))
            )
        for kind in ("photo", "voice"):
            file_id = event.data.get(kind)
            if file_id:
                found.append(Attachment(len(found), kind, str(file_id), event.created_at, resident))
    return found


def allowed_actions(
    relations: frozenset[Relation], ticket: Ticket, order: WorkOrder | None
) -> frozenset[Action]:
    """What the page offers: the policy's answer, and of the whistle's two steps the one the
    work order is at (forward, or record the answer while one waits)."""
    waiting = order is not None and order.answered_at is None
    return frozenset(
        a
        for a in CONSOLE_ACTIONS
        if may(a, relations, ticket.status)
        and not (a is Action.WHISTLE and waiting)
        and not (a is Action.WHISTLE_ANSWER and not waiting)
    )


class TicketDetails:
    def __init__(self, config: Config, db: Database, clock: Clock, access: TicketAccess) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.access = access

    async def detail(self, person: Person, ticket_id: int) -> Detail:
        """The ticket for ``person``, who must be its staff now (anyone else: "not-allowed",
        the same for a ticket that does not exist)."""
        async with self.db.session() as session:
            ticket, relations = await self.access.authorise(session, person, ticket_id, Action.OPEN)
            if not is_staff(relations):
                raise ServiceError("not-allowed")
            tickets = TicketRepository(session)
            people = PersonRepository(session)
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            building = await tickets.building_of(ticket)
            author = await people.get(ticket.author_id) if ticket.author_id else None
            holder = await people.get(ticket.holder_id) if ticket.holder_id else None
            reopened = await tickets.last_event(ticket.id, "reopened")
            found = Found(ticket, building.name, author, reopened.created_at if reopened else None)
            order = await WorkOrderRepository(session).latest(ticket.id)
            actions = allowed_actions(relations, ticket, order)
            assignees = (
                await people.members(ticket.building_id, (Role.HEAD, Role.DEPUTY))
                if Action.ASSIGN in actions
                else []
            )
            return Detail(
                ticket=ticket,
                community=community,
                building=building,
                category=find_category(community.settings, ticket.category),
                author=author,
                holder=holder,
                relations=relations,
                order=order,
                overdue=is_overdue(found, community, self.clock()),
                attachments=attachments_of(ticket, await tickets.events(ticket.id)),
                actions=actions,
                assignees=assignees,
                departments=departments_for(community.settings),
            )

    async def attachment(self, person: Person, ticket_id: int, index: int) -> Attachment:
        """One photo or voice note of the ticket, for its staff only."""
        async with self.db.session() as session:
            ticket, relations = await self.access.authorise(session, person, ticket_id, Action.OPEN)
            if not is_staff(relations):
                raise ServiceError("not-allowed")
            found = attachments_of(ticket, await TicketRepository(session).events(ticket.id))
        if not 0 <= index < len(found):
            raise ServiceError("not-allowed")
        return found[index]

    async def stored_file(self, attachment: Attachment) -> bytes | None:
        """The bytes of an attachment kept in the database (None: gone, or not such a one)."""
        if attachment.stored is None:
            return None
        async with self.db.session() as session:
            found = await WebFileRepository(session).get(attachment.stored)
        return None if found is None else found.content
