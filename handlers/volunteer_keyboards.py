"""The volunteering chat's callback data and small keyboard helpers, shared by the organiser's
router (handlers/activities.py) and the volunteers' (handlers/volunteering.py)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt


class VolStep(StrEnum):
    TOGGLE = "tg"  # a building chosen or unchosen (id: the building)
    ALL = "all"  # every building offered
    NEXT = "next"  # the buildings are chosen
    SEND = "send"
    DROP = "drop"
    QR = "qr"  # id: the activity
    CONFIRM = "ok"
    CANCEL = "cnl"  # the organiser cancels the activity
    UNSIGN = "uns"  # a volunteer cancels their sign-up


class VolCb(CallbackData, prefix="v1"):
    step: VolStep
    id: CallbackInt = 0


def vol_button(builder: InlineKeyboardBuilder, text: str, step: VolStep, id_: int = 0) -> None:
    builder.button(text=text, callback_data=VolCb(step=step, id=id_))
