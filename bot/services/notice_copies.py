"""A notice's copies in the residents' chats: framed in each reader's language when the
delivery worker sends them (so a correction made before a copy goes is in it), remembered once
sent (their message ids), edited by a correction, deleted by a withdrawal (Telegram deletes a
bot's message only within 48 hours; an older copy is edited to say it was withdrawn), and the
reader's "mute notices from this building" (non-urgent ones; urgent ones still come).

WeChat and Web Push cannot edit or delete what they sent: a reader there whose copy went
(remembered like a Telegram copy, part 0) is sent a short message instead, a correction
("Correction to the notice of DATE: …") or a withdrawal ("The notice of DATE was withdrawn"),
as an outbox row ``notice_edit`` with ``{"change": "corrected" | "withdrawn"}`` that their door
renders (bot/services/notice_board.py ``change``). Unlike a silent Telegram edit, that message
rings: a non-urgent notice's waits for the end of quiet hours. A reader who never got a copy
gets nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.access import coverage
from bot.services.clock import Clock
from bot.services.notice_errors import NotAuthor, NoticeGone, NotMember
from bot.services.notices import check_text, covers_notice, office_of
from bot.services.sla import quiet_ends, sla_for
from storage.db import Database
from storage.models import (
    Address,
    Channel,
    Notice,
    NoticeStatus,
    OutboxKind,
    OutboxStatus,
    Person,
    Role,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.notices import NoticeRepository, urgency_of

# A change told to a door that cannot edit a sent message (WeChat, Web Push): the payload's
# ``change`` of its ``notice_edit`` row.
CORRECTED = "corrected"
WITHDRAWN = "withdrawn"
# In the payload of a withdrawal's edit, ``{BY: OFFICE}``: the community office withdrew it,
# not its author.
BY = "by"
OFFICE = "office"

# Telegram lets a bot delete its messages in a private chat for 48 hours; a little less here,
# so a deletion queued behind other messages is not refused on arrival.
DELETABLE_FOR = timedelta(hours=47)


@dataclass(frozen=True, slots=True)
class CopyView:
    """One reader's copy as it reads now: the text, and the mute button's label (None: no
    button, a withdrawn copy)."""

    text: str
    building_id: int
    mute_label: str | None
    muted: bool = False  # the label is Unmute


class NoticeCopies:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    # ----------------------------------------------------------------------------- delivery

    async def view(
        self,
        notice_id: int,
        person_id: int | None,
        building_id: int | None,
        *,
        by_office: bool = False,
    ) -> CopyView | None:
        """The text copy for this reader, framed in their language; None if there is nothing
        to send (the notice was cancelled or withdrawn since the row was written).
        ``by_office``: a withdrawn copy says the community office withdrew it, not its
        author (the edit's row says so: ``BY``)."""
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await notices.get(notice_id)
            if notice is None:
                return None
            person = await PersonRepository(session).get(person_id) if person_id else None
            if building_id is None:
                # An edit: the copy's building is not kept. The reader got it as a member of
                # the first of the notice's buildings they belong to (NoticeRepository.readers),
                # so the edit names that one and mutes that one; the notice's first building
                # only when they have left them all.
                member = await notices.member_of(person.id, notice.building_ids) if person else None
                building_id = member or notice.building_ids[0]
            building = await CommunityRepository(session).building(building_id)
            muted = person is not None and await notices.muted(person.id, building_id)
        if building is None:
            return None
        language = (person.language if person else None) or self.translations.default
        get = self.translations.get
        if notice.status == NoticeStatus.WITHDRAWN:
            key = "notice-withdrawn-copy-office" if by_office else "notice-withdrawn-copy"
            return CopyView(get(language, key, building=building.name), building_id, None)
        if notice.status != NoticeStatus.RELEASED:
            return None
        header = get(
            language,
            "notice-header-urgent" if notice.urgent else "notice-header",
            building=building.name,
        )
        lines = [header, "", notice.text]  # the text as written, outside Fluent
        if notice.corrected_at is not None:
            lines += ["", get(language, "notice-corrected")]
        label = get(language, "notice-btn-unmute" if muted else "notice-btn-mute")
        return CopyView("\n".join(lines), building_id, label, muted)

    async def photo(self, notice_id: int, index: int) -> str | None:
        async with self.db.session() as session:
            notice = await NoticeRepository(session).get(notice_id)
        if notice is None or notice.status != NoticeStatus.RELEASED:
            return None
        return notice.photos[index] if 0 <= index < len(notice.photos) else None

    # ----------------------------------------------------------------------------- the author

    async def withdraw(self, person: Person, notice_id: int) -> tuple[Notice, int, int]:
        """Nothing more goes; the copies sent go away (deleted within 48 hours, else edited
        to say so). Returns the notice, how many copies will be deleted and how many edited.
        The author may, while he covers every building of the notice (else NotAuthor); so may
        the community office (``office_of``), whoever wrote it."""
        now = self.clock()
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await notices.get(notice_id)
            if notice is None:
                raise NoticeGone()
            cover = await coverage(session, self.config, person)
            office = office_of(cover, notice)
            if notice.author_id != person.id and not office:
                raise NoticeGone()
            # Taking the copies out of the readers' chats speaks for the community as much as
            # correcting them: only while the author still looks after every building.
            if (
                notice.status == NoticeStatus.RELEASED
                and not office
                and not covers_notice(cover, notice)
            ):
                raise NotAuthor()
            if not await notices.end(notice.id, NoticeStatus.RELEASED, NoticeStatus.WITHDRAWN, now):
                raise NoticeGone()
            await notices.cancel_pending(notice.id, now)
            rows, deleted, edited = [], 0, 0
            rings_at = await self._rings_at(session, notice, now)
            for copy in await notices.copies(notice.id):
                to = Address(copy.channel, copy.address)
                if copy.channel != Channel.TELEGRAM:
                    if copy.part == 0:  # one message saying so, whatever the photos
                        rows.append(_told(notice.id, copy.person_id, to, WITHDRAWN, now, rings_at))
                        edited += 1
                elif now - copy.sent_at < DELETABLE_FOR:
                    rows.append(
                        _row(
                            notice.id,
                            copy.person_id,
                            to,
                            OutboxKind.NOTICE_DELETE,
                            copy.message_id,
                            now,
                        )
                    )
                    deleted += copy.part == 0
                elif copy.part == 0:
                    row = _row(
                        notice.id,
                        copy.person_id,
                        to,
                        OutboxKind.NOTICE_EDIT,
                        copy.message_id,
                        now,
                    )
                    if notice.author_id != person.id:
                        row["payload"][BY] = OFFICE
                    rows.append(row)
                    edited += 1
            await notices.add_rows(rows, urgency_of(notice))
            await session.commit()
            await session.refresh(notice)
            return notice, deleted, edited

    async def correctable(self, person: Person, notice_id: int) -> Notice:
        """The notice, when ``person`` may correct it now (before asking them for the text)."""
        async with self.db.session() as session:
            return await self._correctable(session, person, notice_id)

    async def _correctable(self, session: AsyncSession, person: Person, notice_id: int) -> Notice:
        notice = await NoticeRepository(session).get(notice_id)
        if notice is None or notice.author_id != person.id:
            raise NoticeGone()
        if notice.status not in (NoticeStatus.SCHEDULED, NoticeStatus.RELEASED):
            raise NoticeGone()
        # New words in the readers' chats: only while the author still looks after every
        # building it went to (a removed head keeps nothing of the role, see access.py).
        if not covers_notice(await coverage(session, self.config, person), notice):
            raise NotAuthor()
        return notice

    async def correct(self, person: Person, notice_id: int, text: str) -> tuple[Notice, int]:
        """The notice's text is replaced: copies still to go carry the new one (they are framed
        at delivery), and every copy sent is edited. Returns how many copies will be edited."""
        check_text(text)
        now = self.clock()
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await self._correctable(session, person, notice_id)
            notice.text = text
            notice.corrected_at = now if notice.status == NoticeStatus.RELEASED else None
            copies = await notices.copies(notice.id, part=0)
            rings_at = await self._rings_at(session, notice, now)
            await notices.add_rows(
                [
                    _row(
                        notice.id,
                        c.person_id,
                        Address(c.channel, c.address),
                        OutboxKind.NOTICE_EDIT,
                        c.message_id,
                        now,
                    )
                    if c.channel == Channel.TELEGRAM
                    else _told(
                        notice.id,
                        c.person_id,
                        Address(c.channel, c.address),
                        CORRECTED,
                        now,
                        rings_at,
                    )
                    for c in copies
                ],
                urgency_of(notice),
            )
            await session.commit()
            await session.refresh(notice)
            return notice, len(copies)

    @staticmethod
    async def _rings_at(session: AsyncSession, notice: Notice, now: datetime) -> datetime:
        """When a message about the notice may ring a reader: now for an urgent one, else
        at the end of the community's quiet hours (as the notice itself waited)."""
        if notice.urgent:
            return now
        community = await CommunityRepository(session).get(notice.community_id)
        settings = (community.settings if community else None) or {}
        return quiet_ends(now, sla_for(settings, community.timezone if community else None))

    # ----------------------------------------------------------------------------- the reader

    async def toggle_mute(self, person: Person, building_id: int) -> tuple[bool, str]:
        """Mutes (or unmutes) non-urgent notices from a building the person belongs to.
        Returns whether it is muted now, and the building's name."""
        muted, name = await self._mute(person, building_id, None)
        return bool(muted), name

    async def set_mute(self, person: Person, building_id: int, on: bool) -> tuple[bool, str]:
        """Mutes (``on``) or unmutes, as a door that says which (WeChat's words or choice);
        returns whether that changed anything, and the building's name."""
        muted, name = await self._mute(person, building_id, on)
        return muted is not None, name

    async def _mute(
        self, person: Person, building_id: int, on: bool | None
    ) -> tuple[bool | None, str]:
        now = self.clock()
        async with self.db.session() as session:
            people = PersonRepository(session)
            roles = await people.building_roles(person.id)
            mine = [
                r
                for r in roles
                if r.building_id == building_id
                and r.role in (Role.RESIDENT, Role.HEAD, Role.DEPUTY)
            ]
            if not mine:
                raise NotMember()
            notices = NoticeRepository(session)
            muted = await notices.muted(person.id, building_id)
            if on is not None and muted == on:
                return None, mine[0].building_name
            if muted:
                await notices.unmute(person.id, building_id)
            else:
                await notices.mute(person.id, building_id, now)
            await session.commit()
            return not muted, mine[0].building_name


def _row(
    notice_id: int,
    person_id: int | None,
    to: Address,
    kind: OutboxKind,
    message_id: int,
    now: Any,
) -> dict[str, Any]:
    return {
        "channel": to.channel,
        "address": to.address,
        "person_id": person_id,
        "kind": kind.value,
        "payload": {"message_id": message_id},
        "notice_id": notice_id,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": now,  # an edit or a deletion wakes nobody: no quiet hours
        "created_at": now,
    }


def _told(
    notice_id: int,
    person_id: int | None,
    to: Address,
    change: str,
    now: datetime,
    rings_at: datetime,
) -> dict[str, Any]:
    """A row telling a WeChat or web reader that the notice they got changed."""
    row = _row(notice_id, person_id, to, OutboxKind.NOTICE_EDIT, 0, now)
    row["payload"] = {"message_id": 0, "change": change}
    row["not_before"] = rings_at
    return row
