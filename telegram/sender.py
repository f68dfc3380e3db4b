"""The Telegram door's sender for the delivery worker (bot/delivery.py): an outbox row becomes
a Bot API request (telegram/outbox_methods.py), a card is rendered now and edited in place where
the chat has it, and Telegram's answers become outcomes: a 429 holds back the chat it was for
(or, a flood, pauses the worker), 403 and "chat not found" make the person unreachable, 5xx
and network errors back off. Every request goes through the bot's budget (telegram/budget.py)
behind the handlers' answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import InlineKeyboardMarkup, Message

from bot import delivery
from bot.delivery_outcomes import Outcome
from bot.delivery_window import PassWindow
from bot.services.join_approvals import JoinApprovals
from bot.services.notice_copies import NoticeCopies
from bot.services.ticket_cards import CardDelivery, TicketCards
from handlers.join_keyboards import join_markup
from storage.db import Database
from storage.models import Address, Channel, OutboxKind, OutboxMessage
from storage.repositories.web_files import WebFileRepository
from telegram import outbox_methods
from telegram.budget import (
    BACKGROUND,
    Background,
    ChatRetryAfter,
    NotNow,
    background,
    budget_of,
)
from telegram.notice_methods import NOTICE_KINDS, notice_method

T = TypeVar("T")
# The answers to the worker's requests, as aiogram parses them (``Response[<what the method
# returns>]``). pydantic keeps such a model in a weak cache: with nothing else referring to it,
# a garbage collection drops it and the next answer builds it again, its whole schema (a
# quarter of a send's CPU in the profile of docs/benchmarks.md §5). Held here for the process.
ANSWERS = (Response[Message], Response[EditMessageText.__returning__], Response[bool])
# A pass's cards, read together before its sends (``prepare``), by row id. The worker may have
# several passes in hand, each in its own task, and a pass's sends run in tasks it starts after
# ``prepare``: a context variable is each pass's own.
_PREPARED: ContextVar[dict[int, CardDelivery] | None] = ContextVar(
    "louzhang_pass_cards", default=None
)


class TelegramSender:
    channel: str = Channel.TELEGRAM

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        cards: TicketCards | None = None,
        approvals: JoinApprovals | None = None,
        notices: NoticeCopies | None = None,
    ) -> None:
        self.bot = bot
        self.notices = notices
        self.budget = budget_of(bot)  # shared with every other call of the bot
        self.db = db
        self.cards = cards
        self.approvals = approvals

    @property
    def per_chat(self) -> int:
        """A pass takes a private chat's burst of rows at most (``room``)."""
        return self.budget.limits.private_burst

    def room(self, to: Address) -> int:
        """How many of the chat's rows a pass takes: as many as it may take now (its first
        in any case: that one waits for its turn)."""
        try:
            chat = int(to.address)
        except ValueError:
            return 1
        return max(1, self.budget.at_once(chat))

    def listen(self, hold: Callable[[float], None]) -> None:
        self.budget.on_retry_after(hold)

    def forget(self, hold: Callable[[float], None]) -> None:
        self.budget.forget_listener(hold)

    async def ready(self, row: OutboxMessage, window: PassWindow) -> float:
        """Waits until the row's chat may take a message (its bucket, a 429 holding it), or
        returns how long that would still be when it is past the pass's window."""
        try:
            chat = int(row.address)
        except ValueError:
            return 0.0
        return await self.budget.until_ready(chat, window.send_by)

    async def prepare(self, rows: Sequence[OutboxMessage]) -> None:
        """Before a pass's sends: its ticket cards read and rendered together (a few
        statements for the pass, not a dozen for each card). What was prepared for an earlier
        pass is dropped: a row held then is read again now."""
        prepared_here: dict[int, CardDelivery] = {}
        _PREPARED.set(prepared_here)
        if self.cards is None:
            return
        cards = [
            (row.id, (row.ticket_id, row.person_id, row.to))
            for row in rows
            if row.kind == OutboxKind.CARD
            and row.ticket_id is not None
            and row.person_id is not None
        ]
        if not cards:
            return
        prepared = await self.cards.prepare_delivery(key for _, key in cards)
        prepared_here.update((row_id, prepared[key]) for row_id, key in cards if key in prepared)

    async def send(
        self, row: OutboxMessage, window: PassWindow, paused: Callable[[], float]
    ) -> Outcome:
        # An urgent row (a new report's card) takes its turn before the less urgent rows
        # still waiting, those of another pass in hand too.
        how = Background(window.in_time, paused, BACKGROUND + row.urgency)
        try:
            with background(how):  # this task's calls: behind the people waiting
                return await self._send(row, window)
        except NotNow as held:
            return Outcome("held", held.seconds, held.reason)
        except ChatRetryAfter as error:
            # This chat's limit: its row waits retry_after; the other chats go on.
            return Outcome("postpone", float(error.retry_after), str(error))
        except TelegramRetryAfter as error:
            # Telegram wants the whole bot to slow down, not only this chat: the worker sends
            # nothing more, to anyone, until retry_after has passed.
            return Outcome("pause", float(error.retry_after), str(error))
        except TelegramForbiddenError as error:
            return Outcome("unreachable", error=str(error))
        except TelegramBadRequest as error:
            text = error.message.lower()
            if "chat not found" in text:
                return Outcome("unreachable", error=str(error))
            if "message is not modified" in text:
                return Outcome("sent")
            return Outcome("failed", error=str(error))
        except (TelegramNetworkError, TelegramServerError) as error:
            return Outcome("postpone", delivery.backoff(row.attempts + 1), str(error))
        except TelegramAPIError as error:
            # 401, 404, 409, 413…: retrying the same request will not help.
            return Outcome("failed", error=str(error))

    async def _request(self, method: TelegramMethod[T], window: PassWindow) -> T:
        """Every request of the worker. Its slots (the chat's and the overall one) are taken
        by the bot's budget right before it leaves, behind the calls of people who wait for an
        answer; a request whose turn has not come by the end of the pass's window, or that a
        429 holds back meanwhile, raises NotNow unsent. One still unanswered when a shutdown
        ends the window is given up: sent again later (at least once: it may have arrived)."""
        try:
            async with window.in_flight():
                return await self.bot(
                    method, request_timeout=window.request_timeout(delivery.REQUEST_TIMEOUT)
                )
        except TimeoutError:
            raise NotNow(0.0, "no answer before the shutdown; sent again next time") from None

    async def _send(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        if row.kind == OutboxKind.CARD:
            return await self._send_card(row, window)
        if row.kind == OutboxKind.JOIN_CARD:
            await self._send_join_card(row, window)
            return Outcome("sent")
        if row.kind == OutboxKind.MEDIA and "web_photo" in row.payload:
            return await self._send_web_photo(row, window)
        if row.kind in NOTICE_KINDS:
            return await self._send_notice(row, window)
        sent = await self._request(outbox_methods.method_for(row), window)
        return Outcome("sent", message_id=sent.message_id)

    async def _send_web_photo(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        """A photo a resident sent from the web door: uploaded from the database (Telegram has
        no file id for it)."""
        async with self.db.session() as session:
            found = await WebFileRepository(session).get(str(row.payload["web_photo"]))
        if found is None:
            return Outcome("failed", error="the web photo is gone")
        method = outbox_methods.web_photo_method(row, found.content)
        sent = await self._request(method, window)
        return Outcome("sent", message_id=sent.message_id)

    async def _send_notice(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        """A notice's row, rendered now; a sent copy's message id is kept (for corrections
        and withdrawals). A copy of a notice withdrawn meanwhile is not sent."""
        if self.notices is None:
            return Outcome("failed", error="no notices service in this worker")
        method = await notice_method(row, self.notices)
        if method is None:
            return Outcome("sent")
        result = await self._request(method, window)
        message_id = getattr(result, "message_id", None)
        return Outcome(
            "sent",
            message_id=message_id
            if row.kind in (OutboxKind.NOTICE, OutboxKind.NOTICE_PHOTO)
            else None,
        )

    async def _send_card(self, row: OutboxMessage, window: PassWindow) -> Outcome:
        """Cards are rendered now, from the ticket as it is, and edited in place when the
        recipient already has one. The outcome names the newest pending update of the same
        card that this rendering includes (those rows need no send of their own), and a new
        card's message, remembered with the pass's outcomes (one transaction for all)."""
        if self.cards is None or row.ticket_id is None or row.person_id is None:
            return Outcome("sent")
        pass_cards = _PREPARED.get()
        prepared = pass_cards.pop(row.id, None) if pass_cards is not None else None
        if prepared is not None:
            upto, card, view = prepared.upto, prepared.message_ref, prepared.view
        else:  # not prepared with its pass (it could not be): alone
            upto, card = await self.cards.delivery_state(row.ticket_id, row.to)
            view = await self.cards.card_for_delivery(row.ticket_id, row.person_id)
        if view is None:
            return Outcome("sent", collapse_upto=upto)
        existing = int(card) if card is not None else None
        markup = outbox_methods.card_keyboard(row.ticket_id, view)
        # An old card loses its buttons; nobody gets a new "no access" one.
        sent = await self._show(
            int(row.address), existing, view.text, markup, window, resend=view.access
        )
        return Outcome("sent", collapse_upto=upto, card_ref=str(sent) if sent is not None else None)

    async def _send_join_card(self, row: OutboxMessage, window: PassWindow) -> None:
        """A join request's card, rendered now and edited in place like a ticket card (so a
        decision shows on every approver's copy)."""
        if self.approvals is None or row.person_id is None:
            return
        request_id = int(row.payload["request_id"])
        view = await self.approvals.card_for_delivery(request_id, row.person_id)
        if view is None:
            return
        existing = await self.approvals.card_message(request_id, row.person_id)
        markup = join_markup(request_id, view)
        sent = await self._show(int(row.address), existing, view.text, markup, window)
        if sent is not None:
            await self.approvals.remember_card(request_id, row.person_id, sent)

    async def _show(
        self,
        chat_id: int,
        existing: int | None,
        text: str,
        markup: InlineKeyboardMarkup | None,
        window: PassWindow,
        *,
        resend: bool = True,
    ) -> int | None:
        """A card edited in place where the chat has it, else (unless not ``resend``) sent
        anew: the new message's id, or None (an edit that changes nothing is no error)."""
        if existing is not None:
            edit = EditMessageText(
                text=text, chat_id=chat_id, message_id=existing, reply_markup=markup
            )
            try:
                await self._request(edit, window)
                return None
            except TelegramBadRequest as error:
                if "not modified" in error.message.lower():
                    return None
                if "not found" not in error.message.lower():
                    raise
                # The card was deleted in the chat: send a new one below.
        if not resend:
            return None
        send = SendMessage(chat_id=chat_id, text=text, reply_markup=markup)
        return (await self._request(send, window)).message_id
