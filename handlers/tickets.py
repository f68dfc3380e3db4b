"""Heads, deputies, coordinators and admins: the buttons of a ticket card (Take, Reply, Resolve,
Escalate, Merge, History, and Open from a list) and the steps that wait for a note. History
and Open serve residents too. (/tickets, /away and /back live in handlers/worklist.py.)

Callback data carries ids only; every press is authorised by the service against the database."""

from __future__ import annotations

from functools import partial

from aiogram import Bot, F, Router
from aiogram.filters import ExceptionTypeFilter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.errors import InputRefused, ServiceError
from bot.services.policy import Action
from bot.services.ticket_core import NoAccess, StaleAction
from bot.text import pack
from handlers.answers import answer_parts
from handlers.filters import OnMessage, OnPress
from handlers.keyboards import TicketCb
from handlers.telling import tell
from handlers.ticketing import (
    TICKET_NUMBER,
    FreeInput,
    SkipCb,
    ask,
    card_markup,
    edit_card,
    edit_quietly,
    end_step,
    finish,
    for_another_ticket,
    read_content,
    read_text,
    refuse,
    retire_prompt,
    show_pressed,
    skip_markup,
    step_prompt,
    step_ticket,
)
from storage.models import Person, Ticket, telegram_address

router = Router(name="tickets")


class StaffFlow(StatesGroup):
    reply = State()
    resolve = State()
    escalate = State()
    merge = State()


def _on(action: Action) -> CallbackQueryFilter:
    return TicketCb.filter(F.action == action)


# ----------------------------------------------------------------------------- card buttons


