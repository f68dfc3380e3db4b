"""Pieces shared by the ticket handlers (staff, residents, relay): showing a card, the
conversation steps that wait for one free-form message, refusals, and ticket lists.
No router here."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translations, Translator
from bot.services import Services
from bot.services.cards import CardView
from bot.services.errors import InputRefused, ServiceError
from bot.services.policy import Action
from bot.services.ticket_core import Content, NoAccess, StaleAction
from bot.text import cut
from handlers.content import TooLong, check_length, content_of
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt, TicketCb, ticket_markup
from handlers.menu import STEP_KEYS
from handlers.telling import tell
from storage.models import Person, Ticket, TicketStatus, telegram_address
from storage.rows import ListedView

MENU_KEYS = ("menu-report", "menu-my", "menu-help")
BUTTON_TEXT = 40  # UTF-16 units of a ticket's first line on a list button
STATUS_ICONS = {
    TicketStatus.NEW: "🆕",
    TicketStatus.TAKEN: "⏳",
    TicketStatus.RESOLVED: "✅",
    TicketStatus.REOPENED: "🔁",
    TicketStatus.CLOSED: "☑️",
    TicketStatus.WITHDRAWN: "↩️",
}

# "12", "#12" or "＃12": a ticket by its number, as people type it (/whistle 12, Find).
TICKET_NUMBER = re.compile(r"^[#＃]?\s*(\d{1,9})$")


class SkipCb(CallbackData, prefix="sk1"):
    """ "Skip" on an optional step (a resolve note, a comment after a rating)."""

    ticket_id: CallbackInt


class FreeInput(Filter):
    """A message meant as the answer to a step: not a command, not a press of the menu
    keyboard (those go to their own handlers and leave the step waiting), and not a press of
    a report step's keyboard that outlived its step ("Skip": handlers/report/offer.py answers
    it). ``step_words``: the step whose keyboard it is takes them."""

    def __init__(self, *, step_words: bool = False) -> None:
        self.keys = MENU_KEYS if step_words else (*MENU_KEYS, *STEP_KEYS)

    async def __call__(self, message: Message, translations: Translations) -> bool:
        text = message.text
        if text is None:
            return True
        if text.startswith("/"):
            return False
        return text not in translations.in_every_language(self.keys)


# ----------------------------------------------------------------------------- cards


def card_markup(ticket_id: int, view: CardView) -> InlineKeyboardMarkup | None:
    rows = [[(label, action.value) for label, action in row] for row in view.buttons]
    return ticket_markup(ticket_id, rows)


async def edit_card(
    bot: Bot,
    services: Services,
    person: Person,
    t: Translator,
    ticket_id: int,
    chat_id: int,
    message_id: int,
) -> None:
    """Re-renders the ticket's card for ``person`` in one of their messages."""
    shown = await services.ticket_cards.card_if_allowed(person, ticket_id, t)
    if shown is None:
        return
    ticket, view = shown
    await edit_quietly(
        bot.edit_message_text(
            text=view.text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=card_markup(ticket.id, view),
        )
    )


async def refresh_pressed(
    callback: CallbackQuery, services: Services, person: Person, t: Translator, ticket_id: int
) -> None:
    if callback.message is not None and callback.bot is not None:
        await edit_card(
            callback.bot,
            services,
            person,
            t,
            ticket_id,
            callback.message.chat.id,
            callback.message.message_id,
        )


async def show_pressed(callback: CallbackQuery, ticket_id: int, view: CardView) -> None:
    """The pressed card shows ``view`` (rendered by the use case that changed the ticket)."""
    if callback.message is not None and callback.bot is not None:
        await edit_quietly(
            callback.bot.edit_message_text(
                text=view.text,
                chat_id=callback.message.chat.id,
                message_id=callback.message.message_id,
                reply_markup=card_markup(ticket_id, view),
            )
        )


async def edit_quietly(edit: Awaitable[object]) -> None:
    """An edit that changes nothing, or of a message the user deleted, is not an error
    (Telegram answers 400 for both)."""
    try:
        await edit
    except TelegramBadRequest as error:
        text = error.message.lower()
        if "not modified" not in text and "not found" not in text:
            raise


