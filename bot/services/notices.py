"""Notices (通知): a head to their buildings, a coordinator to their area, an admin anywhere,
write a text (and up to MAX_PHOTOS photos) for the residents of one building, several, or a
whole community; now or at a time; urgent or not. The author sees how many people it reaches
and how long Telegram's limits make it take, before and after; ``/notices`` shows what reached,
what is blocked and what is pending, and the author can cancel what has not gone, withdraw it,
or correct it.

Release writes one outbox row per reader (and one per photo) in bulk, in the same transaction
as the notice's conditional change scheduled → released, so two scans (two instances) release
a notice once, and a crash releases it whole or not at all. A non-urgent notice whose time
falls in the community's quiet hours is held until they end (as the scheduler's reminders
are): it waits as a scheduled notice, not as outbox rows, which would hold up each reader's
other messages all night; an urgent one goes at once. Copies are framed in each reader's
language at delivery (bot/services/notice_copies.py in Telegram, notice_board.py in WeChat and
the web door, whose readers get the photos on the notice's page, or in WeChat's window as
images); the text itself is as written."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.access import Coverage, coverage
from bot.services.clock import Clock
from bot.services.notice_errors import BadTime, NotAuthor, NoticeGone, NoticeTooLong, TooManyPhotos
from bot.services.sla import Sla, at_local, local, quiet_ends, sla_for
from bot.text import utf16_len
from storage.db import Database
from storage.models import (
    Building,
    Community,
    Notice,
    NoticeStatus,
    OutboxKind,
    OutboxStatus,
    Person,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.notices import (
    PHOTO_CHANNELS,
    NoticeRepository,
    Progress,
    Reader,
    urgency_of,
)

MAX_PHOTOS = 5
# The notice's own text, in UTF-16 units as Telegram counts: a message holds 4096, and each copy
# adds a frame in its reader's language (a header line, "corrected") within the rest.
MAX_TEXT = 3800
# Telegram's overall pace for a bot: the estimate the author is told.
PER_SECOND = 30
RELEASE_BATCH = 20  # notices released per scan
TOMORROW = time(7, 30)  # the "tomorrow morning" button
_TIME = re.compile(r"^\s*(?:(\d{4})-(\d{1,2})-(\d{1,2})\s+)?(\d{1,2})[:：](\d{2})\s*$")


@dataclass(slots=True)
class NoticeDraft:
    building_ids: list[int] = field(default_factory=list)
    text: str = ""
    photos: list[str] = field(default_factory=list)
    send_at: datetime | None = None  # None: now
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Preview:
    buildings: Sequence[Building]
    community: Community
    reach: int
    minutes: int  # at Telegram's pace
    send_at: datetime | None  # local, or None for now
    goes_at: datetime  # local: when the first copy may go (quiet hours)
    quiet: bool  # not urgent, and that time falls in quiet hours: it waits for their end


@dataclass(frozen=True, slots=True)
class Listed:
    notice: Notice
    progress: Progress
    building_names: list[str]
    minutes_left: int
    send_at: datetime  # local to the community
    # Whether its author's current roles cover every building of it: what he may still do to
    # it besides cancelling a scheduled notice (stop, withdraw, correct; see ``cancel``).
    covered: bool
    # Listed for the community office (a coordinator of the whole community, an admin), not
    # for its author: the office may withdraw it, and nothing else.
    office: bool = False

    @property
    def may_cancel(self) -> bool:
        if self.office:
            return False
        if self.notice.status == NoticeStatus.SCHEDULED:
            return True
        return (
            self.covered
            and self.notice.status == NoticeStatus.RELEASED
            and (self.progress.pending > 0)
        )

    @property
    def may_withdraw(self) -> bool:
        return (self.covered or self.office) and self.notice.status == NoticeStatus.RELEASED

    @property
    def may_correct(self) -> bool:
        return (
            not self.office
            and self.covered
            and self.notice.status
            in (
                NoticeStatus.SCHEDULED,
                NoticeStatus.RELEASED,
            )
        )


def check_text(text: str) -> str:
    length = utf16_len(text)
    if length > MAX_TEXT:
        raise NoticeTooLong(length, MAX_TEXT)
    return text


def check_photos(photos: Sequence[str]) -> None:
    if len(photos) > MAX_PHOTOS:
        raise TooManyPhotos(MAX_PHOTOS)


def minutes_for(messages: int) -> int:
    return max(1, math.ceil(messages / PER_SECOND / 60)) if messages else 0


def parse_time(text: str, now: datetime, sla: Sla) -> datetime:
    """``HH:MM`` (today, or tomorrow once it has passed) or ``YYYY-MM-DD HH:MM`` in the
    community's zone; an aware UTC moment in the future, or BadTime."""
    match = _TIME.match(text)
    if match is None:
        raise BadTime()
    year, month, day, hour, minute = match.groups()
    try:
        when = time(int(hour), int(minute))
        if year:
            moment = at_local(date(int(year), int(month), int(day)), when, sla)
        else:
            today = local(now, sla).date()
            moment = at_local(today, when, sla)
            if moment <= now:
                moment = at_local(today + timedelta(days=1), when, sla)
    except ValueError:
        raise BadTime() from None
    if moment <= now:
        raise BadTime()
    return moment


