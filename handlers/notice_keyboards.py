"""The notices' callback data, the building picker that notices and volunteer activities share,
and the mute button under each copy (the delivery worker puts it there:
telegram/notice_methods.py)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from storage.models import Building

MAX_OFFERED = 40  # buildings offered as buttons; "all" covers the rest


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
    MUTE = "mute"  # a reader's toggle (id: the building), on copies sent before MUTE_ON
    # What the button's label says (id: the building): a second tap, or "Mute" on an older
    # copy after another's, mutes again instead of undoing the first.
    MUTE_ON = "mon"
    MUTE_OFF = "moff"
    CANCEL = "cnl"  # the author stops what has not gone (id: the notice)
    WITHDRAW = "wd"  # (id: the notice)
    CORRECT = "fix"  # (id: the notice): asks for the new text


class NoticeCb(CallbackData, prefix="n1"):
    step: NoticeStep
    id: CallbackInt = 0


def building_picker(
    t: Translator,
    offered: Sequence[Building],
    chosen: Collection[int],
    toggle: Callable[[int], CallbackData],
    every: CallbackData,
    done: CallbackData,
) -> InlineKeyboardMarkup:
    """Buildings to tick (✅ on the chosen), "all" where they are of one community, and "next"."""
    builder = InlineKeyboardBuilder()
    for building in offered[:MAX_OFFERED]:
        mark = "✅ " if building.id in chosen else ""
        builder.button(text=mark + building.name, callback_data=toggle(building.id))
    if len({b.community_id for b in offered}) == 1:
        builder.button(text=t("notice-btn-all", count=len(offered)), callback_data=every)
    builder.button(text=t("notice-btn-next"), callback_data=done)
    builder.adjust(2)
    return builder.as_markup()


def mute_markup(label: str, building_id: int, muted: bool) -> InlineKeyboardMarkup:
    """``label`` is Unmute when ``muted``, and its press unmutes; Mute mutes."""
    step = NoticeStep.MUTE_OFF if muted else NoticeStep.MUTE_ON
    button = InlineKeyboardButton(
        text=label, callback_data=NoticeCb(step=step, id=building_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
