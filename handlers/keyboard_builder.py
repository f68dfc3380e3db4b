"""aiogram's inline keyboard builder without its copying: `add` (every `button`) deep-copied the
whole keyboard built so far, pydantic model by model, so a keyboard of n buttons cost n² copies
(a `/tickets` page of 15 buttons: 120 button copies, ~0.8 ms; 5 % of an update's CPU on the hot
paths). Telegram's button objects are frozen, so copying the rows is enough to keep the builder's
own lists apart from what it hands out."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder as _AiogramBuilder


class InlineKeyboardBuilder(_AiogramBuilder):
    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]
