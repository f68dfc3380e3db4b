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
filed and confirmed with its number. A community with one category is not asked.

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
"我的房号 502" / "flat 502" claims a flat (FlatService, as /flat; a flat confirmed as somebody
else's is refused here rather than replaced); the word alone offers the building's few
unowned flats as choices (bot/services/flat_menus.py); a head decides a claim by its choices,
and "flats" lists the waiting ones again. An organiser's WeChat check-in QR (scene
``checkin.<token>``, made by /checkin) checks the scanner in. "静音通知" / "恢复通知" (or the
choice under a notice, ``mute.<building>.on|off``) mutes or unmutes non-urgent notices."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.activity_menus import CHECKIN_SCENE, activity_choice, parse_activity
from bot.services.ballot_menus import parse_ballot
from bot.services.categories import categories_for
from bot.services.clock import Clock
from bot.services.contact_links import ContactLinks
from bot.services.conversations import ConversationService
from bot.services.door_ballots import DoorBallots
from bot.services.errors import ServiceError
from bot.services.flat_claims import FlatService
from bot.services.flat_menus import claim_choice, flat_choice, parse_claim, parse_flat
from bot.services.forget import ForgetService
from bot.services.messages import Buttons, write_text
from bot.services.notice_copies import NoticeCopies
from bot.services.onboarding import OnboardingService
from bot.services.policy import Action
from bot.services.reopening import TicketReopening
from bot.services.reporting import Reporting
from bot.services.service_hours import fmt_hours
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_core import MAX_DESCRIPTION, Content, Draft, checked
from bot.services.ticket_lists import TicketLists
from bot.services.volunteering import VolunteeringService
from bot.services.vote_view import labels
from bot.services.web_door import device_address
from bot.services.web_photos import clean_photo
from bot.services.wechat_categories import (
    category_menu,
    parse_category,
    typed_category,
)
from storage.db import Database
from storage.models import OPEN_STATUSES, Address, Channel, Person, Role, Ticket, WeChatPending
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.contacts import merge_people
from storage.repositories.outbox import OutboxRepository
from storage.repositories.web_files import WebFileRepository
from storage.repositories.wechat import WeChatCallbackRepository, WeChatPendingRepository

# WeChat's rule for customer-service messages: within 48 hours of the person's last message.
WINDOW = timedelta(hours=48)
# The choices the door offers as msgmenu; a ticket's other buttons are on its web page.
CHOICES = frozenset({"confirm", "reopen", "rate", "take", "reply", "resolve"})
# How long a Reply or Not fixed waits for its words, and photos for their report's text.
PENDING = timedelta(hours=1)
MAX_PHOTOS = 3
# The texts that ask to delete one's data (compared without case, spaces or punctuation).
FORGET_WORDS = frozenset(
    {"forgetme", "/forgetme", "deletemydata", "删除我的数据", "删除我的信息", "删除我的资料"}
)
# The texts that ask for one's open ballots again (compared as FORGET_WORDS are).
VOTE_WORDS = frozenset({"vote", "/vote", "投票", "表决"})
# An outbox row's payload key: when the person wrote, for an OpenID no contact holds any more.
WROTE_AT = "wrote_at"
# "flat 502" / "我的房号 502" claims a flat; the word alone asks which (a menu of the
# building's unowned flats when there are at most FLAT_MENU, else the number is typed). A
# number needs a digit, so a report that starts with "flat roof…" stays a report.
FLAT_RE = re.compile(
    r"^(?:/?flat|my\s*flat|我的房号|房号|认领房号|我家房号)\s*(?:是|is)?\s*[:：#]?\s*"
    r"((?=[^\s]*\d)[0-9A-Za-z\-#]{1,12})?\s*$",
    re.IGNORECASE,
)
FLAT_MENU = 8
# The texts with which a head asks for the flat claims waiting for them (Telegram's /flats).
CLAIMS_WORDS = frozenset({"/flats", "flats", "房号认领", "待确认房号", "业主认领"})
# The texts that mute (True) or unmute (False) a building's non-urgent notices.
MUTE_WORDS = {
    **dict.fromkeys(("mutenotices", "mute", "静音通知", "屏蔽通知", "静音", "免打扰"), True),
    **dict.fromkeys(("unmutenotices", "unmute", "恢复通知", "取消静音", "接收通知"), False),
}
# A notice's mute choice under its copy: ``mute.<building>.on|off``.
MUTE = "mute"


