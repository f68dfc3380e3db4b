""" "Report this?": a message sent outside any flow is most likely a problem, so it is offered
as a report; Yes starts the report with it as the description."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.ticket_core import MAX_MEDIA
from handlers.filters import Is
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.menu import StepWord, menu_keyboard
from handlers.report.asks import begin
from handlers.report.flow import ReportCb, ReportFlow, Step, button, length_ok
from handlers.ticketing import edit_quietly
from storage.models import Person

# The offer itself comes late in the tree (after every flow and Telegram reply); its buttons
# belong to the report.
offer_router = Router(name="report-offer")
router = Router(name="report-offer-steps")


# What a resident may send instead of typing: the easiest input for an elderly resident is a
# voice note, and "it is here" is a location.
FREE = F.text & ~F.text.startswith("/") | F.photo | F.voice | F.location


@offer_router.message(StepWord())
async def on_step_word(message: Message, t: Translator) -> None:
    """ "Skip" or "Don't share" from a step keyboard that outlived its step (Telegram keeps a
    reply keyboard until a message replaces it), in any state: not a problem to report, not a
    message for the head (FreeInput lets no step but its own take it). The menu replaces the
    old keyboard; a step that waits goes on waiting."""
    await message.answer(t("flow-step-over"), reply_markup=menu_keyboard(t))


@offer_router.message(StateFilter(None), Is(FREE))
async def on_free_message(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    """A message outside any flow is most likely a problem: offer to report it."""
    if not await services.reporting.resident_buildings(person):
        # Staff who are no resident answer residents from cards; the join poster is not for them.
        staff = await services.availability.is_staff(person)
        await message.answer(t("free-staff" if staff else "report-join-first"))
        return
    if not await length_ok(message, t):
        return
    await state.set_state(ReportFlow.offer)
    await state.set_data({**prefill_of(message), "album": message.media_group_id})
    builder = InlineKeyboardBuilder()
    button(builder, t("report-offer-yes"), Step.OFFER_YES)
    button(builder, t("report-offer-no"), Step.OFFER_NO)
    await message.answer(t("report-offer"), reply_markup=builder.as_markup())


def prefill_of(message: Message) -> dict[str, Any]:
    """What the message gives a new report: its description, its photo or voice note, or its
    location."""
    prefill: dict[str, Any] = {"description": (message.text or message.caption or "").strip()}
    if message.photo:
        prefill["media"] = [{"type": "photo", "file_id": message.photo[-1].file_id}]
    elif message.voice:
        prefill["media"] = [{"type": "voice", "file_id": message.voice.file_id}]
    else:
        prefill["media"] = []
    if message.location:
        prefill["latitude"] = message.location.latitude
        prefill["longitude"] = message.location.longitude
    return prefill


@router.message(StateFilter(ReportFlow.offer), Is(F.photo & F.media_group_id))
async def on_offer_album(message: Message, state: FSMContext) -> None:
    """An album arrives as one update per photo: the first is offered, the others join it
    quietly (one question, not five)."""
    assert message.photo is not None
    data = await state.get_data()
    if data.get("album") != message.media_group_id:
        raise SkipHandler  # another message while the offer waits: the usual hint
    media = list(data.get("media", []))
    if len(media) >= MAX_MEDIA:
        return  # the report takes five photos; the sixth of an album is left out
    media.append({"type": "photo", "file_id": message.photo[-1].file_id})
    description = str(data.get("description", ""))
    if message.caption:
        # At most 5 captions of 1024 units: within MAX_DESCRIPTION.
        description = (description + "\n" + message.caption).strip()
    await state.update_data(media=media, description=description)


@router.callback_query(StateFilter(ReportFlow.offer), ReportCb.filter(F.step == Step.OFFER_YES))
async def on_offer_yes(
    callback: CallbackQuery,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    offered = await state.get_data()
    prefill = {
        key: offered[key]
        for key in ("description", "media", "latitude", "longitude")
        if offered.get(key) is not None
    }
    if isinstance(callback.message, Message):
        await begin(callback.message, state, t, person, services, prefill, pressed=True)


@router.callback_query(StateFilter(ReportFlow.offer), ReportCb.filter(F.step == Step.OFFER_NO))
async def on_offer_no(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_text(t("report-offer-declined")))
