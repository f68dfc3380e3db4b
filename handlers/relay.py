"""Talking through the bot as in a chat: a Telegram reply to one of a ticket's messages (a
relayed message or a card) goes to the other side of that ticket. Outside any flow only; a
reply to anything else is left to the next handlers."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import ExceptionTypeFilter, StateFilter
from aiogram.types import ErrorEvent, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.ticket_core import TicketNotOpen
from handlers.filters import Is
from handlers.telling import tell
from handlers.ticketing import FreeInput, read_content
from storage.models import Person, telegram_address

router = Router(name="relay")


@router.message(StateFilter(None), Is(F.reply_to_message), FreeInput())
async def on_reply(message: Message, t: Translator, person: Person, services: Services) -> None:
    assert message.reply_to_message is not None
    ticket_id = await services.ticket_actions.reply_target(
        person, telegram_address(message.chat.id), str(message.reply_to_message.message_id)
    )
    if ticket_id is None:
        raise SkipHandler  # not a ticket's message: maybe a report, maybe nothing
    content = await read_content(message, t)
    if content is None:
        return
    ticket = await services.ticket_actions.talk(person, ticket_id, content)
    await message.answer(t("relay-sent", number=ticket.number))


@router.error(ExceptionTypeFilter(TicketNotOpen))
async def on_not_open(event: ErrorEvent, bot: Bot, t: Translator) -> None:
    """A message (here, or a plain one in handlers/conversation.py) for a ticket that stopped
    being open while it was written: what the ticket is now, in words."""
    error = event.exception
    assert isinstance(error, TicketNotOpen)
    status = t("status-" + error.ticket.status.value)
    await tell(event.update, bot, t("relay-not-open", number=error.ticket.number, status=status))
