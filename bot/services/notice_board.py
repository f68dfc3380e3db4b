"""The notice board: notices as the doors other than Telegram show them. A WeChat or web
reader's copy is one message that opens the notice's page; the page shows the notice as it
reads now (a correction in it, a withdrawal instead of it), so nothing sent there needs
editing or deleting.

- The page's link is the reader's own: ``/door/notice/<id>/<person>/<key>``, the key an HMAC
  of the notice and the person under a deployment secret, so a forwarded template or push
  opens it for whoever holds it (as a letter would) and no other notice's number can be
  guessed from it. It opens only while the person is still a member of one of its buildings.
- The building page of the web door lists the building's recent notices (newest first, not
  withdrawn, corrected marked as such, urgent marked) to a device whose person is a member of
  that building; a stranger with only the poster's token sees none: a notice is for the
  building's residents."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.sla import local, sla_for
from storage.db import Database
from storage.models import Notice, NoticeStatus, Person
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.secrets import SecretRepository

SECRET_NAME = "notice_links"
BOARD_LIMIT = 10  # notices on a building's page
SCAN_LIMIT = 50  # the community's newest notices looked through for one building's


@dataclass(frozen=True, slots=True)
class BoardNotice:
    """A notice as a page shows it to one reader."""

    id: int
    building: str
    text: str  # empty when withdrawn
    urgent: bool
    corrected: bool
    withdrawn: bool
    photos: int
    released: str  # local time, "YYYY-MM-DD HH:MM"
    path: str  # the reader's own link to its page


@dataclass(frozen=True, slots=True)
class DoorCopy:
    """One reader's copy for a door that sends it once: the title, the text framed in their
    language (the photos said as a count), and the page that shows it."""

    title: str
    text: str
    building: str
    photos: int
    path: str
    language: str
    building_id: int = 0
    mute: bool | None = None  # a non-urgent notice: whether its building is muted now


@dataclass(frozen=True, slots=True)
class DoorChange:
    """What a WeChat or web reader who got a notice is told when it changes: a short title
    (for a push or a template), the message, and the page that shows the notice now."""

    title: str
    text: str
    building: str
    path: str
    language: str


class NoticeBoard:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self._secret: bytes | None = None

    async def _key(self) -> bytes:
        """The deployment's link secret, made on first use (two processes at once: the second
        to write reads the first's)."""
        if self._secret is None:
            async with self.db.session() as session:
                stored = await SecretRepository(session).get(SECRET_NAME)
            if stored is None:
                made = secrets.token_urlsafe(32)
                try:
                    async with self.db.session() as session:
                        await SecretRepository(session).add(SECRET_NAME, made, self.clock())
                        await session.commit()
                    stored = made
                except IntegrityError:
                    async with self.db.session() as session:
                        stored = await SecretRepository(session).get(SECRET_NAME)
            assert stored is not None
            self._secret = stored.encode()
        return self._secret

    async def path(self, notice_id: int, person_id: int) -> str:
        digest = hmac.new(await self._key(), f"{notice_id}:{person_id}".encode(), hashlib.sha256)
        return f"/door/notice/{notice_id}/{person_id}/{digest.hexdigest()[:32]}"

    async def read(self, notice_id: int, person_id: int, key: str) -> BoardNotice | None:
        """The notice behind a reader's link; None for a wrong key, a notice that never went
        out, or a person no longer in any of its buildings."""
        expected = (await self.path(notice_id, person_id)).rsplit("/", 1)[1]
        if not hmac.compare_digest(expected.encode(), key.encode()):
            return None
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await notices.get(notice_id)
            if notice is None or notice.status not in (
                NoticeStatus.RELEASED,
                NoticeStatus.WITHDRAWN,
            ):
                return None
            building_id = await notices.member_of(person_id, notice.building_ids)
            if building_id is None:
                return None
            return await self._shown(session, notice, building_id, person_id)

    async def building(self, person: Person | None, building_id: int) -> list[BoardNotice]:
        """The building's recent notices for a member's device; nothing for anyone else."""
        if person is None:
            return []
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            if await notices.member_of(person.id, [building_id]) is None:
                return []
            building = await CommunityRepository(session).building(building_id)
            if building is None:
                return []
            found = await notices.released_in(building.community_id, SCAN_LIMIT)
            mine = [n for n in found if building_id in n.building_ids][:BOARD_LIMIT]
            return [await self._shown(session, n, building_id, person.id) for n in mine]

    async def _shown(
        self, session: AsyncSession, notice: Notice, building_id: int, person_id: int
    ) -> BoardNotice:
        communities = CommunityRepository(session)
        building = await communities.building(building_id)
        community = await communities.get(notice.community_id)
        settings = (community.settings if community else None) or {}
        sla = sla_for(settings, community.timezone if community else None)
        released = notice.released_at or notice.send_at
        withdrawn = notice.status == NoticeStatus.WITHDRAWN
        return BoardNotice(
            id=notice.id,
            building=building.name if building else "",
            text="" if withdrawn else notice.text,
            urgent=notice.urgent,
            corrected=notice.corrected_at is not None,
            withdrawn=withdrawn,
            photos=len(notice.photos),
            released=_when(local(released, sla)),
            path=await self.path(notice.id, person_id),
        )

    async def photo(self, notice_id: int, index: int) -> str | None:
        """The file id of a released notice's photo number ``index``."""
        async with self.db.session() as session:
            notice = await NoticeRepository(session).get(notice_id)
        if notice is None or notice.status != NoticeStatus.RELEASED:
            return None
        return notice.photos[index] if 0 <= index < len(notice.photos) else None

    async def copy(
        self, notice_id: int, person_id: int | None, building_id: int | None
    ) -> DoorCopy | None:
        """The copy a WeChat or web reader is sent; None when there is nothing to send (the
        notice was cancelled or withdrawn since its row was written)."""
        if person_id is None:
            return None
        async with self.db.session() as session:
            notice = await NoticeRepository(session).get(notice_id)
            if notice is None or notice.status != NoticeStatus.RELEASED:
                return None
            building_id = building_id or notice.building_ids[0]
            building = await CommunityRepository(session).building(building_id)
            person = await PersonRepository(session).get(person_id)
            muted = await NoticeRepository(session).muted(person_id, building_id)
        if building is None:
            return None
        language = (person.language if person else None) or self.translations.default
        get = self.translations.get
        title = get(
            language,
            "notice-header-urgent" if notice.urgent else "notice-header",
            building=building.name,
        )
        lines = [title, "", notice.text]  # the text as written, outside Fluent
        if notice.corrected_at is not None:
            lines += ["", get(language, "notice-corrected")]
        if notice.photos:
            lines += ["", get(language, "notice-door-photos", count=len(notice.photos))]
        return DoorCopy(
            title=title,
            text="\n".join(lines),
            building=building.name,
            photos=len(notice.photos),
            path=await self.path(notice.id, person_id),
            language=language,
            building_id=building.id,
            mute=None if notice.urgent else muted,
        )

    async def change(self, notice_id: int, person_id: int | None, change: str) -> DoorChange | None:
        """The correction ("Correction to the notice of DATE: …", the text as it reads now) or
        the withdrawal ("The notice of DATE was withdrawn") for one reader who got a copy; None
        when there is nothing to say any more (a correction of a notice withdrawn since: the
        withdrawal's own message says so)."""
        if person_id is None:
            return None
        async with self.db.session() as session:
            notices = NoticeRepository(session)
            notice = await notices.get(notice_id)
            if notice is None or notice.released_at is None:
                return None
            withdrawn = notice.status == NoticeStatus.WITHDRAWN
            if change == "corrected" and notice.status != NoticeStatus.RELEASED:
                return None
            if change == "withdrawn" and not withdrawn:
                return None
            communities = CommunityRepository(session)
            # The building the reader got it as a member of (NoticeRepository.readers).
            member = await notices.member_of(person_id, notice.building_ids)
            building = await communities.building(member or notice.building_ids[0])
            community = await communities.get(notice.community_id)
            person = await PersonRepository(session).get(person_id)
        settings = (community.settings if community else None) or {}
        sla = sla_for(settings, community.timezone if community else None)
        date = _when(local(notice.released_at, sla))
        language = (person.language if person else None) or self.translations.default
        get = self.translations.get
        if withdrawn:
            title = get(language, "notice-change-withdrawn-title")
            text = get(language, "notice-change-withdrawn", date=date)
        else:
            title = get(language, "notice-change-corrected-title")
            text = get(language, "notice-change-corrected", date=date) + "\n" + notice.text
        return DoorChange(
            title=title,
            text=text,
            building=building.name if building else "",
            path=await self.path(notice.id, person_id),
            language=language,
        )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
