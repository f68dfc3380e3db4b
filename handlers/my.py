"""Residents: /my (own and followed tickets), and the answers to the head: "is it fixed?"
(confirm, rate, comment, or reopen), withdraw, and a message about a ticket."""

from __future__ import annotations

from functools import partial

from aiogram import Bot, F, Router
from aiogram.filters import Command, ExceptionTypeFilter, StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.cards import category_name
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_core import NoAccess, StaleAction
from bot.services.ticket_lists import TicketPage
from handlers.filters import OnMessage, OnPress
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt, TicketCb
from handlers.menu import MenuButton
from handlers.report.flow import draft_reminder, with_reminder
from handlers.ticketing import (
    FreeInput,
    SkipCb,
    add_ticket_buttons,
    ask,
    drop_buttons,
    edit_quietly,
    end_step,
    finish,
    for_another_ticket,
    pager,
    read_content,
    read_text,
    refresh_pressed,
    refuse,
    retire_prompt,
    skip_markup,
    step_prompt,
    step_ticket,
)
from storage.models import Person, Ticket

router = Router(name="my")


class ResidentFlow(StatesGroup):
    message = State()
    reopen = State()
    comment = State()


class MyCb(CallbackData, prefix="my1"):
    page: CallbackInt = 0


class WithdrawCb(CallbackData, prefix="wd1"):
    ticket_id: CallbackInt
    sure: bool


def _on(action: Action) -> CallbackQueryFilter:
    return TicketCb.filter(F.action == action)


# ----------------------------------------------------------------------------- /my


