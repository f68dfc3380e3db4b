"""The WeChat door's sender for the delivery worker (bot/delivery.py). Within 48 hours of the
person's last message (their ``wechat`` contact's ``last_used_at``) a row goes as a
customer-service text; after that, or when WeChat answers 45015 (out of the window) or 45047
(too many messages in it), as the configured template message, which opens the web door's
ticket page. WeChat's own refusals become the worker's outcomes: a busy system backs off, a
person who unfollowed (43004) is unreachable, an API quota (45009) pauses the door."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from bot import delivery
from bot.config import Config
from bot.delivery_outcomes import Outcome
from bot.delivery_window import PassWindow
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.ticket_cards import TicketCards
from bot.services.wechat_door import WINDOW
from storage.db import Database
from storage.models import Channel, OutboxKind, OutboxMessage
from storage.repositories import PersonRepository
from storage.repositories.tickets import TicketRepository
from wechat.api import WeChatApi, WeChatError

OUT_OF_WINDOW = {45015, 45047}
TEXT_LIMIT = 2000  # characters of a customer-service text (WeChat's limit is 2048 bytes-ish)
FIELD_LIMIT = 200  # characters of a template field


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
    ) -> None:
        self.api = api
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.cards = cards

    def listen(self, hold: Callable[[float], None]) -> None:
        """WeChat's limits are per day, not per second: nothing to listen to."""

    def forget(self, hold: Callable[[float], None]) -> None:
        """Nothing was listened to."""

    async def send(
        self, row: OutboxMessage, window: PassWindow, paused: Callable[[], float]
    ) -> Outcome:
        if paused() > 0:
            return Outcome("held")
        text = await self._text(row)
        if text == "":
            return Outcome("sent")  # a card the person may no longer see: nothing to send
        if text is None:
            # A location, a join request's card, a notice: not rendered by this door yet.
            # Recorded as failed (counted by ``outbox``), never marked sent unsent.
            return Outcome("failed", error=f"the WeChat door does not send {row.kind} yet")
        try:
            async with window.in_flight():
                if await self._in_window(row):
                    try:
                        await self.api.send_text(row.address, text[:TEXT_LIMIT])
                        return Outcome("sent")
                    except WeChatError as error:
                        if error.code not in OUT_OF_WINDOW:
                            raise
                return await self._template(row, text)
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

    async def _in_window(self, row: OutboxMessage) -> bool:
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(Channel.WECHAT, row.address)
        if person is None:
            return False
        contact = next(c for c in person.contacts if c.as_address == (Channel.WECHAT, row.address))
        return self.clock() - contact.last_used_at < WINDOW

    async def _text(self, row: OutboxMessage) -> str | None:
        """The row as plain text: WeChat's customer-service text has no buttons, so a
        question's buttons are left to the ticket page."""
        if row.kind == OutboxKind.TEXT:
            return str(row.payload.get("text", ""))
        if row.kind in (OutboxKind.MEDIA, OutboxKind.CHART):
            return str(row.payload.get("caption", "")) or None
        if row.kind == OutboxKind.CARD and self.cards and row.ticket_id and row.person_id:
            view = await self.cards.card_for_delivery(row.ticket_id, row.person_id)
            return "" if view is None else view.text
        return None

    async def _template(self, row: OutboxMessage, text: str) -> Outcome:
        template = self.config.wechat_template_id
        if template is None:
            return Outcome("failed", error="out of the 48-hour window; no WECHAT_TEMPLATE_ID")
        number = ""
        if row.ticket_id is not None:
            async with self.db.session() as session:
                ticket = await TicketRepository(session).get(row.ticket_id)
            number = "" if ticket is None else str(ticket.number)
        async with self.db.session() as session:
            person = await PersonRepository(session).by_contact(Channel.WECHAT, row.address)
        language = (person.language if person else None) or self.translations.default
        t = self.translations.bind(language)
        url = f"{self.config.console_base}/t/{row.ticket_id}" if row.ticket_id else ""
        await self.api.send_template(
            row.address,
            template,
            url,
            {
                "first": t("wechat-template-title", number=number),
                "keyword1": f"#{number}",
                "keyword2": text[:FIELD_LIMIT],
                "remark": t("wechat-template-remark"),
            },
        )
        return Outcome("sent")
