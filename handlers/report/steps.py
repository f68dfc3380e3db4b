"""The report's middle steps: the description (text, photos, a voice note), the location, and
what the head may see (name, phone)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.i18n import SUPPORTED_LANGUAGES, Translations, Translator
from bot.services import Services
from bot.services.ticket_core import MAX_DESCRIPTION, MAX_MEDIA
from bot.text import fits, utf16_len
from handlers.filters import Is
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.report.asks import (
    after_description,
    after_location,
    ask_privacy,
    privacy_keyboard,
    show_summary,
)
from handlers.report.flow import ReportCb, ReportFlow, Step, button, length_ok, reply
from handlers.ticketing import FreeInput, edit_quietly
from storage.models import Person

router = Router(name="report-steps")


# ----------------------------------------------------------------------------- description


# FreeInput: not a command, and not a press of the menu (📋 My tickets, ❓ Help go to theirs).
@router.message(StateFilter(ReportFlow.description), Is(F.text), FreeInput())
async def on_description_text(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.text is not None
    if not await length_ok(message, t):
        return
    # After photos: their captions stay, the text follows them (it never replaces them).
    captions = str((await state.get_data()).get("description") or "")
    await state.update_data(description=f"{captions}\n{message.text.strip()}".strip())
    await after_description(message, state, t)


@router.message(StateFilter(ReportFlow.description), Is(F.photo))
async def on_description_photo(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.photo is not None
    if not await length_ok(message, t):
        return
    data = await state.get_data()
    media: list[dict[str, str]] = list(data.get("media", []))
    if len(media) >= MAX_MEDIA:
        if data.get("album") != message.media_group_id or message.media_group_id is None:
            await message.answer(t("report-too-many-photos", max=MAX_MEDIA))
        return
    media.append({"type": "photo", "file_id": message.photo[-1].file_id})
    description = data.get("description", "")
    if message.caption:
        # At most 5 captions of 1024 units: within MAX_DESCRIPTION.
        description = (description + "\n" + message.caption).strip()
    first_of_album = message.media_group_id is None or data.get("album") != message.media_group_id
    await state.update_data(media=media, description=description, album=message.media_group_id)
    if first_of_album:
        # An album arrives as one update per photo: acknowledge it once.
        builder = InlineKeyboardBuilder()
        button(builder, t("report-continue"), Step.PHOTOS_DONE)
        await message.answer(
            t("report-photo-added", max=MAX_MEDIA), reply_markup=builder.as_markup()
        )


@router.callback_query(
    StateFilter(ReportFlow.description), ReportCb.filter(F.step == Step.PHOTOS_DONE)
)
async def on_photos_done(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await after_description(callback.message, state, t, pressed=True)


@router.message(StateFilter(ReportFlow.description), Is(F.voice))
async def on_description_voice(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.voice is not None
    data = await state.get_data()
    media = [*data.get("media", []), {"type": "voice", "file_id": message.voice.file_id}]
    await state.update_data(media=media[:MAX_MEDIA])
    await after_description(message, state, t)


# ----------------------------------------------------------------------------- location


# A step keyboard's button hides the keyboard once used (``one_time_keyboard``), so the answer
# to the press rides on the next question: one message. A typed answer leaves the keyboard up,
# and removing it takes a message of its own (a keyboard removal and the next question's inline
# buttons cannot share one).


@router.message(StateFilter(ReportFlow.location), Is(F.location))
async def on_location(message: Message, state: FSMContext, t: Translator) -> None:
    assert message.location is not None
    await state.update_data(
        latitude=message.location.latitude, longitude=message.location.longitude
    )
    await after_location(message, state, t, t("report-location-saved"))


@router.message(StateFilter(ReportFlow.location), Is(F.text), FreeInput(step_words=True))
async def on_location_text(
    message: Message, state: FSMContext, t: Translator, translations: Translations
) -> None:
    assert message.text is not None
    if message.text in labels(translations, "report-skip"):
        await state.update_data(latitude=None, longitude=None)
        await after_location(message, state, t, t("report-location-skipped"))
        return
    # "Where is it?" answered in words ("3rd floor, by the lift"): part of the description.
    description = str((await state.get_data()).get("description") or "")
    place = f"{description}\n📍 {message.text.strip()}".strip()
    if not fits(place, MAX_DESCRIPTION):
        await message.answer(t("text-too-long", max=MAX_DESCRIPTION, length=utf16_len(place)))
        return
    await state.update_data(description=place)
    await message.answer(t("report-place-noted"), reply_markup=ReplyKeyboardRemove())
    await after_location(message, state, t)


def labels(translations: Translations, key: str) -> set[str]:
    """A button's text in every language: the keyboard may predate a /language change."""
    return {translations.get(language, key) for language in SUPPORTED_LANGUAGES}


# ----------------------------------------------------------------------------- privacy


@router.callback_query(
    StateFilter(ReportFlow.privacy),
    ReportCb.filter(F.step.in_({Step.NAME, Step.PHONE, Step.SHARE})),
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
    key = {Step.NAME: "show_name", Step.PHONE: "show_phone"}.get(
        callback_data.step, "share_description"
    )
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
        await reply(callback, t("report-contact"), reply_markup=keyboard)
        return
    data = await state.update_data({key: not data.get(key)})
    if isinstance(callback.message, Message):
        await edit_quietly(
            callback.message.edit_reply_markup(reply_markup=privacy_keyboard(t, data))
        )


@router.message(StateFilter(ReportFlow.contact), Is(F.contact))
async def on_contact(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await message.answer(t("report-contact-not-yours"))
        return
    await services.onboarding.set_phone(person.id, message.contact.phone_number)
    await state.update_data(show_phone=True)
    await ask_privacy(message, state, t, t("report-phone-saved"))


@router.message(StateFilter(ReportFlow.contact), Is(F.text), FreeInput(step_words=True))
async def on_contact_declined(
    message: Message, state: FSMContext, t: Translator, translations: Translations
) -> None:
    await state.update_data(show_phone=False)
    if message.text in labels(translations, "report-dont-share"):
        await ask_privacy(message, state, t, t("report-phone-not-shared"))
        return
    await message.answer(t("report-phone-not-shared"), reply_markup=ReplyKeyboardRemove())
    await ask_privacy(message, state, t)


@router.callback_query(
    StateFilter(ReportFlow.privacy), ReportCb.filter(F.step == Step.PRIVACY_DONE)
)
async def on_privacy_done(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_summary(callback.message, state, t, pressed=True)
