"""A Telegram reply to one of an existing ticket's messages, sent while a new report is being
written: its words were meant for that ticket's people, not for the new report, and outside a
flow they would go there (handlers/relay.py). Here they go nowhere: the person is told so, and
how to reach that ticket; the report's step goes on waiting. A reply to anything else is left
to the step."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.policy import Action
from handlers.filters import Is
from handlers.report.flow import ReportFlow, draft_reminder, with_reminder
from handlers.ticketing import FreeInput
from storage.models import Person, telegram_address

router = Router(name="report-replies")


@router.message(StateFilter(ReportFlow), Is(F.reply_to_message), FreeInput())
async def on_reply_to_a_ticket(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    assert message.reply_to_message is not None
    ticket_id = await services.ticket_actions.reply_target(
        person, telegram_address(message.chat.id), str(message.reply_to_message.message_id)
    )
    if ticket_id is None:
        raise SkipHandler  # not a ticket's message: the step reads it as usual
    ticket = await services.ticket_access.check(person, ticket_id, Action.OPEN)
    text = t("report-reply-elsewhere", number=ticket.number)
    await message.answer(with_reminder(text, await draft_reminder(state, t)))
