"""The delivery worker as the Telegram door runs it: the core worker (bot/delivery.py) with the
Telegram sender (telegram/sender.py), and the other doors' senders the composition root gives
(``others``: the web's push, web/push/sender.py; the WeChat door's, when it is on)."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import Bot

from bot.delivery import DeliveryWorker, Sender
from bot.services.availability import StaffAvailability
from bot.services.clock import Clock
from bot.services.join_approvals import JoinApprovals
from bot.services.notice_copies import NoticeCopies
from bot.services.staff_rows import StaffRows
from bot.services.ticket_cards import TicketCards
from storage.db import Database
from telegram.sender import TelegramSender

# A pass's rows: two thirds of a second of Telegram's overall 30 a second. A new report's card
# written while a pass is under way does not wait for it to end (the worker claims beside it,
# and the card's turn comes before the pass's less urgent rows); but with two passes in hand, a
# chat's next card is claimed only when one of them ends, and a pass takes only what the chat
# may take at once (its burst, then one a second). Passes of 50 held a head's fourth card of a
# burst behind ~1.7 s of other chats' rows; 20 cost a claim and a record more every second.
PASS_ROWS = 20


class TelegramDelivery(DeliveryWorker):
    def __init__(
        self,
        bot: Bot,
        db: Database,
        clock: Clock,
        *,
        cards: TicketCards | None = None,
        availability: StaffAvailability | None = None,
        approvals: JoinApprovals | None = None,
        notices: NoticeCopies | None = None,
        staff: StaffRows | None = None,
        poll_seconds: float = 1.0,
        batch: int = PASS_ROWS,
        token: str | None = None,
        others: Iterable[Sender] = (),
    ) -> None:
        self.sender = TelegramSender(bot, db, cards=cards, approvals=approvals, notices=notices)
        super().__init__(
            [self.sender, *others],
            db,
            clock,
            availability=availability,
            staff=staff,
            poll_seconds=poll_seconds,
            batch=batch,
            token=token,
        )
