"""Database schema. Every datetime is stored in UTC and read back as an aware datetime."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which has no time zones) and
    PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


def table_of(model: type[Base]) -> Table:
    """The model's table, for a Core statement: one built once and run through the session
    keeps its cache key, where an ORM-enabled INSERT, UPDATE or DELETE is annotated anew (and
    its key computed anew) at every execution; a Core read returns rows, without the ORM's
    loading machinery."""
    return cast(Table, model.__table__)


class Role(enum.StrEnum):
    RESIDENT = "resident"
    HEAD = "head"
    DEPUTY = "deputy"
    COORDINATOR = "coordinator"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    # Stored as plain strings with a CHECK-free VARCHAR so adding a value needs no migration of
    # a database enum type on PostgreSQL.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The last ticket number given out; incremented atomically (UPDATE … RETURNING).
    ticket_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    # The scheduler's claims (local dates of the community): the morning digest and the heads'
    # weekly summary went out for this day, so a restart or a second instance sends none again.
    digest_sent_on: Mapped[date | None] = mapped_column(Date)
    weekly_sent_on: Mapped[date | None] = mapped_column(Date)
    # The digest being prepared: claimed by one instance until then (DigestService._send). A
    # lease, not a mark: if that instance dies before digest_sent_on is written, another takes
    # the community once the lease has run out.
    digest_lease_until: Mapped[datetime | None]
    # The last work order number given out (the whistle), incremented like ticket_seq.
    work_order_seq: Mapped[int] = mapped_column(default=0, server_default="0")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    join_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    # The estate (小区) of the community it stands in; "" when the office has not said.
    estate: Mapped[str] = mapped_column(String(100), default="", server_default="")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(130), default="")
    # None: follow the language of the person's Telegram app.
    language: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_consent: Mapped[bool] = mapped_column(default=False)
    # Set when Telegram says the person blocked the bot; cleared when they write again.
    unreachable_since: Mapped[datetime | None]
    # A head who is away gets no new tickets until then (a deputy or coordinator covers).
    away_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # A head pressed "remind me later": no reminders until then, and one reminder at that time.
    snoozed_until: Mapped[datetime | None]
    # Where the person can be reached (Telegram, the web, WeChat…), loaded with the person so
    # every door and every notification can pick one without another round trip.
    contacts: Mapped[list[Contact]] = relationship(
        lazy="selectin",
        passive_deletes=True,
        cascade="all, delete-orphan",
        order_by="Contact.id",
        back_populates="person",
    )


class Channel(enum.StrEnum):
    """The doors a person can talk through."""

    TELEGRAM = "telegram"
    WEB = "web"
    WECHAT = "wechat"
    # An Open311 client (a hotline system, a civic app) filing tickets for the people who call
    # or use it: the author of its tickets, addressed by the client's id. Nothing is delivered
    # to it (it reads the tickets back through the API), so it is in no door's DELIVERING set.
    OPEN311 = "open311"
    # The office at the machine the bot runs on, signed in to the console from the command line
    # (``console-link``, bot/services/local_office.py) when there is no chat to send /web in.
    # Nothing is delivered to it either: it reads the console.
    OFFICE = "office"


class Address(NamedTuple):
    """Where one message goes: a channel and the person's address in it (a Telegram user id
    as text, a web device id, a WeChat OpenID)."""

    channel: str
    address: str


def telegram_address(user_id: int) -> Address:
    """A Telegram user's address (their private chat with the bot has the same id)."""
    return Address(Channel.TELEGRAM, str(user_id))


