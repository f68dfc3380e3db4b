"""Joining: /start with a building join link or an invitation, the community → building picker,
and the optional flat number."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, ExceptionTypeFilter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translations, Translator
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.joins import Joined
from bot.services.onboarding import Appointed, Page
from handlers.filters import Is, OnMessage
from handlers.joins import show_picked
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.menu import menu_keyboard
from handlers.telling import tell
from handlers.ticketing import edit_quietly
from storage.models import Building, Community, Person, Role
from telegram.commands import register_personal_menu

router = Router(name="onboarding")


class JoinFlow(StatesGroup):
    flat = State()
    # The building picker is shown: a typed text searches it (handlers/picker_search.py).
    picker = State()


class PickAction(StrEnum):
    COMMUNITIES = "cs"  # a page of communities
    COMMUNITY = "c"  # a page of one community's buildings
    BUILDING = "b"  # join this building
    SKIP_FLAT = "sf"
    SEARCH = "s"  # a page of what a typed text found


class PickCb(CallbackData, prefix="pk1"):
    action: PickAction
    id: CallbackInt = 0
    page: CallbackInt = 0


def _pager(
    builder: InlineKeyboardBuilder, page: Page[object], action: PickAction, id_: int
) -> None:
    nav = []
    if page.page > 0:
        nav.append(("‹", PickCb(action=action, id=id_, page=page.page - 1)))
    if page.page < page.pages - 1:
        nav.append(("›", PickCb(action=action, id=id_, page=page.page + 1)))
    for text, data in nav:
        builder.button(text=text, callback_data=data)


def communities_keyboard(page: Page[Community]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for community in page.items:
        builder.button(
            text=community.name, callback_data=PickCb(action=PickAction.COMMUNITY, id=community.id)
        )
    _pager(builder, page, PickAction.COMMUNITIES, 0)  # type: ignore[arg-type]
    builder.adjust(*([1] * len(page.items)), 2)
    return builder.as_markup()


def buildings_keyboard(
    t: Translator, community: Community, page: Page[Building], can_go_back: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for building in page.items:
        builder.button(
            text=f"{building.name} ({building.code})",
            callback_data=PickCb(action=PickAction.BUILDING, id=building.id),
        )
    _pager(builder, page, PickAction.COMMUNITY, community.id)  # type: ignore[arg-type]
    if can_go_back:
        builder.button(text=t("picker-back"), callback_data=PickCb(action=PickAction.COMMUNITIES))
    builder.adjust(*([2] * ((len(page.items) + 1) // 2)), 2, 1)
    return builder.as_markup()


def skip_flat_keyboard(t: Translator, building_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("flat-skip"), callback_data=PickCb(action=PickAction.SKIP_FLAT, id=building_id)
    )
    return builder.as_markup()


async def _ask_flat(message: Message, state: FSMContext, t: Translator, joined: Joined) -> None:
    await state.set_state(JoinFlow.flat)
    await state.update_data(building_id=joined.building.id)
    key = "joined-already" if joined.already else "joined"
    await message.answer(
        t(key, building=joined.building.name, community=joined.community.name)
        + "\n\n"
        + t("flat-ask"),
        reply_markup=skip_flat_keyboard(t, joined.building.id),
    )


@router.message(CommandStart(deep_link=True))
async def cmd_start_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    translations: Translations,
    bot: Bot,
) -> None:
    outcome = await services.onboarding.open_payload(person, command.args or "")
    if isinstance(outcome, Joined):
        await _ask_flat(message, state, t, outcome)
        return
    await _welcome_appointed(message, t, outcome, person, services, translations, bot)


async def _welcome_appointed(
    message: Message,
    t: Translator,
    appointed: Appointed,
    person: Person,
    services: Services,
    translations: Translations,
    bot: Bot,
) -> None:
    key = "appointed-already" if appointed.already else "appointed"
    if appointed.building is None:  # a whole community: name it once
        key += "-community"
    place = appointed.building.name if appointed.building else appointed.community.name
    text = t(key, role=appointed.role.value, place=place, community=appointed.community.name)
    text += "\n\n" + t(f"duties-{appointed.role.value}")
    await message.answer(text)
    profile = await services.onboarding.profile(person)
    await register_personal_menu(
        bot,
        translations,
        message.chat.id,
        t.language,
        is_head=profile.is_head,
        is_coordinator=profile.is_coordinator,
    )


@router.message(CommandStart())
@router.message(Command("join"))
async def cmd_start(message: Message, state: FSMContext, t: Translator, services: Services) -> None:
    await state.clear()
    single = await services.onboarding.single_community()
    if single is not None:
        await show_picker(state, single.id)
        community, page = await services.onboarding.buildings_page(single.id, 0)
        await message.answer(
            t("welcome") + "\n\n" + _pick_building(t, community),
            reply_markup=buildings_keyboard(t, community, page, can_go_back=False),
        )
        return
    communities = await services.onboarding.communities_page(0)
    if not communities.items:
        await message.answer(t("welcome") + "\n\n" + t("no-communities"))
        return
    await show_picker(state, None)
    await message.answer(
        t("welcome") + "\n\n" + t("pick-community"),
        reply_markup=communities_keyboard(communities),
    )


def _pick_building(t: Translator, community: Community) -> str:
    return t("pick-building", community=community.name) + "\n" + t("picker-type")


async def show_picker(state: FSMContext, community_id: int | None) -> None:
    """While the picker is shown, a typed text searches the community's buildings (all of
    them while no community is chosen)."""
    await state.set_state(JoinFlow.picker)
    await state.set_data({"community_id": community_id})


@router.callback_query(PickCb.filter(F.action == PickAction.COMMUNITIES))
async def on_communities_page(
    callback: CallbackQuery,
    callback_data: PickCb,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    page = await services.onboarding.communities_page(callback_data.page)
    await show_picker(state, None)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(
            callback.message.edit_text(t("pick-community"), reply_markup=communities_keyboard(page))
        )


@router.callback_query(PickCb.filter(F.action == PickAction.COMMUNITY))
async def on_community(
    callback: CallbackQuery,
    callback_data: PickCb,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    community, page = await services.onboarding.buildings_page(callback_data.id, callback_data.page)
    await show_picker(state, community.id)
    single = await services.onboarding.single_community()
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(
            callback.message.edit_text(
                _pick_building(t, community),
                reply_markup=buildings_keyboard(t, community, page, can_go_back=single is None),
            )
        )


@router.callback_query(PickCb.filter(F.action == PickAction.BUILDING))
async def on_building(
    callback: CallbackQuery,
    callback_data: PickCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """Joins at once, or asks what the community's join_policy asks first (handlers/joins)."""
    picked = await services.joins.pick(person, callback_data.id)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if isinstance(picked, Joined):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await _ask_flat(callback.message, state, t, picked)
    else:
        await state.clear()
        await show_picked(callback.message, state, t, person, picked)


