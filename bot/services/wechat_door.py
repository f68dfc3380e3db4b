"""The WeChat door's use cases: a WeChat user (a ``wechat`` contact, addressed by their OpenID)
who scans a building's poster QR code (its scene is the building's join token, the same as in
the Telegram link and on the web door's poster) follows the account and joins that building in
one step; a text message then reports, through the same services as the chat and the web door
(Reporting, TicketActions, ConversationService): the limits, the routing and the cards are
theirs.

A text: when the person has an open ticket of their own, it is a message to the head about it
(the newest one); otherwise it is a new report, whose kind of problem the person chooses from a
msgmenu of the community's categories (or by replying with its number: bot/services/
wechat_categories.py); the words and photos wait for the choice (an hour), then the report is
filed and confirmed with its number. A community with one category is not asked. When a
neighbour's open ticket of the same building and kind exists, "same problem?" comes first: the
same one is followed, a new one filed (bot/services/wechat_metoo.py).

WeChat lets the account write to a person freely only within 48 hours of their last message:
the contact's ``last_used_at`` (moved by ``OnboardingService.touch`` on each of their messages
and events) is that window; the door's delivery (wechat/sender.py) reads it.

Buttons are WeChat's ``msgmenu`` choices: the delivery sends the choices a row carries (Yes,
fixed / Not fixed / stars for a resident; Take / Reply / Resolve on a head's card), each with a
menu id ``t<ticket>.<action>[.<stars>]``; a tap comes back as a text with that id, and goes
through the same services as the Telegram buttons, which check the person's right to it (a
forged or stale id is refused in words). A choice that needs words (a head's Reply, a
resident's Not fixed) makes the person's next text those words (``wechat_pending``), as
Telegram's reply flow does; anything else they do in between is not lost, only the choice.
A head links their WeChat with the one-time code of /link (six digits, sent as a text).
"删除我的数据" / "forget me" is WeChat's /forgetme: a msgmenu asks (Delete / Keep, each id
naming the person, so a choice left from before, or forged, deletes nobody else), then the same
ForgetService; its "done" goes to the OpenID in the same commit (no contact holds it then, so
the row carries the time the person wrote, which is the 48-hour window's start).
Photos come before the text they belong to: kept (``web_files``, as the web door keeps them)
and attached to the report that text makes. A photo sent while a ticket is being talked about
(the person's own open ticket; a head's Reply waiting for its words; a resident's message the
head has in the last days) is kept the same way and passed on in the conversation as the
door-neutral ``Content.web_photo``: each door's delivery uploads it (Telegram, WeChat), the
web door's ticket page and the console show it.
"我的房号 502" / "flat 502" / "502室" claims a flat (FlatService, as /flat; a flat confirmed as
somebody else's is refused here rather than replaced); the word alone offers the building's few
unowned flats as choices (bot/services/flat_menus.py); a head decides a claim by its choices,
and "flats" lists the waiting ones again. An organiser's WeChat check-in QR (scene
``checkin.<token>``, made by /checkin) checks the scanner in. "静音通知" / "恢复通知" (or the
choice under a notice, ``mute.<building>.on|off``) mutes or unmutes non-urgent notices.

Each job has its module: answering a person (wechat_replies), reporting (wechat_reports), a
ticket's conversation and choices (wechat_tickets), the choices' ids (wechat_choices), "same
problem?" (wechat_metoo), flat
claims (wechat_flat_claims), votes, activities and check-ins (wechat_life), muting notices
(wechat_notices), "forget me" (wechat_forget), the web door in WeChat's browser
(wechat_devices). This one takes a callback and hands it to the one whose it is."""

from __future__ import annotations

import unicodedata

from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.i18n import Translations
from bot.services.activity_menus import CHECKIN_SCENE, parse_activity
from bot.services.ballot_menus import parse_ballot
from bot.services.clock import Clock
from bot.services.contact_links import ContactLinks
from bot.services.conversations import ConversationService
from bot.services.door_ballots import DoorBallots
from bot.services.errors import ServiceError
from bot.services.flat_claims import FlatService
from bot.services.flat_menus import parse_claim, parse_claims_more, parse_flat
from bot.services.forget import ForgetService
from bot.services.neighbours import NeighbourActions
from bot.services.notice_copies import NoticeCopies
from bot.services.onboarding import OnboardingService
from bot.services.reopening import TicketReopening
from bot.services.reporting import Reporting
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_lists import TicketLists
from bot.services.volunteering import VolunteeringService
from bot.services.wechat_categories import bare_choice, parse_category
from bot.services.wechat_choices import menu_id, parse_menu
from bot.services.wechat_devices import WeChatDevices
from bot.services.wechat_flat_claims import CLAIMS_WORDS, FLAT_RE, ROOM_RE, WeChatFlatClaims
from bot.services.wechat_forget import WROTE_AT, WeChatForget, asks_to_forget, parse_forget
from bot.services.wechat_life import WeChatLife
from bot.services.wechat_metoo import SAME, parse_same
from bot.services.wechat_notices import MUTE_WORDS, WeChatNotices, mute_choice, parse_mute
from bot.services.wechat_replies import (
    UNREAD,
    WINDOW,
    Incoming,
    WeChatReplies,
    refusal,
    wechat_address,
)
from bot.services.wechat_reports import WeChatReports, home
from bot.services.wechat_tickets import WeChatTickets
from storage.db import Database
from storage.models import Person
from storage.repositories import CommunityRepository
from storage.repositories.wechat import WeChatCallbackRepository, WeChatPendingRepository

