"""Notices in chat. The author: ``/notice`` → the buildings (skipped for a head of one) → the
text → up to five photos → now, tomorrow 07:30 or a typed time → urgent or not → the summary
("reaches N people, about M minutes") → Send. ``/notices``: the author's notices with what
reached, what is blocked and what is pending, and Cancel / Withdraw / Correct. A reader: the
mute button under each copy.

The draft lives in the conversation state (server side); callback data carries a step and an
id only, and every id is checked by the service against the person's current roles (a forged
building is refused there, through the one error handler)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.notice_errors import NotAuthor
from bot.services.notices import (
    MAX_PHOTOS,
    MAX_TEXT,
    NoticeDraft,
    Preview,
    check_photos,
    check_text,
)
from bot.text import TEXT_LIMIT, cut, utf16_len
from handlers.filters import Is, OnMessage, OnPress
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.notice_keyboards import NoticeCb, NoticeStep, building_picker
from handlers.ticketing import FreeInput, drop_buttons, edit_quietly, end_flow, read_text
from storage.models import NoticeStatus, Person

router = Router(name="notices")
LISTED = 5  # notices in /notices


class NoticeFlow(StatesGroup):
    targets = State()
    text = State()
    photos = State()
    when = State()
    urgent = State()
    confirm = State()
    correct = State()


def _button(builder: InlineKeyboardBuilder, text: str, step: NoticeStep, id_: int = 0) -> None:
    builder.button(text=text, callback_data=NoticeCb(step=step, id=id_))


def _draft(data: dict[str, Any]) -> NoticeDraft:
    send_at = data.get("send_at")
    return NoticeDraft(
        building_ids=list(data.get("buildings", [])),
        text=str(data.get("text", "")),
        photos=list(data.get("photos", [])),
        send_at=datetime.fromisoformat(send_at) if send_at else None,
        urgent=bool(data.get("urgent", False)),
    )


# ----------------------------------------------------------------------------- the buildings


async def _targets_markup(
    t: Translator, services: Services, person: Person, chosen: list[int]
) -> InlineKeyboardMarkup:
    return building_picker(
        t,
        await services.notices.targets(person),
        chosen,
        lambda id_: NoticeCb(step=NoticeStep.TOGGLE, id=id_),
        NoticeCb(step=NoticeStep.ALL),
        NoticeCb(step=NoticeStep.NEXT),
    )


@router.message(Command("notice"))
async def cmd_notice(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    offered = await services.notices.targets(person)  # NotAuthor for a resident
    await state.clear()
    if len(offered) == 1:
        await state.update_data(buildings=[offered[0].id])
        await _ask_text(message, state, t)
        return
    await state.set_state(NoticeFlow.targets)
    await state.update_data(buildings=[])
    markup = await _targets_markup(t, services, person, [])
    await message.answer(t("notice-ask-targets"), reply_markup=markup)


@router.callback_query(NoticeCb.filter(F.step == NoticeStep.TOGGLE))
async def on_toggle(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Checked before anything else: a forged building is refused whatever the state.
    await services.notices.check_targets(person, [callback_data.id])
    if await state.get_state() != NoticeFlow.targets.state:
        await callback.answer(t("notice-stale"))
        return
    chosen = list((await state.get_data()).get("buildings", []))
    if callback_data.id in chosen:
        chosen.remove(callback_data.id)
    else:
        chosen.append(callback_data.id)
    await state.update_data(buildings=chosen)
    await callback.answer()
    if isinstance(callback.message, Message):
        markup = await _targets_markup(t, services, person, chosen)
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=markup))


@router.callback_query(StateFilter(NoticeFlow.targets), NoticeCb.filter(F.step == NoticeStep.ALL))
async def on_all(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    offered = await services.notices.targets(person)
    chosen = [b.id for b in offered]
    await services.notices.check_targets(person, chosen)
    await state.update_data(buildings=chosen)
    await callback.answer()
    if isinstance(callback.message, Message):
        await _ask_text(callback.message, state, t)


@router.callback_query(StateFilter(NoticeFlow.targets), NoticeCb.filter(F.step == NoticeStep.NEXT))
async def on_next(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    chosen = list((await state.get_data()).get("buildings", []))
    if not chosen:
        await callback.answer(t("notice-choose-one"), show_alert=True)
        return
    await services.notices.check_targets(person, chosen)
    await callback.answer()
    if isinstance(callback.message, Message):
        await _ask_text(callback.message, state, t)


# ----------------------------------------------------------------------------- text, photos


async def _ask_text(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(NoticeFlow.text)
    await message.answer(t("notice-ask-text", max=MAX_TEXT))


@router.message(StateFilter(NoticeFlow.text), FreeInput())
async def on_text(message: Message, state: FSMContext, t: Translator, services: Services) -> None:
    text = await read_text(message, t)  # a sticker, a photo: asked again
    if text is None:
        return
    check_text(text)  # NoticeTooLong: read to the author, the step waits
    await state.update_data(text=text, photos=[])
    await state.set_state(NoticeFlow.photos)
    builder = InlineKeyboardBuilder()
    _button(builder, t("notice-btn-no-photos"), NoticeStep.PHOTOS_DONE)
    await message.answer(t("notice-ask-photos", max=MAX_PHOTOS), reply_markup=builder.as_markup())


@router.message(StateFilter(NoticeFlow.photos), Is(F.photo))
async def on_photo(message: Message, state: FSMContext, t: Translator) -> None:
    """A photo; an album (one update per photo) is answered once, and refused once when it
    goes past the limit, as a report's photos are."""
    assert message.photo is not None
    data = await state.get_data()
    photos = list(data.get("photos", []))
    album = message.media_group_id
    more_of_album = album is not None and data.get("album") == album
    photos.append(message.photo[-1].file_id)
    if len(photos) > MAX_PHOTOS:
        if album is not None and data.get("refused") == album:
            return  # this album's first photo past the limit was refused already
        await state.update_data(refused=album)
    check_photos(photos)  # TooManyPhotos: the sixth is refused, the five are kept
    await state.update_data(photos=photos, album=album)
    if more_of_album:
        return
    builder = InlineKeyboardBuilder()
    _button(builder, t("notice-btn-photos-done"), NoticeStep.PHOTOS_DONE)
    added = "notice-photos-added" if album is not None else "notice-photo-added"
    await message.answer(
        t(added, count=len(photos), max=MAX_PHOTOS), reply_markup=builder.as_markup()
    )


