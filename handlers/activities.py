"""Volunteer activities, the organiser's side: ``/activity`` → the buildings (the notices'
picker, skipped for a head of one) → the form (what, where, when, hours, places; one per line)
→ the summary with the reach → Announce; ``/activities``: their activities, and the open ones
of their buildings whose organiser serves them no more, with the check-in QR, Confirm hours and
Cancel; ``/checkin`` sends the QR of the first open one (their own before those left behind).
The volunteers' side is in handlers/volunteering.py."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ErrorEvent,
    InlineKeyboardMarkup,
    Message,
)

from bot.i18n import Translator
from bot.services import Services
from bot.services.activity_form import NotOrganiser
from bot.services.activity_menus import CHECKIN_QR_SECONDS, checkin_scene
from bot.services.choice_numbers import choice_number
from bot.services.errors import ServiceError
from bot.services.links import start_link
from bot.services.poster import qr_png
from bot.services.service_hours import fmt_hours
from bot.services.volunteering import ActivityPreview
from handlers.filters import OnMessage, OnPress
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.notice_keyboards import building_picker
from handlers.ticketing import (
    FreeInput,
    ask_again_or_end,
    drop_buttons,
    edit_quietly,
    end_flow,
    read_text,
)
from handlers.volunteer_keyboards import VolCb, VolStep, vol_button
from storage.models import ActivityStatus, Person

router = Router(name="activities")


class ActivityFlow(StatesGroup):
    targets = State()
    form = State()
    confirm = State()


async def _targets_markup(
    t: Translator, services: Services, person: Person, chosen: list[int]
) -> InlineKeyboardMarkup:
    """The notices' building picker, for an activity."""
    return building_picker(
        t,
        await services.volunteering.targets(person),
        chosen,
        lambda id_: VolCb(step=VolStep.TOGGLE, id=id_),
        VolCb(step=VolStep.ALL),
        VolCb(step=VolStep.NEXT),
    )


