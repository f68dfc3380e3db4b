"""The whistle (吹哨) in chat, for the community office: on a ticket's card "Forward outside" →
the card shows the departments → "Forward to X" confirms → the card shows "forwarded to X,
waiting since …". "Answer received" asks for the department's answer in one text message.
``/whistle 12`` opens ticket #12's card at the department choice.

Callback data carries ids and a department's code only; every press is authorised by the
service against the database, and its refusals (a head, a stranger, a closed ticket, a
forged department) reach the one error handler (handlers/errors.py) as typed errors."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from pydantic import Field

from bot.i18n import Translator
from bot.services import Services
from bot.services.departments import Department
from bot.services.policy import Action
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt, TicketCb
from handlers.ticketing import (
    TICKET_NUMBER,
    FreeInput,
    edit_card,
    edit_quietly,
    read_text,
    refresh_pressed,
    step_ticket,
)
from storage.models import Channel, Person, Ticket, telegram_address

router = Router(name="whistle")


class WhistleStep(StrEnum):
    PICK = "pick"  # a department chosen: ask to confirm
    CONFIRM = "ok"  # forward now
    BACK = "back"  # the card as it was


class WhistleCb(CallbackData, prefix="w1"):
    step: WhistleStep
    ticket_id: CallbackInt
    # A department's code (a-z, 0-9, _); whatever a forged one says, the service looks it up.
    department: Annotated[str, Field(max_length=32)] = ""


class WhistleFlow(StatesGroup):
    answer = State()


# ----------------------------------------------------------------------------- forwarding


def _departments_markup(
    t: Translator, ticket_id: int, departments: list[Department]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for department in departments:
        builder.button(
            text=department.name(t.language),
            callback_data=WhistleCb(
                step=WhistleStep.PICK, ticket_id=ticket_id, department=department.code
            ),
        )
    builder.button(
        text=t("whistle-btn-back"),
        callback_data=WhistleCb(step=WhistleStep.BACK, ticket_id=ticket_id),
    )
    builder.adjust(1)
    return builder.as_markup()


async def _choice(
    services: Services, person: Person, t: Translator, ticket_id: int
) -> tuple[Ticket, str, InlineKeyboardMarkup]:
    """The card with the question under it, and the departments to choose from."""
    ticket, departments = await services.whistle.departments(person, ticket_id)
    _, view = await services.ticket_cards.card(person, ticket.id, t)
    text = view.text + "\n\n" + t("whistle-choose", number=ticket.number)
    return ticket, text, _departments_markup(t, ticket.id, departments)


@router.callback_query(TicketCb.filter(F.action == Action.WHISTLE))
async def on_whistle(
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    _, text, markup = await _choice(services, person, t, callback_data.ticket_id)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


@router.callback_query(WhistleCb.filter(F.step == WhistleStep.PICK))
async def on_pick(
    callback: CallbackQuery,
    callback_data: WhistleCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket_id = callback_data.ticket_id
    department = await services.whistle.department(person, ticket_id, callback_data.department)
    _, view = await services.ticket_cards.card(person, ticket_id, t)
    name = department.name(t.language)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("whistle-btn-confirm", department=name),
        callback_data=WhistleCb(
            step=WhistleStep.CONFIRM, ticket_id=ticket_id, department=department.code
        ),
    )
    builder.button(
        text=t("whistle-btn-back"),
        callback_data=WhistleCb(step=WhistleStep.BACK, ticket_id=ticket_id),
    )
    builder.adjust(1)
    await callback.answer()
    if isinstance(callback.message, Message):
        text = view.text + "\n\n" + t("whistle-confirm", department=name)
        await edit_quietly(callback.message.edit_text(text, reply_markup=builder.as_markup()))


@router.callback_query(WhistleCb.filter(F.step == WhistleStep.CONFIRM))
async def on_confirm(
    callback: CallbackQuery,
    callback_data: WhistleCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    done = await services.whistle.forward(
        person, callback_data.ticket_id, callback_data.department, door=Channel.TELEGRAM
    )
    await callback.answer(
        t("whistle-done", number=done.ticket.number, reference=done.order.reference)
    )
    await refresh_pressed(callback, services, person, t, done.ticket.id)


@router.callback_query(WhistleCb.filter(F.step == WhistleStep.BACK))
async def on_back(
    callback: CallbackQuery,
    callback_data: WhistleCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    await refresh_pressed(callback, services, person, t, callback_data.ticket_id)


@router.message(Command("whistle"))
async def cmd_whistle(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    number = TICKET_NUMBER.match((command.args or "").strip())
    if number is None:
        await message.answer(t("whistle-usage"))
        return
    ticket = await services.whistle.find(person, int(number.group(1)))
    ticket, text, markup = await _choice(services, person, t, ticket.id)
    sent = await message.answer(text, reply_markup=markup)
    # From now on this message is the ticket's card in this chat, edited in place.
    await services.ticket_cards.remember_card(
        ticket.id, telegram_address(sent.chat.id), str(sent.message_id)
    )


# ----------------------------------------------------------------------------- the answer


@router.callback_query(TicketCb.filter(F.action == Action.WHISTLE_ANSWER))
async def on_answer(
    callback: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket, order = await services.whistle.awaiting(person, callback_data.ticket_id)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    await state.set_state(WhistleFlow.answer)
    await state.set_data(
        {
            "ticket_id": ticket.id,
            "origin_chat": callback.message.chat.id,
            "origin_message": callback.message.message_id,
        }
    )
    await callback.message.answer(
        t("whistle-answer-ask", number=ticket.number, reference=order.reference)
    )


@router.message(StateFilter(WhistleFlow.answer), FreeInput())
async def on_answer_text(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    text = await read_text(message, t)  # a photo, a sticker, too long: asked again
    if text is None:
        return
    ticket_id, chat, card = await step_ticket(state)
    await state.clear()  # answered or refused, the step is over
    done = await services.whistle.record_answer(person, ticket_id, text, door=Channel.TELEGRAM)
    await message.answer(t("whistle-answer-done", number=done.ticket.number))
    if chat and card:
        await edit_card(bot, services, person, t, ticket_id, chat, card)
