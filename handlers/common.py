"""Commands everyone has: /help, /language, /cancel; and noticing a blocked bot."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import KICKED, ChatMemberUpdatedFilter, Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message

from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translations, Translator
from bot.services import Services
from bot.services.onboarding import Profile
from bot.text import TEXT_LIMIT, cut
from handlers.filters import Is
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.menu import MenuButton, menu_keyboard
from handlers.paging import page_of
from handlers.report.flow import ReportFlow, draft_reminder, with_reminder
from handlers.ticketing import edit_quietly, pager
from storage.models import Person, Role, telegram_address
from telegram.commands import commands_for, register_personal_menu

router = Router(name="common")
ROLES_PER_PAGE = 8
ROLE_LINE = 250  # UTF-16 units; names of buildings and communities are bounded far below


class LanguageCb(CallbackData, prefix="l1"):
    language: str


class HelpCb(CallbackData, prefix="hp1"):
    """A page of the roles /help lists."""

    page: CallbackInt


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
async def cmd_help(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    text, markup = help_view(t, await services.onboarding.profile(person))
    text = cut(with_reminder(text, await draft_reminder(state, t)), TEXT_LIMIT)
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
    state: FSMContext,
    person: Person,
    services: Services,
    translations: Translations,
    bot: Bot,
) -> None:
    # A refused language reaches handlers/errors.py, read in the one the person had.
    person = await services.onboarding.set_language(person.id, callback_data.language)
    t = translations.bind(callback_data.language)
    await callback.answer(t("language-set"))
    profile = await services.onboarding.profile(person)
    if isinstance(callback.message, Message):
        if await _redraws_menu(profile, state):
            # A reply keyboard changes only with a message that carries the new one: this
            # answer brings the menu in the new language (the picker just loses its buttons).
            await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
            await callback.message.answer(t("language-set"), reply_markup=menu_keyboard(t))
        else:
            await edit_quietly(callback.message.edit_text(t("language-set")))
    await register_personal_menu(
        bot,
        translations,
        callback.from_user.id,
        callback_data.language,
        is_head=profile.is_head,
        is_coordinator=profile.is_coordinator,
    )


async def _redraws_menu(profile: Profile, state: FSMContext) -> bool:
    """Residents have the menu under the text field; in a report's location or phone step a
    step keyboard stands in for it and stays (the report's end brings the menu back)."""
    has_menu = any(m.role is Role.RESIDENT for m in profile.building_roles)
    step_keyboard = await state.get_state() in (ReportFlow.location.state, ReportFlow.contact.state)
    return has_menu and not step_keyboard


@router.message(Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext, t: Translator) -> None:
    current = await state.get_state()
    await state.clear()
    if current is None:
        await message.answer(t("nothing-to-cancel"))
        return
    # A report's steps put keyboards under the text field (location, phone) that only a new
    # keyboard replaces: the menu comes back. (Other flows never replaced the menu.)
    menu = menu_keyboard(t) if current in ReportFlow else None
    await message.answer(t("cancelled"), reply_markup=menu)


@router.my_chat_member(
    ChatMemberUpdatedFilter(member_status_changed=KICKED), Is(F.chat.type == "private")
)
async def on_blocked(event: ChatMemberUpdated, services: Services) -> None:
    # In private chats Telegram reports a block as the bot being "kicked"
    # ; stop sending until they write again.
    # In a group "kicked" only means an admin removed the bot there: they are still reachable.
    await services.onboarding.mark_unreachable(telegram_address(event.from_user.id))
