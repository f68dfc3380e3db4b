"""Typing instead of paging: while the join picker is shown (8 buildings a page, 238 in
Tangzhong), a typed text searches the buildings' codes and names ("a01", "A-01", "1栋").
One match → its join button; several → a page of them; none → a polite hint. Joining itself
stays with the picker's own button (handlers/onboarding.py)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.onboarding import Found, Page
from handlers.filters import Is
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.onboarding import JoinFlow, PickAction, PickCb
from handlers.ticketing import FreeInput, edit_quietly

router = Router(name="picker-search")
# Longer than any building's name: not a search (and not echoed back).
MAX_QUERY = 100


@router.message(StateFilter(JoinFlow.picker), Is(F.text), FreeInput())
async def on_typed(message: Message, state: FSMContext, t: Translator, services: Services) -> None:
    assert message.text is not None
    query = " ".join(message.text.split())
    if len(query) > MAX_QUERY:
        await message.answer(t("picker-none-long"))
        return
    community_id = (await state.get_data()).get("community_id")
    page, total = await services.onboarding.find_buildings(community_id, query, 0)
    if total == 0:
        await message.answer(t("picker-none", query=query))
        return
    await state.update_data(query=query)
    text, markup = _found(t, page, total, query, community_id)
    await message.answer(text, reply_markup=markup)


@router.message(StateFilter(JoinFlow.picker), FreeInput())
async def on_not_text(message: Message, t: Translator) -> None:
    await message.answer(t("picker-type-hint"))


@router.callback_query(PickCb.filter(F.action == PickAction.SEARCH))
async def on_search_page(
    callback: CallbackQuery,
    callback_data: PickCb,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    data = await state.get_data()
    query = data.get("query")
    if await state.get_state() != JoinFlow.picker.state or not isinstance(query, str):
        await callback.answer(t("button-stale"), show_alert=True)
        return
    community_id = data.get("community_id")
    page, total = await services.onboarding.find_buildings(community_id, query, callback_data.page)
    await callback.answer()
    if isinstance(callback.message, Message):
        text, markup = _found(t, page, total, query, community_id)
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


def _found(
    t: Translator, page: Page[Found], total: int, query: str, community_id: int | None
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for found in page.items:
        building = found.building
        label = f"{building.name} ({building.code})"
        if community_id is None:
            label += f" · {found.community}"  # several communities: say which
        if total == 1:
            label = t("picker-join", building=label)
        builder.button(text=label, callback_data=PickCb(action=PickAction.BUILDING, id=building.id))
    nav = []
    if page.page > 0:
        nav.append(("‹", PickCb(action=PickAction.SEARCH, page=page.page - 1)))
    if page.page < page.pages - 1:
        nav.append(("›", PickCb(action=PickAction.SEARCH, page=page.page + 1)))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    # Back to the whole list: the community's buildings, or the communities.
    back = (
        PickCb(action=PickAction.COMMUNITY, id=community_id)
        if community_id is not None
        else PickCb(action=PickAction.COMMUNITIES)
    )
    builder.button(text=t("picker-all"), callback_data=back)
    builder.adjust(*([1] * len(page.items)), *([len(nav)] if nav else []), 1)
    if total == 1:
        return t("picker-found-one"), builder.as_markup()
    return t("picker-found", count=total, query=query), builder.as_markup()