@router.callback_query(PickCb.filter(F.action == PickAction.SKIP_FLAT))
async def on_skip_flat(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(t("flat-skipped"), reply_markup=menu_keyboard(t))


@router.message(StateFilter(JoinFlow.flat), Is(F.text), Is(~F.text.startswith("/")))
async def on_flat(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    assert message.text is not None
    building_id = (await state.get_data()).get("building_id")
    if not isinstance(building_id, int):
        await state.clear()
        return
    flat = await services.onboarding.set_flat(person, building_id, message.text)
    await state.clear()
    await message.answer(t("flat-saved", flat=flat), reply_markup=menu_keyboard(t))


@router.error(
    ExceptionTypeFilter(ServiceError),
    OnMessage(StateFilter(JoinFlow.flat), Is(F.text), Is(~F.text.startswith("/"))),
)
async def on_flat_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """A flat refused (out of shape): asked again, Skip still there; the step waits."""
    error = event.exception
    assert isinstance(error, ServiceError)
    building_id = int((await state.get_data()).get("building_id", 0))
    markup = skip_flat_keyboard(t, building_id)
    await tell(event.update, bot, t(error.key, **error.args_), reply_markup=markup)


@router.message(StateFilter(JoinFlow.flat), Is(~F.text.startswith("/")))
async def on_flat_not_text(message: Message, state: FSMContext, t: Translator) -> None:
    building_id = (await state.get_data()).get("building_id", 0)
    await message.answer(t("flat-not-text"), reply_markup=skip_flat_keyboard(t, int(building_id)))


__all__ = ["router", "JoinFlow", "PickCb", "Role"]
