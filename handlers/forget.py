"""/forgetme: a resident deletes their personal data, after saying yes to a plain account of
what goes and what stays."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove

from bot.i18n import Translator
from bot.services import Services
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.ticketing import drop_buttons, edit_quietly
from storage.models import Person
from telegram.commands import clear_personal_menu

router = Router(name="forget")


class ForgetCb(CallbackData, prefix="fg1"):
    yes: bool
    # Whose data: a "yes" left in the chat by someone who already forgot themself (and came
    # back as a new person) must not delete the newcomer.
    person_id: CallbackInt


def confirm_markup(t: Translator, person_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("forget-yes"), callback_data=ForgetCb(yes=True, person_id=person_id))
    builder.button(text=t("forget-no"), callback_data=ForgetCb(yes=False, person_id=person_id))
    builder.adjust(1)
    return builder.as_markup()


@router.message(Command("forgetme"))
async def cmd_forgetme(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await state.clear()
    profile = await services.onboarding.profile(person)
    text = t("forget-ask")
    if profile.is_head or profile.coordinator_areas:
        text += "\n\n" + t("forget-ask-staff")
    await message.answer(text, reply_markup=confirm_markup(t, person.id))


@router.callback_query(ForgetCb.filter())
async def on_forget(
    callback: CallbackQuery,
    callback_data: ForgetCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    if callback_data.person_id != person.id:
        await callback.answer(t("button-stale"), show_alert=True)
        await drop_buttons(callback)
        return
    if not callback_data.yes:
        await callback.answer()
        if isinstance(callback.message, Message):
            await edit_quietly(callback.message.edit_text(t("forget-kept")))
        return
    await services.forget.forget(person)
    await state.clear()
    await callback.answer()
    await clear_personal_menu(bot, callback.from_user.id)
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(t("forget-done"), reply_markup=ReplyKeyboardRemove())