def mute_choice(building_id: int, on: bool) -> str:
    return f"{MUTE}.{building_id}.{'on' if on else 'off'}"


def parse_mute(key: str) -> tuple[int, bool] | None:
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != MUTE or parts[2] not in ("on", "off"):
        return None
    if not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    return int(parts[1]), parts[2] == "on"


def menu_id(ticket_id: int | None, value: str) -> str | None:
    """The msgmenu id of a button (``value``: an action, "rate.<stars>", or a whole
    "forget.<person>.yes|keep"); None for a button the door does not offer."""
    parsers = (
        parse_forget,
        parse_category,
        parse_ballot,
        parse_activity,
        parse_flat,
        parse_claim,
        parse_mute,
    )
    if any(parse(value) is not None for parse in parsers):
        return value
    if ticket_id is None:
        return None
    return f"t{ticket_id}.{value}" if value.split(".")[0] in CHOICES else None


def forget_choice(person_id: int, yes: bool) -> str:
    return f"forget.{person_id}.{'yes' if yes else 'keep'}"


def parse_forget(key: str) -> tuple[int, bool] | None:
    """(person id, yes) of a forget choice's id; None for anything else."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "forget" or parts[2] not in ("yes", "keep"):
        return None
    if not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    return int(parts[1]), parts[2] == "yes"


def asks_to_forget(text: str) -> bool:
    plain = "".join(c for c in text.lower() if c.isalnum() or c == "/")
    return plain in FORGET_WORDS


@dataclass(frozen=True, slots=True)
class Choice:
    ticket_id: int
    action: str
    stars: int = 0


def parse_menu(key: str) -> Choice | None:
    """The choice a menu id stands for; None for anything the door never sent."""
    parts = key.split(".")
    if len(parts) not in (2, 3) or not parts[0].startswith("t"):
        return None
    number, action = parts[0][1:], parts[1]
    if not number.isdigit() or len(number) > 12 or action not in CHOICES:
        return None
    if action == "rate":
        if len(parts) != 3 or parts[2] not in ("1", "2", "3", "4", "5"):
            return None
        return Choice(int(number), action, int(parts[2]))
    return None if len(parts) != 2 else Choice(int(number), action)


def refusal(t: Translator, reason: str) -> str:
    """A refusal read as one sentence with one apology: a reason that apologises already (a
    shared key such as ``not-allowed``) goes as it is; any other follows the door's "Sorry, ",
    its first letter lowered where that letter only starts the sentence."""
    if t("wechat-apology").casefold() in reason.casefold():
        return reason
    if reason[1:2].islower():  # "Ticket #3 …", not "I …" or "CSV …"
        reason = reason[0].lower() + reason[1:]
    return t("wechat-refused", reason=reason)


def wechat_address(openid: str) -> Address:
    return Address(Channel.WECHAT, openid)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One callback, as the door parsed it."""

    openid: str
    kind: str  # "text", "image", "voice" (untranscribed), "subscribe", "scan"; else ignored
    text: str = ""
    scene: str = ""  # a subscribe or SCAN event's scene: a building's join token
    msg_id: str = ""
    menu: str = ""  # a text that is a tapped msgmenu choice: its id (bizmsgmenuid)
    media: bytes | None = None  # an image's bytes, fetched by the door from WeChat's media API


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
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.reporting = reporting
        self.lists = lists
        self.actions = actions
        self.reopening = reopening
        self.access = access
        self.onboarding = onboarding
        self.conversations = conversations
        self.links = links
        self.forget = forget
        self.ballots = ballots
        self.volunteering = volunteering
        self.flats = flats
        self.notice_copies = notice_copies

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
        if incoming.kind not in ("text", "image", "voice", "subscribe", "scan", "click"):
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
            elif incoming.kind == "click":
                await self._menu(person, incoming.scene)
            else:
                await self._follow(person, incoming.scene)
        except ServiceError as error:
            t = self.translations.bind(person.language or self.translations.default)
            await self._tell(person, refusal(t, t(error.key, **error.args_)))

    async def _follow(self, person: Person, scene: str) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        token = scene.removeprefix("qrscene_")  # a subscribe event's scene carries the prefix
        if token.startswith(CHECKIN_SCENE) and self.volunteering is not None:
            await self._check_in(person, token.removeprefix(CHECKIN_SCENE))
            return
        async with self.db.session() as session:
            found = await CommunityRepository(session).building_by_token(token) if token else None
        if found is None or len(token) > 64:
            await self._tell(person, t("wechat-welcome"))
            return
        joined = await self.onboarding.join_building(person, found.id)
        await self._tell(person, t("wechat-joined", building=joined.building.name))

    async def _menu(self, person: Person, key: str) -> None:
        """A button of the account's custom menu (``python -m bot wechat-menu``)."""
        t = self.translations.bind(person.language or self.translations.default)
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
            await self._tell(
                person,
                "\n".join([t("wechat-mine-title"), *lines]) if lines else t("wechat-mine-none"),
            )
        elif key == "report":
            await self._home(person)  # only a resident reports
            await self._tell(person, t("wechat-menu-report-how"))
        else:
            await self._tell(person, t("wechat-help") + "\n\n" + t("wechat-help-more"))

    async def _choose(self, person: Person, incoming: Incoming) -> None:
        """A tapped msgmenu choice, through the services the Telegram buttons use (they check
        that the person may do it, now)."""
        t = self.translations.bind(person.language or self.translations.default)
        forgetting = parse_forget(incoming.menu)
        if forgetting is not None:
            await self._forget(person, incoming.openid, *forgetting)
            return
        code = parse_category(incoming.menu)
        if code is not None:
            await self._categorised(person, incoming, code)
            return
        ballot = parse_ballot(incoming.menu)
        if ballot is not None and self.ballots is not None:
            await self._ballot(person, *ballot)
            return
        activity = parse_activity(incoming.menu)
        if activity is not None and self.volunteering is not None:
            await self._activity(person, *activity)
            return
        flat = parse_flat(incoming.menu)
        if flat is not None and self.flats is not None:
            claimed = await self.flats.claim_flat(person, flat)
            await self._tell(person, t("wechat-flat-sent", flat=claimed.code))
            return
        claim = parse_claim(incoming.menu)
        if claim is not None and self.flats is not None:
            await self.flats.decide_claim(person, *claim)
            await self._tell(person, t(f"wechat-flat-decided-{'yes' if claim[1] else 'no'}"))
            return
        mute = parse_mute(incoming.menu)
        if mute is not None and self.notice_copies is not None:
            await self._mute(person, mute[1], mute[0])
            return
        choice = parse_menu(incoming.menu)
        if choice is None:
            raise ServiceError("wechat-menu-unknown")
        ticket_id = choice.ticket_id
        if choice.action == "confirm":
            ticket = await self.actions.confirm(person, ticket_id)
            stars: Buttons = [[(f"{n}⭐", f"rate.{n}") for n in range(1, 6)]]
            await self._tell(person, t("wechat-confirmed", number=ticket.number), stars, ticket.id)
        elif choice.action == "rate":
            ticket = await self.actions.rate(person, ticket_id, choice.stars)
            await self._tell(person, t("wechat-rated", number=ticket.number))
        elif choice.action == "take":
            await self.actions.take(person, ticket_id, door=Channel.WECHAT)
        elif choice.action == "resolve":
            await self.actions.resolve(person, ticket_id, "", door=Channel.WECHAT)
        else:  # reply, reopen: the person's next text is the words
            action = Action.REPLY if choice.action == "reply" else Action.REOPEN
            ticket = await self._allowed(person, ticket_id, action)
            async with self.db.session() as session:
                await WeChatPendingRepository(session).put(
                    incoming.openid, ticket.id, choice.action, self.clock() + PENDING
                )
                await session.commit()
            await self._tell(person, t(f"wechat-ask-{choice.action}", number=ticket.number))

    async def _ballot(self, person: Person, vote_id: int, flat_id: int, choice: int) -> None:
        """A building vote's option tapped: cast (or changed) through VoteService, which
        checks that the person owns the flat now and the vote is open; the receipt back."""
        assert self.ballots is not None
        t = self.translations.bind(person.language or self.translations.default)
        cast = await self.ballots.votes.cast(person, vote_id, flat_id, choice)
        key = "vote-receipt-changed" if cast.changed else "vote-receipt"
        option = labels(t, cast.vote)[choice]
        await self._tell(person, t(key, flat=cast.flat.code, receipt=cast.receipt, option=option))

    async def _activity(self, person: Person, activity_id: int, join: bool) -> None:
        """An activity's Sign up (then a Cancel choice) or Cancel, through the services the
        Telegram buttons use (a member of its buildings, still ahead, places left)."""
        assert self.volunteering is not None
        t = self.translations.bind(person.language or self.translations.default)
        if not join:
            left = await self.volunteering.cancel_signup(person, activity_id)
            await self._tell(person, t("vol-unsigned", title=left.title))
            return
        signed = await self.volunteering.sign_up(person, activity_id)
        text = t(
            "vol-signed",
            title=signed.activity.title,
            when=signed.starts_local.strftime("%Y-%m-%d %H:%M"),
            left=signed.left,
        )
        cancel: Buttons = [[(t("vol-btn-unsign"), activity_choice(signed.activity.id, False))]]
        await self._tell(person, text, cancel)

    async def _ask_forget(self, person: Person) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        profile = await self.onboarding.profile(person)
        text = t("forget-ask")
        if profile.is_head or profile.coordinator_areas:
            text += "\n\n" + t("forget-ask-staff")
        choices: Buttons = [
            [(t("forget-yes"), forget_choice(person.id, True))],
            [(t("forget-no"), forget_choice(person.id, False))],
        ]
        await self._tell(person, text, choices)

    async def _forget(self, person: Person, openid: str, person_id: int, yes: bool) -> None:
        """The answer to the question: only the person it was asked of (a choice left from
        before they forgot themselves is a newcomer's now, and refused)."""
        t = self.translations.bind(person.language or self.translations.default)
        if person_id != person.id or self.forget is None:
            raise ServiceError("wechat-menu-unknown")
        if not yes:
            await self._tell(person, t("forget-kept"))
            return
        wrote_at = self.clock()

        async def farewell(session: AsyncSession) -> None:
            await OutboxRepository(session).add(
                to=wechat_address(openid),
                person_id=None,
                payload={"text": t("wechat-forget-done"), WROTE_AT: wrote_at.isoformat()},
                now=self.clock(),
            )

        await self.forget.forget(person, farewell)

    async def _claim_flat(self, person: Person, typed: str | None) -> None:
        """ "flat 502": the claim goes to the building's head; "flat" alone: which one."""
        assert self.flats is not None
        t = self.translations.bind(person.language or self.translations.default)
        await self._home(person)  # only a resident claims
        if typed:
            flat = await self.flats.claim(person, typed, replace=False)
            await self._tell(person, t("wechat-flat-sent", flat=flat.code))
            return
        flats = await self.flats.choosable(person, FLAT_MENU)
        if flats is None:
            await self._tell(person, t("wechat-flat-ask"))
        elif not flats:
            raise ServiceError("wechat-flat-none")
        else:
            buttons: Buttons = [[(f.code, flat_choice(f.id))] for f in flats]
            await self._tell(person, t("wechat-flat-choose"), buttons)

    async def _claims(self, person: Person) -> None:
        """A head's /flats: each waiting claim with its Confirm owner / Decline choices (as
        they came when the claim was made; sent again here, e.g. after a template)."""
        assert self.flats is not None
        t = self.translations.bind(person.language or self.translations.default)
        waiting = await self.flats.pending_claims(person)
        if not waiting:
            await self._tell(person, t("flat-claims-none"))
        for claim, flat, building, name in waiting:
            buttons: Buttons = [
                [(t("flat-btn-approve"), claim_choice(claim.id, True))],
                [(t("flat-btn-decline"), claim_choice(claim.id, False))],
            ]
            text = t("wechat-flat-claim-new", name=name, flat=flat.code, building=building.name)
            await self._tell(person, text, buttons)

    async def _check_in(self, person: Person, token: str) -> None:
        """The organiser's check-in QR for WeChat, scanned: checked in as by the deep link."""
        assert self.volunteering is not None
        t = self.translations.bind(person.language or self.translations.default)
        if len(token) > 64:
            raise ServiceError("vol-checkin-unknown")
        done = await self.volunteering.check_in(person, token)
        key = "vol-checked-in-again" if done.already else "vol-checked-in"
        hours = fmt_hours(done.hours)
        await self._tell(person, t(key, title=done.activity.title, hours=hours))

    async def _mute(self, person: Person, on: bool, building_id: int | None = None) -> None:
        """Mutes (``on``) or unmutes the non-urgent notices of a building: the one a
        notice's choice names, else (typed) each of the person's buildings."""
        assert self.notice_copies is not None
        t = self.translations.bind(person.language or self.translations.default)
        if building_id is None:
            async with self.db.session() as session:
                roles = await PersonRepository(session).building_roles(person.id)
            readers = (Role.RESIDENT, Role.HEAD, Role.DEPUTY)
            ids = list(dict.fromkeys(r.building_id for r in roles if r.role in readers))
            if not ids:
                raise ServiceError("wechat-no-building")
        else:
            ids = [building_id]
        said = []
        for one in ids:
            changed, name = await self.notice_copies.set_mute(person, one, on)
            key = ("wechat-muted" if on else "wechat-unmuted") if changed else None
            key = key or ("wechat-mute-already" if on else "wechat-unmute-already")
            said.append(t(key, building=name))
        await self._tell(person, "\n".join(said))

    async def _allowed(self, person: Person, ticket_id: int, action: Action) -> Ticket:
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, action)
            return ticket

    async def _photo(self, person: Person, incoming: Incoming) -> None:
        """A photo: passed on in the conversation the person is in, else kept for the report
        their next text makes."""
        t = self.translations.bind(person.language or self.translations.default)
        if incoming.media is None:
            raise ServiceError("door-photo-bad")
        talking = await self._talking(person, incoming.openid)
        if talking is not None:
            await self._relay_photo(person, incoming.media, *talking)
            return
        await self._home(person)  # only a resident reports
        cleaned = await asyncio.to_thread(clean_photo, incoming.media)
        now = self.clock()
        async with self.db.session() as session:
            pending = WeChatPendingRepository(session)
            kept = await pending.take(incoming.openid, now)
            waiting = kept is not None and kept.action in ("photos", "category")
            action = kept.action if kept is not None and waiting else "photos"
            text = kept.text if kept is not None and waiting else ""
            keys = kept.photos.split() if kept is not None and waiting else []
            if len(keys) >= MAX_PHOTOS:
                await pending.put(
                    incoming.openid, None, action, now + PENDING, " ".join(keys), text
                )
                await session.commit()
                raise ServiceError("wechat-photos-full", max=MAX_PHOTOS)
            key = secrets.token_urlsafe(16)
            await WebFileRepository(session).add(key, person.id, "image/jpeg", cleaned, now)
            keys.append(key)
            await pending.put(incoming.openid, None, action, now + PENDING, " ".join(keys), text)
            await session.commit()
        if action == "category":
            await self._tell(person, t("wechat-category-photo-kept", count=len(keys)))
        else:
            await self._tell(person, t("wechat-photo-kept", count=len(keys)))

    async def _talking(self, person: Person, openid: str) -> tuple[int, bool] | None:
        """The ticket a photo from the person belongs to, and whether it is a head's answer
        they chose Reply for: that ticket; else their own newest open ticket (where their
        texts go); else the conversation they are in as its staff."""
        async with self.db.session() as session:
            pending = await WeChatPendingRepository(session).peek(openid, self.clock())
        if pending is not None and pending.action == "reply" and pending.ticket_id is not None:
            return pending.ticket_id, True
        mine = await self._open_ticket(person)
        if mine is not None:
            return mine.id, False
        staff = [c for c in await self.conversations.in_progress(person) if c.staff]
        return (staff[0].ticket.id, True) if staff else None

    async def _relay_photo(self, person: Person, data: bytes, ticket_id: int, reply: bool) -> None:
        """The photo, kept, passed on as a message of the ticket's conversation; a photo the
        conversation refused (the ticket closed meanwhile) is not kept."""
        t = self.translations.bind(person.language or self.translations.default)
        cleaned = await asyncio.to_thread(clean_photo, data)
        key = secrets.token_urlsafe(16)
        async with self.db.session() as session:
            await WebFileRepository(session).add(
                key, person.id, "image/jpeg", cleaned, self.clock()
            )
            await session.commit()
        try:
            if reply:
                # A head's Reply stays waiting for its words: the photo came first.
                ticket = await self.actions.reply(
                    person, ticket_id, Content(web_photo=key), door=Channel.WECHAT
                )
            else:
                ticket = (
                    await self.conversations.send(person, ticket_id, Content(web_photo=key))
                ).ticket
        except ServiceError:
            async with self.db.session() as session:
                await WebFileRepository(session).drop(key)
                await session.commit()
            raise
        await self._tell(person, t("wechat-photo-relayed", number=ticket.number))

    async def _text(self, person: Person, incoming: Incoming) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        text = incoming.text.strip()
        if not text:
            raise ServiceError("report-empty")
        code = "".join(text.split())
        if self.links is not None and len(code) == 6 and code.isdigit():
            linked = await self.links.redeem(wechat_address(incoming.openid), code)
            language = linked.language or self.translations.default
            await self._tell(linked, self.translations.bind(language)("wechat-linked"))
            return
        if self.forget is not None and asks_to_forget(text):
            await self._ask_forget(person)
            return
        plain = "".join(text.lower().split())
        if self.ballots is not None and plain in VOTE_WORDS:
            await self.ballots.resend(person)
            return
        flat = FLAT_RE.match(text)
        if flat is not None and self.flats is not None:
            await self._claim_flat(person, flat.group(1))
            return
        if plain in CLAIMS_WORDS and self.flats is not None:
            await self._claims(person)
            return
        if plain in MUTE_WORDS and self.notice_copies is not None:
            await self._mute(person, MUTE_WORDS[plain])
            return
        async with self.db.session() as session:
            pending = await WeChatPendingRepository(session).take(incoming.openid, self.clock())
            await session.commit()
        photos: list[str] = []
        if pending is not None and pending.ticket_id is not None:
            if pending.action == "reply":
                reply = Content(text=text)
                ticket = await self.actions.reply(
                    person, pending.ticket_id, reply, door=Channel.WECHAT
                )
                await self._tell(person, t("wechat-reply-sent", number=ticket.number))
            else:
                ticket = await self.reopening.reopen(person, pending.ticket_id, text)
                await self._tell(person, t("wechat-reopened", number=ticket.number))
            return
        if pending is not None and pending.action == "category":
            await self._typed_category(person, incoming, pending)
            return
        if pending is not None:
            photos = pending.photos.split()
        mine = await self._open_ticket(person)
        if mine is not None:
            await self.conversations.send(person, mine.id, Content(text=text))
            await self._tell(person, t("wechat-message-sent", number=mine.number))
            return
        try:
            building_id, settings = await self._home(person)
        except ServiceError:
            # Somebody who cannot report (a head only): their text answers the conversation
            # they are in as its staff, as in Telegram, rather than being refused.
            staff = [c for c in await self.conversations.in_progress(person) if c.staff]
            if not staff:
                raise
            relayed = await self.conversations.send(person, staff[0].ticket.id, Content(text=text))
            await self._tell(person, t("wechat-reply-sent", number=relayed.ticket.number))
            return
        categories = categories_for(settings)
        if len(categories) == 1:
            await self._file(person, incoming, text, photos, categories[0].code)
            return
        # The kind of problem first, as the chat's report asks it: the words wait for it.
        checked(text, MAX_DESCRIPTION)
        async with self.db.session() as session:
            await WeChatPendingRepository(session).put(
                incoming.openid,
                None,
                "category",
                self.clock() + PENDING,
                " ".join(photos),
                text,
            )
            await session.commit()
        await self._tell(person, t("wechat-category-ask"), category_menu(t, categories))

    async def _typed_category(
        self, person: Person, incoming: Incoming, pending: WeChatPending
    ) -> None:
        """The answer to the category menu typed instead of tapped (its number or name)."""
        t = self.translations.bind(person.language or self.translations.default)
        _, settings = await self._home(person)
        categories = categories_for(settings)
        chosen = typed_category(t, incoming.text, categories)
        if chosen is None:
            await self._keep(incoming.openid, pending)
            raise ServiceError("wechat-category-pick", max=len(categories))
        await self._file(person, incoming, pending.text, pending.photos.split(), chosen.code)

    async def _categorised(self, person: Person, incoming: Incoming, code: str) -> None:
        """A category tapped in the menu: the report waiting for it is filed."""
        async with self.db.session() as session:
            pending = await WeChatPendingRepository(session).take(incoming.openid, self.clock())
            await session.commit()
        if pending is None or pending.action != "category":
            if pending is not None:
                await self._keep(incoming.openid, pending)
            raise ServiceError("wechat-category-stale")
        _, settings = await self._home(person)
        if code not in {c.code for c in categories_for(settings)}:
            await self._keep(incoming.openid, pending)
            raise ServiceError("wechat-menu-unknown")
        await self._file(person, incoming, pending.text, pending.photos.split(), code)

    async def _keep(self, openid: str, pending: WeChatPending) -> None:
        """A pending choice taken for an answer that did not fit it, put back as it was."""
        async with self.db.session() as session:
            await WeChatPendingRepository(session).put(
                openid,
                pending.ticket_id,
                pending.action,
                pending.until,
                pending.photos,
                pending.text,
            )
            await session.commit()

    async def _file(
        self, person: Person, incoming: Incoming, text: str, photos: list[str], category: str
    ) -> None:
        t = self.translations.bind(person.language or self.translations.default)
        building_id, _ = await self._home(person)
        reported = await self.reporting.report(
            person,
            Draft(
                building_id=building_id,
                category=category,
                description=text,
                show_name=False,  # a WeChat user has given no name to show
                media=[{"type": "photo", "web_file": key} for key in photos],
                key=f"wechat:{incoming.msg_id}" if incoming.msg_id else None,
            ),
        )
        await self._tell(
            person,
            t("wechat-reported", number=reported.ticket.number, building=reported.building),
        )

    async def person_of(self, openid: str) -> Person | None:
        async with self.db.session() as session:
            return await PersonRepository(session).by_contact(Channel.WECHAT, openid)

    async def device_in_wechat(self, device: str | None) -> bool:
        """Whether the web door's device (its cookie's secret) is a WeChat person's already."""
        if not device or len(device) > 128:
            return False
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(*device_address(device))
        return person is not None and any(c.channel == Channel.WECHAT for c in person.contacts)

    async def _open_ticket(self, person: Person) -> Ticket | None:
        """The newest open ticket the person reported: what their texts are about."""
        mine = [
            ticket
            for ticket in (await self.lists.my_tickets(person, 0)).tickets
            if ticket.author_id == person.id and ticket.status in OPEN_STATUSES
        ]
        return mine[0] if mine else None

    async def web_device(self, openid: str, device: str | None) -> str | None:
        """The web door inside WeChat's browser, after WeChat's web authorisation named the
        person (``openid``): the device (its cookie's ``device`` secret; a new device when
        None or unknown) becomes a contact of the person with that WeChat, so the web door and
        WeChat are one person's. A device that was somebody of its own only (a report from
        the poster's page in WeChat's browser) is folded in, tickets and all. Returns the
        device's secret; None when nobody has that WeChat yet (they never followed)."""
        now = self.clock()
        async with self.db.session() as session:
            people = PersonRepository(session)
            person = await people.by_contact(Channel.WECHAT, openid)
            if person is None:
                return None
            holder = await people.by_contact(*device_address(device)) if device else None
            if holder is None or device is None:
                device = secrets.token_urlsafe(32)
            await people.ensure_contact(person.id, device_address(device), now)
            if holder is not None and holder.id != person.id and not holder.contacts:
                await merge_people(session, person.id, holder.id)
            await session.commit()
        return device

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

    async def _tell(
        self,
        person: Person,
        text: str,
        buttons: Buttons | None = None,
        ticket_id: int | None = None,
    ) -> None:
        to = next((c.as_address for c in person.contacts if c.channel == Channel.WECHAT), None)
        if to is None:
            return
        async with self.db.session() as session:
            await write_text(
                session,
                to=to,
                person_id=person.id,
                text=text,
                now=self.clock(),
                buttons=buttons,
                ticket_id=ticket_id,
            )
            await session.commit()