async def refuse(
    callback: CallbackQuery,
    error: NoAccess | StaleAction,
    services: Services,
    person: Person,
    t: Translator,
    *,
    on_card: bool = True,
) -> None:
    """For the ticket routers' error handlers (a forged or foreign button is refused by the
    errors router and changes nothing). A stale one on a card shows the ticket as it is now; on
    a notice ("Is it fixed?") its spent buttons go. The card of a ticket the presser no longer
    has anything to do with (a removed head's, an ex-admin's: no event told the bot) becomes the
    "no access" card: what the ticket is, none of what it says, no buttons."""
    await callback.answer(t(error.key, **error.args_), show_alert=True)
    if isinstance(error, NoAccess):
        message = callback.message
        if not isinstance(message, Message) or str(message.message_id) != (
            await services.ticket_cards.card_message(
                error.ticket.id, telegram_address(message.chat.id)
            )
        ):
            return
        view = await services.ticket_cards.card_for_delivery(error.ticket.id, person.id)
        if view is not None and not view.access:
            await edit_quietly(message.edit_text(view.text, reply_markup=None))
        else:
            await drop_buttons(callback)
        return
    if on_card:
        await refresh_pressed(callback, services, person, t, error.ticket.id)
    else:
        await drop_buttons(callback)


async def drop_buttons(callback: CallbackQuery) -> None:
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))


# ----------------------------------------------------------------------------- steps


