"""/web: a one-time link that signs a staff member in to the office console in a browser (the
link works once, for 10 minutes; a resident is told politely that the console is for staff)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.i18n import Translator
from bot.services import Services
from storage.models import Person

router = Router(name="console")


@router.message(Command("web"))
async def cmd_web(message: Message, t: Translator, person: Person, services: Services) -> None:
    # Not staff: a ServiceError, answered by the errors router (handlers/errors.py).
    link = await services.console.issue_link(person)
    await message.answer(t("console-link", link=link))