class Contact(Base):
    """One way to reach a person: a (channel, address) pair; a person may have several (a
    Telegram account and a phone's browser), and notifications go to the one used last."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    last_used_at: Mapped[datetime]
    created_at: Mapped[datetime]
    # A web contact's Web Push subscription ({"endpoint", "keys": {"p256dh", "auth"}}), given
    # after the resident asked for notifications; None: the ticket page is all it gets.
    push: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    person: Mapped[Person] = relationship(back_populates="contacts", lazy="raise")

    @property
    def as_address(self) -> Address:
        return Address(self.channel, self.address)


class ContactCode(Base):
    """A one-time code shown in one door that links another door's contact to the same person
    (bot/services/contact_links.py). Only its hash is kept."""

    __tablename__ = "contact_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ConsoleSignIn(Base):
    """A one-time sign-in link to the office console that /web sent (10 minutes, single use).
    Only its hash is kept: a copy of the database opens no session."""

    __tablename__ = "console_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ConsoleSession(Base):
    """A browser signed in to the office console. The cookie holds the token, the table its hash;
    it ends after 12 hours without a request, or when its person signs out (everywhere)."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # Sent back by every form of the session (CSRF): useless without the cookie.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "building_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role))
    flat: Mapped[str | None] = mapped_column(String(32))
    since: Mapped[datetime]