def tomorrow_at(now: datetime, sla: Sla, when: time) -> datetime:
    return at_local(local(now, sla).date() + timedelta(days=1), when, sla)


def covers_notice(cover: Coverage, notice: Notice) -> bool:
    """Whether ``cover`` (someone's current roles) includes every building of ``notice``."""
    return all(cover.covers(notice.community_id, b) for b in notice.building_ids)


def office_of(cover: Coverage, notice: Notice) -> bool:
    """Whether ``cover`` is the community office of the notice's community (a coordinator of
    the whole community, or an admin): it answers for what was said in the community's name,
    whoever wrote it (a head removed since cannot take it back himself)."""
    return cover.admin or notice.community_id in cover.community_ids


class NoticeService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    # ----------------------------------------------------------------------------- writing

    async def targets(self, person: Person) -> list[Building]:
        """The buildings the person may write to now (their *current* roles); NotAuthor if none."""
        async with self.db.session() as session:
            cover = await coverage(session, self.config, person)
            return await self._targets(NoticeRepository(session), session, cover)

    async def _targets(
        self, notices: NoticeRepository, session: AsyncSession, cover: Coverage
    ) -> list[Building]:
        if cover.admin:
            communities = [c.id for c in await CommunityRepository(session).page(0, 1000)]
            found = list(await notices.community_buildings(communities))
        else:
            found = list(await notices.community_buildings(cover.community_ids))
            found += [b for b in await notices.buildings(cover.building_ids) if b not in found]
        if not found:
            raise NotAuthor()
        return sorted(found, key=lambda b: (b.community_id, b.code))

    async def check_targets(self, person: Person, building_ids: Sequence[int]) -> list[Building]:
        """The chosen buildings, if the person covers every one and they are in one community
        (a forged button naming another building is refused here)."""
        allowed = {b.id: b for b in await self.targets(person)}
        chosen = [allowed[i] for i in dict.fromkeys(building_ids) if i in allowed]
        if not chosen or len(chosen) != len(set(building_ids)):
            raise NotAuthor()
        if len({b.community_id for b in chosen}) != 1:
            raise NotAuthor()
        return chosen

    async def preview(self, person: Person, draft: NoticeDraft) -> Preview:
        buildings = await self.check_targets(person, draft.building_ids)
        check_text(draft.text)
        check_photos(draft.photos)
        now = self.clock()
        async with self.db.session() as session:
            community = await CommunityRepository(session).get(buildings[0].community_id)
            assert community is not None
            readers = await NoticeRepository(session).readers(
                [b.id for b in buildings], person.id, draft.urgent
            )
        sla = sla_for(community.settings or {}, community.timezone)
        start = draft.send_at or now
        if draft.send_at is not None and draft.send_at <= now:
            raise BadTime()
        goes = start if draft.urgent else quiet_ends(start, sla)
        return Preview(
            buildings=buildings,
            community=community,
            reach=len(readers),
            minutes=minutes_for(len(readers) * (1 + len(draft.photos))),
            send_at=local(draft.send_at, sla) if draft.send_at else None,
            goes_at=local(goes, sla),
            quiet=goes > start,
        )

    async def publish(self, person: Person, draft: NoticeDraft) -> tuple[Notice, Preview]:
        """The author confirmed: the notice is kept, and released now (its copies in the outbox,
        in this same transaction) unless it is scheduled."""
        preview = await self.preview(person, draft)  # authorised again, on current roles
        now = self.clock()
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await notices.add(
                Notice(
                    community_id=preview.community.id,
                    author_id=person.id,
                    building_ids=[b.id for b in preview.buildings],
                    text=draft.text,
                    photos=list(draft.photos),
                    urgent=draft.urgent,
                    status=NoticeStatus.SCHEDULED,
                    # A non-urgent notice waits as a notice, not in the outbox: rows waiting
                    # there all night would hold up every other message to those chats.
                    send_at=preview.goes_at.astimezone(now.tzinfo),
                    recipients=0,
                    created_at=now,
                )
            )
            if notice.send_at <= now and await notices.claim_release(notice.id, now):
                await self._write_copies(notices, notice, preview.community, now)
            await session.commit()
            await session.refresh(notice)
        return notice, preview

    async def release_due(self) -> int:
        """The scheduler's scan: scheduled notices whose time has come, each released once
        (the claim and the copies commit together). Returns how many copies were written."""
        now = self.clock()
        written = 0
        async with self.db.session() as session:
            due = await NoticeRepository(session).due(now, RELEASE_BATCH)
        for notice_id in due:
            async with self.db.session() as session:
                notices = NoticeRepository(session)
                if not await self._author_covers(session, notice_id):
                    # Its author lost the role meanwhile: it goes to no one in their name.
                    await notices.end(
                        notice_id, NoticeStatus.SCHEDULED, NoticeStatus.CANCELLED, now
                    )
                    await session.commit()
                    continue
                if not await notices.claim_release(notice_id, now):
                    continue  # another scan (another instance) has it
                notice = await notices.get(notice_id)
                community = (
                    await CommunityRepository(session).get(notice.community_id) if notice else None
                )
                if notice is None or community is None:
                    continue
                await session.refresh(notice)
                written += await self._write_copies(notices, notice, community, now)
                await session.commit()
        return written

    async def _author_covers(self, session: AsyncSession, notice_id: int) -> bool:
        """Whether the notice's author may still write to all its buildings (no author left
        to ask, forgotten since: the notice goes)."""
        notice = await NoticeRepository(session).get(notice_id)
        if notice is None or notice.author_id is None:
            return True
        author = await PersonRepository(session).get(notice.author_id)
        if author is None:
            return True
        return covers_notice(await coverage(session, self.config, author), notice)

    async def _write_copies(
        self, notices: NoticeRepository, notice: Notice, community: Community, now: datetime
    ) -> int:
        readers = await notices.readers(notice.building_ids, notice.author_id, notice.urgent)
        rows = [
            _row(notice.id, reader, kind, payload, now)
            for reader in readers
            for kind, payload in _parts(reader, len(notice.photos))
        ]
        await notices.add_rows(rows, urgency_of(notice))
        notice.recipients = len(readers)
        await notices.session.flush()
        return len(rows)

    async def when(self, building_ids: Sequence[int], typed: str | None) -> datetime:
        """The time a notice is scheduled for: ``typed`` (HH:MM or YYYY-MM-DD HH:MM) in the
        community's zone, or tomorrow 07:30 when None."""
        now = self.clock()
        async with self.db.session() as session:
            buildings = await NoticeRepository(session).buildings(building_ids[:1])
            if not buildings:
                raise NotAuthor()
            sla = await self._sla(session, buildings[0].community_id)
        return tomorrow_at(now, sla, TOMORROW) if typed is None else parse_time(typed, now, sla)

    async def _sla(self, session: AsyncSession, community_id: int) -> Sla:
        community = await CommunityRepository(session).get(community_id)
        settings = community.settings if community else {}
        return sla_for(settings or {}, community.timezone if community else None)

    # ----------------------------------------------------------------------------- after

    async def mine(self, person: Person, limit: int = 10) -> list[Listed]:
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            cover = await coverage(session, self.config, person)
            listed = []
            for notice in await notices.by_author(person.id, limit):
                progress = await notices.progress(notice.id)
                names = [b.name for b in await notices.buildings(notice.building_ids)]
                left = progress.pending * (1 + len(notice.photos))
                sla = await self._sla(session, notice.community_id)
                listed.append(
                    Listed(
                        notice,
                        progress,
                        names,
                        minutes_for(left),
                        local(notice.send_at, sla),
                        covers_notice(cover, notice),
                    )
                )
            return listed

    async def of_others(self, person: Person, limit: int = 10) -> list[Listed]:
        """For the community office: the released notices of its communities that others
        wrote, newest first (the office may withdraw them). The same few statements however
        many communities the office (an admin: every one) looks after."""
        async with self.db.session() as session:
            cover = await coverage(session, self.config, person)
            communities = None if cover.admin else sorted(cover.community_ids)
            if communities == []:
                return []
            notices = NoticeRepository(session)
            found = await notices.released_by_others(communities, person.id, limit)
            # Into the session at once: ``_sla`` below finds each community there.
            await CommunityRepository(session).get_many(n.community_id for n in found)
            buildings = await notices.buildings({b for n in found for b in n.building_ids})
            progresses = await notices.progresses(n.id for n in found)
            listed = []
            for notice in found:
                progress = progresses[notice.id]
                ids = set(notice.building_ids)
                names = [b.name for b in buildings if b.id in ids]
                left = progress.pending * (1 + len(notice.photos))
                sla = await self._sla(session, notice.community_id)
                when = local(notice.send_at, sla)
                listed.append(
                    Listed(notice, progress, names, minutes_for(left), when, False, office=True)
                )
            return listed

    async def cancel(self, person: Person, notice_id: int) -> tuple[Notice, int]:
        """What has not gone will not: a scheduled notice is cancelled; a released one's pending
        copies are. Returns the notice and how many copies were stopped.

        A scheduled notice is the author's own unsent words: he may always take them back,
        even after losing the role (it would not go in his name anyway, ``release_due``, and
        nobody has read it). Stopping a released notice half-way withholds from some of its
        readers what the community told the others: that speaks for the community, as a
        withdrawal does, so only while the author still covers every building
        (NotAuthor)."""
        now = self.clock()
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await self._own(notices, person, notice_id)
            if notice.status == NoticeStatus.RELEASED and not covers_notice(
                await coverage(session, self.config, person), notice
            ):
                raise NotAuthor()
            if notice.status == NoticeStatus.SCHEDULED:
                if not await notices.end(
                    notice.id, NoticeStatus.SCHEDULED, NoticeStatus.CANCELLED, now
                ):
                    raise NoticeGone()
                stopped = 0
            elif notice.status == NoticeStatus.RELEASED:
                stopped = await notices.cancel_pending(notice.id, now)
            else:
                raise NoticeGone()
            await session.commit()
            await session.refresh(notice)
            return notice, stopped

    async def _own(self, notices: NoticeRepository, person: Person, notice_id: int) -> Notice:
        notice = await notices.get(notice_id)
        if notice is None or notice.author_id != person.id:
            raise NoticeGone()
        return notice


def _parts(reader: Reader, photos: int) -> list[tuple[OutboxKind, dict[str, Any]]]:
    parts: list[tuple[OutboxKind, dict[str, Any]]] = [
        (OutboxKind.NOTICE, {"building_id": reader.building_id})
    ]
    if reader.to.channel in PHOTO_CHANNELS:
        parts += [(OutboxKind.NOTICE_PHOTO, {"index": i}) for i in range(photos)]
    return parts


def _row(
    notice_id: int,
    reader: Reader,
    kind: OutboxKind,
    payload: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "channel": reader.to.channel,
        "address": reader.to.address,
        "person_id": reader.person_id,
        "kind": kind.value,
        "payload": payload,
        "notice_id": notice_id,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }
