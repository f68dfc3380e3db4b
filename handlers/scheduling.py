"""The scheduler's buttons (snooze a reminder, "still fixed?", reopen an auto-closed ticket),
``/digest [YYYY-MM-DD]`` (and its "Today so far"), and the keyboard of outbox rows that carry
``[label, action, id]`` buttons (the delivery worker calls ``outbox_markup``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, ExceptionTypeFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ErrorEvent,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.i18n import Translator
from bot.services import Services
from bot.services.digest import Digest
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.redemptions import POINTS_ACTIONS
from bot.services.scheduling import SchedAction
from handlers.answers import answer_long
from handlers.filters import OnPress
from handlers.keyboards import CallbackInt, TicketCb
from handlers.points_keyboards import PointsCb, PointsStep
from handlers.telling import tell
from handlers.ticketing import drop_buttons, edit_quietly
from storage.models import Person

router = Router(name="scheduling")
# The earliest day /digest reads: before it no community had tickets here, and near the
# calendar's start (0001-01-01) a day's window in the community's zone is no datetime at all.
FIRST_DAY = date(2000, 1, 1)


class SchedCb(CallbackData, prefix="s1"):
    action: SchedAction
    ticket_id: CallbackInt = 0


SCHED_ACTIONS = frozenset(a.value for a in SchedAction)


def outbox_markup(
    ticket_id: int | None, rows: Sequence[Sequence[Sequence[str | int]]]
) -> InlineKeyboardMarkup | None:
    """The keyboard of an outbox row's ``buttons``: ``[label, action]`` acts on the row's
    ticket, ``[label, action, id]`` on ticket ``id`` (a reminder or the digest lists several);
    ``action`` is a ticket ``Action`` or, for the scheduler's own buttons, a ``SchedAction``.
    A drop-in for ``handlers.keyboards.ticket_markup``; an unknown action raises ValueError."""
    keyboard: list[list[InlineKeyboardButton]] = []
    for row in rows:
        buttons = []
        for item in row:
            label, action = str(item[0]), str(item[1])
            target = int(item[2]) if len(item) > 2 else ticket_id or 0
            data: CallbackData
            if action in SCHED_ACTIONS:
                data = SchedCb(action=SchedAction(action), ticket_id=target)
            elif action in POINTS_ACTIONS:  # a redemption request's Approve / Deny
                data = PointsCb(step=PointsStep(action), id=target)
            else:
                data = TicketCb(action=Action(action), ticket_id=target)
            buttons.append(InlineKeyboardButton(text=label, callback_data=data.pack()))
        if buttons:
            keyboard.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


async def _drop_snooze(callback: CallbackQuery) -> None:
    """The reminder keeps its "open" buttons; the snooze row goes."""
    message = callback.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [
        row
        for row in message.reply_markup.inline_keyboard
        if not any((b.callback_data or "").startswith(f"{SchedCb.__prefix__}:") for b in row)
    ]
    await edit_quietly(
        message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        )
    )


@router.callback_query(
    SchedCb.filter(F.action.in_({SchedAction.SNOOZE_HOUR, SchedAction.SNOOZE_MORNING}))
)
async def on_snooze(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    kind = "hour" if callback_data.action is SchedAction.SNOOZE_HOUR else "morning"
    until = await services.scheduling.reminders.snooze(person, kind)
    await callback.answer()
    await _drop_snooze(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("sched-snoozed", time=until))


# The buttons of a notice about a closed ticket: Reopen, and the follow-up's Fixed? Yes / No.
_ANSWERS = {SchedAction.REOPEN, SchedAction.FIXED_YES, SchedAction.FIXED_NO}


@router.error(ExceptionTypeFilter(ServiceError), OnPress(SchedCb.filter(F.action.in_(_ANSWERS))))
async def on_answer_refused(
    event: ErrorEvent, callback: CallbackQuery, bot: Bot, t: Translator
) -> None:
    """Too late (the ticket moved on, the reopen window passed) or not theirs: the notice's
    buttons go with the answer; none of them can do anything now."""
    error = event.exception
    assert isinstance(error, ServiceError)
    await tell(event.update, bot, t(error.key, **error.args_))
    await drop_buttons(callback)


@router.callback_query(SchedCb.filter(F.action == SchedAction.REOPEN))
async def on_reopen_closed(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    ticket = await services.scheduling.closing.reopen_closed(person, callback_data.ticket_id)
    await callback.answer()
    await drop_buttons(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("sched-reopened", number=ticket.number))


@router.callback_query(SchedCb.filter(F.action.in_({SchedAction.FIXED_YES, SchedAction.FIXED_NO})))
async def on_followup(
    callback: CallbackQuery,
    callback_data: SchedCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    fixed = callback_data.action is SchedAction.FIXED_YES
    ticket, linked = await services.scheduling.closing.followup_answer(
        person, callback_data.ticket_id, fixed
    )
    await callback.answer()
    await drop_buttons(callback)
    if not isinstance(callback.message, Message):
        return
    if linked is None:
        await callback.message.answer(t("sched-followup-thanks", number=ticket.number))
    else:
        await callback.message.answer(
            t("sched-followup-linked", number=linked.number, old=ticket.number)
        )


class TodayCb(CallbackData, prefix="dg1"):
    """/digest's "Today so far"."""


@router.message(Command("digest"))
async def cmd_digest(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """Coordinators and admins: the morning digest now, about yesterday or a given date; the
    one about yesterday offers today so far (on the first day, yesterday says nothing)."""
    day = None
    if command.args:
        try:
            day = date.fromisoformat(command.args.strip())
        except ValueError:
            day = None
        if day is None or day < FIRST_DAY:
            await message.answer(t("digest-usage"))
            return
    digests = await services.scheduling.digest.on_demand(person, day, t)
    await _send_digests(message, digests, t, offer_today=day is None)


@router.callback_query(TodayCb.filter())
async def on_digest_today(
    callback: CallbackQuery, t: Translator, person: Person, services: Services
) -> None:
    # No longer a coordinator: the refusal reaches handlers/errors.py.
    digests = await services.scheduling.digest.on_demand(person, None, t, today=True)
    await callback.answer()
    if isinstance(callback.message, Message):
        await _send_digests(callback.message, digests, t, offer_today=False)


async def _send_digests(
    message: Message, digests: Sequence[Digest], t: Translator, *, offer_today: bool
) -> None:
    for index, digest in enumerate(digests):
        markup = outbox_markup(None, digest.buttons)
        if offer_today and index == len(digests) - 1:
            today = InlineKeyboardButton(text=t("digest-btn-today"), callback_data=TodayCb().pack())
            rows = markup.inline_keyboard if markup else []
            markup = InlineKeyboardMarkup(inline_keyboard=[*rows, [today]])
        await answer_long(message, digest.text, markup)
        if digest.png is not None:  # None: the chart could not be drawn
            await message.answer_photo(
                BufferedInputFile(digest.png, filename="digest.png"), caption=digest.caption
            )
