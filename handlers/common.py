"""Commands everyone has: /help, /language, /cancel; and noticing a blocked bot."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import KICKED, ChatMemberUpdatedFilter, Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.commands import commands_for, register_personal_menu
from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translations, Translator
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.onboarding import Profile
from bot.text import TEXT_LIMIT, cut
from handlers.filters import Is
from handlers.menu import MenuButton
from handlers.paging import page_of
from handlers.ticketing import edit_quietly, pager
from storage.models import Person

router = Router(name="common")
ROLES_PER_PAGE = 8
ROLE_LINE = 250  # UTF-16 units; names of buildings and communities are bounded far below


class LanguageCb(CallbackData, prefix="l1"):
    language: str


class HelpCb(CallbackData, prefix="hp1"):
    """A page of the roles /help lists."""

    page: int


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for language in SUPPORTED_LANGUAGES:
        builder.button(text=LANGUAGE_NAMES[language], callback_data=LanguageCb(language=language))
    return builder.as_markup()


def describe_roles(t: Translator, profile: Profile) -> list[str]:
    lines: list[str] = []
    for membership in profile.building_roles:
        line = t(
            "role-line",
            role=membership.role.value,
            building=membership.building_name,
            community=membership.community_name,
        )
        if membership.flat:
            line += t("role-line-flat", flat=membership.flat)
        lines.append(line)
    for area in profile.coordinator_areas:
        lines.append(t("role-line-coordinator", place=area.building_name or area.community_name))
    if profile.is_admin:
        lines.append(t("role-line-admin"))
    return lines


def help_view(
    t: Translator, profile: Profile, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/help: the person's roles, a page of them at a time (a coordinator may live in 240
    buildings) with ‹ › to turn it, and their commands."""
    lines = describe_roles(t, profile)
    shown, page, pages = page_of(lines, page, ROLES_PER_PAGE)
    parts = [t("help-roles", count=len(lines))] + [f"• {cut(line, ROLE_LINE)}" for line in shown]
    if pages > 1:
        parts.append(t("help-roles-page", page=page + 1, pages=pages, count=len(lines)))
    if not profile.building_roles and not profile.coordinator_areas and not profile.is_admin:
        parts.append(t("help-not-joined"))
    parts.append("")
    parts.append(t("help-commands"))
    for name, key in commands_for(profile.is_head, profile.is_coordinator):
        parts.append(f"/{name} — {t(key)}")
    # A page is far below the limit (8 bounded lines and the commands); the cut guarantees it.
    text = cut("\n".join(parts), TEXT_LIMIT)
    if pages == 1:
        return text, None
    builder = InlineKeyboardBuilder()
    for label, data in pager(page, pages, lambda n: HelpCb(page=n)):
        builder.button(text=label, callback_data=data)
    return text, builder.as_markup()


@router.message(Command("help"))
@router.message(MenuButton("menu-help"))
async def cmd_help(message: Message, t: Translator, person: Person, services: Services) -> None:
    text, markup = help_view(t, await services.onboarding.profile(person))
    await message.answer(text, reply_markup=markup)


@router.callback_query(HelpCb.filter())
async def on_help_page(
    callback: CallbackQuery,
    callback_data: HelpCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await callback.answer()
    text, markup = help_view(t, await services.onboarding.profile(person), callback_data.page)
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


@router.message(Command("language"))
async def cmd_language(message: Message, t: Translator) -> None:
    await message.answer(t("language-choose"), reply_markup=language_keyboard())


@router.callback_query(LanguageCb.filter())
async def on_language(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    person: Person,
    services: Services,
    translations: Translations,
    bot: Bot,
) -> None:
    try:
        person = await services.onboarding.set_language(person.id, callback_data.language)
    except ServiceError as error:
        t = translations.bind(person.language or translations.default)
        await callback.answer(t(error.key, **error.args_), show_alert=True)
        return
    t = translations.bind(callback_data.language)
    await callback.answer(t("language-set"))
    if isinstance(callback.message, Message):
        await callback.message.edit_text(t("language-set"))
    profile = await services.onboarding.profile(person)
    await register_personal_menu(
        bot,
        translations,
        person.telegram_id,
        callback_data.language,
        is_head=profile.is_head,
        is_coordinator=profile.is_coordinator,
    )


@router.message(Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext, t: Translator) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(t("cancelled" if had_state else "nothing-to-cancel"))


@router.my_chat_member(
    ChatMemberUpdatedFilter(member_status_changed=KICKED), Is(F.chat.type == "private")
)
async def on_blocked(event: ChatMemberUpdated, services: Services) -> None:
    # In private chats Telegram reports a block as the bot being "kicked"
    # (https://core.telegram.org/bots/api#chatmemberupdated); stop sending until they write again.
    # In a group "kicked" only means an admin removed the bot there: they are still reachable.
    await services.onboarding.mark_unreachable(event.from_user.id)
