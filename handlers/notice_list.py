"""After a notice is sent: ``/notices`` (the author's notices with reached / blocked / pending
and what is left of the time), Cancel (what has not gone), Withdraw, Correct (asks for the new
text), and for the community office the others' notices of its communities, to withdraw; and a
reader's mute button under each copy."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.errors import InputRefused, ServiceError
from bot.services.notice_errors import NoticeTooLong
from bot.services.notices import MAX_TEXT, Listed
from bot.text import cut
from handlers.filters import OnMessage
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.notice_keyboards import NoticeCb, NoticeStep, mute_markup
from handlers.notices import LISTED, NoticeFlow
from handlers.telling import answer_press
from handlers.ticketing import FreeInput, ask_again_or_end, edit_quietly, read_text
from storage.models import NoticeStatus, Person

router = Router(name="notice_list")
NAMES = 200  # UTF-16 units of a listed notice's buildings ("all" of a community is 238 names)


def _line(t: Translator, item: Listed) -> str:
    notice, progress = item.notice, item.progress
    head = t(
        "notice-list-item",
        id=notice.id,
        buildings=cut(", ".join(item.building_names), NAMES),
        when=item.send_at.strftime("%Y-%m-%d %H:%M"),
        status=t(f"notice-status-{notice.status.value}"),
        urgent="yes" if notice.urgent else "no",
    )
    if notice.status == NoticeStatus.SCHEDULED or notice.status == NoticeStatus.CANCELLED:
        return head
    counts = t(
        "notice-list-counts",
        reached=progress.reached,
        blocked=progress.blocked,
        pending=progress.pending,
        cancelled=progress.cancelled,
    )
    if progress.pending:
        counts += " " + t("notice-list-left", minutes=item.minutes_left)
    return head + "\n" + counts


@router.message(Command("notices"))
async def cmd_notices(message: Message, t: Translator, person: Person, services: Services) -> None:
    listed = await services.notices.mine(person, LISTED)
    # The community office also sees the others' notices of its communities, to withdraw one
    # (a removed head's, say): in a message of its own, each within Telegram's length.
    others = await services.notices.of_others(person, LISTED)
    if not listed and not others:
        await message.answer(t("notice-list-empty"))
        return
    for head, items in (("notice-list-head", listed), ("notice-list-office", others)):
        if items:
            text = "\n\n".join([t(head), *(_line(t, item) for item in items)])
            await message.answer(text, reply_markup=_buttons(t, items))


def _buttons(t: Translator, listed: list[Listed]) -> InlineKeyboardMarkup:
    """Only what the reader may still do to each (his current roles): the service refuses
    the rest anyway, and a button that is always refused is a broken promise."""
    builder = InlineKeyboardBuilder()
    for item in listed:
        notice = item.notice
        if item.may_cancel:
            builder.button(
                text=t("notice-btn-cancel", id=notice.id),
                callback_data=NoticeCb(step=NoticeStep.CANCEL, id=notice.id),
            )
        if item.may_withdraw:
            builder.button(
                text=t("notice-btn-withdraw", id=notice.id),
                callback_data=NoticeCb(step=NoticeStep.WITHDRAW, id=notice.id),
            )
        if item.may_correct:
            builder.button(
                text=t("notice-btn-correct", id=notice.id),
                callback_data=NoticeCb(step=NoticeStep.CORRECT, id=notice.id),
            )
    builder.adjust(3)
    return builder.as_markup()


@router.callback_query(NoticeCb.filter(F.step == NoticeStep.CANCEL))
async def on_cancel(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    notice, stopped = await services.notices.cancel(person, callback_data.id)
    await callback.answer(t("notice-cancelled", id=notice.id, count=stopped), show_alert=True)


@router.callback_query(NoticeCb.filter(F.step == NoticeStep.WITHDRAW))
async def on_withdraw(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    notice, deleted, edited = await services.notice_copies.withdraw(person, callback_data.id)
    await callback.answer(
        t("notice-withdraw-done", id=notice.id, deleted=deleted, edited=edited), show_alert=True
    )


@router.callback_query(NoticeCb.filter(F.step == NoticeStep.CORRECT))
async def on_correct(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Refused (an alert) unless it is theirs, still changeable and to buildings they look after.
    await services.notice_copies.correctable(person, callback_data.id)
    await state.set_state(NoticeFlow.correct)
    await state.set_data({"notice_id": callback_data.id})
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(t("notice-ask-correction", id=callback_data.id, max=MAX_TEXT))


@router.message(StateFilter(NoticeFlow.correct), FreeInput())
async def on_correction(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    text = await read_text(message, t)
    if text is None:
        return
    notice_id = int((await state.get_data()).get("notice_id", 0))
    notice, edited = await services.notice_copies.correct(person, notice_id, text)
    await state.clear()
    await message.answer(t("notice-corrected-done", id=notice.id, count=edited))


@router.error(
    ExceptionTypeFilter(ServiceError), OnMessage(StateFilter(NoticeFlow.correct), FreeInput())
)
async def on_correction_refused(
    event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator
) -> None:
    """A text too long is asked again; a notice that can no longer be corrected (withdrawn
    meanwhile, the author no longer looking after its buildings) ends the step, so the
    author's next words are not taken for another correction."""
    await ask_again_or_end(event, state, bot, t, again=(InputRefused, NoticeTooLong))


@router.callback_query(
    NoticeCb.filter(F.step.in_({NoticeStep.MUTE, NoticeStep.MUTE_ON, NoticeStep.MUTE_OFF}))
)
async def on_mute(
    callback: CallbackQuery,
    callback_data: NoticeCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    copies = services.notice_copies
    if callback_data.step is NoticeStep.MUTE:
        muted, building = await copies.toggle_mute(person, callback_data.id)
    else:
        muted = callback_data.step is NoticeStep.MUTE_ON
        _, building = await copies.set_mute(person, callback_data.id, muted)
    key = "notice-muted" if muted else "notice-unmuted"
    await answer_press(callback, t(key, building=building))
    if isinstance(callback.message, Message):
        label = t("notice-btn-unmute" if muted else "notice-btn-mute")
        markup = mute_markup(label, callback_data.id, muted)
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=markup))
