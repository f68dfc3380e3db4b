"""The persistent menu under the text field: report a problem · my tickets · help."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup

from bot.i18n import Translations, Translator


def menu_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("menu-report"))],
            [KeyboardButton(text=t("menu-my")), KeyboardButton(text=t("menu-help"))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


class MenuButton(Filter):
    """A press of a menu button, in whichever language the keyboard was drawn."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, message: Message, translations: Translations) -> bool:
        if message.text is None:
            return False
        return message.text in translations.in_every_language((self.key,))


# The words of the report's step keyboards (reply keyboards under the text field).
STEP_KEYS = ("report-skip", "report-send-location", "report-share-phone", "report-dont-share")


class StepWord(Filter):
    """A press of a step keyboard's button, in whichever language it was drawn."""

    async def __call__(self, message: Message, translations: Translations) -> bool:
        if message.text is None:
            return False
        return message.text in translations.in_every_language(STEP_KEYS)
