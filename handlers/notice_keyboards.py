"""The notices' callback data and the mute button under each copy (the delivery worker puts it
there: telegram/notice_methods.py)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.keyboards import CallbackInt


class NoticeStep(StrEnum):
    TOGGLE = "tg"  # a building chosen or unchosen (id: the building)
    ALL = "all"  # every building offered
    NEXT = "next"  # the buildings are chosen
    PHOTOS_DONE = "pd"  # no (more) photos
    NOW = "now"
    TOMORROW = "tmr"  # tomorrow 07:30
    URGENT = "urg"
    NORMAL = "nrm"
    SEND = "send"  # confirmed
    DROP = "drop"  # the draft thrown away
    MUTE = "mute"  # a reader's toggle (id: the building)
    CANCEL = "cnl"  # the author stops what has not gone (id: the notice)
    WITHDRAW = "wd"  # (id: the notice)
    CORRECT = "fix"  # (id: the notice): asks for the new text


class NoticeCb(CallbackData, prefix="n1"):
    step: NoticeStep
    id: CallbackInt = 0


def mute_markup(label: str, building_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=label, callback_data=NoticeCb(step=NoticeStep.MUTE, id=building_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