# What the rest of the code imports from here (the door's sender and callback).
__all__ = [
    "UNREAD",
    "WINDOW",
    "WROTE_AT",
    "Incoming",
    "WeChatDoorService",
    "menu_id",
    "mute_choice",
]

# The services' refusals whose chat words name what WeChat has not (/cancel).
WECHAT_KEYS = {"input-too-long": "wechat-input-too-long"}
# The texts that ask for one's open ballots again (compared without case or spaces).
VOTE_WORDS = frozenset({"vote", "/vote", "投票", "表决"})


class WeChatDoorService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        reporting: Reporting,
        lists: TicketLists,
        actions: TicketActions,
        reopening: TicketReopening,
        access: TicketAccess,
        onboarding: OnboardingService,
        conversations: ConversationService,
        links: ContactLinks | None = None,
        forget: ForgetService | None = None,
        ballots: DoorBallots | None = None,
        volunteering: VolunteeringService | None = None,
        flats: FlatService | None = None,
        notice_copies: NoticeCopies | None = None,
        neighbours: NeighbourActions | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.lists = lists
        self.onboarding = onboarding
        self.links = links
        self.forget = forget
        self.ballots = ballots
        self.volunteering = volunteering
        self.flats = flats
        self.notice_copies = notice_copies
        self.replies = replies = WeChatReplies(db, translations, clock)
        self.reports = WeChatReports(db, clock, replies, reporting, neighbours)
        self.tickets = WeChatTickets(
            db, clock, replies, lists, actions, reopening, access, conversations
        )
        self.forgetting = WeChatForget(clock, replies, onboarding, forget)
        self.flat_claims = WeChatFlatClaims(db, replies, flats)
        self.life = WeChatLife(replies, ballots, volunteering)
        self.notices = WeChatNotices(db, replies, notice_copies)
        self.devices = WeChatDevices(db, clock)

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
        if incoming.kind not in ("text", "image", "voice", UNREAD, "subscribe", "scan", "click"):
            return
        person = await self.onboarding.touch(wechat_address(incoming.openid), "", None)
        try:
            if incoming.kind == "text" and incoming.menu:
                await self._choose(person, incoming)
            elif incoming.kind == "text":
                await self._text(person, incoming)
            elif incoming.kind == "image":
                await self._photo(person, incoming)
            elif incoming.kind == "voice":
                raise ServiceError("wechat-voice-unheard")
            elif incoming.kind == UNREAD:
                raise ServiceError("wechat-kind-unread")
            elif incoming.kind == "click":
                await self._menu(person, incoming.scene)
            else:
                await self._follow(person, incoming.scene)
        except ServiceError as error:
            t = self.replies.t(person)
            key = WECHAT_KEYS.get(error.key, error.key)
            await self.replies.tell(person, refusal(t, t(key, **error.args_)))

    async def _follow(self, person: Person, scene: str) -> None:
        t = self.replies.t(person)
        token = scene.removeprefix("qrscene_")  # a subscribe event's scene carries the prefix
        if token.startswith(CHECKIN_SCENE) and self.volunteering is not None:
            await self.life.check_in(person, token.removeprefix(CHECKIN_SCENE))
            return
        async with self.db.session() as session:
            found = await CommunityRepository(session).building_by_token(token) if token else None
        if found is None or len(token) > 64:
            await self.replies.tell(person, t("wechat-welcome"))
            return
        joined = await self.onboarding.join_building(person, found.id)
        await self.replies.tell(person, t("wechat-joined", building=joined.building.name))

    async def _menu(self, person: Person, key: str) -> None:
        """A button of the account's custom menu (``python -m bot wechat-menu``)."""
        t = self.replies.t(person)
        if key == "mine":
            page = await self.lists.my_tickets(person, 0)
            lines = [
                t(
                    "wechat-mine-line",
                    number=ticket.number,
                    status=t(f"status-{ticket.status.value}"),
                )
                for ticket in page.tickets
            ]
            await self.replies.tell(
                person,
                "\n".join([t("wechat-mine-title"), *lines]) if lines else t("wechat-mine-none"),
            )
        elif key == "report":
            await home(self.db, person)  # only a resident reports
            await self.replies.tell(person, t("wechat-menu-report-how"))
        else:
            await self.replies.tell(person, t("wechat-help") + "\n\n" + t("wechat-help-more"))

    async def _choose(self, person: Person, incoming: Incoming) -> None:
        """A tapped msgmenu choice, to the module whose choice it is."""
        forgetting = parse_forget(incoming.menu)
        if forgetting is not None:
            await self.forgetting.answer(person, incoming.openid, *forgetting)
            return
        code = parse_category(incoming.menu)
        if code is not None:
            await self.reports.categorised(person, incoming, code)
            return
        same = parse_same(incoming.menu)
        if same is not None:
            await self.reports.same(person, incoming, *same)
            return
        ballot = parse_ballot(incoming.menu)
        if ballot is not None and self.ballots is not None:
            await self.life.ballot(person, *ballot)
            return
        activity = parse_activity(incoming.menu)
        if activity is not None and self.volunteering is not None:
            await self.life.activity(person, *activity)
            return
        flat = parse_flat(incoming.menu)
        if flat is not None and self.flats is not None:
            await self.flat_claims.chosen(person, flat)
            return
        claim = parse_claim(incoming.menu)
        if claim is not None and self.flats is not None:
            await self.flat_claims.decide(person, *claim)
            return
        more = parse_claims_more(incoming.menu)
        if more is not None and self.flats is not None:
            await self.flat_claims.waiting(person, more)
            return
        mute = parse_mute(incoming.menu)
        if mute is not None and self.notice_copies is not None:
            await self.notices.mute(person, mute[1], mute[0])
            return
        choice = parse_menu(incoming.menu)
        if choice is None:
            raise ServiceError("wechat-menu-unknown")
        await self.tickets.choose(person, incoming.openid, choice)

    async def _photo(self, person: Person, incoming: Incoming) -> None:
        """A photo: passed on in the conversation the person is in, else kept for the report
        their next text makes."""
        if incoming.media is None:
            raise ServiceError("door-photo-bad")
        talking = await self.tickets.talking(person, incoming.openid)
        if talking is not None:
            await self.tickets.relay_photo(person, incoming.media, *talking)
            return
        await self.reports.keep_photo(person, incoming.openid, incoming.media)

    async def _text(self, person: Person, incoming: Incoming) -> None:
        """A text: a command (a link code, forget me, vote, flat, flats, mute), else words.
        Commands are read in their compatibility form (NFKC): a Chinese keyboard's full-width
        digits and letters ("房号 ５０２", "１２３４５６") are the ASCII ones."""
        text = incoming.text.strip()
        if not text:
            raise ServiceError("report-empty")
        command = unicodedata.normalize("NFKC", text)
        code = "".join(command.split())
        if self.links is not None and len(code) == 6 and code.isdigit():
            linked = await self.links.redeem(wechat_address(incoming.openid), code)
            await self.replies.tell(linked, self.replies.t(linked)("wechat-linked"))
            return
        if self.forget is not None and asks_to_forget(command):
            await self.forgetting.ask(person)
            return
        plain = "".join(command.lower().split())
        if self.ballots is not None and plain in VOTE_WORDS:
            await self.ballots.resend(person)
            return
        flat = FLAT_RE.match(command) or ROOM_RE.match(command)
        if flat is not None and self.flats is not None:
            await self.flat_claims.claim(person, flat.group(1))
            return
        if plain in CLAIMS_WORDS and self.flats is not None:
            await self.flat_claims.waiting(person)
            return
        if plain in MUTE_WORDS and self.notice_copies is not None:
            await self.notices.mute(person, MUTE_WORDS[plain])
            return
        await self._words(person, incoming, text)

    async def _words(self, person: Person, incoming: Incoming, text: str) -> None:
        """Words: what a pending choice waits for, else a message about the person's own open
        ticket, else a report (or a head's answer in the conversation they are in)."""
        async with self.db.session() as session:
            choices = WeChatPendingRepository(session)
            lapsed = await choices.lapsed(incoming.openid, self.clock())
            pending = await choices.take(incoming.openid, self.clock())
            await session.commit()
        if lapsed is not None and await self.reports.late_answer(person, lapsed, text):
            # "1" to a question an hour old: not a report of its own.
            raise ServiceError("wechat-category-stale")
        if pending is not None and pending.action == SAME:
            await self.reports.typed_same(person, incoming, pending)
            return
        if pending is not None and pending.ticket_id is not None:
            await self.tickets.answer(person, pending, text)
            return
        if pending is not None and pending.action == "category":
            await self.reports.typed_category(person, incoming, pending)
            return
        photos = pending.photos.split() if pending is not None else []
        if await self.tickets.pass_on(person, text):
            return
        if bare_choice(text):
            # A number answers a list: with no question waiting (it lapsed and was told so,
            # or never was), it is no report of its own, however often it is sent.
            if pending is not None:
                await self.reports.keep(incoming.openid, pending)
            raise ServiceError("wechat-category-stale")
        try:
            _, settings = await home(self.db, person)
        except ServiceError:
            # Somebody who cannot report (a head only): their text answers the conversation
            # they are in as its staff, as in Telegram, rather than being refused.
            if not await self.tickets.staff_reply(person, text):
                raise
            return
        await self.reports.report(person, incoming, text, photos, settings)

    async def person_of(self, openid: str) -> Person | None:
        return await self.devices.person_of(openid)

    async def device_in_wechat(self, device: str | None) -> bool:
        return await self.devices.device_in_wechat(device)

    async def web_device(self, openid: str, device: str | None) -> str | None:
        return await self.devices.web_device(openid, device)