async def ask(
    callback: CallbackQuery,
    ticket_id: int,
    action: Action,
    step: State,
    state: FSMContext,
    services: Services,
    person: Person,
    t: Translator,
    prompt: Callable[[Ticket], str],
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Checks that ``person`` may do ``action`` now, then waits for their next message. The
    pressed message is remembered, so the outcome can be shown on it. A refusal is the
    router's error handler's (``refuse``)."""
    ticket = await services.ticket_access.check(person, ticket_id, action)
    await callback.answer()
    if callback.message is None:
        return
    await state.set_state(step)
    await state.set_data(
        {
            "ticket_id": ticket.id,
            "origin_chat": callback.message.chat.id,
            "origin_message": callback.message.message_id,
        }
    )
    if isinstance(callback.message, Message):
        sent = await callback.message.answer(prompt(ticket), reply_markup=markup)
        if markup is not None:
            # Its buttons (Skip) go when the step is over: see retire_prompt.
            await state.update_data(prompt_message=sent.message_id)


async def step_ticket(state: FSMContext) -> tuple[int, int | None, int | None]:
    """(ticket id, chat and message id of the pressed message) of the waiting step."""
    data = await state.get_data()
    return int(data.get("ticket_id", 0)), data.get("origin_chat"), data.get("origin_message")


async def step_prompt(state: FSMContext) -> int | None:
    """The message id of the waiting step's prompt, when it carries buttons (Skip)."""
    prompt = (await state.get_data()).get("prompt_message")
    return int(prompt) if prompt else None


async def retire_prompt(bot: Bot, chat_id: int, prompt: int | None) -> None:
    """The step was answered: its prompt's Skip would only confuse (it would skip nothing now),
    so it goes. An old Skip pressed anyway is answered "already done" (handlers/fallback)."""
    if prompt is not None:
        await edit_quietly(
            bot.edit_message_reply_markup(chat_id=chat_id, message_id=prompt, reply_markup=None)
        )


async def read_content(message: Message, t: Translator) -> Content | None:
    """Text, a photo or a voice note; anything else gets a hint and None (the step waits)."""
    try:
        content = content_of(message)
    except TooLong as error:
        await too_long(message, t, error)
        return None
    if content is None:
        await message.answer(t("input-unsupported"))
    return content


async def for_another_ticket(
    message: Message, t: Translator, person: Person, services: Services, ticket_id: int
) -> bool:
    """A Telegram reply to a message of another ticket, sent while a step of ``ticket_id``
    waits: its words were meant for that ticket's people, not this one's, so nothing goes and
    the person is told (the step waits)."""
    replied = message.reply_to_message
    if replied is None:
        return False
    target = await services.ticket_actions.reply_target(
        person, telegram_address(message.chat.id), str(replied.message_id)
    )
    if target is None or target == ticket_id:
        return False
    ticket = await services.ticket_access.check(person, ticket_id, Action.OPEN)
    await message.answer(t("input-other-ticket", number=ticket.number))
    return True


async def read_text(message: Message, t: Translator) -> str | None:
    if message.text is None:
        await message.answer(t("input-text-only"))
        return None
    try:
        check_length(message)
    except TooLong as error:
        await too_long(message, t, error)
        return None
    return message.text


async def too_long(message: Message, t: Translator, error: TooLong) -> None:
    await message.answer(t("input-too-long", length=error.length, max=error.limit))


async def finish(
    message: Message,
    state: FSMContext,
    t: Translator,
    work: Callable[[], Awaitable[Ticket]],
    done: str,
) -> Ticket:
    """Runs the step's use case; the step ends either way (a refusal is final: ``end_step``,
    from the router's error handler)."""
    ticket = await work()
    await state.clear()
    await message.answer(t(done, number=ticket.number))
    return ticket


async def end_step(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """A step's answer was refused: the refusal is final, so the step ends as after an answer
    (its prompt's Skip goes too), and the person reads why."""
    error = event.exception
    assert isinstance(error, ServiceError)
    prompt = await step_prompt(state)
    await state.clear()
    await tell(event.update, bot, t(error.key, **error.args_))
    if event.update.message is not None:
        await retire_prompt(bot, event.update.message.chat.id, prompt)


async def ask_again_or_end(
    event: ErrorEvent,
    state: FSMContext,
    bot: Bot,
    t: Translator,
    again: tuple[type[ServiceError], ...] = (InputRefused,),
) -> None:
    """A typed answer was refused: one out of shape (``again``) is asked again, the step waiting;
    any other refusal is final and ends the step, so the person's next words are not read as
    another answer. Either way the person reads why."""
    error = event.exception
    assert isinstance(error, ServiceError)
    if not isinstance(error, again):
        await state.clear()
    await tell(event.update, bot, t(error.key, **error.args_))


async def end_flow(event: ErrorEvent, state: FSMContext, bot: Bot, text: str) -> None:
    """A flow its author may no longer finish (removed from the role meanwhile): it ends, the
    pressed message's buttons go, and the person reads why in the chat, not only on a button
    that vanishes (the next press or message is not refused again)."""
    await state.clear()
    query = event.update.callback_query
    if query is not None:
        await query.answer()
        await drop_buttons(query)
    await tell(event.update, bot, text)


def skip_markup(t: Translator, ticket_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("step-skip"), callback_data=SkipCb(ticket_id=ticket_id))
    return builder.as_markup()


# ----------------------------------------------------------------------------- lists


def ticket_label(ticket: ListedView, category: str | None = None) -> str:
    """A list's button: status, number and the description's first line; with ``category``
    (its name, in the reader's language), a followed ticket's, which shows its category
    instead of a neighbour's words."""
    icon = STATUS_ICONS.get(ticket.status, "") + ("⬆️" if ticket.escalated else "")
    if category is not None:
        return f"{icon} #{ticket.number} 🙋 {category}"
    summary = cut((ticket.description.strip().splitlines() or ["📎"])[0], BUTTON_TEXT)
    return f"{icon} #{ticket.number} {summary}"


def add_ticket_buttons(
    builder: InlineKeyboardBuilder,
    tickets: Sequence[ListedView],
    *,
    followed: Mapping[int, str] | None = None,
) -> None:
    """``followed``: the tickets the reader follows (not wrote), with their category's name."""
    followed = followed or {}
    for ticket in tickets:
        builder.button(
            text=ticket_label(ticket, followed.get(ticket.id)),
            callback_data=TicketCb(action=Action.OPEN, ticket_id=ticket.id),
        )


def pager(
    page: int, pages: int, data: Callable[[int], CallbackData]
) -> list[tuple[str, CallbackData]]:
    nav: list[tuple[str, CallbackData]] = []
    if page > 0:
        nav.append(("‹", data(page - 1)))
    if page < pages - 1:
        nav.append(("›", data(page + 1)))
    return nav