@router.message(StateFilter(NoticeFlow.photos), FreeInput())
async def on_not_photo(message: Message, t: Translator) -> None:
    await message.answer(t("notice-photos-only"))


@router.callback_query(
    StateFilter(NoticeFlow.photos), NoticeCb.filter(F.step == NoticeStep.PHOTOS_DONE)
)
async def on_photos_done(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await callback.answer()
    await state.set_state(NoticeFlow.when)
    builder = InlineKeyboardBuilder()
    _button(builder, t("notice-btn-now"), NoticeStep.NOW)
    _button(builder, t("notice-btn-tomorrow"), NoticeStep.TOMORROW)
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(t("notice-ask-when"), reply_markup=builder.as_markup())


# ----------------------------------------------------------------------------- when, urgency


async def _ask_urgent(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(NoticeFlow.urgent)
    builder = InlineKeyboardBuilder()
    _button(builder, t("notice-btn-normal"), NoticeStep.NORMAL)
    _button(builder, t("notice-btn-urgent"), NoticeStep.URGENT)
    await message.answer(t("notice-ask-urgent"), reply_markup=builder.as_markup())


@router.callback_query(
    StateFilter(NoticeFlow.when), NoticeCb.filter(F.step.in_({NoticeStep.NOW, NoticeStep.TOMORROW}))
)
async def on_when(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    send_at = None
    if callback_data.step == NoticeStep.TOMORROW:
        draft = _draft(await state.get_data())
        send_at = (await services.notices.when(draft.building_ids, None)).isoformat()
    await state.update_data(send_at=send_at)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await _ask_urgent(callback.message, state, t)


@router.message(StateFilter(NoticeFlow.when), FreeInput())
async def on_typed_time(
    message: Message, state: FSMContext, t: Translator, services: Services
) -> None:
    typed = await read_text(message, t)
    if typed is None:
        return
    draft = _draft(await state.get_data())
    send_at = await services.notices.when(draft.building_ids, typed)  # BadTime: asked again
    await state.update_data(send_at=send_at.isoformat())
    await _ask_urgent(message, state, t)


def _summary(t: Translator, draft: NoticeDraft, preview: Preview) -> str:
    """The frame, then the notice's text whole. The list of buildings ("all" of a community
    of 238 names) gets the room the rest leaves in one message, shortened with "…"."""
    names = ", ".join(b.name for b in preview.buildings)
    lines = [
        t("notice-summary-reach", count=preview.reach, minutes=preview.minutes),
    ]
    if preview.send_at is not None:
        lines.append(t("notice-summary-at", when=preview.send_at.strftime("%Y-%m-%d %H:%M")))
    if preview.quiet:
        lines.append(t("notice-summary-quiet", when=preview.goes_at.strftime("%Y-%m-%d %H:%M")))
    lines.append(t("notice-summary-urgent") if draft.urgent else t("notice-summary-normal"))
    if draft.photos:
        lines.append(t("notice-summary-photos", count=len(draft.photos)))
    head = t("notice-summary-head")
    rest = "\n".join(lines) + "\n\n" + draft.text
    room = TEXT_LIMIT - utf16_len(head) - utf16_len(rest) - 2  # the two newlines around "to"
    to = cut(t("notice-summary-to", buildings=names), room)
    return "\n".join([head, to, rest])


@router.callback_query(
    StateFilter(NoticeFlow.urgent),
    NoticeCb.filter(F.step.in_({NoticeStep.URGENT, NoticeStep.NORMAL})),
)
async def on_urgency(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await state.update_data(urgent=callback_data.step == NoticeStep.URGENT)
    draft = _draft(await state.get_data())
    preview = await services.notices.preview(person, draft)
    await state.set_state(NoticeFlow.confirm)
    await callback.answer()
    builder = InlineKeyboardBuilder()
    _button(builder, t("notice-btn-send"), NoticeStep.SEND)
    _button(builder, t("notice-btn-drop"), NoticeStep.DROP)
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(_summary(t, draft, preview), reply_markup=builder.as_markup())


@router.error(ExceptionTypeFilter(NotAuthor), OnPress(StateFilter(NoticeFlow)))
@router.error(ExceptionTypeFilter(NotAuthor), OnMessage(StateFilter(NoticeFlow)))
async def on_no_longer_author(
    event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator
) -> None:
    """Removed as head (or coordinator) while writing: the draft goes, nothing is sent, and
    the next press or message is not refused again."""
    await end_flow(event, state, bot, t("notice-not-allowed") + "\n" + t("flow-ended-unsent"))


@router.callback_query(StateFilter(NoticeFlow.confirm), NoticeCb.filter(F.step == NoticeStep.SEND))
async def on_send(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    draft = _draft(await state.get_data())
    notice, preview = await services.notices.publish(person, draft)
    await state.clear()
    await callback.answer()
    if notice.status == NoticeStatus.SCHEDULED and preview.send_at is not None:
        text = t(
            "notice-scheduled",
            id=notice.id,
            when=preview.send_at.strftime("%Y-%m-%d %H:%M"),
            count=preview.reach,
        )
    else:
        count = notice.recipients or preview.reach  # held for quiet hours: not released yet
        text = t("notice-queued", id=notice.id, count=count, minutes=preview.minutes)
        if preview.quiet:
            text += "\n" + t(
                "notice-summary-quiet", when=preview.goes_at.strftime("%Y-%m-%d %H:%M")
            )
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(text)


@router.callback_query(NoticeCb.filter(F.step == NoticeStep.DROP))
async def on_drop(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    if await state.get_state() in {s.state for s in NoticeFlow.__all_states__}:
        await state.clear()
    await callback.answer(t("notice-dropped"))
    await drop_buttons(callback)
