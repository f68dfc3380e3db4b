"""A follower's way on: "Still a problem for me" on a ticket they follow that was resolved,
closed or withdrawn. It asks what is still wrong (or Skip), then files the follower's own
ticket, linked to the one they followed."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import NoAccess, StaleAction
from handlers.filters import OnPress
from handlers.keyboards import TicketCb
from handlers.ticketing import (
    FreeInput,
    SkipCb,
    ask,
    drop_buttons,
    read_text,
    refuse,
    skip_markup,
    step_ticket,
)
from storage.models import Person, telegram_address

router = Router(name="neighbours")


class NeighbourFlow(StatesGroup):
    still = State()


@router.callback_query(TicketCb.filter(F.action == Action.STILL))
async def on_still(
    callback: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await ask(
        callback,
        callback_data.ticket_id,
        Action.STILL,
        NeighbourFlow.still,
        state,
        services,
        person,
        t,
        lambda ticket: t("still-ask", number=ticket.number),
        skip_markup(t, callback_data.ticket_id),
    )


@router.error(
    ExceptionTypeFilter(NoAccess, StaleAction), OnPress(TicketCb.filter(F.action == Action.STILL))
)
async def on_still_refused(
    event: ErrorEvent,
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Pressed on the ticket's card (from /my) or on a notice ("…is closed"): a stale card is
    # shown as it is now, a stale notice loses its button.
    assert isinstance(event.exception, NoAccess | StaleAction)
    message = callback.message
    on_card = message is not None and str(
        message.message_id
    ) == await services.ticket_cards.card_message(
        callback_data.ticket_id, telegram_address(message.chat.id)
    )
    await refuse(callback, event.exception, services, person, t, on_card=on_card)


@router.message(StateFilter(NeighbourFlow.still), FreeInput())
async def on_still_note(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    note = await read_text(message, t)
    if note is None:
        return
    await _file(message, state, t, person, services, note)


@router.callback_query(StateFilter(NeighbourFlow.still), SkipCb.filter())
async def on_still_skip(
    callback: CallbackQuery,
    callback_data: SkipCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket_id, _, _ = await step_ticket(state)
    if callback_data.ticket_id != ticket_id:
        await callback.answer(t("button-stale"), show_alert=True)
        return
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await _file(callback.message, state, t, person, services, "")


async def _file(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    note: str,
) -> None:
    ticket_id, _, _ = await step_ticket(state)
    await state.clear()
    ticket = await services.neighbours.still_problem(person, ticket_id, note)
    await message.answer(t("still-filed", number=ticket.number))
