"""The WeChat door's sender for the delivery worker (bot/delivery.py). Within 48 hours of the
person's last message (their ``wechat`` contact's ``last_used_at``) a row goes as a
customer-service text, or a ``msgmenu`` when the row carries buttons the door can offer (Yes,
fixed / Not fixed / stars for a resident; Take / Reply / Resolve on a head's card); after
that, or when WeChat answers 45015 (out of the window) or 45047
(too many messages in it), as the configured template message, which opens the web door's
ticket page. A notice's copy (bot/services/notice_board.py) goes the same way: a text within
the window (its photos as image messages after it), else the template, which opens the
notice's page; a photo out of the window is not sent (the copy said how many there are).
A notice's copy that went is remembered (bot/delivery_outcomes.py), so its correction or
withdrawal (WeChat edits and deletes nothing) reaches the reader as a short message the same
way: a text within the window, else the template that opens the page, which shows the notice
as it reads now.
WeChat's own refusals become the worker's outcomes: a busy system backs off, a
person who unfollowed (43004) is unreachable, an API quota (45009) pauses the door."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import aiohttp

from bot import delivery
from bot.config import Config
from bot.delivery_outcomes import Outcome
from bot.delivery_window import PassWindow
from bot.files import FileSource, FileUnavailable
from bot.i18n import Translations
from bot.services.activity_menus import door_value, signed_up_for
from bot.services.ballot_menus import BALLOT_KEY
from bot.services.clock import Clock
from bot.services.door_activities import DoorActivities
from bot.services.door_ballots import DoorBallots
from bot.services.notice_board import DoorCopy, NoticeBoard
from bot.services.ticket_cards import TicketCards
from bot.services.wechat_door import WINDOW, WROTE_AT, menu_id, mute_choice
from bot.text import WECHAT_TEXT_LIMIT, cut, fits, utf8_len
from storage.db import Database
from storage.models import Channel, OutboxKind, OutboxMessage
from storage.repositories import PersonRepository
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository
from wechat.api import WeChatApi, WeChatError

OUT_OF_WINDOW = {45015, 45047}
TEXT_LIMIT = WECHAT_TEXT_LIMIT  # UTF-8 bytes of a customer-service text (45002 beyond)
# A template field, and a msgmenu choice's words, in UTF-8 bytes: WeChat counts a text's
# length in bytes (a Chinese character is 3, an emoji 4), and a field cut by characters was
# three or four times as long as assumed.
FIELD_LIMIT = 200
CHOICE_LIMIT = 90


def fields_cut(fields: dict[str, str]) -> dict[str, str]:
    """A template's fields, each within FIELD_LIMIT bytes, cut visibly ("…")."""
    return {key: cut(value, FIELD_LIMIT, utf8=True) for key, value in fields.items()}


