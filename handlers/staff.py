"""Heads and coordinators: /joinlink (a building's join link and its stairwell poster) and
/invite."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.config import Config
from bot.i18n import Translator
from bot.services import Services
from bot.services.links import poster_link, start_link
from storage.models import Person, Role

router = Router(name="staff")


async def _username(bot: Bot) -> str:
    return (await bot.me()).username or ""


@router.message(Command("joinlink"))
async def cmd_joinlink(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
    config: Config,
) -> None:
    codes = (command.args or "").split()
    if not codes:
        buildings = await services.staff.my_buildings(person.id)
        if len(buildings) != 1:
            await message.answer(t("joinlink-usage"))
            return
        codes = [buildings[0].code]
    building, payload = await services.staff.join_link(person, codes[0])
    username = await _username(bot)
    link = start_link(username, payload)
    # The printed QR code opens the web twin when the web door is public (any camera, WeChat's
    # scanner); the caption keeps the Telegram link, for forwarding in chat.
    scanned = poster_link(
        payload,
        public_base=config.public_base,
        bot_username=username,
        local_base=config.console_base,
    )
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO)  # drawing takes seconds
    poster = await services.posters.poster(building.id, scanned, t.language)
    caption = t("joinlink-poster", building=building.name, link=link)
    if poster.bare:
        caption += "\n" + t("poster-bare")
    elif poster.english:
        caption += "\n" + t("poster-english")
    await message.answer_photo(
        BufferedInputFile(poster.png, filename=f"join-{building.code}.png"), caption=caption
    )


@router.message(Command("invite"))
async def cmd_invite(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
    config: Config,
) -> None:
    args = (command.args or "").split(maxsplit=1)
    roles = {r.value: r for r in (Role.HEAD, Role.DEPUTY, Role.COORDINATOR)}
    if len(args) != 2 or args[0].lower() not in roles:
        await message.answer(t("invite-usage"))
        return
    issued = await services.staff.invite(person, roles[args[0].lower()], args[1].strip())
    await message.answer(
        t(
            "invite-issued",
            role=issued.role.value,
            place=issued.building or issued.community,
            link=start_link(await _username(bot), issued.payload),
            # The date as the community reads it, not UTC's (a day early after 16:00 UTC).
            expires=issued.expires_at.astimezone(ZoneInfo(config.timezone)).strftime("%Y-%m-%d"),
        )
    )
