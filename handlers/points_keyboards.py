"""The points bank's callback data. The office's buttons come in outbox rows (a redemption
request), so their steps are the service's ``PointsAction`` values and ``outbox_markup``
(handlers/scheduling.py) packs them here."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.services.redemptions import PointsAction
from handlers.keyboards import CallbackInt


class PointsStep(StrEnum):
    REDEEM = "rd"  # a catalogue item chosen (id: the item): asks to confirm
    CONFIRM = "ok"  # (id: the item): the request goes to the office
    CANCEL = "no"
    APPROVE = PointsAction.APPROVE  # (id: the redemption)
    DENY = PointsAction.DENY
    HANDED = PointsAction.HANDED


class PointsCb(CallbackData, prefix="p1"):
    step: PointsStep
    id: CallbackInt = 0
