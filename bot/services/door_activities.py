"""A volunteering activity's page in the web door, for a WeChat resident whose 48-hour window
has closed: the announcement's template opens ``/door/activity/<id>/<person>/<key>`` (the
person's own link, bot/services/door_links.py), which shows the activity and the person's
sign-up with one button, Sign up or Cancel my sign-up, through VolunteeringService's own checks
(a member of its buildings, still ahead, places left). In WeChat itself the same two are
``msgmenu`` choices (bot/services/activity_menus.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.door_links import PersonLinks
from bot.services.scheduling import sla_of
from bot.services.service_hours import fmt_hours
from bot.services.sla import local
from bot.services.volunteering import CancelledAlready, SignedAlready, VolunteeringService
from storage.db import Database
from storage.models import ActivityStatus, Person
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.volunteering import VolunteeringRepository

SECRET_NAME = "activity_links"


@dataclass(frozen=True, slots=True)
class ActivityPage:
    title: str
    place: str
    when: str  # local, "YYYY-MM-DD HH:MM"
    hours: str
    left: int  # places left
    signed: bool
    open: bool  # ahead and not cancelled: sign-ups change


class DoorActivities:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        volunteering: VolunteeringService,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.volunteering = volunteering
        self.links = PersonLinks(db, clock, "activity", SECRET_NAME)

    async def path(self, activity_id: int, person_id: int) -> str:
        return await self.links.path(activity_id, person_id)

    async def person(self, activity_id: int, person_id: int, key: str) -> Person | None:
        """The person a link is for; None for a wrong key."""
        return await self.links.person(activity_id, person_id, key)

    async def read(self, activity_id: int, person: Person) -> ActivityPage | None:
        """The activity as its page shows it to a member of its buildings; None for anyone
        else, or an activity that does not exist."""
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            activity = await repo.activity(activity_id)
            if activity is None:
                return None
            roles = await PersonRepository(session).building_roles(person.id)
            if not any(r.building_id in activity.building_ids for r in roles):
                return None
            community = await CommunityRepository(session).get(activity.community_id)
            assert community is not None
            signup = await repo.signup(activity.id, person.id)
            taken = await repo.taken_places(activity.id)
        return ActivityPage(
            title=activity.title,
            place=activity.place,
            when=local(activity.starts_at, sla_of(community)).strftime("%Y-%m-%d %H:%M"),
            hours=fmt_hours(activity.hours),
            left=max(activity.capacity - taken, 0),
            signed=signup is not None and signup.cancelled_at is None,
            open=activity.status is ActivityStatus.OPEN and activity.starts_at > self.clock(),
        )

    async def act(self, activity_id: int, person: Person, join: bool, language: str) -> str:
        """Signs up or cancels; the answer in the page's language (a refusal raises)."""
        t = self.translations.bind(language)
        if not join:
            try:
                left = await self.volunteering.cancel_signup(person, activity_id)
            except CancelledAlready as already:
                left = already.activity  # the form sent again: the first answer again
            return t("vol-unsigned", title=left.title)
        try:
            signed = await self.volunteering.sign_up(person, activity_id)
        except SignedAlready as already:
            # The form sent again (a double tap, a resend after a slow answer): the first
            # answer again, nothing signed twice.
            signed = already.signed
        return t(
            "vol-signed",
            title=signed.activity.title,
            when=signed.starts_local.strftime("%Y-%m-%d %H:%M"),
            left=signed.left,
        )
