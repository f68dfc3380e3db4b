"""The WeChat door's use cases: a WeChat user (a ``wechat`` contact, addressed by their OpenID)
who scans a building's poster QR code (its scene is the building's join token, the same as in
the Telegram link and on the web door's poster) follows the account and joins that building in
one step; a text message then reports, through the same services as the chat and the web door
(Reporting, ConversationService), so the limits, the routing and the cards are theirs.

The simplest honest flow for a text, without menus: when the person has an open ticket of their
own, the text is a message to the head about it (the newest one); otherwise it is a new report
in the community's first category, confirmed with its number. A category menu would be one more
round trip for people who mostly write one line; the head can still move the ticket.

WeChat lets the account write to a person freely only within 48 hours of their last message:
the contact's ``last_used_at`` (moved by ``OnboardingService.touch`` on each of their messages
and events) is that window; the door's delivery (wechat/sender.py) reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.i18n import Translations
from bot.services.categories import categories_for
from bot.services.clock import Clock
from bot.services.conversations import ConversationService
from bot.services.errors import ServiceError
from bot.services.messages import write_text
from bot.services.onboarding import OnboardingService
from bot.services.reporting import Reporting
from bot.services.ticket_core import Content, Draft
from bot.services.ticket_lists import TicketLists
from storage.db import Database
from storage.models import OPEN_STATUSES, Address, Channel, Person, Role
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.wechat import WeChatCallbackRepository

# WeChat's rule for customer-service messages: within 48 hours of the person's last message.
WINDOW = timedelta(hours=48)


def wechat_address(openid: str) -> Address:
    return Address(Channel.WECHAT, openid)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One callback, as the door parsed it."""

    openid: str
    kind: str  # "text", "subscribe", "scan", or anything else (ignored)
    text: str = ""
    scene: str = ""  # a subscribe or SCAN event's scene: a building's join token
    msg_id: str = ""


class WeChatDoorService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        reporting: Reporting,
        lists: TicketLists,
        onboarding: OnboardingService,
        conversations: ConversationService,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.reporting = reporting
        self.lists = lists
        self.onboarding = onboarding
        self.conversations = conversations

    async def first_time(self, key: str) -> bool:
        """Records the callback ``key``; False when it was recorded before (WeChat's retry)."""
        async with self.db.session() as session:
            callbacks = WeChatCallbackRepository(session)
            if await callbacks.seen(key):
                return False
            try:
                await callbacks.add(key, self.clock())
                await session.commit()
            except IntegrityError:
                return False  # another request of the same callback was first
        return True

    async def handle(self, incoming: Incoming) -> None:
        """Whatever the callback means; a refusal is answered to the person in their
        language, never raised to the door (WeChat has had its "success" already)."""
        if incoming.kind not in ("text", "subscribe", "scan"):
            return
        person = await self.onboarding.touch(wechat_address(incoming.openid), "", None)
        try:
            if incoming.kind == "text":
                await self._text(person, incoming)
            else:
                await self._follow(person, incoming.scene)
        except ServiceError as error:
            t = self.translations.bind(person.language or self.translations.default)
            await self._tell(person, t("wechat-refused", reason=t(error.key, **error.args_)))

    async def _follow(self, person: Person, scene: str) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        token = scene.removeprefix("qrscene_")  # a subscribe event's scene carries the prefix
        async with self.db.session() as session:
            found = await CommunityRepository(session).building_by_token(token) if token else None
        if found is None or len(token) > 64:
            await self._tell(person, t("wechat-welcome"))
            return
        joined = await self.onboarding.join_building(person, found.id)
        await self._tell(person, t("wechat-joined", building=joined.building.name))

    async def _text(self, person: Person, incoming: Incoming) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        text = incoming.text.strip()
        if not text:
            raise ServiceError("report-empty")
        mine = [
            ticket
            for ticket in (await self.lists.my_tickets(person, 0)).tickets
            if ticket.author_id == person.id and ticket.status in OPEN_STATUSES
        ]
        if mine:
            await self.conversations.send(person, mine[0].id, Content(text=text))
            await self._tell(person, t("wechat-message-sent", number=mine[0].number))
            return
        building_id, settings = await self._home(person)
        reported = await self.reporting.report(
            person,
            Draft(
                building_id=building_id,
                category=categories_for(settings)[0].code,
                description=text,
                show_name=False,  # a WeChat user has given no name to show
                key=f"wechat:{incoming.msg_id}" if incoming.msg_id else None,
            ),
        )
        await self._tell(
            person,
            t("wechat-reported", number=reported.ticket.number, building=reported.building),
        )

    async def _home(self, person: Person) -> tuple[int, dict[str, object]]:
        """The building the person reports for: the first of theirs (a person in two
        buildings would need a menu; not in this slice)."""
        async with self.db.session() as session:
            roles = await PersonRepository(session).building_roles(person.id)
            homes = [r for r in roles if r.role is Role.RESIDENT]
            if not homes:
                raise ServiceError("wechat-no-building")
            building = await CommunityRepository(session).building(homes[0].building_id)
            assert building is not None
            community = await CommunityRepository(session).get(building.community_id)
            assert community is not None
            return building.id, dict(community.settings)

    async def _tell(self, person: Person, text: str) -> None:
        to = next((c.as_address for c in person.contacts if c.channel == Channel.WECHAT), None)
        if to is None:
            return
        async with self.db.session() as session:
            await write_text(session, to=to, person_id=person.id, text=text, now=self.clock())
            await session.commit()