@router.callback_query(_on(Action.TAKE))
async def on_take(
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket, view = await services.ticket_actions.take_and_show(person, callback_data.ticket_id, t)
    await callback.answer(t("tk-taken", number=ticket.number))
    await show_pressed(callback, ticket.id, view)


@router.callback_query(_on(Action.HISTORY))
async def on_history(
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket, lines = await services.ticket_cards.history(person, callback_data.ticket_id, t)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    await answer_parts(callback.message, pack([t("tk-history", number=ticket.number), *lines]))


@router.callback_query(_on(Action.OPEN))
async def on_open(
    callback: CallbackQuery,
    callback_data: TicketCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """A card from a list: a new message, which from now on is the card edited in place."""
    ticket, view = await services.ticket_cards.card(person, callback_data.ticket_id, t)
    await callback.answer()
    if isinstance(callback.message, Message):
        sent = await callback.message.answer(view.text, reply_markup=card_markup(ticket.id, view))
        await services.ticket_cards.remember_card(
            ticket.id, telegram_address(sent.chat.id), str(sent.message_id)
        )


# Buttons that wait for one message: (the step, the prompt's key, whether it may be skipped).
ASKS: dict[Action, tuple[State, str, bool]] = {
    Action.REPLY: (StaffFlow.reply, "tk-reply-ask", False),
    Action.RESOLVE: (StaffFlow.resolve, "tk-resolve-ask", True),
    Action.ESCALATE: (StaffFlow.escalate, "tk-escalate-ask", False),
    Action.MERGE: (StaffFlow.merge, "tk-merge-ask", False),
}


@router.callback_query(TicketCb.filter(F.action.in_(ASKS)))
async def on_ask(
    callback: CallbackQuery,
    callback_data: TicketCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    step, key, skippable = ASKS[callback_data.action]
    await ask(
        callback,
        callback_data.ticket_id,
        callback_data.action,
        step,
        state,
        services,
        person,
        t,
        lambda ticket: t(key, number=ticket.number),
        skip_markup(t, callback_data.ticket_id) if skippable else None,
    )


# ----------------------------------------------------------------------------- the steps


@router.message(StateFilter(StaffFlow.reply), FreeInput())
async def on_reply_content(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    ticket_id, _, _ = await step_ticket(state)
    if await for_another_ticket(message, t, person, services, ticket_id):
        return
    content = await read_content(message, t)
    if content is None:
        return
    work = partial(services.ticket_actions.reply, person, ticket_id, content)
    await finish(message, state, t, work, "tk-reply-sent")


@router.message(StateFilter(StaffFlow.resolve), FreeInput())
async def on_resolve_note(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    ticket_id, chat, card = await step_ticket(state)
    if await for_another_ticket(message, t, person, services, ticket_id):
        return
    content = await read_content(message, t)
    if content is None:
        return
    prompt = await step_prompt(state)

    async def resolve() -> Ticket:
        if content.photo or content.voice:
            # A photo of the repair goes to the resident as it is, then the question; only
            # if the ticket may be resolved now (not resolved by a colleague meanwhile), else
            # the photo would go alone and the resolve be refused.
            await services.ticket_access.check(person, ticket_id, Action.RESOLVE)
            await services.ticket_actions.reply(person, ticket_id, content)
            return await services.ticket_actions.resolve(person, ticket_id, "")
        return await services.ticket_actions.resolve(person, ticket_id, content.text or "")

    resolved = await finish(message, state, t, resolve, "tk-resolved")
    await retire_prompt(bot, message.chat.id, prompt)
    if resolved and chat and card:
        await edit_card(bot, services, person, t, ticket_id, chat, card)


@router.callback_query(StateFilter(StaffFlow.resolve), SkipCb.filter())
async def on_resolve_skip(
    callback: CallbackQuery,
    callback_data: SkipCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    ticket_id, chat, card = await step_ticket(state)
    if callback_data.ticket_id != ticket_id:
        await callback.answer(t("button-stale"), show_alert=True)
        return
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
    work = partial(services.ticket_actions.resolve, person, ticket_id, "")
    if await finish(callback.message, state, t, work, "tk-resolved") and chat and card:
        await edit_card(bot, services, person, t, ticket_id, chat, card)


@router.message(StateFilter(StaffFlow.escalate), FreeInput())
async def on_escalate_reason(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    ticket_id, chat, card = await step_ticket(state)
    if await for_another_ticket(message, t, person, services, ticket_id):
        return
    reason = await read_text(message, t)
    if reason is None:
        return
    work = partial(services.ticket_actions.escalate, person, ticket_id, reason)
    if await finish(message, state, t, work, "tk-escalated") and chat and card:
        await edit_card(bot, services, person, t, ticket_id, chat, card)


@router.message(StateFilter(StaffFlow.merge), FreeInput())
async def on_merge_target(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    text = await read_text(message, t)
    if text is None:
        return
    number = TICKET_NUMBER.match(text.strip())
    if number is None:
        await message.answer(t("tk-merge-number"))
        return
    ticket_id, chat, card = await step_ticket(state)
    target = await services.ticket_actions.merge(person, ticket_id, int(number.group(1)))
    await state.clear()
    await message.answer(t("tk-merged", number=target.number))
    if chat and card:
        await edit_card(bot, services, person, t, ticket_id, chat, card)


# ----------------------------------------------------------------------------- refusals


@router.error(
    ExceptionTypeFilter(NoAccess, StaleAction),
    OnPress(TicketCb.filter(F.action.in_({Action.TAKE, Action.HISTORY, Action.OPEN, *ASKS}))),
)
async def on_card_refused(
    event: ErrorEvent, callback: CallbackQuery, t: Translator, person: Person, services: Services
) -> None:
    """A card's button pressed too late (the card shows the ticket as it is now) or by someone
    the ticket is no longer theirs (the card becomes the "no access" one)."""
    assert isinstance(event.exception, NoAccess | StaleAction)
    await refuse(callback, event.exception, services, person, t)


@router.error(ExceptionTypeFilter(InputRefused), OnMessage(StateFilter(StaffFlow.merge)))
async def on_merge_typo(event: ErrorEvent, bot: Bot, t: Translator) -> None:
    """No such ticket to merge into (a typo): the step waits for another number (or /cancel)."""
    error = event.exception
    assert isinstance(error, InputRefused)
    await tell(event.update, bot, t(error.key, **error.args_) + "\n" + t("tk-merge-number"))


@router.error(
    ExceptionTypeFilter(ServiceError),
    OnMessage(StateFilter(*StaffFlow.__states__), FreeInput()),
)
@router.error(
    ExceptionTypeFilter(ServiceError), OnPress(StateFilter(StaffFlow.resolve), SkipCb.filter())
)
async def on_step_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """The note, reply, reason or number was refused: the step is over (``end_step``)."""
    await end_step(event, state, bot, t)
