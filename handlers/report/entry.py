"""The report's start: /report (or the menu button), which building, which category, and
"same problem?" when a neighbour reported it already."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.services import Services
from bot.services.cards import age
from bot.services.errors import ServiceError
from handlers.menu import MenuButton, menu_keyboard
from handlers.report.asks import after_category, ask_category, begin
from handlers.report.flow import ReportCb, ReportFlow, Step, button, reply
from storage.models import Person

router = Router(name="report-entry")


@router.message(Command("report"))
@router.message(MenuButton("menu-report"))
async def cmd_report(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await state.clear()
    await begin(message, state, t, person, services, {})


@router.callback_query(StateFilter(ReportFlow.building), ReportCb.filter(F.step == Step.BUILDING))
async def on_building(
    callback: CallbackQuery,
    callback_data: ReportCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    allowed = {b.building_id for b in await services.tickets.resident_buildings(person)}
    if not callback_data.value.isdigit() or int(callback_data.value) not in allowed:
        await state.clear()
        await reply(callback, t("not-allowed"))
        return
    await state.update_data(building_id=int(callback_data.value))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await ask_category(callback.message, state, t, services)


@router.callback_query(StateFilter(ReportFlow.category), ReportCb.filter(F.step == Step.CATEGORY))
async def on_category(
    callback: CallbackQuery,
    callback_data: ReportCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    data = await state.get_data()
    building_id = int(data["building_id"])
    codes = {c.code for c in await services.tickets.categories(building_id)}
    if callback_data.value not in codes:
        await reply(callback, t("report-bad-category"))
        return
    await state.update_data(category=callback_data.value)
    if not isinstance(callback.message, Message):
        return
    await callback.message.edit_reply_markup(reply_markup=None)
    if not data.get("editing"):
        similar = await services.tickets.similar(person, building_id, callback_data.value)
        if similar is not None:
            await state.update_data(similar_id=similar.id)
            await state.set_state(ReportFlow.metoo)
            builder = InlineKeyboardBuilder()
            button(builder, t("report-metoo-follow", number=similar.number), Step.FOLLOW)
            button(builder, t("report-metoo-new"), Step.NEW)
            builder.adjust(1)
            preview = similar.description[:300] or "…"
            await callback.message.answer(
                t(
                    "report-metoo",
                    number=similar.number,
                    description=preview,
                    age=age(t, similar.created_at, services.tickets.clock()),
                ),
                reply_markup=builder.as_markup(),
            )
            return
    await after_category(callback.message, state, t)


@router.callback_query(StateFilter(ReportFlow.metoo), ReportCb.filter(F.step == Step.FOLLOW))
async def on_follow(
    callback: CallbackQuery,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    similar_id = (await state.get_data()).get("similar_id")
    await state.clear()
    try:
        ticket = await services.tickets.follow(person, int(similar_id or 0))
    except ServiceError as error:
        await reply(callback, t(error.key, **error.args_))
        return
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            t("report-following", number=ticket.number), reply_markup=menu_keyboard(t)
        )


@router.callback_query(StateFilter(ReportFlow.metoo), ReportCb.filter(F.step == Step.NEW))
async def on_new_anyway(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await after_category(callback.message, state, t)
