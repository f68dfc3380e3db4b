"""Volunteering in chat, the volunteers' side: "Sign up" under an activity's announcement (and
"Cancel my sign-up" under the answer), the check-in QR opening ``/start v…`` (checked in),
``/hours``, ``/helped 2 what I did``; the head's Confirm / Decline under a neighbour's help.
The organiser's side is in handlers/activities.py, the offers to serve in handlers/serving.py."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.links import PayloadKind
from bot.services.scheduling import SchedAction
from bot.services.service_hours import fmt_hours
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.scheduling import SchedCb
from handlers.ticketing import drop_buttons
from handlers.volunteer_keyboards import VolCb, VolStep, vol_button
from storage.models import Person

router = Router(name="volunteering")


@router.callback_query(SchedCb.filter(F.action == SchedAction.VOL_SIGN_UP))
async def on_sign_up(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    signed = await services.volunteering.sign_up(person, callback_data.ticket_id)
    await callback.answer()
    builder = InlineKeyboardBuilder()
    vol_button(builder, t("vol-btn-unsign"), VolStep.UNSIGN, signed.activity.id)
    if isinstance(callback.message, Message):
        text = t(
            "vol-signed",
            title=signed.activity.title,
            when=signed.starts_local.strftime("%Y-%m-%d %H:%M"),
            left=signed.left,
        )
        await callback.message.answer(text, reply_markup=builder.as_markup())


@router.callback_query(VolCb.filter(F.step == VolStep.UNSIGN))
async def on_unsign(
    callback: CallbackQuery, callback_data: VolCb, t: Translator, person: Person, services: Services
) -> None:
    activity = await services.volunteering.cancel_signup(person, callback_data.id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("vol-unsigned", title=activity.title))


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(PayloadKind.CHECKIN.value)))
async def cmd_start_checkin(
    message: Message, command: CommandObject, t: Translator, person: Person, services: Services
) -> None:
    token = (command.args or "")[len(PayloadKind.CHECKIN.value) :]
    checked = await services.volunteering.check_in(person, token)
    key = "vol-checked-in-again" if checked.already else "vol-checked-in"
    await message.answer(t(key, title=checked.activity.title, hours=fmt_hours(checked.hours)))


@router.message(Command("hours"))
async def cmd_hours(message: Message, t: Translator, person: Person, services: Services) -> None:
    summary = await services.service_hours.hours(person)
    await message.answer(
        t(
            "vol-hours",
            confirmed=fmt_hours(summary.confirmed),
            waiting=fmt_hours(summary.waiting),
        )
    )


@router.message(Command("helped"))
async def cmd_helped(
    message: Message, command: CommandObject, t: Translator, person: Person, services: Services
) -> None:
    hours, _, note = (command.args or "").strip().partition(" ")
    if not hours or not note.strip():
        await message.answer(t("vol-help-usage"))
        return
    row = await services.service_hours.log_help(person, hours, note)
    await message.answer(t("vol-help-logged", hours=fmt_hours(row.hours)))


@router.callback_query(SchedCb.filter(F.action.in_({SchedAction.HELP_OK, SchedAction.HELP_NO})))
async def on_help_decided(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    approve = callback_data.action is SchedAction.HELP_OK
    row = await services.service_hours.decide_help(person, callback_data.ticket_id, approve)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        key = "vol-help-you-confirmed" if approve else "vol-help-you-declined"
        await callback.message.answer(t(key, hours=fmt_hours(row.hours)))
