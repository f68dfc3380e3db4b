""" "Report this?": a message sent outside any flow is most likely a problem, so it is offered
as a report; Yes starts the report with it as the description."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.services import Services
from bot.services.tickets import MAX_TEXT
from handlers.filters import Is
from handlers.report.asks import begin
from handlers.report.flow import ReportCb, ReportFlow, Step, button
from storage.models import Person

# The offer itself comes late in the tree (after every flow and Telegram reply); its buttons
# belong to the report.
offer_router = Router(name="report-offer")
router = Router(name="report-offer-steps")


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
    button(builder, t("report-offer-yes"), Step.OFFER_YES)
    button(builder, t("report-offer-no"), Step.OFFER_NO)
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
        await begin(
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
