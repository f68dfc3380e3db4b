"""The report's states, its typed callback data and the small helpers every step uses."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder


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


def button(builder: InlineKeyboardBuilder, text: str, step: Step, value: str = "") -> None:
    builder.button(text=text, callback_data=ReportCb(step=step, value=value))


async def reply(callback: CallbackQuery, text: str, reply_markup: Any = None) -> None:
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=reply_markup)
