"""What a hot read gives when its caller only reads it: a row of the columns it needs, read
as a Core row, not a mapped object. Loading an entity (its row processors, the identity map)
cost about twice the row's own read per statement (issue 11); these rows are read, never
changed, and die with the unit of work. A Protocol beside a row names what its readers use,
so that a mapped object (read elsewhere for a change) serves them as well. The statements
select the columns by the rows' field names (storage/repositories/ticket_statements.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol

from storage.models import Address, TicketStatus


class CommunityView(Protocol):
    """What the rules read of a community: its id and its settings (categories, routing)."""

    @property
    def id(self) -> int: ...
    @property
    def settings(self) -> dict[str, Any]: ...


class CommunityRow(NamedTuple):
    """A community's id and settings, read (a report's Send, a press's category check)."""

    id: int
    settings: dict[str, Any]


class PlaceRow(NamedTuple):
    """A building's community (its id and settings: a ``CommunityView``) and the building's
    name, read: what a report's Send reads of where it is filed."""

    id: int
    settings: dict[str, Any]
    building_name: str


class RecipientRow(NamedTuple):
    """A ticket's recipient: who, and why (``TicketRecipient``'s columns that are read)."""

    person_id: int
    reason: str


class EventView(Protocol):
    """What the readers of a ticket's history use of an event (a ``TicketEvent`` or an
    ``EventRow``)."""

    @property
    def id(self) -> int: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...


class EventRow(NamedTuple):
    """An event of a ticket's history, read (``TicketEvent``'s columns)."""

    id: int
    ticket_id: int
    actor_id: int | None
    kind: str
    data: dict[str, Any]
    created_at: datetime


class SimilarTicket(NamedTuple):
    """An open ticket a neighbour is offered to co-sign ("me too"): what the offer shows
    (never the author's words unless shared) and whose it is."""

    id: int
    number: int
    author_id: int | None
    category: str
    status: TicketStatus
    created_at: datetime
    share_description: bool
    description: str


class ListedView(Protocol):
    """What a list's button shows of a ticket (a ``Ticket`` or a ``ListedTicket``)."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def status(self) -> TicketStatus: ...
    @property
    def escalated(self) -> bool: ...
    @property
    def description(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


class ListedTicket(NamedTuple):
    """A ticket as a staff list shows it: its button, and its place (newest first)."""

    id: int
    number: int
    status: TicketStatus
    escalated: bool
    description: str
    created_at: datetime


class CardCommunityView(Protocol):
    """What a card reads of a ticket's community: its name, time zone and settings (a
    ``Community`` or a ``CardCommunity``)."""

    @property
    def name(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def settings(self) -> dict[str, Any]: ...


class CardCommunity(NamedTuple):
    """A ticket's community as its card shows it, read."""

    name: str
    timezone: str
    settings: dict[str, Any]


class BuildingView(Protocol):
    """What a card reads of a ticket's building (a ``Building`` or a ``BuildingName``)."""

    @property
    def name(self) -> str: ...


class BuildingName(NamedTuple):
    """A ticket's building as its card shows it, read."""

    name: str


class OrderView(Protocol):
    """What a card reads of a ticket's work order (a ``WorkOrder`` or an ``OrderRow``)."""

    @property
    def id(self) -> int: ...
    @property
    def reference(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def department_names(self) -> dict[str, Any]: ...
    @property
    def forwarded_at(self) -> datetime: ...
    @property
    def answered_at(self) -> datetime | None: ...
    @property
    def answer(self) -> str | None: ...


class OrderRow(NamedTuple):
    """A ticket's work order, read (``WorkOrder``'s columns a card shows)."""

    id: int
    reference: str
    department: str
    department_names: dict[str, Any]
    forwarded_at: datetime
    answered_at: datetime | None
    answer: str | None


class ReopenedRow(NamedTuple):
    """A ticket's "reopened" event, read for its note (``TicketEvent``'s id and data)."""

    id: int
    data: dict[str, Any]


class ContactView(Protocol):
    """What picking where a notice goes reads of a contact (a ``Contact`` or a
    ``ContactRow``)."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def push(self) -> dict[str, Any] | None: ...
    @property
    def last_used_at(self) -> datetime: ...


class ContactRow(NamedTuple):
    """A person's contact, read (``Contact``'s columns that pick where a notice goes)."""

    id: int
    channel: str
    address: str
    push: dict[str, Any] | None
    last_used_at: datetime


class Reach(NamedTuple):
    """What a card or a notice sent to a person reads of them: where it goes (None: nowhere a
    notice reaches, ``address_of``) and in what language."""

    id: int
    language: str | None
    address: Address | None


class StaffRow(NamedTuple):
    """Someone a ticket may be routed to, read: whether they are away or unreachable, and
    their reach (their card goes with the routing)."""

    id: int
    away_until: datetime | None
    unreachable_since: datetime | None
    reach: Reach