class CoordinatorScope(Base):
    """A coordinator's area: a whole community (``building_id`` is NULL) or one building."""

    __tablename__ = "coordinator_scopes"
    __table_args__ = (UniqueConstraint("person_id", "community_id", "building_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    since: Mapped[datetime]


class Invitation(Base):
    __tablename__ = "invitations"
    # The console form's one-time key (``once``): that form posted twice gives one link, even
    # when both posts arrive at once.
    __table_args__ = (
        Index("ux_invitations_once", "created_by", "building_id", "role", "once", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None]
    once: Mapped[str | None] = mapped_column(String(32))


class JoinStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the resident (or their /forgetme)
    JOINED = "joined"  # the resident joined another way meanwhile (the building's link)


class JoinRequest(Base):
    """A resident asks to join a building picked from the list (join_policy "approve"); the
    building's head or a coordinator decides. ``display_name`` and ``flat`` are what the
    resident agreed to show the approvers."""

    __tablename__ = "join_requests"
    __table_args__ = (
        Index("ix_join_requests_building_status", "building_id", "status"),
        Index("ix_join_requests_person_created", "person_id", "created_at"),
        # One pending request per person and building, even when two arrive at once.
        Index(
            "ux_join_requests_pending",
            "person_id",
            "building_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once the resident used /forgetme.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(130), default="")
    flat: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[JoinStatus] = mapped_column(_enum(JoinStatus), default=JoinStatus.PENDING)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class JoinRequestCopy(Base):
    """An approver's copy of a join request: a message with Approve / Decline, edited in place
    when anyone decides (``message_id`` is known once it was delivered)."""

    __tablename__ = "join_request_copies"
    __table_args__ = (UniqueConstraint("request_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("join_requests.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # head, deputy, coordinator, admin
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class TicketStatus(enum.StrEnum):
    NEW = "new"
    TAKEN = "taken"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.TAKEN, TicketStatus.REOPENED)


class Ticket(Base):
    """A resident's report. ``number`` is short and per community (#123)."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("community_id", "number"),
        # A head's status filters (migration 0012): the building's tickets in those states,
        # newest first, without walking its history.
        Index("ix_tickets_building_status_created", "building_id", "status", "created_at"),
        Index("ix_tickets_building_category_created", "building_id", "category", "created_at"),
        Index("ix_tickets_author_created", "author_id", "created_at"),
        Index("ix_tickets_author_draft", "author_id", "draft_key", unique=True),
        # The search's trigram index of the description (and of the history's notes and
        # messages) is not a model: FTS5 tables kept by triggers on SQLite, pg_trgm GIN
        # indexes on PostgreSQL, both made by migration 0018 for its dialect only.
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.NEW)
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"type": "photo" | "voice", "file_id": "..."}]
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    flat: Mapped[str | None] = mapped_column(String(32))
    show_name: Mapped[bool] = mapped_column(default=True)
    show_phone: Mapped[bool] = mapped_column(default=False)
    # The author agreed that neighbours with the same problem may read the description (the
    # me-too offer, a follower's card). Never for a private category.
    share_description: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Who is responsible now (never NULL once routed) and who took it.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    escalated: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    rating: Mapped[int | None]
    # The report flow's draft this ticket was filed from: pressing Send again (after a crash
    # between the ticket's commit and the draft's) finds this ticket instead of filing another.
    draft_key: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The scheduler's state, each field claimed with a conditional UPDATE (bot/scheduler.py).
    # Reminders sent while waiting to be taken, since ``nudge_since`` (creation or reopening).
    nudges_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    nudged_at: Mapped[datetime | None]
    nudge_since: Mapped[datetime | None]
    idle_reminded_at: Mapped[datetime | None]
    confirm_reminded_at: Mapped[datetime | None]
    # The escalation ladder: 0 none, 1 the building's coordinators, 2 the community's.
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    escalation_at: Mapped[datetime | None]
    escalation_reason: Mapped[str | None] = mapped_column(String(16))
    autoclosed_at: Mapped[datetime | None]
    followup_sent_at: Mapped[datetime | None]
    followup_answer: Mapped[str | None] = mapped_column(String(8))  # "yes" / "no"
    # "Still fixed?" answered "no" opens a new ticket linked to the old one.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )


class TicketEvent(Base):
    """The ticket's history: who did what, when. Relayed messages are events too."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class TicketFollower(Base):
    """Residents who co-signed ("me too") and are told of changes like the author."""

    __tablename__ = "ticket_followers"
    __table_args__ = (UniqueConstraint("ticket_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime]


class TicketRecipient(Base):
    """Who receives the ticket's card and may act on it, and why (head, deputy, coordinator,
    admin, escalation, category)."""

    __tablename__ = "ticket_recipients"
    __table_args__ = (UniqueConstraint("ticket_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime]


class TicketMessage(Base):
    """A bot message in someone's door that belongs to a ticket: its card (edited in place) or a
    relayed message (a reply to it goes back to the other side). Where it is, as the door names
    it: the channel, the person's address there and the door's reference to the message
    (Telegram: the chat id and the message id, as text)."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        UniqueConstraint("channel", "address", "message_ref"),
        Index("ix_ticket_messages_ticket_address", "ticket_id", "channel", "address", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    message_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # "card" or "relay"


class WorkOrder(Base):
    """A ticket forwarded to an outside department (the whistle, 吹哨): who sent it where and
    when, and the department's answer once a coordinator records it. The ticket stays open;
    the work order is its own clock (reminders to whoever forwarded it, claimed with a
    conditional UPDATE like the tickets' own). ``reference`` is what the office quotes on the
    phone: ``<community id>-<year>-<number>``, the number counting the community's orders."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("community_id", "reference"),
        Index("ix_work_orders_ticket_forwarded", "ticket_id", "forwarded_at"),
        Index("ix_work_orders_community_answered", "community_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(32))  # its code in whistle_departments
    # The department's names when the order was sent: a later change of the list (a renamed
    # or removed department) does not rewrite where an order went.
    department_names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    forwarded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    forwarded_at: Mapped[datetime]
    door: Mapped[str] = mapped_column(String(16))  # the channel it was done through
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answer: Mapped[str | None] = mapped_column(Text)
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    reminded_at: Mapped[datetime | None]


class OutboxKind(enum.StrEnum):
    """What an outbox row means; each door renders it for its channel (Telegram: a message, a
    photo, an edited card…)."""

    TEXT = "text"  # {"text", "buttons"?}: a notice, a relayed message, a question with buttons
    MEDIA = "media"  # {"photo" | "voice": file id, "caption", "buttons"?}
    CHART = "chart"  # {"photo_png": base64, "caption", "buttons"?}: a picture made here
    LOCATION = "location"  # {"latitude", "longitude"}
    CARD = "card"  # {}: the ticket's card, rendered at delivery for the person
    JOIN_CARD = "join_card"  # {"request_id"}: a join request's card for an approver
    # A notice's copy for one resident (bot/services/notices.py), rendered at delivery from the
    # notice as it is then (a correction made before a row goes is in it) and in the
    # recipient's language; the row's ``notice_id`` links it. {"building_id"}: the building
    # it reaches them as (its mute button).
    NOTICE = "notice"
    NOTICE_PHOTO = "notice_photo"  # {"index"}: the notice's photo number ``index``
    NOTICE_EDIT = "notice_edit"  # {"message_id"}: a sent copy edited (corrected, withdrawn)
    NOTICE_DELETE = "notice_delete"  # {"message_id"}: a sent copy deleted (withdrawn)


class Urgency(enum.IntEnum):
    """Which chats the delivery worker serves first when the outbox is behind (a burst of
    reports, a notice to the whole community): a chat goes by its most urgent pending row, and
    within a chat rows still go in the order they were written."""

    ACT = 0  # someone must act: a ticket's card (and its media) for a newcomer to the ticket
    TELL = 1  # everything else about a person's own affairs
    BULK = 2  # a notice's copies (thousands at once, at Telegram's 30 a second)


class NoticeStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waits for ``send_at`` (the scheduler releases it)
    RELEASED = "released"  # its copies are in the outbox (or gone)
    CANCELLED = "cancelled"  # by its author before it was released
    WITHDRAWN = "withdrawn"  # by its author after: copies deleted or marked withdrawn


class Notice(Base):
    """A notice (通知) from a head, a coordinator or an admin to the residents of some buildings
    of one community. The text is kept as written; each copy is framed in its reader's
    language at delivery. ``recipients`` is how many people it was released to."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_status_send_at", "status", "send_at"),
        Index("ix_notices_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    building_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram file ids
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus))
    send_at: Mapped[datetime]
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    corrected_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # cancelled or withdrawn


class NoticeCopy(Base):
    """A notice's message in a resident's chat, remembered when delivered so a correction can
    edit it and a withdrawal delete it (``part`` 0 is the text, 1… the photos)."""

    __tablename__ = "notice_copies"
    __table_args__ = (Index("ix_notice_copies_notice", "notice_id", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[int] = mapped_column(BigInteger)
    part: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime]


class NoticeMute(Base):
    """A resident does not want non-urgent notices from one building (urgent ones still come)."""

    __tablename__ = "notice_mutes"
    __table_args__ = (UniqueConstraint("person_id", "building_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    since: Mapped[datetime]


class OutboxMessage(Base):
    """A message to someone other than the sender of the current update, written in the same
    transaction as the change that causes it and sent by the delivery worker of its channel.
    It records what is meant (``kind`` and ``payload``), not how a channel sends it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "not_before", "id"),
        Index("ix_outbox_recipient", "channel", "address", "status"),
        Index("ix_outbox_notice_status", "notice_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default=OutboxKind.TEXT)
    payload: Mapped[dict[str, Any]]
    # Set for messages about a ticket: once sent, the message is remembered as the ticket's.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # Set for a notice's rows (OutboxKind.NOTICE…): its progress is counted, and what has not
    # gone can be cancelled, by this column.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A worker claims a row before sending it, so two instances never send it twice. The token
    # is the claiming process's (DeliveryInstance.token): a restarted process takes its dead
    # predecessor's claims back at once; a claim nobody takes back expires.
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[int] = mapped_column(
        SmallInteger, default=Urgency.TELL, server_default=str(Urgency.TELL.value)
    )

    @property
    def to(self) -> Address:
        return Address(self.channel, self.address)


class DeliveryInstance(Base):
    """A process of the bot that delivers (running now, or the last one under this id), so its
    claims on the outbox are not left waiting for their lease when it dies: its successor (the
    same id, on the same host) and any instance that sees its heartbeat stop take them back.
    Written by bot/instances.py."""

    __tablename__ = "delivery_instances"

    # Stable across restarts of one deployment (INSTANCE_ID, or the host name), unique among
    # the processes running at once ("-2", "-3"… when another holds it).
    instance_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))  # the claims' mark of the current process
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    # Set by a clean stop, or by whoever took its claims back: the id is free to take.
    stopped_at: Mapped[datetime | None]


class OutboxCount(Base):
    """Notifications sent (or failed) on a UTC day, counted when their rows are purged after
    OUTBOX_RETENTION_DAYS (a payload holds residents' words), so totals stay true."""

    __tablename__ = "outbox_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class ProcessedUpdate(Base):
    """Telegram update ids already handled: a webhook redelivery or a replay after a crash is
    skipped. Pruned to the last few days (Telegram keeps updates for 24 hours)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class WeChatCallback(Base):
    """A WeChat callback handled: its MsgId, or for an event (which has none) the sender and
    the time. WeChat posts again when it had no answer within 5 seconds; a retry finds its
    row and is acknowledged without being handled twice. Old rows may be pruned."""

    __tablename__ = "wechat_callbacks"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    received_at: Mapped[datetime]


class DeploymentSecret(Base):
    """A random secret of this deployment, made once and shared by all its processes (the
    webhook's ``secret_token``: Telegram sends it back with every update)."""

    __tablename__ = "deployment_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class Open311Client(Base):
    """A system allowed to use the Open311 API with its own key (``python -m bot open311-key``):
    only the key's hash is kept. ``community_id`` NULL: every community. ``person_id`` is the
    author of the tickets it files (a person with an ``open311`` contact)."""

    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE")
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # New tickets one client may file in 24 hours: a hotline files for many callers, so the
    # resident's MAX_TICKETS_PER_DAY would stop it by noon, and no cap would let a runaway
    # script flood the heads.
    daily_limit: Mapped[int] = mapped_column(default=100)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Open311Request(Base):
    """A ticket filed through Open311: which client filed it, the token the spec's clients may
    look it up by, and who called (first and last name, email, phone), which the building's staff
    get with the card and no GET ever returns."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("open311_clients.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(32), unique=True)
    submitter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class FsmRecord(Base):
    """Conversation state (aiogram FSM) kept in the database so a restart loses no draft."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class WebFile(Base):
    """A photo a resident sent through the web door: kept here (not on a disk of one instance)
    so every instance, and the Telegram delivery uploading it to a head, can read it. Only a
    re-encoded JPEG is stored (checked and resized by an image library, metadata dropped).
    ``key`` is random: it names the photo in a ticket's ``media`` ({"type": "photo",
    "web_file": key}) and in a relayed message's history."""

    __tablename__ = "web_files"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


# ------------------------------------------------------------------ building votes (楼栋表决)


class Flat(Base):
    """A flat of a building with its floor area (from ``import-flats``), and its one confirmed
    owner (a claim the head approved). Areas are integer centi-m², so thresholds stay exact."""

    __tablename__ = "flats"
    __table_args__ = (UniqueConstraint("building_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(16))
    area_centi: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )


class ClaimStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class FlatClaim(Base):
    """A resident says they own a flat; the building's head (deputy, coordinator) decides."""

    __tablename__ = "flat_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    flat_id: Mapped[int] = mapped_column(ForeignKey("flats.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(_enum(ClaimStatus))
    created_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]


class VoteStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Vote(Base):
    """A building vote. ``options`` as written (option 0 approves a yes/no question);
    ``result`` is the record written when it closes (tallies and each threshold against its
    figure, never who voted what)."""

    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule: Mapped[str] = mapped_column(String(16))
    status: Mapped[VoteStatus] = mapped_column(_enum(VoteStatus))
    deadline: Mapped[datetime]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A yes/no question: its two options are read in each reader's language.
    yes_no: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A head election: the person id of each option (a candidate), in the options' order.
    candidates: Mapped[list[int] | None] = mapped_column(JSON)
    # The winner of an election was invited as head (the coordinator's button did its work).
    invited_at: Mapped[datetime | None]
    # A community's own rule (``rule`` is "custom"): its name, id and the exact thresholds the
    # vote was opened with (bot/services/vote_rules.py spec), kept here so that no later change
    # to the community's rules moves an open or closed vote. None: a preset, read by ``rule``.
    rule_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class VoteRule(Base):
    """A community's own vote rule, defined by its office. Never changed once written (a
    vote keeps its thresholds in ``Vote.rule_spec`` besides); retiring hides it from new
    votes. The name is unique in the community, retired ones included, so that a name in a
    record always means one set of thresholds."""

    __tablename__ = "vote_rules"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(40))
    turnout: Mapped[str] = mapped_column(String(16))  # a fraction, "3/5"
    approve: Mapped[str] = mapped_column(String(16))
    turnout_strict: Mapped[bool] = mapped_column(default=False)
    approve_strict: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class Ballot(Base):
    """One flat's ballot in one vote, changeable until the deadline. It names the flat, not the
    person, and no view shows ``choice`` next to a flat: only tallies leave the service."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("vote_id", "flat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    flat_id: Mapped[int] = mapped_column(ForeignKey("flats.id", ondelete="CASCADE"))
    choice: Mapped[int] = mapped_column(Integer)
    receipt: Mapped[str] = mapped_column(String(16))
    cast_at: Mapped[datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


# Indexes of the scheduler's scans and the digest's aggregates (migration 0002): every figure is
# a range or group over one community's tickets by one timestamp.
Index("ix_tickets_community_status_created", Ticket.community_id, Ticket.status, Ticket.created_at)
Index("ix_tickets_community_created", Ticket.community_id, Ticket.created_at)
Index("ix_tickets_community_taken", Ticket.community_id, Ticket.taken_at)
Index("ix_tickets_community_resolved", Ticket.community_id, Ticket.resolved_at)
Index("ix_tickets_community_closed", Ticket.community_id, Ticket.closed_at)
Index("ix_tickets_holder_resolved", Ticket.holder_id, Ticket.resolved_at)
# The staff lists (migration 0004), so a page costs the same after twenty years as after one:
# the status filters walk the few unfinished tickets by status; "all" walks each building's
# (and, with ix_tickets_community_created, each community's) tickets newest first.
Index("ix_tickets_status_created", Ticket.status, Ticket.created_at)
Index("ix_tickets_building_created", Ticket.building_id, Ticket.created_at)
Index(
    "ix_ticket_events_ticket_kind_created",
    TicketEvent.ticket_id,
    TicketEvent.kind,
    TicketEvent.created_at,
)


# ----------------------------------------------------------------------------- volunteering


class ActivityStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"  # by its organiser
    CONFIRMED = "confirmed"  # the organiser confirmed the checked-in volunteers' hours


class VolunteerActivity(Base):
    """An activity (志愿活动) a head or coordinator organises for the residents of some buildings
    of one community: what, where, when, how many places, how many hours it counts for.
    ``checkin_token`` is the one-time deep link of its check-in QR."""

    __tablename__ = "volunteer_activities"
    __table_args__ = (Index("ix_volunteer_activities_starts", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    building_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    hours: Mapped[float]
    capacity: Mapped[int]
    checkin_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ActivityStatus] = mapped_column(_enum(ActivityStatus))
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    # The evening-before reminder's claim: set once, by the scan that writes it.
    reminded_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # cancelled or confirmed


class VolunteerSignup(Base):
    __tablename__ = "volunteer_signups"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_activities.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    signed_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]  # a cancelled sign-up frees its place
    checked_in_at: Mapped[datetime | None]


class HoursStatus(enum.StrEnum):
    CREDITED = "credited"  # checked in at an activity: counted, awaiting the organiser
    PENDING = "pending"  # neighbour help logged: awaiting the building's head
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class ServiceHours(Base):
    """Service hours (服务时长): an activity's check-in, or help to a neighbour that the
    resident logged in their own words (the neighbour is not named: privacy)."""

    __tablename__ = "service_hours"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_activities.id", ondelete="CASCADE")
    )
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)  # neighbour help: what was done
    hours: Mapped[float]
    status: Mapped[HoursStatus] = mapped_column(_enum(HoursStatus))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ServeOfferStatus(enum.StrEnum):
    OFFERED = "offered"  # the resident was asked
    VOLUNTEERED = "volunteered"  # said yes: the coordinators decide
    ACCEPTED = "accepted"  # a coordinator sent the head invitation
    DECLINED = "declined"  # a coordinator declined, with a note


class ServeOffer(Base):
    """ "Your building has no head yet; would you like to serve?": asked of a resident of a
    building without a head at most once a quarter (the newest ``offered_at`` says when)."""

    __tablename__ = "serve_offers"
    __table_args__ = (Index("ix_serve_offers_person_offered", "person_id", "offered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    status: Mapped[ServeOfferStatus] = mapped_column(_enum(ServeOfferStatus))
    offered_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    # Accepted: the head invitation (staff invitations) the volunteer redeems in one press.
    invitation_token: Mapped[str | None] = mapped_column(String(64))


class CoverageWeek(Base):
    """How many of a community's buildings had a head in a week (the newest count of that week,
    taken by the serve-offers scan): the digest's coverage over time. Memberships keep no
    history of removed heads, so the past is recorded rather than recomputed."""

    __tablename__ = "coverage_weeks"
    __table_args__ = (UniqueConstraint("community_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # the Monday, in the community's zone
    buildings: Mapped[int]
    with_head: Mapped[int]
    taken_at: Mapped[datetime]


class CoverageEstateWeek(Base):
    """The same weekly count per estate (小区) of the community, taken with CoverageWeek while
    any of its buildings has an estate; ``estate`` "" counts the buildings without one."""

    __tablename__ = "coverage_estate_weeks"
    __table_args__ = (UniqueConstraint("community_id", "week", "estate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # the Monday, in the community's zone
    estate: Mapped[str] = mapped_column(String(100))
    buildings: Mapped[int]
    with_head: Mapped[int]
    taken_at: Mapped[datetime]


# ----------------------------------------------------------------------------- points bank


class PointsReason(enum.StrEnum):
    FIX = "fix"  # a fix the resident confirmed, to the person who resolved it
    SERVICE_HOURS = "service_hours"
    VOTE = "vote"
    REDEMPTION = "redemption"  # negative: a catalogue item handed out
    CORRECTION = "correction"  # the office's own entry that sets an earlier one right


class PointsAccount(Base):
    """A person's name in the points book. The book's entries point here, never at ``people``:
    /forgetme deletes the person and this link becomes NULL (a former person's account), while
    every entry stays exactly as written, so the year's totals remain true."""

    __tablename__ = "points_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime]


class PointsEntry(Base):
    """One line of the append-only points ledger (积分银行): never updated, never deleted (the
    migration's triggers refuse both); a correction is a new entry. A balance is the SUM of an
    account's entries. ``once`` makes an award idempotent ("fix:<ticket id>": a ticket pays its
    fix once, whatever reopens and confirmations follow)."""

    __tablename__ = "points_entries"
    __table_args__ = (
        Index("ix_points_entries_account_created", "account_id", "created_at"),
        Index("ix_points_entries_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id"))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[PointsReason] = mapped_column(_enum(PointsReason))
    # What it is for, in the book's words: "ticket:12", "redemption:3", "hours:4.5:activity:7".
    reference: Mapped[str] = mapped_column(String(120), default="")
    once: Mapped[str | None] = mapped_column(String(120), unique=True)
    # How many of the rule's unit the points are for (the hours of service hours), if any.
    quantity: Mapped[float | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("points_accounts.id"))
    created_at: Mapped[datetime]


class RewardItem(Base):
    """What the office offers in its points catalogue (a management-fee voucher, a gift)."""

    __tablename__ = "reward_items"
    # One item of a name in a community, withdrawn ones included: a double click on "Add"
    # writes one item, even when both clicks arrive at once.
    __table_args__ = (Index("ux_reward_items_community_name", "community_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int] = mapped_column(Integer)  # in points
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # The console form's one-time key it was added with: that form posted again is this item.
    once: Mapped[str | None] = mapped_column(String(32))


class RedemptionStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # stock and points taken
    DENIED = "denied"
    HANDED_OVER = "handed_over"


class Redemption(Base):
    """A resident's request for a catalogue item, decided by a coordinator of the community."""

    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("reward_items.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id"), index=True)
    price: Mapped[int] = mapped_column(Integer)  # as asked; approval takes the price of then
    status: Mapped[RedemptionStatus] = mapped_column(
        _enum(RedemptionStatus), default=RedemptionStatus.REQUESTED
    )
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("points_accounts.id"))
    handed_at: Mapped[datetime | None]


class WeChatPending(Base):
    """What a WeChat person's next text means, after a menu choice that needs words: a head's
    "reply" (the text is the answer to the ticket's author), a resident's "reopen" (the text is
    why it is not fixed), "photos" (the photos sent before the text that reports, their
    web_files keys), or "category" (a report's words and photos, waiting for the person to
    choose its kind of problem). WeChat has no replies to a message and no conversation state
    of its own; one row per person, replaced by their next choice, ignored after ``until``."""

    __tablename__ = "wechat_pending"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    photos: Mapped[str] = mapped_column(String(200), default="")
    # "category": the words of the report waiting for the kind of problem to be chosen.
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    until: Mapped[datetime]
