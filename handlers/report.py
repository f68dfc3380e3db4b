"""The resident's report: building → category → (same problem?) → description → location →
privacy → summary → send. The draft lives in the FSM storage (the database), so a restart
loses nothing; /cancel leaves at any step."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.services import Services
from bot.services.cards import age, category_label, category_name
from bot.services.errors import ServiceError
from bot.services.tickets import MAX_MEDIA, MAX_TEXT, Draft
from handlers.filters import Is
from handlers.menu import MenuButton, menu_keyboard
from storage.models import Person

router = Router(name="report")
offer_router = Router(name="report-offer")


class ReportFlow(StatesGroup):
    building = State()
    category = State()
    metoo = State()
    description = State()
    location = State()
    privacy = State()
    contact = State()
    summary = State()
    offer = State()


class Step(StrEnum):
    BUILDING = "b"
    CATEGORY = "c"
    FOLLOW = "f"
    NEW = "n"
    PHOTOS_DONE = "pd"
    NAME = "tn"
    PHONE = "tp"
    PRIVACY_DONE = "pv"
    SEND = "s"
    EDIT = "e"
    EDIT_CATEGORY = "ec"
    EDIT_DESCRIPTION = "ed"
    EDIT_LOCATION = "el"
    EDIT_PRIVACY = "ep"
    CANCEL = "x"
    OFFER_YES = "oy"
    OFFER_NO = "on"


class ReportCb(CallbackData, prefix="r1"):
    step: Step
    value: str = ""


def _button(builder: InlineKeyboardBuilder, text: str, step: Step, value: str = "") -> None:
    builder.button(text=text, callback_data=ReportCb(step=step, value=value))


# ----------------------------------------------------------------------------- entry


@router.message(Command("report"))
@router.message(MenuButton("menu-report"))
async def cmd_report(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await state.clear()
    await _begin(message, state, t, person, services, {})


async def _begin(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    prefill: dict[str, Any],
) -> None:
    buildings = await services.tickets.resident_buildings(person)
    if not buildings:
        await state.clear()
        await message.answer(t("report-join-first"))
        return
    await state.set_data(
        {
            "media": [],
            "show_name": True,
            "show_phone": False,
            # Makes Send idempotent: the same draft sent twice files one ticket.
            "draft_key": secrets.token_hex(8),
            **prefill,
        }
    )
    if len(buildings) == 1:
        await state.update_data(building_id=buildings[0].building_id)
        await _ask_category(message, state, t, services)
        return
    builder = InlineKeyboardBuilder()
    for b in buildings:
        _button(
            builder, f"{b.building_name} ({b.community_name})", Step.BUILDING, str(b.building_id)
        )
    builder.adjust(1)
    await state.set_state(ReportFlow.building)
    await message.answer(t("report-which-building"), reply_markup=builder.as_markup())


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
        await _reply(callback, t("not-allowed"))
        return
    await state.update_data(building_id=int(callback_data.value))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await _ask_category(callback.message, state, t, services)


# ----------------------------------------------------------------------------- category


async def _ask_category(
    message: Message, state: FSMContext, t: Translator, services: Services
) -> None:
    data = await state.get_data()
    builder = InlineKeyboardBuilder()
    for category in await services.tickets.categories(int(data["building_id"])):
        _button(builder, category_label(t, category, category.code), Step.CATEGORY, category.code)
    builder.adjust(2)
    await state.set_state(ReportFlow.category)
    await message.answer(t("report-which-category"), reply_markup=builder.as_markup())


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
    categories = {c.code: c for c in await services.tickets.categories(building_id)}
    category = categories.get(callback_data.value)
    if category is None:
        await _reply(callback, t("report-bad-category"))
        return
    # The summary names it as the community does (a category of its own has no translation).
    await state.update_data(
        category=category.code, category_name=category_name(t, category, category.code)
    )
    if not isinstance(callback.message, Message):
        return
    await callback.message.edit_reply_markup(reply_markup=None)
    if not data.get("editing"):
        similar = await services.tickets.similar(person, building_id, callback_data.value)
        if similar is not None:
            await state.update_data(similar_id=similar.id)
            await state.set_state(ReportFlow.metoo)
            builder = InlineKeyboardBuilder()
            _button(builder, t("report-metoo-follow", number=similar.number), Step.FOLLOW)
            _button(builder, t("report-metoo-new"), Step.NEW)
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
    await _after_category(callback.message, state, t)


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
        await _reply(callback, t(error.key, **error.args_))
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
        await _after_category(callback.message, state, t)


async def _after_category(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    if data.get("editing"):
        await _summary(message, state, t)
    elif data.get("description") or data.get("media"):
        await _ask_location(message, state, t)  # described already ("report this?")
    else:
        await _ask_description(message, state, t)


# ----------------------------------------------------------------------------- description


async def _ask_description(message: Message, state: FSMContext, t: Translator) -> None:
    await state.update_data(description="", media=[], album=None)
    await state.set_state(ReportFlow.description)
    await message.answer(t("report-describe", max=MAX_MEDIA))


@router.message(StateFilter(ReportFlow.description), Is(F.text), Is(~F.text.startswith("/")))
async def on_description_text(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.text is not None
    if len(message.text) > MAX_TEXT:
        await message.answer(t("text-too-long", max=MAX_TEXT, length=len(message.text)))
        return
    await state.update_data(description=message.text.strip())
    await _after_description(message, state, t)


@router.message(StateFilter(ReportFlow.description), Is(F.photo))
async def on_description_photo(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.photo is not None
    data = await state.get_data()
    media: list[dict[str, str]] = list(data.get("media", []))
    if len(media) >= MAX_MEDIA:
        if data.get("album") != message.media_group_id or message.media_group_id is None:
            await message.answer(t("report-too-many-photos", max=MAX_MEDIA))
        return
    media.append({"type": "photo", "file_id": message.photo[-1].file_id})
    description = data.get("description", "")
    if message.caption and len(message.caption) <= MAX_TEXT:
        description = (description + "\n" + message.caption).strip()
    first_of_album = message.media_group_id is None or data.get("album") != message.media_group_id
    await state.update_data(media=media, description=description, album=message.media_group_id)
    if first_of_album:
        # An album arrives as one update per photo: acknowledge it once.
        builder = InlineKeyboardBuilder()
        _button(builder, t("report-continue"), Step.PHOTOS_DONE)
        await message.answer(
            t("report-photo-added", max=MAX_MEDIA), reply_markup=builder.as_markup()
        )


@router.callback_query(
    StateFilter(ReportFlow.description), ReportCb.filter(F.step == Step.PHOTOS_DONE)
)
async def on_photos_done(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await _after_description(callback.message, state, t)


@router.message(StateFilter(ReportFlow.description), Is(F.voice))
async def on_description_voice(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.voice is not None
    data = await state.get_data()
    media = [*data.get("media", []), {"type": "voice", "file_id": message.voice.file_id}]
    await state.update_data(media=media[:MAX_MEDIA])
    await _after_description(message, state, t)


async def _after_description(message: Message, state: FSMContext, t: Translator) -> None:
    if (await state.get_data()).get("editing"):
        await _summary(message, state, t)
    else:
        await _ask_location(message, state, t)


# ----------------------------------------------------------------------------- location


async def _ask_location(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(ReportFlow.location)
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("report-send-location"), request_location=True)],
            [KeyboardButton(text=t("report-skip"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await message.answer(t("report-location"), reply_markup=keyboard)


@router.message(StateFilter(ReportFlow.location), Is(F.location))
async def on_location(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.location is not None
    await state.update_data(
        latitude=message.location.latitude, longitude=message.location.longitude
    )
    await message.answer(t("report-location-saved"), reply_markup=ReplyKeyboardRemove())
    await _after_location(message, state, t)


@router.message(StateFilter(ReportFlow.location), Is(F.text))  # "Skip", in whichever language
async def on_location_skip(message: Message, state: FSMContext, t: Translator) -> None:
    if message.text and message.text.startswith("/"):
        await message.answer(t("flow-hint"))
        return
    await state.update_data(latitude=None, longitude=None)
    await message.answer(t("report-location-skipped"), reply_markup=ReplyKeyboardRemove())
    await _after_location(message, state, t)


async def _after_location(message: Message, state: FSMContext, t: Translator) -> None:
    if (await state.get_data()).get("editing"):
        await _summary(message, state, t)
    else:
        await _ask_privacy(message, state, t)


# ----------------------------------------------------------------------------- privacy


def _privacy_keyboard(t: Translator, data: dict[str, Any]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    yes, no = t("yes-mark"), t("no-mark")
    _button(builder, t("report-show-name", mark=yes if data.get("show_name") else no), Step.NAME)
    _button(builder, t("report-show-phone", mark=yes if data.get("show_phone") else no), Step.PHONE)
    _button(builder, t("report-continue"), Step.PRIVACY_DONE)
    builder.adjust(1)
    return builder.as_markup()


async def _ask_privacy(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(ReportFlow.privacy)
    await message.answer(
        t("report-privacy"), reply_markup=_privacy_keyboard(t, await state.get_data())
    )


@router.callback_query(
    StateFilter(ReportFlow.privacy), ReportCb.filter(F.step.in_({Step.NAME, Step.PHONE}))
)
async def on_privacy_toggle(
    callback: CallbackQuery,
    callback_data: ReportCb,
    state: FSMContext,
    t: Translator,
    person: Person,
) -> None:
    await callback.answer()
    data = await state.get_data()
    key = "show_name" if callback_data.step is Step.NAME else "show_phone"
    if key == "show_phone" and not data.get("show_phone") and not person.phone:
        await state.set_state(ReportFlow.contact)
        keyboard = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text=t("report-share-phone"), request_contact=True)],
                [KeyboardButton(text=t("report-dont-share"))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await _reply(callback, t("report-contact"), reply_markup=keyboard)
        return
    data = await state.update_data({key: not data.get(key)})
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=_privacy_keyboard(t, data))


@router.message(StateFilter(ReportFlow.contact), Is(F.contact))
async def on_contact(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await message.answer(t("report-contact-not-yours"))
        return
    try:
        await services.onboarding.set_phone(person.id, message.contact.phone_number)
    except ServiceError as error:
        await message.answer(t(error.key, **error.args_))
        return
    await state.update_data(show_phone=True)
    await message.answer(t("report-phone-saved"), reply_markup=ReplyKeyboardRemove())
    await _ask_privacy(message, state, t)


@router.message(StateFilter(ReportFlow.contact), Is(F.text), Is(~F.text.startswith("/")))
async def on_contact_declined(message: Message, state: FSMContext, t: Translator) -> None:
    await state.update_data(show_phone=False)
    await message.answer(t("report-phone-not-shared"), reply_markup=ReplyKeyboardRemove())
    await _ask_privacy(message, state, t)


@router.callback_query(
    StateFilter(ReportFlow.privacy), ReportCb.filter(F.step == Step.PRIVACY_DONE)
)
async def on_privacy_done(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await _summary(callback.message, state, t)


# ----------------------------------------------------------------------------- summary


async def _summary(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    await state.update_data(editing=False)
    await state.set_state(ReportFlow.summary)
    media = data.get("media", [])
    photos = sum(1 for m in media if m["type"] == "photo")
    voices = len(media) - photos
    yes, no = t("yes-word"), t("no-word")
    text = t(
        "report-summary",
        category=data.get("category_name") or category_name(t, None, str(data.get("category"))),
        description=(data.get("description") or "—")[:1000],
        photos=photos,
        voices=voices,
        location=yes if data.get("latitude") is not None else no,
        name=yes if data.get("show_name") else no,
        phone=yes if data.get("show_phone") else no,
    )
    builder = InlineKeyboardBuilder()
    _button(builder, t("report-send"), Step.SEND)
    _button(builder, t("report-edit"), Step.EDIT)
    _button(builder, t("report-cancel"), Step.CANCEL)
    builder.adjust(1, 2)
    await message.answer(text, reply_markup=builder.as_markup())


@router.callback_query(StateFilter(ReportFlow.summary), ReportCb.filter(F.step == Step.SEND))
async def on_send(
    callback: CallbackQuery,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    data = await state.get_data()
    draft = Draft(
        building_id=int(data["building_id"]),
        category=str(data["category"]),
        description=str(data.get("description") or ""),
        media=list(data.get("media", [])),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        show_name=bool(data.get("show_name", True)),
        show_phone=bool(data.get("show_phone", False)),
        key=data.get("draft_key"),
    )
    try:
        reported = await services.tickets.report(person, draft)
    except ServiceError as error:
        await callback.answer(t(error.key, **error.args_), show_alert=True)
        if error.key in ("report-limit", "not-allowed"):
            await state.clear()
        return
    await state.clear()
    await callback.answer()
    who = ", ".join(dict.fromkeys(t("role-name", role=r) for r in reported.routed_to))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            t(
                "report-sent",
                number=reported.ticket.number,
                who=who or "—",
                building=reported.building,
            ),
            reply_markup=menu_keyboard(t),
        )


@router.callback_query(StateFilter(ReportFlow.summary), ReportCb.filter(F.step == Step.EDIT))
async def on_edit(callback: CallbackQuery, t: Translator) -> None:
    await callback.answer()
    builder = InlineKeyboardBuilder()
    _button(builder, t("report-edit-category"), Step.EDIT_CATEGORY)
    _button(builder, t("report-edit-description"), Step.EDIT_DESCRIPTION)
    _button(builder, t("report-edit-location"), Step.EDIT_LOCATION)
    _button(builder, t("report-edit-privacy"), Step.EDIT_PRIVACY)
    builder.adjust(2)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=builder.as_markup())


@router.callback_query(
    StateFilter(ReportFlow.summary),
    ReportCb.filter(
        F.step.in_(
            {Step.EDIT_CATEGORY, Step.EDIT_DESCRIPTION, Step.EDIT_LOCATION, Step.EDIT_PRIVACY}
        )
    ),
)
async def on_edit_step(
    callback: CallbackQuery,
    callback_data: ReportCb,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    await callback.message.edit_reply_markup(reply_markup=None)
    await state.update_data(editing=True)
    step = callback_data.step
    if step is Step.EDIT_CATEGORY:
        await _ask_category(callback.message, state, t, services)
    elif step is Step.EDIT_DESCRIPTION:
        await _ask_description(callback.message, state, t)
    elif step is Step.EDIT_LOCATION:
        await _ask_location(callback.message, state, t)
    else:
        await state.update_data(editing=False)
        await _ask_privacy(callback.message, state, t)


@router.callback_query(ReportCb.filter(F.step == Step.CANCEL))
async def on_cancel(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(t("report-cancelled"), reply_markup=menu_keyboard(t))


# ----------------------------------------------------------------------------- wrong input


@router.message(StateFilter(ReportFlow), Is(~F.text.startswith("/")))
async def on_unexpected(message: Message, state: FSMContext, t: Translator) -> None:
    """Stickers, polls, dice… or a text where a button is expected: a hint, the draft kept."""
    current = await state.get_state()
    key = "report-describe-hint" if current == ReportFlow.description.state else "flow-hint"
    await message.answer(t(key))


# ----------------------------------------------------------------------------- report this?


@offer_router.message(StateFilter(None), Is(F.text & ~F.text.startswith("/") | F.photo))
async def on_free_message(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    """A message outside any flow is most likely a problem: offer to report it."""
    if not await services.tickets.resident_buildings(person):
        await message.answer(t("report-join-first"))
        return
    text = message.text or message.caption or ""
    if len(text) > MAX_TEXT:
        await message.answer(t("text-too-long", max=MAX_TEXT, length=len(text)))
        return
    media = [{"type": "photo", "file_id": message.photo[-1].file_id}] if message.photo else []
    await state.set_state(ReportFlow.offer)
    await state.set_data({"description": text.strip(), "media": media})
    builder = InlineKeyboardBuilder()
    _button(builder, t("report-offer-yes"), Step.OFFER_YES)
    _button(builder, t("report-offer-no"), Step.OFFER_NO)
    await message.answer(t("report-offer"), reply_markup=builder.as_markup())


@router.callback_query(StateFilter(ReportFlow.offer), ReportCb.filter(F.step == Step.OFFER_YES))
async def on_offer_yes(
    callback: CallbackQuery,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    prefill = await state.get_data()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await _begin(
            callback.message,
            state,
            t,
            person,
            services,
            {"description": prefill.get("description", ""), "media": prefill.get("media", [])},
        )


@router.callback_query(StateFilter(ReportFlow.offer), ReportCb.filter(F.step == Step.OFFER_NO))
async def on_offer_no(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(t("report-offer-declined"))


async def _reply(callback: CallbackQuery, text: str, reply_markup: Any = None) -> None:
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=reply_markup)


__all__ = ["ReportCb", "ReportFlow", "offer_router", "router"]
