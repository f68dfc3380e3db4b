"""The chat commands of each role, used by /help and registered as the command menu."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import SUPPORTED_LANGUAGES, Translations, telegram_language_code

log = logging.getLogger(__name__)

# (command, translation key of its one-line description)
EVERYONE: tuple[tuple[str, str], ...] = (
    ("report", "cmd-report"),
    ("my", "cmd-my"),
    ("start", "cmd-start"),
    ("join", "cmd-join"),
    ("help", "cmd-help"),
    ("language", "cmd-language"),
    ("cancel", "cmd-cancel"),
    ("points", "cmd-points"),
    ("forgetme", "cmd-forgetme"),
    ("hours", "cmd-hours"),
    ("helped", "cmd-helped"),
    ("vote", "cmd-vote"),
    ("flat", "cmd-flat"),
)
HEAD: tuple[tuple[str, str], ...] = (
    ("tickets", "cmd-tickets"),
    ("away", "cmd-away"),
    ("back", "cmd-back"),
    ("joinlink", "cmd-joinlink"),
    ("notice", "cmd-notice"),
    ("notices", "cmd-notices"),
    ("activity", "cmd-activity"),
    ("activities", "cmd-activities"),
    ("checkin", "cmd-checkin"),
    ("flats", "cmd-flats"),
    ("invite", "cmd-invite-deputy"),
    ("web", "cmd-web"),
)
COORDINATOR: tuple[tuple[str, str], ...] = (
    ("tickets", "cmd-tickets"),
    ("digest", "cmd-digest"),
    ("whistle", "cmd-whistle"),
    ("notice", "cmd-notice"),
    ("notices", "cmd-notices"),
    ("activity", "cmd-activity"),
    ("activities", "cmd-activities"),
    ("checkin", "cmd-checkin"),
    ("flats", "cmd-flats"),
    ("away", "cmd-away"),
    ("back", "cmd-back"),
    ("joinlink", "cmd-joinlink"),
    ("invite", "cmd-invite"),
    ("staff", "cmd-staff"),
    ("catalogue", "cmd-catalogue"),
    ("ranking", "cmd-ranking"),
    ("web", "cmd-web"),
)


def commands_for(is_head: bool, is_coordinator: bool) -> list[tuple[str, str]]:
    commands = list(EVERYONE)
    extra = COORDINATOR if is_coordinator else HEAD if is_head else ()
    commands += [c for c in extra if c not in commands]
    return commands


def _menu(
    translations: Translations, language: str, commands: list[tuple[str, str]]
) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=translations.get(language, key)[:256])
        for name, key in commands
    ]


async def register_default_menu(bot: Bot, translations: Translations) -> None:
    """The residents' menu, once per language (plus the default for other app languages)."""
    everyone = list(EVERYONE)
    calls = [(translations.default, None)] + [
        (language, telegram_language_code(language)) for language in SUPPORTED_LANGUAGES
    ]
    for language, code in calls:
        try:
            await bot.set_my_commands(
                _menu(translations, language, everyone),
                scope=BotCommandScopeDefault(),
                language_code=code,
            )
        except TelegramAPIError as error:
            log.warning("setMyCommands (default, %s) refused: %s", code, error)


async def register_personal_menu(
    bot: Bot,
    translations: Translations,
    chat_id: int,
    language: str,
    *,
    is_head: bool,
    is_coordinator: bool,
) -> None:
    """A person's own menu: their roles' commands in their chosen language."""
    try:
        await bot.set_my_commands(
            _menu(translations, language, commands_for(is_head, is_coordinator)),
            scope=BotCommandScopeChat(chat_id=chat_id),
        )
    except TelegramAPIError as error:
        log.warning("setMyCommands (chat %s) refused: %s", chat_id, error)


async def clear_personal_menu(bot: Bot, chat_id: int) -> None:
    """After /forgetme: the chat falls back to the residents' menu."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as error:
        log.warning("deleteMyCommands (chat %s) refused: %s", chat_id, error)
