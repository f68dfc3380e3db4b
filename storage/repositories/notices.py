"""Notices, their delivered copies and the residents' mutes; the notice's outbox rows written in
bulk (tens of thousands in one transaction) and counted by status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import QUEUED
from storage.models import (
    Address,
    Building,
    Channel,
    Contact,
    Membership,
    Notice,
    NoticeCopy,
    NoticeMute,
    NoticeStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Role,
    Urgency,
)

# Rows per INSERT statement: a few thousand keeps each statement's parameters within what
# SQLite and asyncpg take, and the whole notice is still one transaction.
INSERT_BATCH = 2000
CANCELLED = "cancelled by the notice's author"
MEMBER_ROLES = (Role.RESIDENT, Role.HEAD, Role.DEPUTY)

# The channels a notice's copies go to: each reader's last-used door. In Telegram a copy is
# edited and deleted in place; WeChat (wechat/sender.py) gets a text or, out of its 48-hour
# window, a template message, and a web device with a push subscription a notification
# (web/push/sender.py): both open the notice's page (bot/services/notice_board.py), which
# shows it as it reads now (corrected, or withdrawn). A web device without a subscription is
# reached by no copy; its building page lists the notices.
NOTICE_CHANNELS: frozenset[str] = frozenset({Channel.TELEGRAM, Channel.WECHAT, Channel.WEB})
# Channels that take a notice's photos as messages of their own (WeChat: as image messages
# within its window); elsewhere the copy says how many there are and the page shows them.
PHOTO_CHANNELS: frozenset[str] = frozenset({Channel.TELEGRAM, Channel.WECHAT})


@dataclass(frozen=True, slots=True)
class Reader:
    """Someone a notice reaches, as a member of ``building_id``, at ``to``."""

    person_id: int
    building_id: int
    to: Address


@dataclass(frozen=True, slots=True)
class Progress:
    reached: int
    blocked: int
    pending: int
    cancelled: int


def urgency_of(notice: Notice) -> Urgency:
    """When delivery is behind, an urgent notice (a burst pipe, an evacuation) goes with
    everyone's other news, by age, and any other notice after them; a new report's card to its
    head goes first either way."""
    return Urgency.TELL if notice.urgent else Urgency.BULK


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, notice: Notice) -> Notice:
        self.session.add(notice)
        await self.session.flush()
        return notice

    async def get(self, notice_id: int) -> Notice | None:
        return await self.session.get(Notice, notice_id)

    async def buildings(self, building_ids: Iterable[int]) -> Sequence[Building]:
        query = select(Building).where(Building.id.in_(list(building_ids))).order_by(Building.code)
        return (await self.session.scalars(query)).all()

    async def community_buildings(self, community_ids: Iterable[int]) -> Sequence[Building]:
        query = (
            select(Building)
            .where(Building.community_id.in_(list(community_ids)))
            .order_by(Building.community_id, Building.code)
        )
        return (await self.session.scalars(query)).all()

    async def by_author(self, author_id: int, limit: int) -> Sequence[Notice]:
        query = (
            select(Notice)
            .where(Notice.author_id == author_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def due(self, now: datetime, limit: int) -> Sequence[int]:
        query = (
            select(Notice.id)
            .where(Notice.status == NoticeStatus.SCHEDULED, Notice.send_at <= now)
            .order_by(Notice.send_at, Notice.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def claim_release(self, notice_id: int, now: datetime) -> bool:
        """Scheduled → released, if nobody did it first (a second instance's scan, a cancel)."""
        result = await self.session.execute(
            update(Notice)
            .where(
                Notice.id == notice_id,
                Notice.status == NoticeStatus.SCHEDULED,
                Notice.send_at <= now,
            )
            .values(status=NoticeStatus.RELEASED, released_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def end(self, notice_id: int, was: NoticeStatus, to: NoticeStatus, now: datetime) -> bool:
        """A conditional change of status (cancel, withdraw): False if it was no longer ``was``."""
        result = await self.session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.status == was)
            .values(status=to, ended_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def readers(
        self, building_ids: Sequence[int], author_id: int | None, urgent: bool
    ) -> list[Reader]:
        """The members (residents, heads, deputies) of the buildings, each once, at the contact
        they used last; without the author, and for a non-urgent notice without those who
        muted the building they would get it as."""
        members = (
            select(Membership.person_id, func.min(Membership.building_id).label("building_id"))
            .where(
                Membership.building_id.in_(list(building_ids)),
                Membership.role.in_(list(MEMBER_ROLES)),
            )
            .group_by(Membership.person_id)
            .subquery()
        )
        query = (
            select(
                members.c.person_id,
                members.c.building_id,
                Contact.channel,
                Contact.address,
                Contact.push,
            )
            .join(Contact, Contact.person_id == members.c.person_id)
            .where(Contact.channel.in_(sorted(NOTICE_CHANNELS)))
            .order_by(members.c.person_id, Contact.last_used_at.desc(), Contact.id.desc())
        )
        if author_id is not None:
            query = query.where(members.c.person_id != author_id)
        muted: set[tuple[int, int]] = set()
        if not urgent:
            rows = await self.session.execute(
                select(NoticeMute.person_id, NoticeMute.building_id).where(
                    NoticeMute.building_id.in_(list(building_ids))
                )
            )
            muted = {(p, b) for p, b in rows.all()}
        readers: dict[int, Reader] = {}
        found = (await self.session.execute(query)).all()
        for person_id, building_id, channel, address, push in found:
            if channel == Channel.WEB and push is None:
                continue  # a browser that gave no subscription: nothing reaches it
            if person_id in readers or (person_id, building_id) in muted:
                continue
            readers[person_id] = Reader(person_id, building_id, Address(channel, address))
        return list(readers.values())

    async def add_rows(self, rows: Sequence[dict[str, Any]], urgency: Urgency) -> None:
        """Outbox rows in bulk (executemany), in the caller's transaction: a notice's rows all
        commit with its release or none do, so a crash never sends half a notice twice.
        ``urgency``: the notice's (``urgency_of``)."""
        for start in range(0, len(rows), INSERT_BATCH):
            await self.session.execute(
                insert(OutboxMessage),
                [{**row, "urgency": urgency} for row in rows[start : start + INSERT_BATCH]],
            )
        if rows:
            self.session.info[QUEUED] = True

    async def progress(self, notice_id: int) -> Progress:
        """The copies (one text row per reader) by what became of them."""
        return (await self.progresses([notice_id]))[notice_id]

    async def progresses(self, notice_ids: Iterable[int]) -> dict[int, Progress]:
        """``progress`` of each notice, in one statement."""
        ids = list(notice_ids)
        if not ids:
            return {}
        counts = {i: {"reached": 0, "blocked": 0, "pending": 0, "cancelled": 0} for i in ids}
        query = (
            select(
                OutboxMessage.notice_id,
                OutboxMessage.status,
                OutboxMessage.last_error,
                func.count(),
            )
            .where(OutboxMessage.notice_id.in_(ids), OutboxMessage.kind == OutboxKind.NOTICE)
            .group_by(OutboxMessage.notice_id, OutboxMessage.status, OutboxMessage.last_error)
        )
        for notice_id, status, error, count in (await self.session.execute(query)).all():
            assert notice_id is not None  # (the IN above)
            of = counts[notice_id]
            if status == OutboxStatus.SENT:
                of["reached"] += count
            elif status == OutboxStatus.PENDING:
                of["pending"] += count
            elif error == CANCELLED:
                of["cancelled"] += count
            else:
                of["blocked"] += count
        return {i: Progress(**of) for i, of in counts.items()}

    async def cancel_pending(self, notice_id: int, now: datetime) -> int:
        """What has not gone will not go (rows a worker holds right now may still go out)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.notice_id == notice_id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.kind.in_([OutboxKind.NOTICE, OutboxKind.NOTICE_PHOTO]),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .values(status=OutboxStatus.FAILED, last_error=CANCELLED)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    async def remember_copy(
        self,
        notice_id: int,
        person_id: int | None,
        to: Address,
        message_id: int,
        part: int,
        now: datetime,
    ) -> None:
        self.session.add(
            NoticeCopy(
                notice_id=notice_id,
                person_id=person_id,
                channel=to.channel,
                address=to.address,
                message_id=message_id,
                part=part,
                sent_at=now,
            )
        )
        await self.session.flush()

    async def copies(self, notice_id: int, part: int | None = None) -> Sequence[NoticeCopy]:
        query = select(NoticeCopy).where(NoticeCopy.notice_id == notice_id)
        if part is not None:
            query = query.where(NoticeCopy.part == part)
        return (await self.session.scalars(query.order_by(NoticeCopy.id))).all()

    # The notice board (the web door's pages)

    async def released_in(self, community_id: int, limit: int) -> Sequence[Notice]:
        """The community's notices that went out and were not withdrawn, newest first."""
        query = (
            select(Notice)
            .where(Notice.community_id == community_id, Notice.status == NoticeStatus.RELEASED)
            .order_by(Notice.released_at.desc(), Notice.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def released_by_others(
        self, community_ids: Sequence[int] | None, person_id: int, limit: int
    ) -> Sequence[Notice]:
        """The notices of these communities (None: of every community) that went out, were
        not withdrawn and were not written by the person (a forgotten author's are), newest
        first: one statement however many communities."""
        query = (
            select(Notice)
            .where(
                Notice.status == NoticeStatus.RELEASED,
                Notice.author_id.is_distinct_from(person_id),
            )
            .order_by(func.coalesce(Notice.released_at, Notice.send_at).desc(), Notice.id.desc())
            .limit(limit)
        )
        if community_ids is not None:
            query = query.where(Notice.community_id.in_(list(community_ids)))
        return (await self.session.scalars(query)).all()

    async def member_of(self, person_id: int, building_ids: Sequence[int]) -> int | None:
        """The first of the buildings the person belongs to (resident, head, deputy), if any."""
        return await self.session.scalar(
            select(Membership.building_id)
            .where(
                Membership.person_id == person_id,
                Membership.building_id.in_(list(building_ids)),
                Membership.role.in_(list(MEMBER_ROLES)),
            )
            .order_by(Membership.building_id)
            .limit(1)
        )

    # Mutes

    async def muted(self, person_id: int, building_id: int) -> bool:
        found = await self.session.scalar(
            select(NoticeMute.id).where(
                NoticeMute.person_id == person_id, NoticeMute.building_id == building_id
            )
        )
        return found is not None

    async def mute(self, person_id: int, building_id: int, now: datetime) -> None:
        self.session.add(NoticeMute(person_id=person_id, building_id=building_id, since=now))
        await self.session.flush()

    async def unmute(self, person_id: int, building_id: int) -> None:
        await self.session.execute(
            delete(NoticeMute).where(
                NoticeMute.person_id == person_id, NoticeMute.building_id == building_id
            )
        )