@router.message(Command("activity"))
async def cmd_activity(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    offered = await services.volunteering.targets(person)  # NotOrganiser for a resident
    await state.clear()
    if len(offered) == 1:
        await state.update_data(buildings=[offered[0].id])
        await _ask_form(message, state, t)
        return
    await state.set_state(ActivityFlow.targets)
    await state.update_data(buildings=[])
    markup = await _targets_markup(t, services, person, [])
    await message.answer(t("vol-ask-targets"), reply_markup=markup)


async def _ask_form(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(ActivityFlow.form)
    await message.answer(t("vol-ask-form"))


@router.callback_query(VolCb.filter(F.step == VolStep.TOGGLE))
async def on_toggle(
    callback: CallbackQuery,
    callback_data: VolCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Checked before anything else: a forged building is refused whatever the state.
    await services.volunteering.check_targets(person, [callback_data.id])
    if await state.get_state() != ActivityFlow.targets.state:
        await callback.answer(t("vol-stale"))
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


@router.callback_query(
    StateFilter(ActivityFlow.targets), VolCb.filter(F.step.in_({VolStep.ALL, VolStep.NEXT}))
)
async def on_targets_chosen(
    callback: CallbackQuery,
    callback_data: VolCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    if callback_data.step is VolStep.ALL:
        chosen = [b.id for b in await services.volunteering.targets(person)]
    else:
        chosen = list((await state.get_data()).get("buildings", []))
        if not chosen:
            await callback.answer(t("notice-choose-one"), show_alert=True)
            return
    await services.volunteering.check_targets(person, chosen)
    await state.update_data(buildings=chosen)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await _ask_form(callback.message, state, t)


def _summary(t: Translator, preview: ActivityPreview) -> str:
    draft = preview.draft
    return "\n".join(
        [
            t("vol-summary-head"),
            t(
                "vol-summary",
                title=draft.title,
                place=draft.place,
                when=preview.starts_local.strftime("%Y-%m-%d %H:%M"),
                hours=fmt_hours(draft.hours),
                places=draft.capacity,
            ),
            t("vol-summary-to", buildings=", ".join(b.name for b in preview.buildings)),
            t("vol-summary-reach", count=preview.reach),
        ]
    )


@router.message(StateFilter(ActivityFlow.form), FreeInput())
async def on_form(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    text = await read_text(message, t)  # a sticker, a photo: asked again
    if text is None:
        return
    buildings = list((await state.get_data()).get("buildings", []))
    # InputRefused: asked again.
    preview = await services.volunteering.preview(person, text, buildings)
    await state.update_data(form=text)
    await state.set_state(ActivityFlow.confirm)
    builder = InlineKeyboardBuilder()
    vol_button(builder, t("vol-btn-send"), VolStep.SEND)
    vol_button(builder, t("vol-btn-drop"), VolStep.DROP)
    await message.answer(_summary(t, preview), reply_markup=builder.as_markup())


@router.error(
    ExceptionTypeFilter(ServiceError), OnMessage(StateFilter(ActivityFlow.form), FreeInput())
)
async def on_form_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """A form out of shape is asked again; a refusal for good (no longer organising for these
    buildings) ends the step, so the next message is not taken for another form."""
    await ask_again_or_end(event, state, bot, t)


@router.error(ExceptionTypeFilter(NotOrganiser), OnPress(StateFilter(ActivityFlow)))
async def on_no_longer_organiser(
    event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator
) -> None:
    """Removed as head (or coordinator) before pressing Announce (or Next): the draft goes,
    nothing is announced, and the next press is not refused again."""
    await end_flow(event, state, bot, t("vol-not-allowed") + "\n" + t("flow-ended-unsent"))


@router.callback_query(StateFilter(ActivityFlow.confirm), VolCb.filter(F.step == VolStep.SEND))
async def on_send(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    data = await state.get_data()
    form, buildings = str(data.get("form", "")), list(data.get("buildings", []))
    preview = await services.volunteering.publish(person, form, buildings)
    await state.clear()
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            t("vol-published", title=preview.draft.title, count=preview.reach)
        )


@router.callback_query(VolCb.filter(F.step == VolStep.DROP))
async def on_drop(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    if await state.get_state() in {s.state for s in ActivityFlow.__all_states__}:
        await state.clear()
    await callback.answer(t("vol-dropped"))
    await drop_buttons(callback)


@router.message(Command("activities"))
async def cmd_activities(
    message: Message, t: Translator, person: Person, services: Services
) -> None:
    listed = await services.volunteering.organised(person)
    if not listed:
        await message.answer(t("vol-none-organised"))
        return
    for item in listed:
        activity = item.activity
        builder = InlineKeyboardBuilder()
        if activity.status is ActivityStatus.OPEN:
            vol_button(builder, t("vol-btn-qr"), VolStep.QR, activity.id)
            vol_button(builder, t("vol-btn-confirm"), VolStep.CONFIRM, activity.id)
            vol_button(builder, t("vol-btn-cancel-activity"), VolStep.CANCEL, activity.id)
        text = t(
            "vol-listed",
            id=activity.id,
            title=activity.title,
            when=item.starts_local.strftime("%Y-%m-%d %H:%M"),
            signed=item.signed,
            places=activity.capacity,
            checked=item.checked_in,
            status=t(f"vol-status-{activity.status.value}"),
        )
        if item.orphaned:
            text += "\n" + t("vol-listed-left-behind")
        await message.answer(text, reply_markup=builder.as_markup())


log = logging.getLogger(__name__)

# The WeChat door's parametric QR maker (scene, seconds it lasts) → the code's content, in
# the dispatcher's data as "wechat_qr" when WeChat is configured (bot/__main__.py).
WeChatQr = Callable[[str, int | None], Awaitable[str]]


async def _send_qr(
    message: Message,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
    id_: int,
    wechat_qr: WeChatQr | None = None,
) -> None:
    payload, title = await services.volunteering.checkin_payload(person, id_)
    username = (await bot.me()).username or ""
    link = start_link(username, payload)
    await message.answer_photo(
        BufferedInputFile(qr_png(link, scale=10), filename=f"checkin-{id_}.png"),
        caption=t("vol-qr", title=title, link=link),
    )
    if wechat_qr is not None:
        # The same check-in for volunteers on WeChat: scanning it in WeChat sends the door
        # a SCAN (or subscribe) event with this scene (bot/services/wechat_door.py).
        try:
            content = await wechat_qr(checkin_scene(payload), CHECKIN_QR_SECONDS)
        except Exception:  # WeChat's refusal or the network: the Telegram code still works
            log.warning(
                "the WeChat check-in QR of activity %s could not be made", id_, exc_info=True
            )
            await message.answer(t("wechat-checkin-qr-failed"))
            return
        await message.answer_photo(
            BufferedInputFile(qr_png(content, scale=10), filename=f"checkin-{id_}-wechat.png"),
            caption=t("wechat-checkin-qr", title=title),
        )


@router.message(Command("checkin"))
async def cmd_checkin(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
    wechat_qr: WeChatQr | None = None,
) -> None:
    # An id as the bot shows it: not "²" (isdigit, but no int) nor 20 digits (past any id).
    typed = choice_number((command.args or "").strip(), digits=9)
    if typed is not None:
        activity_id = typed
    else:
        open_ = [
            i.activity.id
            for i in await services.volunteering.organised(person)
            if i.activity.status is ActivityStatus.OPEN
        ]
        if not open_:
            await message.answer(t("vol-none-organised"))
            return
        activity_id = open_[0]
    await _send_qr(message, t, person, services, bot, activity_id, wechat_qr)


@router.callback_query(VolCb.filter(F.step == VolStep.QR))
async def on_qr(
    callback: CallbackQuery,
    callback_data: VolCb,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
    wechat_qr: WeChatQr | None = None,
) -> None:
    await services.volunteering.checkin_payload(person, callback_data.id)  # refused first
    await callback.answer()
    if isinstance(callback.message, Message):
        await _send_qr(callback.message, t, person, services, bot, callback_data.id, wechat_qr)


@router.callback_query(VolCb.filter(F.step == VolStep.CONFIRM))
async def on_confirm(
    callback: CallbackQuery, callback_data: VolCb, t: Translator, person: Person, services: Services
) -> None:
    count, hours = await services.volunteering.confirm_hours(person, callback_data.id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("vol-confirmed", count=count, hours=fmt_hours(hours)))


@router.callback_query(VolCb.filter(F.step == VolStep.CANCEL))
async def on_cancel_activity(
    callback: CallbackQuery, callback_data: VolCb, t: Translator, person: Person, services: Services
) -> None:
    activity = await services.volunteering.cancel_activity(person, callback_data.id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("vol-activity-cancelled", title=activity.title))