def menu_cut(head: str, choices: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """A msgmenu as WeChat takes it: each choice's words within CHOICE_LIMIT bytes, and the
    head within what the choices leave of TEXT_LIMIT."""
    cut_choices = [(key, cut(words, CHOICE_LIMIT, utf8=True)) for key, words in choices]
    used = sum(utf8_len(key) + utf8_len(words) for key, words in cut_choices)
    return fitted(head, max(TEXT_LIMIT - used, 0)), cut_choices


def fitted(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` as WeChat takes it: at most ``limit`` UTF-8 bytes (a Chinese character is 3,
    an emoji 4), cut visibly ("…") when longer. The outbox splits a long text into messages
    that fit (bot/services/messages.py); a card or a caption rendered here may still be
    longer."""
    return cut(text, limit, utf8=True)


class WeChatSender:
    channel: str = Channel.WECHAT

    def __init__(
        self,
        api: WeChatApi,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        cards: TicketCards | None = None,
        files: FileSource | None = None,
        board: NoticeBoard | None = None,
        ballots: DoorBallots | None = None,
        activities: DoorActivities | None = None,
    ) -> None:
        self.api = api
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.cards = cards
        self.files = files  # Telegram's files (a head's photo), for an image message
        self.board = board  # notices' copies
        self.ballots = ballots  # building votes' ballot pages
        self.activities = activities  # volunteering activities' pages

    def listen(self, hold: Callable[[float], None]) -> None:
        """WeChat's limits are per day, not per second: nothing to listen to."""

    def forget(self, hold: Callable[[float], None]) -> None:
        """Nothing was listened to."""

    async def send(
        self, row: OutboxMessage, window: PassWindow, paused: Callable[[], float]
    ) -> Outcome:
        if paused() > 0:
            return Outcome("held")
        if row.kind in (OutboxKind.NOTICE, OutboxKind.NOTICE_PHOTO):
            return await self._guarded(row, self._notice(row, window))
        if row.kind in (OutboxKind.NOTICE_EDIT, OutboxKind.NOTICE_DELETE):
            return await self._guarded(row, self._notice_change(row, window))
        text, choices = await self._message(row)
        if text == "" and row.kind != OutboxKind.MEDIA:
            return Outcome("sent")  # a card the person may no longer see: nothing to send
        if text is None:
            # A location, a join request's card: not rendered by this door yet.
            # Recorded as failed (counted by ``outbox``), never marked sent unsent.
            return Outcome("failed", error=f"the WeChat door does not send {row.kind} yet")
        return await self._guarded(row, self._deliver(row, window, text, choices))

    async def _deliver(
        self, row: OutboxMessage, window: PassWindow, text: str, choices: list[tuple[str, str]]
    ) -> Outcome:
        async with window.in_flight():
            if await self._in_window(row):
                try:
                    picture = await self._picture(row)
                    if picture is not None:
                        media_id = await self.api.upload_image(picture)
                        await self.api.send_image(row.address, media_id)
                        if not text:
                            return Outcome("sent")
                    if choices:
                        await self.api.send_menu(row.address, *menu_cut(text, choices))
                    else:
                        await self.api.send_text(row.address, fitted(text))
                    return Outcome("sent")
                except WeChatError as error:
                    if error.code not in OUT_OF_WINDOW:
                        raise
            return await self._template(row, text)

    @staticmethod
    async def _guarded(row: OutboxMessage, sending: Awaitable[Outcome]) -> Outcome:
        """WeChat's refusals and the network's failures as the worker's outcomes."""
        try:
            return await sending
        except WeChatError as error:
            if error.code == -1:  # "system busy"
                return Outcome("postpone", delivery.backoff(row.attempts + 1), str(error))
            if error.code == 43004:  # the person unfollowed the account
                return Outcome("unreachable", error=str(error))
            if error.code == 45009:  # the API's daily quota
                return Outcome("pause", 3600.0, str(error))
            return Outcome("failed", error=str(error))
        except (aiohttp.ClientError, TimeoutError) as error:
            return Outcome("postpone", delivery.backoff(row.attempts + 1), repr(error))

    async def _notice(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        """A notice's copy: the text (and then its photos) within the window, else the
        template that opens its page. Never "sent" for what did not go."""
        if self.board is None or row.notice_id is None:
            return Outcome("failed", error="no notice board in the WeChat door")
        if row.kind == OutboxKind.NOTICE_PHOTO:
            return await self._notice_photo(row, window)
        copy = await self.board.copy(row.notice_id, row.person_id, row.payload.get("building_id"))
        if copy is None:
            return Outcome("failed", error="the notice was withdrawn before this copy went")
        url = f"{self.config.console_base}{copy.path}"
        async with window.in_flight():
            if await self._in_window(row):
                text = copy.text
                if not fits(text, TEXT_LIMIT, utf8=True):
                    t = self.translations.bind(copy.language)
                    more = "\n\n" + t("notice-door-more", url=url)
                    text = fitted(text, TEXT_LIMIT - utf8_len(more)) + more
                try:
                    if copy.mute is None:
                        await self.api.send_text(row.address, text)
                    else:
                        # A non-urgent notice: its building's mute (or unmute) as a choice.
                        t = self.translations.bind(copy.language)
                        label = t("notice-btn-unmute" if copy.mute else "notice-btn-mute")
                        choice = mute_choice(copy.building_id, not copy.mute)
                        await self.api.send_menu(row.address, *menu_cut(text, [(choice, label)]))
                    return Outcome("sent", message_id=0)  # remembered: its changes follow
                except WeChatError as error:
                    if error.code not in OUT_OF_WINDOW:
                        raise
            sent = await self._notice_template(row, copy, url)
            return Outcome("sent", message_id=0) if sent.kind == "sent" else sent

    async def _notice_change(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        """A notice the reader got was corrected or withdrawn: a short message saying so."""
        if self.board is None or row.notice_id is None:
            return Outcome("failed", error="no notice board in the WeChat door")
        change = await self.board.change(
            row.notice_id, row.person_id, str(row.payload.get("change", ""))
        )
        if change is None:
            return Outcome("failed", error="superseded: the notice changed again since")
        url = f"{self.config.console_base}{change.path}"
        async with window.in_flight():
            if await self._in_window(row):
                text = change.text
                if not fits(text, TEXT_LIMIT, utf8=True):
                    t = self.translations.bind(change.language)
                    more = "\n\n" + t("notice-door-more", url=url)
                    text = fitted(text, TEXT_LIMIT - utf8_len(more)) + more
                try:
                    await self.api.send_text(row.address, text)
                    return Outcome("sent")
                except WeChatError as error:
                    if error.code not in OUT_OF_WINDOW:
                        raise
            template = self.config.wechat_template_id
            if template is None:
                return Outcome("failed", error="out of the 48-hour window; no WECHAT_TEMPLATE_ID")
            t = self.translations.bind(change.language)
            first, _, body = change.text.partition("\n")
            await self.api.send_template(
                row.address,
                template,
                url,
                fields_cut(
                    {
                        "first": first,
                        "keyword1": change.building,
                        "keyword2": body or first,
                        "remark": t("notice-change-remark"),
                    }
                ),
            )
            return Outcome("sent")

    async def _notice_photo(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        assert self.board is not None and row.notice_id is not None
        async with window.in_flight():
            if not await self._in_window(row):
                return Outcome("failed", error="out of WeChat's 48-hour window: photo not sent")
            file_id = await self.board.photo(row.notice_id, int(row.payload.get("index", 0)))
            if file_id is None or self.files is None:
                return Outcome("failed", error="the notice's photo is not to be had")
            try:
                picture = await self.files.fetch(file_id)
            except FileUnavailable as error:
                return Outcome("failed", error=f"the notice's photo: {error}")
            media_id = await self.api.upload_image(picture)
            await self.api.send_image(row.address, media_id)
            return Outcome("sent")

    async def _notice_template(self, row: OutboxMessage, copy: DoorCopy, url: str) -> Outcome:
        template = self.config.wechat_template_id
        if template is None:
            return Outcome("failed", error="out of the 48-hour window; no WECHAT_TEMPLATE_ID")
        t = self.translations.bind(copy.language)
        body = copy.text.split("\n\n", 1)[-1]  # without the title, which has its own field
        await self.api.send_template(
            row.address,
            template,
            url,
            fields_cut(
                {
                    "first": copy.title,
                    "keyword1": copy.building,
                    "keyword2": body,
                    "remark": t("notice-door-remark"),
                }
            ),
        )
        return Outcome("sent")

    async def _picture(self, row: OutboxMessage) -> bytes | None:
        """A photo row's JPEG (kept in web_files, or Telegram's through ``files``); None for
        any other row, or when the photo cannot be had (its caption still goes)."""
        if row.kind != OutboxKind.MEDIA:
            return None
        if "web_photo" in row.payload:
            async with self.db.session() as session:
                found = await WebFileRepository(session).get(str(row.payload["web_photo"]))
            return None if found is None else found.content
        if "photo" in row.payload and self.files is not None:
            try:
                return await self.files.fetch(str(row.payload["photo"]))
            except FileUnavailable:
                return None
        return None

    async def _in_window(self, row: OutboxMessage) -> bool:
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(Channel.WECHAT, row.address)
        if person is None:
            # A goodbye to a person who deleted their data: the row says when they wrote.
            wrote = row.payload.get(WROTE_AT) if row.kind == OutboxKind.TEXT else None
            if not isinstance(wrote, str):
                return False
            return self.clock() - datetime.fromisoformat(wrote) < WINDOW
        contact = next(c for c in person.contacts if c.as_address == (Channel.WECHAT, row.address))
        return self.clock() - contact.last_used_at < WINDOW

    async def _message(self, row: OutboxMessage) -> tuple[str | None, list[tuple[str, str]]]:
        """The row as text, and the choices (menu id, words) of its buttons that the door
        offers; the others (escalate, merge, history…) are left to the ticket page."""
        if row.kind == OutboxKind.TEXT:
            # A button is (label, value) or, for the scheduler's buttons (a volunteering
            # sign-up, a vote), (label, action, id): the door offers a ticket's, a building
            # vote's ballot choices (bot/services/ballot_menus.py) and an activity's sign-up
            # (bot/services/activity_menus.py).
            buttons = [
                (str(button[0]), door_value(button))
                for line in row.payload.get("buttons", [])
                for button in line
            ]
            return str(row.payload.get("text", "")), self._choices(row, buttons)
        if row.kind == OutboxKind.MEDIA:
            return str(row.payload.get("caption", "")), []  # the photo goes as an image too
        if row.kind == OutboxKind.CHART:
            return str(row.payload.get("caption", "")) or None, []
        if row.kind == OutboxKind.CARD and self.cards and row.ticket_id and row.person_id:
            view = await self.cards.card_for_delivery(row.ticket_id, row.person_id)
            if view is None:
                return "", []
            buttons = [(label, action.value) for line in view.buttons for label, action in line]
            return view.text, self._choices(row, buttons)
        return None, []

    @staticmethod
    def _choices(row: OutboxMessage, buttons: list[tuple[str, str]]) -> list[tuple[str, str]]:
        found = [(menu_id(row.ticket_id, value), label) for label, value in buttons]
        return [(key, label) for key, label in found if key is not None]

    async def _template(self, row: OutboxMessage, text: str) -> Outcome:
        template = self.config.wechat_template_id
        if template is None:
            return Outcome("failed", error="out of the 48-hour window; no WECHAT_TEMPLATE_ID")
        number, url = "", ""
        if row.ticket_id is not None:
            async with self.db.session() as session:
                ticket = await TicketRepository(session).get(row.ticket_id)
            number = "" if ticket is None else str(ticket.number)
            # The author's page in the web door; anyone else (the staff) acts in the console,
            # reached through WeChat's web authorisation (wechat/oauth.py).
            author = ticket is not None and ticket.author_id == row.person_id
            page = "t" if author else "wechat/console"
            url = f"{self.config.console_base}/{page}/{row.ticket_id}"
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(Channel.WECHAT, row.address)
        language = (person.language if person else None) or self.translations.default
        t = self.translations.bind(language)
        ballot = row.payload.get(BALLOT_KEY)
        if row.ticket_id is None and isinstance(ballot, int) and row.person_id is not None:
            # A building vote's ballot: the template opens the owner's ballot page.
            if self.ballots is not None:
                url = self.config.console_base + await self.ballots.path(ballot, row.person_id)
            fields = {
                "first": t("vote-door-template-title"),
                "keyword1": "",
                "keyword2": text,
                "remark": t("vote-door-template-remark"),
            }
        elif row.ticket_id is None and signed_up_for(row.payload) and row.person_id is not None:
            # An activity's announcement: the template opens its page, to sign up there.
            activity = signed_up_for(row.payload)
            if self.activities is not None and activity is not None:
                url = self.config.console_base + await self.activities.path(activity, row.person_id)
            fields = {
                "first": t("notice-door-news"),
                "keyword1": "",
                "keyword2": text,
                "remark": t("vol-door-template-remark"),
            }
        elif row.ticket_id is None:
            # A plain message (a vote's result, an activity's announcement): no ticket to
            # name and no page to open; the template carries what fits of it.
            fields = {
                "first": t("notice-door-news"),
                "keyword1": "",
                "keyword2": text,
                "remark": "",
            }
        else:
            fields = {
                "first": t("wechat-template-title", number=number),
                "keyword1": f"#{number}",
                "keyword2": text,
                "remark": t("wechat-template-remark"),
            }
        await self.api.send_template(row.address, template, url, fields_cut(fields))
        return Outcome("sent")
