"""The report's end: the summary with Send · Edit · Cancel, and a hint for whatever does not
fit the step the draft waits in."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.errors import ReportRefused
from bot.services.ticket_core import Draft
from handlers.filters import OnPress
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.menu import menu_keyboard
from handlers.report.asks import ask_category, ask_description, ask_location, ask_privacy
from handlers.report.flow import ReportCb, ReportFlow, Step, button
from handlers.step_hints import step_hint
from handlers.telling import tell
from handlers.ticketing import FreeInput, edit_quietly
from storage.models import Person

router = Router(name="report-summary")
# Last among the report's routers: what no step took.
leftovers = Router(name="report-leftovers")


@router.callback_query(StateFilter(ReportFlow.summary), ReportCb.filter(F.step == Step.SEND))
async def on_send(
    callback: CallbackQuery,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    data = await state.get_data()
    draft = Draft(
        building_id=int(data["building_id"]),
        category=str(data["category"]),
        description=str(data.get("description") or ""),
        media=list(data.get("media", [])),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        show_name=bool(data.get("show_name", True)),
        show_phone=bool(data.get("show_phone", False)),
        share_description=bool(data.get("share_description", False)),
        key=data.get("draft_key"),
    )
    # A draft to fix (empty, too long) is refused and kept; one that cannot be filed at all
    # is a ReportRefused (on_report_refused).
    reported = await services.reporting.report(person, draft)
    await callback.answer()
    who = ", ".join(dict.fromkeys(t("role-name", role=r) for r in reported.routed_to))
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(
            t(
                "report-sent",
                number=reported.ticket.number,
                who=who or "—",
                building=reported.building,
            ),
            reply_markup=menu_keyboard(t),
        )
    # Only once the resident has their number: an instance that dies before telling them
    # leaves the draft in place, and Telegram's redelivery of this press tells them the number
    # of the ticket already filed (a draft files one ticket) instead of finding no draft.
    await state.clear()


@router.error(
    ExceptionTypeFilter(ReportRefused),
    OnPress(StateFilter(ReportFlow.summary), ReportCb.filter(F.step == Step.SEND)),
)
async def on_report_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """Not a resident of the building (any more), or the day's cap reached: the draft is over."""
    error = event.exception
    assert isinstance(error, ReportRefused)
    await tell(event.update, bot, t(error.key, **error.args_))
    await state.clear()


@router.callback_query(StateFilter(ReportFlow.summary), ReportCb.filter(F.step == Step.EDIT))
async def on_edit(callback: CallbackQuery, t: Translator) -> None:
    await callback.answer()
    builder = InlineKeyboardBuilder()
    button(builder, t("report-edit-category"), Step.EDIT_CATEGORY)
    button(builder, t("report-edit-description"), Step.EDIT_DESCRIPTION)
    button(builder, t("report-edit-location"), Step.EDIT_LOCATION)
    button(builder, t("report-edit-privacy"), Step.EDIT_PRIVACY)
    builder.adjust(2)
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=builder.as_markup()))


@router.callback_query(
    StateFilter(ReportFlow.summary),
    ReportCb.filter(
        F.step.in_(
            {Step.EDIT_CATEGORY, Step.EDIT_DESCRIPTION, Step.EDIT_LOCATION, Step.EDIT_PRIVACY}
        )
    ),
)
async def on_edit_step(
    callback: CallbackQuery,
    callback_data: ReportCb,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    # The summary gives way to the question, and comes back in its place once it is answered
    # by a button (a typed answer gets a new summary).
    await state.update_data(editing=True)
    step = callback_data.step
    if step is Step.EDIT_CATEGORY:
        await ask_category(callback.message, state, t, services, pressed=True)
    elif step is Step.EDIT_DESCRIPTION:
        await ask_description(callback.message, state, t, pressed=True)
    elif step is Step.EDIT_LOCATION:
        await ask_location(callback.message, state, t, pressed=True)
    else:
        await state.update_data(editing=False)
        await ask_privacy(callback.message, state, t, pressed=True)


@router.callback_query(ReportCb.filter(F.step == Step.CANCEL))
async def on_cancel(callback: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(t("report-cancelled"), reply_markup=menu_keyboard(t))


@leftovers.message(StateFilter(ReportFlow), FreeInput())
async def on_unexpected(message: Message, state: FSMContext, t: Translator) -> None:
    """Stickers, polls, dice… or a text where a button is expected: a hint, the draft kept."""
    if await state.get_state() == ReportFlow.description.state:
        await message.answer(t("report-describe-hint"))
        return
    await message.answer(await step_hint(state, t) or t("flow-hint"))
