"""Answering without Telegram's Reply: a plain message (text, photo, voice) outside any flow
goes to the conversation in progress, if the person has one (bot/services/conversations.py).
One → relayed at once, with a one-tap "No, this is a new problem" that takes it back; several
→ the person picks the ticket (or "a new problem") before anything is sent. Without one the
message goes on to "report this?". Sits after Telegram replies (handlers/relay.py) and before
the offer (handlers/report/offer.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.cards import category_label
from bot.services.conversations import Conversation
from bot.services.ticket_core import MAX_DESCRIPTION, MAX_MEDIA, Content
from bot.text import utf16_len
from handlers.filters import Is
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.report.asks import begin
from handlers.report.flow import ReportFlow, Step, button
from handlers.ticketing import FreeInput, drop_buttons, edit_quietly, pager, read_content
from storage.models import Person

router = Router(name="conversation")
PAGE_SIZE = 5
MAX_PENDING = 10
TALK = F.text | F.photo | F.voice  # what can be relayed


class ConversationFlow(StatesGroup):
    pick = State()  # several conversations: which ticket is the message about?


class ConvAction(StrEnum):
    RETRACT = "r"  # id: the relayed message (a ticket event)
    PICK = "p"  # id: the ticket
    PAGE = "g"  # id: the page
    NEW = "n"  # a new problem
    DROP = "x"  # none of them: send nothing


class ConvCb(CallbackData, prefix="cv1"):
    action: ConvAction
    id: CallbackInt = 0  # a database id or a page


@router.message(StateFilter(None), Is(TALK), FreeInput())
async def on_plain_message(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    album = message.media_group_id
    follows = await services.conversations.album_ticket(person, album) if album else None
    if follows is not None:
        # The rest of an album whose first photo went to a ticket (the step that took it is
        # over): it goes there too, answered once already.
        content = await read_content(message, t)
        if content is not None:
            await _send(message, t, person, services, follows, content)
        return
    conversations = await services.conversations.in_progress(person)
    if not conversations:
        raise SkipHandler  # nothing in progress: "report this?"
    content = await read_content(message, t)
    if content is None:
        return
    if len(conversations) == 1:
        await _send(message, t, person, services, conversations[0].ticket.id, content)
        return
    await state.set_state(ConversationFlow.pick)
    await state.set_data({"pending": [_dump(content)], "album": message.media_group_id})
    text, markup = _which(t, conversations, 0, 1, await _resident(person, services))
    await message.answer(text, reply_markup=markup)


async def _send(
    message: Message,
    t: Translator,
    person: Person,
    services: Services,
    ticket_id: int,
    content: Content,
) -> None:
    # A ticket closed meanwhile: handlers/relay.py says so, as for a Telegram reply.
    relayed = await services.conversations.send(person, ticket_id, content)
    if not relayed.first:
        return  # a further photo of an album: the first one was answered
    number = relayed.ticket.number
    builder = InlineKeyboardBuilder()
    label = t("conv-not-for", number=number) if relayed.staff else t("conv-new-problem")
    builder.button(text=label, callback_data=ConvCb(action=ConvAction.RETRACT, id=relayed.event_id))
    key = "conv-sent-staff" if relayed.staff else "conv-sent-resident"
    await message.answer(t(key, number=number), reply_markup=builder.as_markup())


# ----------------------------------------------------------------------------- take it back


@router.callback_query(ConvCb.filter(F.action == ConvAction.RETRACT))
async def on_retract(
    callback: CallbackQuery,
    callback_data: ConvCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Not theirs: refused; taken back already, or too old: refused and the button goes
    # (Spent, handlers/errors.py).
    retracted = await services.conversations.retract(person, callback_data.id)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    number = retracted.ticket.number
    prefill = _prefill(retracted.contents)
    # Asked to ignore it, or it had not gone yet: either way the other side will not act on it.
    unsent = "" if retracted.told else "-unsent"
    if not retracted.staff:
        # "No, this is a new problem": the report starts at once, with the message in it.
        taken = t(f"conv-taken-back{unsent}", number=number)
        await edit_quietly(callback.message.edit_text(taken))
        await begin(callback.message, state, t, person, services, prefill)
        return
    text = t(f"conv-taken-back-staff{unsent}", number=number)
    if not await _resident(person, services):
        await edit_quietly(callback.message.edit_text(text))
        return
    # A head who lives in a building may have meant a problem of their own.
    await state.set_state(ReportFlow.offer)
    await state.set_data(prefill)
    builder = InlineKeyboardBuilder()
    button(builder, t("report-offer-yes"), Step.OFFER_YES)
    button(builder, t("report-offer-no"), Step.OFFER_NO)
    await edit_quietly(
        callback.message.edit_text(
            text + "\n\n" + t("report-offer"), reply_markup=builder.as_markup()
        )
    )


# ----------------------------------------------------------------------------- which ticket?


def _which(
    t: Translator,
    conversations: Sequence[Conversation],
    page: int,
    count: int,
    resident: bool,
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(conversations) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = conversations[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    builder = InlineKeyboardBuilder()
    for c in shown:
        category = category_label(t, c.category, c.ticket.category)
        builder.button(
            text=f"#{c.ticket.number} {category} · {c.building}",
            callback_data=ConvCb(action=ConvAction.PICK, id=c.ticket.id),
        )
    nav = pager(page, pages, lambda n: ConvCb(action=ConvAction.PAGE, id=n))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    if resident:
        builder.button(text=t("conv-pick-new"), callback_data=ConvCb(action=ConvAction.NEW))
    else:
        builder.button(text=t("conv-none"), callback_data=ConvCb(action=ConvAction.DROP))
    builder.adjust(*([1] * len(shown)), *([len(nav)] if nav else []), 1)
    return t("conv-which", count=count), builder.as_markup()


@router.message(StateFilter(ConversationFlow.pick), Is(TALK), FreeInput())
async def on_more(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    """Another message before the choice: it waits with the first (an album quietly)."""
    data = await state.get_data()
    pending: list[dict[str, Any]] = list(data.get("pending", []))
    if len(pending) >= MAX_PENDING:
        await message.answer(t("conv-pick-hint"))
        return
    content = await read_content(message, t)
    if content is None:
        return
    words = [str(c.get("text") or "") for c in pending] + [content.text or ""]
    if utf16_len("\n".join(words)) > MAX_DESCRIPTION:
        # All of it may yet become one report ("A new problem"): no more than a report holds.
        await message.answer(t("conv-pick-full"))
        return
    pending.append(_dump(content))
    await state.update_data(pending=pending)
    if message.media_group_id is not None and message.media_group_id == data.get("album"):
        return
    await state.update_data(album=message.media_group_id)
    conversations = await services.conversations.in_progress(person)
    resident = await _resident(person, services)
    text, markup = _which(t, conversations, 0, len(pending), resident)
    await message.answer(text, reply_markup=markup)


@router.message(StateFilter(ConversationFlow.pick), FreeInput())
async def on_pick_other(message: Message, t: Translator) -> None:
    await message.answer(t("conv-pick-hint"))


@router.callback_query(StateFilter(ConversationFlow.pick), ConvCb.filter())
async def on_pick(
    callback: CallbackQuery,
    callback_data: ConvCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    pending = [Content(**c) for c in (await state.get_data()).get("pending", [])]
    action = callback_data.action
    if action is ConvAction.PAGE:
        conversations = await services.conversations.in_progress(person)
        resident = await _resident(person, services)
        text, markup = _which(t, conversations, callback_data.id, len(pending), resident)
        await callback.answer()
        if isinstance(callback.message, Message):
            await edit_quietly(callback.message.edit_text(text, reply_markup=markup))
        return
    if action is ConvAction.PICK:
        await _deliver(callback, state, t, person, services, callback_data.id, pending)
        return
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if action is ConvAction.NEW and await _resident(person, services):
        await drop_buttons(callback)
        await begin(callback.message, state, t, person, services, _prefill(pending))
        return
    await state.clear()
    await edit_quietly(callback.message.edit_text(t("conv-not-sent")))


async def _deliver(
    callback: CallbackQuery,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    ticket_id: int,
    pending: list[Content],
) -> None:
    """Sends what waited to the chosen ticket; a refusal (forged id, a ticket closed in the
    meantime) keeps it waiting for another choice."""
    sent = None
    for content in pending:
        # A refusal (handlers/errors.py; a closed ticket: handlers/relay.py) leaves the rest.
        sent = await services.conversations.send(person, ticket_id, content)
        # What was sent no longer waits (a refusal half-way resends nothing twice).
        data = await state.get_data()
        await state.update_data(pending=list(data.get("pending", []))[1:])
    await state.clear()
    await callback.answer()
    if sent is not None and isinstance(callback.message, Message):
        key = "conv-sent-staff" if sent.staff else "conv-sent-resident"
        await edit_quietly(callback.message.edit_text(t(key, number=sent.ticket.number)))


# ----------------------------------------------------------------------------- helpers


async def _resident(person: Person, services: Services) -> bool:
    return bool(await services.reporting.resident_buildings(person))


def _dump(content: Content) -> dict[str, Any]:
    return dataclasses.asdict(content)


def _prefill(contents: Sequence[Content]) -> dict[str, Any]:
    """A report begun from relayed messages: their words and media."""
    text = "\n".join(c.text for c in contents if c.text)
    media = [
        {"type": "photo", "web_file": c.web_photo}
        if c.web_photo
        else {"type": "photo", "file_id": c.photo}
        if c.photo
        else {"type": "voice", "file_id": c.voice}
        for c in contents
        if c.has_photo or c.voice
    ]
    return {"description": text.strip(), "media": media[:MAX_MEDIA]}
