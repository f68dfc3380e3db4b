"""Volunteering (志愿服务): a head or coordinator creates an activity (what, where, when, how
many places, how many hours it counts for) for the buildings they cover in one community; it
is announced to their residents as a notice is (the same readers, mutes respected) with a
"Sign up" button. Residents sign up and cancel in chat; sign-ups beyond the places are refused
politely (no waiting list: a cancelled place is free again). The evening before, at
``REMIND_AT`` local time and never in quiet hours (held until they end, if the activity is
still ahead), the volunteers are reminded (claimed once).

At the event the organiser shows a QR code of a one-time deep link per activity: a volunteer
who is signed up and opens it during the event window is checked in, and the activity's hours
are credited to them at once; after the start the organiser confirms them all in one tap
(``service_hours.hours_confirmed``, where the points bank credits). Help to a neighbour is in
bot/services/service_hours.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.access import Coverage, coverage
from bot.services.activity_form import (
    ActivityDraft,
    ActivityGone,
    NotOrganiser,
    parse_form,
    window,
)
from bot.services.clock import Clock
from bot.services.errors import ServiceError, Spent
from bot.services.links import PayloadKind, make_payload, new_token
from bot.services.notices import NoticeService
from bot.services.scheduling import SchedAction, sla_of, translator, write
from bot.services.service_hours import fmt_hours, hours_confirmed
from bot.services.sla import Sla, at_local, local, may_send
from storage.db import Database
from storage.models import (
    ActivityStatus,
    Building,
    Community,
    HoursStatus,
    Person,
    ServiceHours,
    VolunteerActivity,
    VolunteerSignup,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.office_lists import OfficeListRepository
from storage.repositories.sla import SlaRepository
from storage.repositories.volunteering import VolunteeringRepository

REMIND_AT = time(19)  # the evening before
_SCANNED = 200  # open activities of others looked at for those left behind


@dataclass(frozen=True, slots=True)
class ActivityPreview:
    draft: ActivityDraft
    community: Community
    buildings: Sequence[Building]
    reach: int
    starts_local: datetime


@dataclass(frozen=True, slots=True)
class SignedUp:
    activity: VolunteerActivity
    left: int  # places left after this sign-up
    starts_local: datetime


class SignedAlready(ServiceError):
    """The person is signed up already (a second tap, a form sent twice): nothing changed.
    ``signed`` is the sign-up as it stands, for a door that answers a repeated form as it
    answered the first."""

    def __init__(self, signed: SignedUp) -> None:
        super().__init__("vol-signed-already", title=signed.activity.title)
        self.signed = signed


class CancelledAlready(Spent):
    """The person's sign-up was cancelled already (a second tap, a form sent again): nothing
    changed. ``activity``: for a door that answers a repeated form as it answered the first."""

    def __init__(self, activity: VolunteerActivity) -> None:
        super().__init__("vol-not-signed")
        self.activity = activity


@dataclass(frozen=True, slots=True)
class CheckedIn:
    activity: VolunteerActivity
    hours: float
    already: bool


@dataclass(frozen=True, slots=True)
class Organised:
    activity: VolunteerActivity
    signed: int
    checked_in: int
    starts_local: datetime
    orphaned: bool = False  # its organiser no longer covers its buildings: left to this person


def _covered(cover: Coverage, activity: VolunteerActivity) -> bool:
    return all(cover.covers(activity.community_id, b) for b in activity.building_ids)


class VolunteeringService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        notices: NoticeService,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.notices = notices

    # ------------------------------------------------------------------------- organising

    async def targets(self, person: Person) -> list[Building]:
        """The buildings the person may announce an activity to (a notice's targets)."""
        try:
            return await self.notices.targets(person)
        except ServiceError:
            raise NotOrganiser() from None

    async def check_targets(self, person: Person, building_ids: Sequence[int]) -> list[Building]:
        """The chosen buildings, if the person covers every one, all in one community; with
        none chosen, every building they cover in their first community."""
        if not building_ids:
            targets = await self.targets(person)
            return [b for b in targets if b.community_id == targets[0].community_id]
        try:
            return await self.notices.check_targets(person, building_ids)
        except ServiceError:
            raise NotOrganiser() from None

    async def preview(
        self, person: Person, text: str, building_ids: Sequence[int] = ()
    ) -> ActivityPreview:
        buildings = await self.check_targets(person, building_ids)
        now = self.clock()
        async with self.db.session() as session:
            community = await CommunityRepository(session).get(buildings[0].community_id)
            assert community is not None
            sla = sla_of(community)
            draft = parse_form(text, now, sla)
            readers = await NoticeRepository(session).readers(
                [b.id for b in buildings], person.id, urgent=False
            )
        return ActivityPreview(
            draft, community, buildings, len(readers), local(draft.starts_at, sla)
        )

    async def publish(
        self, person: Person, text: str, building_ids: Sequence[int] = ()
    ) -> ActivityPreview:
        """The organiser confirmed: the activity is kept and announced, in one transaction."""
        # Authorised again, on current roles.
        preview = await self.preview(person, text, building_ids)
        draft = preview.draft
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            activity = VolunteerActivity(
                community_id=preview.community.id,
                organiser_id=person.id,
                building_ids=[b.id for b in preview.buildings],
                title=draft.title,
                place=draft.place,
                starts_at=draft.starts_at,
                hours=draft.hours,
                capacity=draft.capacity,
                checkin_token=new_token(),
                status=ActivityStatus.OPEN,
                created_at=now,
            )
            await repo.add(activity)
            readers = await NoticeRepository(session).readers(
                activity.building_ids, person.id, urgent=False
            )
            people = PersonRepository(session)
            for reader in readers:
                found = await people.get(reader.person_id)
                if found is None:
                    continue
                t = translator(self.translations, found)
                await write(
                    session,
                    found,
                    now,
                    self._describe(t, activity, preview.starts_local, "vol-announce"),
                    buttons=[[(t("vol-btn-sign-up"), SchedAction.VOL_SIGN_UP.value, activity.id)]],
                )
            activity.recipients = len(readers)
            await session.commit()
        return preview

    @staticmethod
    def _describe(
        t: Translator, activity: VolunteerActivity, starts_local: datetime, key: str
    ) -> str:
        return t(
            key,
            title=activity.title,
            place=activity.place,
            when=starts_local.strftime("%Y-%m-%d %H:%M"),
            hours=fmt_hours(activity.hours),
            places=activity.capacity,
        )

    async def organised(self, person: Person, limit: int = 5) -> list[Organised]:
        """What the person runs from chat: their own activities in buildings they still serve
        (a removed head's are no longer theirs to read the sign-ups of, show the QR of,
        confirm or cancel), then the open ones of buildings they cover whose organiser no
        longer does (removed, or forgotten), so that their volunteers' hours are not left
        waiting for nobody. A colleague's activity (the deputy's, the office's) stays with
        its organiser while they serve."""
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            cover = await coverage(session, self.config, person)
            own = [a for a in await repo.organised(person.id, limit) if _covered(cover, a)]
            left = await self._left_behind(session, person, cover, limit)
            listed = []
            for activity in own + left:
                signed = await repo.taken_places(activity.id)
                checked = len(await repo.credited(activity.id))
                sla = await self._sla(session, activity.community_id)
                starts = local(activity.starts_at, sla)
                listed.append(
                    Organised(activity, signed, checked, starts, orphaned=activity in left)
                )
            return listed

    async def _left_behind(
        self, session: AsyncSession, person: Person, cover: Coverage, limit: int
    ) -> list[VolunteerActivity]:
        """Open activities of buildings the person covers whose organiser covers them no more."""
        if not (cover.admin or cover.community_ids or cover.building_ids):
            return []
        communities = set(cover.community_ids)
        communities |= set(
            await OfficeListRepository(session).community_ids_of(sorted(cover.building_ids))
        )
        found = await VolunteeringRepository(session).open_of_others(
            person.id, cover.admin, sorted(communities), _SCANNED
        )
        people = PersonRepository(session)
        covers: dict[int, Coverage] = {}
        left = []
        for activity in found:
            if not _covered(cover, activity):
                continue
            organiser_id = activity.organiser_id
            if organiser_id is not None and organiser_id not in covers:
                organiser = await people.get(organiser_id)
                covers[organiser_id] = (
                    Coverage()
                    if organiser is None
                    else await coverage(session, self.config, organiser)
                )
            if organiser_id is None or not _covered(covers[organiser_id], activity):
                left.append(activity)
                if len(left) == limit:
                    break
        return left

    async def _sla(self, session: AsyncSession, community_id: int) -> Sla:
        community = await CommunityRepository(session).get(community_id)
        assert community is not None
        return sla_of(community)

    async def _organiser_of(
        self, session: AsyncSession, person: Person, activity_id: int
    ) -> VolunteerActivity:
        """The activity, if the person covers its buildings now (its organiser too: a head
        removed since confirms no hours and tells its volunteers nothing)."""
        activity = await VolunteeringRepository(session).activity(activity_id)
        if activity is None:
            raise ActivityGone()
        if not _covered(await coverage(session, self.config, person), activity):
            raise NotOrganiser()
        return activity

    async def checkin_payload(self, person: Person, activity_id: int) -> tuple[str, str]:
        """The deep-link payload of the activity's check-in QR and its title."""
        async with self.db.session() as session:
            activity = await self._organiser_of(session, person, activity_id)
            if activity.status is not ActivityStatus.OPEN:
                raise ActivityGone()
            return make_payload(PayloadKind.CHECKIN, activity.checkin_token), activity.title

    async def cancel_activity(self, person: Person, activity_id: int) -> VolunteerActivity:
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            activity = await self._organiser_of(session, person, activity_id)
            if not await repo.claim_status(activity.id, ActivityStatus.CANCELLED, now):
                raise ActivityGone()
            for volunteer in await repo.volunteers(activity.id):
                t = translator(self.translations, volunteer)
                await write(session, volunteer, now, t("vol-cancelled", title=activity.title))
            await session.commit()
            await session.refresh(activity)
            return activity

    async def confirm_hours(self, person: Person, activity_id: int) -> tuple[int, float]:
        """After the start, the organiser confirms the hours of everyone checked in; returns
        how many volunteers and the hours each got."""
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            activity = await self._organiser_of(session, person, activity_id)
            if now < activity.starts_at:
                raise ServiceError("vol-confirm-early")
            if not await repo.claim_status(activity.id, ActivityStatus.CONFIRMED, now):
                raise ActivityGone()
            confirmed = []
            for row in await repo.credited(activity.id):
                if await repo.decide(
                    row.id, HoursStatus.CREDITED, HoursStatus.CONFIRMED, person.id, now
                ):
                    confirmed.append(row)
            await hours_confirmed(session, confirmed, person, now)
            people = PersonRepository(session)
            for row in confirmed:
                volunteer = await people.get(row.person_id)
                if volunteer is not None:
                    t = translator(self.translations, volunteer)
                    text = t(
                        "vol-hours-confirmed", title=activity.title, hours=fmt_hours(row.hours)
                    )
                    await write(session, volunteer, now, text)
            await session.commit()
            return len(confirmed), activity.hours

    # ------------------------------------------------------------------------- volunteers

    async def _member_of(
        self, session: AsyncSession, person: Person, building_ids: list[int]
    ) -> bool:
        roles = await PersonRepository(session).building_roles(person.id)
        return any(r.building_id in building_ids for r in roles)

    async def sign_up(self, person: Person, activity_id: int) -> SignedUp:
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            # Locked to the commit: two sign-ups at once (a double tap, two neighbours for the
            # last place) count the places one after the other, never both the same free one.
            activity = await repo.activity(activity_id, lock=True)
            if activity is None or not await self._member_of(
                session, person, activity.building_ids
            ):
                raise ServiceError("vol-not-yours")
            if activity.status is not ActivityStatus.OPEN or activity.starts_at <= now:
                raise ActivityGone()
            signup = await repo.signup(activity.id, person.id)
            taken = await repo.taken_places(activity.id)
            if signup is not None and signup.cancelled_at is None:
                sla = await self._sla(session, activity.community_id)
                left = max(activity.capacity - taken, 0)
                raise SignedAlready(SignedUp(activity, left, local(activity.starts_at, sla)))
            if taken >= activity.capacity:
                raise ServiceError("vol-full", title=activity.title)
            if signup is None:
                await repo.add(
                    VolunteerSignup(activity_id=activity.id, person_id=person.id, signed_at=now)
                )
            else:
                signup.cancelled_at = None
                signup.signed_at = now
            await session.commit()
            sla = await self._sla(session, activity.community_id)
            return SignedUp(activity, activity.capacity - taken - 1, local(activity.starts_at, sla))

    async def cancel_signup(self, person: Person, activity_id: int) -> VolunteerActivity:
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            activity = await repo.activity(activity_id)
            signup = await repo.signup(activity_id, person.id)
            if activity is not None and signup is not None and signup.cancelled_at is not None:
                raise CancelledAlready(activity)
            if activity is None or signup is None:
                raise Spent("vol-not-signed")
            if signup.checked_in_at is not None:
                raise Spent("vol-checked-in-already", title=activity.title)
            # Cancelled by its organiser or its hours confirmed: there is no place to free.
            if activity.status is not ActivityStatus.OPEN:
                raise ActivityGone()
            signup.cancelled_at = now
            await session.commit()
            return activity

    async def check_in(self, person: Person, token: str) -> CheckedIn:
        """The volunteer opened the activity's QR: checked in, if signed up and in the event
        window; its hours are credited at once (confirmed later by the organiser)."""
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            activity = await repo.by_token(token)
            if activity is None or activity.status is not ActivityStatus.OPEN:
                raise ServiceError("vol-checkin-unknown")
            opens, closes = window(activity)
            if not opens <= now <= closes:
                raise ServiceError("vol-checkin-closed", title=activity.title)
            signup = await repo.signup(activity.id, person.id)
            if signup is None or signup.cancelled_at is not None:
                raise ServiceError("vol-checkin-not-signed", title=activity.title)
            if not await self._member_of(session, person, activity.building_ids):
                # Signed up, then removed or moved away: an old QR link credits nothing.
                raise ServiceError("vol-checkin-not-member", title=activity.title)
            if signup.checked_in_at is not None:
                return CheckedIn(activity, activity.hours, already=True)
            signup.checked_in_at = now
            await repo.add(
                ServiceHours(
                    person_id=person.id,
                    activity_id=activity.id,
                    hours=activity.hours,
                    status=HoursStatus.CREDITED,
                    created_at=now,
                )
            )
            await session.commit()
            return CheckedIn(activity, activity.hours, already=False)

    # ------------------------------------------------------------------------- the reminder

    async def remind_due(self) -> int:
        """The scheduler's scan: from ``REMIND_AT`` the evening before, outside quiet hours,
        each activity's volunteers are reminded once (the claim commits with the messages).
        Quiet hours over the evening hold it until they end, if the activity is still ahead."""
        now = self.clock()
        async with self.db.session() as session:
            communities = {c.id: c for c in await SlaRepository(session).communities()}
            due = await VolunteeringRepository(session).to_remind(now, now + timedelta(days=2))
        written = 0
        for activity in due:
            community = communities.get(activity.community_id)
            if community is None:
                continue
            sla = sla_of(community)
            eve = local(activity.starts_at, sla).date() - timedelta(days=1)
            if now < at_local(eve, REMIND_AT, sla) or not may_send(now, sla):
                continue
            async with self.db.session() as session:
                repo = VolunteeringRepository(session)
                if not await repo.claim_reminder(activity.id, now):
                    continue  # another scan (another instance) has it
                starts = local(activity.starts_at, sla)
                for volunteer in await repo.volunteers(activity.id):
                    t = translator(self.translations, volunteer)
                    text = self._describe(t, activity, starts, "vol-reminder")
                    await write(session, volunteer, now, text)
                    written += 1
                await session.commit()
        return written
