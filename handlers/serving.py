"""The offers to serve as a building's head (bot/services/serving.py): the resident's "Yes,
I'd serve", the coordinator's Accept (one tap: the head invitation) and Decline (a short note
asked for, sent to the resident), and the volunteer's "Become the head" that redeems it."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.onboarding import Appointed
from bot.services.scheduling import SchedAction
from handlers.filters import OnMessage
from handlers.scheduling import SchedCb
from handlers.ticketing import FreeInput, ask_again_or_end, drop_buttons, read_text
from storage.models import Person

router = Router(name="serving")


class DeclineFlow(StatesGroup):
    note = State()


@router.callback_query(SchedCb.filter(F.action == SchedAction.SERVE_YES))
async def on_yes(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    building = await services.serving.volunteer(person, callback_data.ticket_id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("serve-thanks", building=building.name))


@router.callback_query(SchedCb.filter(F.action == SchedAction.SERVE_ACCEPT))
async def on_accept(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    building = await services.serving.accept(person, callback_data.ticket_id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("serve-you-accepted", building=building.name))


@router.callback_query(SchedCb.filter(F.action == SchedAction.SERVE_DECLINE))
async def on_decline(
    callback: CallbackQuery,
    callback_data: SchedCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await services.serving.check_decline(person, callback_data.ticket_id)
    await state.clear()
    await state.set_state(DeclineFlow.note)
    await state.update_data(offer=callback_data.ticket_id)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(t("serve-ask-note"))


@router.message(StateFilter(DeclineFlow.note), FreeInput())
async def on_note(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    note = await read_text(message, t)
    if note is None:
        return
    offer_id = int((await state.get_data()).get("offer", 0))
    building = await services.serving.decline(person, offer_id, note)  # empty: asked again
    await state.clear()
    await message.answer(t("serve-you-declined", building=building.name))


@router.error(
    ExceptionTypeFilter(ServiceError), OnMessage(StateFilter(DeclineFlow.note), FreeInput())
)
async def on_note_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """An empty or too long note is asked again; an offer decided meanwhile (Accept pressed
    after Decline, another coordinator first) ends the step, so the next message is not taken
    for another note."""
    await ask_again_or_end(event, state, bot, t)


@router.callback_query(SchedCb.filter(F.action == SchedAction.SERVE_TAKE))
async def on_take(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    payload = await services.serving.invitation(person, callback_data.ticket_id)
    appointed = await services.onboarding.open_payload(person, payload)
    assert isinstance(appointed, Appointed)  # an invitation payload appoints
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        name = appointed.building.name if appointed.building else appointed.community.name
        await callback.message.answer(t("serve-now-head", building=name))