def _list(t: Translator, page: TicketPage[Ticket]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not page.total:
        return t("my-empty"), None
    builder = InlineKeyboardBuilder()
    followed = {
        ticket.id: category_name(t, page.categories.get(ticket.id), ticket.category)
        for ticket in page.tickets
        if ticket.id in page.followed
    }
    add_ticket_buttons(builder, page.tickets, followed=followed)
    nav = pager(page.page, page.pages, lambda n: MyCb(page=n))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    builder.adjust(*([1] * len(page.tickets)), len(nav) or 1)
    text = t("my-list", total=page.total, page=page.page + 1, pages=page.pages)
    return text, builder.as_markup()


@router.message(Command("my"))
@router.message(MenuButton("menu-my"))
async def cmd_my(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    reminder = await draft_reminder(state, t)
    if reminder is None:
        await state.clear()  # a half-written report is kept: the list says how to go back
    text, markup = _list(t, await services.ticket_lists.my_tickets(person, 0))
    await message.answer(with_reminder(text, reminder), reply_markup=markup)


@router.callback_query(MyCb.filter())
async def on_my_page(
    callback: CallbackQuery,
    callback_data: MyCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    page = await services.ticket_lists.my_tickets(person, max(callback_data.page, 0))
    await callback.answer()
    if isinstance(callback.message, Message):
        text, markup = _list(t, page)
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


# ----------------------------------------------------------------------------- is it fixed?


@router.callback_query(_on(Action.CONFIRM))
async def on_confirm(
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket = await services.ticket_actions.confirm(person, callback_data.ticket_id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        builder = InlineKeyboardBuilder()
        for stars in range(1, 6):
            builder.button(
                text=f"{stars}⭐",
                callback_data=TicketCb(action=Action.RATE, ticket_id=ticket.id, arg=stars),
            )
        await callback.message.answer(
            t("my-rate-ask", number=ticket.number), reply_markup=builder.as_markup()
        )


@router.callback_query(_on(Action.RATE))
async def on_rate(
    callback: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket = await services.ticket_actions.rate(person, callback_data.ticket_id, callback_data.arg)
    await callback.answer()
    await state.set_state(ResidentFlow.comment)
    data: dict[str, int] = {"ticket_id": ticket.id}
    if callback.message is not None:
        data["prompt_message"] = callback.message.message_id  # carries Skip
    await state.set_data(data)
    if isinstance(callback.message, Message):
        stars = "★" * callback_data.arg + "☆" * (5 - callback_data.arg)
        await edit_quietly(
            callback.message.edit_text(
                t("my-rated", stars=stars), reply_markup=skip_markup(t, ticket.id)
            )
        )


@router.callback_query(StateFilter(ResidentFlow.comment), SkipCb.filter())
async def on_comment_skip(
    callback: CallbackQuery,
    callback_data: SkipCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket_id, _, _ = await step_ticket(state)
    if callback_data.ticket_id != ticket_id:
        await callback.answer(t("button-stale"), show_alert=True)
        return
    await state.clear()
    await callback.answer(t("my-thanks"))
    await drop_buttons(callback)


@router.message(StateFilter(ResidentFlow.comment), FreeInput())
async def on_comment(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    ticket_id, _, _ = await step_ticket(state)
    if await for_another_ticket(message, t, person, services, ticket_id):
        return
    text = await read_text(message, t)
    if text is None:
        return
    prompt = await step_prompt(state)
    work = partial(services.ticket_actions.comment, person, ticket_id, text)
    await finish(message, state, t, work, "my-commented")
    await retire_prompt(bot, message.chat.id, prompt)


@router.callback_query(_on(Action.REOPEN))
async def on_reopen(
    callback: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await ask(
        callback,
        callback_data.ticket_id,
        Action.REOPEN,
        ResidentFlow.reopen,
        state,
        services,
        person,
        t,
        lambda ticket: t("my-reopen-ask", number=ticket.number),
    )


@router.message(StateFilter(ResidentFlow.reopen), FreeInput())
async def on_reopen_reason(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    ticket_id, chat, notice = await step_ticket(state)
    if await for_another_ticket(message, t, person, services, ticket_id):
        return
    content = await read_content(message, t)
    if content is None:
        return

    async def reopen() -> Ticket:
        ticket = await services.reopening.reopen(person, ticket_id, content.text or "")
        if content.photo or content.voice:
            # A photo of what is still broken says more than words: the head gets it too.
            await services.ticket_actions.message(person, ticket_id, content)
        return ticket

    if await finish(message, state, t, reopen, "my-reopened") and chat and notice:
        await edit_quietly(
            bot.edit_message_reply_markup(chat_id=chat, message_id=notice, reply_markup=None)
        )


# ----------------------------------------------------------------------------- withdraw


@router.callback_query(_on(Action.WITHDRAW))
async def on_withdraw(
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """Asks first, on the card itself: Yes / No."""
    ticket, view = await services.ticket_cards.card(person, callback_data.ticket_id, t)
    await services.ticket_access.check(person, ticket.id, Action.WITHDRAW)
    await callback.answer()
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("my-withdraw-yes"), callback_data=WithdrawCb(ticket_id=ticket.id, sure=True)
    )
    builder.button(
        text=t("my-withdraw-no"), callback_data=WithdrawCb(ticket_id=ticket.id, sure=False)
    )
    if isinstance(callback.message, Message):
        text = view.text + "\n\n" + t("my-withdraw-ask", number=ticket.number)
        await edit_quietly(callback.message.edit_text(text, reply_markup=builder.as_markup()))


@router.callback_query(WithdrawCb.filter())
async def on_withdraw_answer(
    callback: CallbackQuery,
    callback_data: WithdrawCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    if not callback_data.sure:
        await callback.answer(t("my-kept"))
        await refresh_pressed(callback, services, person, t, callback_data.ticket_id)
        return
    ticket = await services.ticket_actions.withdraw(person, callback_data.ticket_id)
    await callback.answer(t("my-withdrawn", number=ticket.number))
    await refresh_pressed(callback, services, person, t, ticket.id)


# ----------------------------------------------------------------------------- message


@router.callback_query(_on(Action.MESSAGE))
async def on_message_button(
    callback: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await ask(
        callback,
        callback_data.ticket_id,
        Action.MESSAGE,
        ResidentFlow.message,
        state,
        services,
        person,
        t,
        lambda ticket: t("my-message-ask", number=ticket.number),
    )


@router.message(StateFilter(ResidentFlow.message), FreeInput())
async def on_message_content(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    ticket_id, _, _ = await step_ticket(state)
    if await for_another_ticket(message, t, person, services, ticket_id):
        return
    content = await read_content(message, t)
    if content is None:
        return
    work = partial(services.ticket_actions.message, person, ticket_id, content)
    await finish(message, state, t, work, "my-message-sent")


# ----------------------------------------------------------------------------- refusals

# Pressed on the "Is it fixed?" notice, not on the card: a stale press takes its buttons away.
_ON_NOTICE = {Action.CONFIRM, Action.RATE, Action.REOPEN}


@router.error(
    ExceptionTypeFilter(NoAccess, StaleAction), OnPress(TicketCb.filter(F.action.in_(_ON_NOTICE)))
)
async def on_notice_refused(
    event: ErrorEvent, callback: CallbackQuery, t: Translator, person: Person, services: Services
) -> None:
    assert isinstance(event.exception, NoAccess | StaleAction)
    await refuse(callback, event.exception, services, person, t, on_card=False)


@router.error(
    ExceptionTypeFilter(NoAccess, StaleAction),
    OnPress(TicketCb.filter(F.action.in_({Action.WITHDRAW, Action.MESSAGE}))),
)
@router.error(ExceptionTypeFilter(NoAccess, StaleAction), OnPress(WithdrawCb.filter()))
async def on_card_refused(
    event: ErrorEvent, callback: CallbackQuery, t: Translator, person: Person, services: Services
) -> None:
    """Withdraw or Message on the card: a stale card shows the ticket as it is now."""
    assert isinstance(event.exception, NoAccess | StaleAction)
    await refuse(callback, event.exception, services, person, t)


@router.error(
    ExceptionTypeFilter(ServiceError),
    OnMessage(StateFilter(*ResidentFlow.__states__), FreeInput()),
)
async def on_step_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """The message, reason or comment was refused: the step is over (``end_step``)."""
    await end_step(event, state, bot, t)
