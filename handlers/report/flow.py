"""The report's states, its typed callback data and the small helpers every step uses."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from handlers.content import TooLong, check_length
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt


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
    SHARE = "ts"
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


class BuildingPageCb(CallbackData, prefix="rp1"):
    """A page of the /report building picker."""

    page: CallbackInt


def button(builder: InlineKeyboardBuilder, text: str, step: Step, value: str = "") -> None:
    builder.button(text=text, callback_data=ReportCb(step=step, value=value))


async def reply(callback: CallbackQuery, text: str, reply_markup: Any = None) -> None:
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=reply_markup)


async def draft_reminder(state: FSMContext, t: Translator) -> str | None:
    """While a report is being written (/my, /tickets or /help in the middle keep it): how to
    get back to it, in words that match where its buttons are. None outside a report."""
    current = await state.get_state()
    if current is None or current not in ReportFlow or current == ReportFlow.offer.state:
        return None
    if current == ReportFlow.description.state:
        return t("report-open-describe")  # no buttons: the next message is the description
    if current in (ReportFlow.location.state, ReportFlow.contact.state):
        return t("report-open-keyboard")  # a keyboard under the text field
    return t("report-open-buttons")  # inline buttons on the question further up


async def length_ok(message: Message, t: Translator) -> bool:
    """Whatever Telegram accepts from a person is taken whole; more can only be forged."""
    try:
        check_length(message)
    except TooLong as error:
        await message.answer(t("text-too-long", max=error.limit, length=error.length))
        return False
    return True


def with_reminder(text: str, reminder: str | None) -> str:
    return f"{text}\n\n{reminder}" if reminder else text
