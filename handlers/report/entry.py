"""The report's start: /report (or the menu button), which building, which category, and
"same problem?" when a neighbour reported it already."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.cards import category_label, category_name
from bot.services.neighbours import describe_similar
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.menu import MenuButton, menu_keyboard
from handlers.report.asks import (
    after_category,
    ask_category,
    begin,
    building_page,
    say,
    with_intro,
)
from handlers.report.flow import BuildingPageCb, ReportCb, ReportFlow, Step, button, reply
from handlers.ticketing import edit_quietly
from storage.models import Person

router = Router(name="report-entry")


@router.message(Command("report"))
@router.message(MenuButton("menu-report"))
async def cmd_report(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await state.clear()
    await begin(message, state, t, person, services, {})


@router.callback_query(StateFilter(ReportFlow.building), BuildingPageCb.filter())
async def on_building_page(
    callback: CallbackQuery,
    callback_data: BuildingPageCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    buildings = await services.reporting.resident_buildings(person)
    if isinstance(callback.message, Message) and buildings:
        text, markup = building_page(t, buildings, callback_data.page)
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


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
    buildings = await services.reporting.resident_buildings(person)
    # Compared as text: a forged "²" passes isdigit() but not int().
    chosen = next((b for b in buildings if str(b.building_id) == callback_data.value), None)
    if chosen is None:
        await state.clear()
        await reply(callback, t("not-allowed"))
        return
    await state.update_data(building_id=chosen.building_id)
    if isinstance(callback.message, Message):
        # The question it answered gives way to the next one: the answer stays on top.
        intro = t("report-building-chosen", building=chosen.building_name)
        await ask_category(callback.message, state, t, services, intro, pressed=True)


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
    categories = {c.code: c for c in await services.reporting.categories(building_id)}
    chosen = categories.get(callback_data.value)
    if chosen is None:
        await reply(callback, t("report-bad-category"))
        return
    # A private category's description is never shared with neighbours.
    # The summary names it as the community does (a category of its own has no translation).
    await state.update_data(
        category=chosen.code,
        category_name=category_name(t, chosen, chosen.code),
        private=chosen.private,
    )
    if not isinstance(callback.message, Message):
        return
    # The question it answered gives way to the next one: the answer stays on top.
    intro = t("report-category-chosen", category=category_label(t, chosen, chosen.code))
    if not data.get("editing"):
        similar = await services.neighbours.similar(person, building_id, callback_data.value)
        if similar is not None:
            found = similar.ticket
            await state.update_data(similar_id=found.id)
            await state.set_state(ReportFlow.metoo)
            builder = InlineKeyboardBuilder()
            button(builder, t("report-metoo-follow", number=found.number), Step.FOLLOW)
            button(builder, t("report-metoo-new"), Step.NEW)
            builder.adjust(1)
            text = with_intro(intro, describe_similar(t, similar, services.neighbours.clock()))
            await say(callback.message, text, builder.as_markup(), pressed=True)
            return
    await after_category(callback.message, state, t, intro, pressed=True)


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
    # A refusal is said in the chat (handlers/errors.py): the press was answered above.
    ticket = await services.neighbours.follow(person, int(similar_id or 0))
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(
            t("report-following", number=ticket.number), reply_markup=menu_keyboard(t)
        )


@router.callback_query(StateFilter(ReportFlow.metoo), ReportCb.filter(F.step == Step.NEW))
async def on_new_anyway(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await after_category(callback.message, state, t, pressed=True)
