"""/link: a code that links another app (the web page, WeChat) to this account, and /link CODE
to join this chat to the account that was shown a code elsewhere."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.i18n import Translator
from bot.services import Services
from storage.models import Person, telegram_address

router = Router(name="links")


@router.message(Command("link"))
async def cmd_link(
    message: Message, command: CommandObject, t: Translator, person: Person, services: Services
) -> None:
    if not command.args:
        issued = await services.links.issue(person)
        await message.answer(t("link-code", code=issued.code))
        return
    assert message.from_user is not None  # the person middleware made ``person`` from it
    # A wrong code is a ServiceError, answered by the errors router (handlers/errors.py).
    await services.links.redeem(telegram_address(message.from_user.id), command.args)
    await message.answer(t("link-done"))
