"""Join requests in chat (join_policy "approve"): the resident's side after the picker (the flat
step, the request, withdrawing it) and the approvers' side (Approve / Decline on the request's
card or in the list reached from /tickets)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import ExceptionTypeFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.errors import InputRefused, ServiceError
from bot.services.join_approvals import JoinNoAccess, JoinPage
from bot.services.join_rules import JoinStale
from bot.services.join_view import JoinAction
from bot.services.joins import ApprovalNeeded, Joined, LinkOnly, Picked
from handlers.filters import Is, OnMessage, OnPress
from handlers.join_keyboards import JoinCb, cancel_markup, join_markup
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.menu import menu_keyboard
from handlers.telling import tell
from handlers.ticketing import drop_buttons, edit_quietly, pager
from handlers.worklist import ListCb, ListFilter
from storage.models import Person

router = Router(name="joins")


class RequestFlow(StatesGroup):
    flat = State()  # the flat number the approvers will see, before the request goes


def send_markup(t: Translator, building_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("jr-btn-send"), callback_data=JoinCb(action=JoinAction.SEND, id=building_id)
    )
    return builder.as_markup()


async def show_picked(
    message: Message, state: FSMContext, t: Translator, person: Person, picked: Picked
) -> None:
    """What the picker says when the building cannot simply be joined (``Joined`` is the
    picker's own business)."""
    if isinstance(picked, ApprovalNeeded):
        await state.set_state(RequestFlow.flat)
        await state.update_data(building_id=picked.building.id)
        await message.answer(
            t(
                "jr-ask-flat",
                building=picked.building.name,
                community=picked.community.name,
                name=person.display_name or "-",
            ),
            reply_markup=send_markup(t, picked.building.id),
        )
    elif isinstance(picked, LinkOnly):
        await message.answer(t("jr-link-only", building=picked.building.name))
    elif not isinstance(picked, Joined):
        if picked.approver:  # just sent
            text = t("jr-requested", building=picked.building.name, who=picked.approver)
        else:
            text = t("jr-pending-already", building=picked.building.name)
        await message.answer(text, reply_markup=cancel_markup(t, picked.request.id))


async def _send(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    building_id: int,
    flat: str | None,
) -> None:
    picked = await services.joins.request(person, building_id, flat)
    await state.clear()
    if not isinstance(picked, Joined):
        await show_picked(message, state, t, person, picked)
        return
    # The community stopped asking for approval in the meantime: joined at once.
    text = t("joined", building=picked.building.name, community=picked.community.name)
    if flat is not None:
        flat = await services.onboarding.set_flat(person, picked.building.id, flat)
        text += "\n\n" + t("flat-saved", flat=flat)
    await message.answer(text, reply_markup=menu_keyboard(t))


@router.message(StateFilter(RequestFlow.flat), Is(F.text), Is(~F.text.startswith("/")))
async def on_request_flat(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    assert message.text is not None
    building_id = int((await state.get_data()).get("building_id", 0))
    await _send(message, state, t, person, services, building_id, message.text)


@router.message(StateFilter(RequestFlow.flat), Is(~F.text.startswith("/")))
async def on_request_not_text(message: Message, state: FSMContext, t: Translator) -> None:
    building_id = int((await state.get_data()).get("building_id", 0))
    await message.answer(t("jr-flat-not-text"), reply_markup=send_markup(t, building_id))


@router.callback_query(JoinCb.filter(F.action == JoinAction.SEND))
async def on_send_without_flat(
    callback: CallbackQuery,
    callback_data: JoinCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    if not isinstance(callback.message, Message):
        await callback.answer(t("button-stale"), show_alert=True)
        return
    await _send(callback.message, state, t, person, services, callback_data.id, None)
    await callback.answer()
    await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))


@router.callback_query(JoinCb.filter(F.action == JoinAction.CANCEL))
async def on_cancel_request(
    callback: CallbackQuery,
    callback_data: JoinCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    await services.joins.cancel(person, callback_data.id)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_text(t("jr-cancelled")))


# ----------------------------------------------------------------------------- approvers


@router.callback_query(JoinCb.filter(F.action.in_({JoinAction.APPROVE, JoinAction.DECLINE})))
async def on_decide(
    callback: CallbackQuery,
    callback_data: JoinCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    approve = callback_data.action is JoinAction.APPROVE
    await services.approvals.decide(person, callback_data.id, approve)
    await callback.answer(t("jr-done", status="approved" if approve else "declined"))
    await _show_again(callback, callback_data, t, person, services)


async def _show_no_access(
    callback: CallbackQuery, callback_data: JoinCb, person: Person, services: Services
) -> None:
    """A removed approver pressed an old copy (or a list page): it loses what it showed."""
    if not isinstance(callback.message, Message):
        return
    card = await services.approvals.card_for_delivery(callback_data.id, person.id)
    if callback_data.list_page > 0 or card is None:
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        return
    await edit_quietly(callback.message.edit_text(card.text, reply_markup=None))


async def _show_again(
    callback: CallbackQuery,
    callback_data: JoinCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """The pressed message as it is now: the list page it was on, or the request's card."""
    if not isinstance(callback.message, Message):
        return
    markup: InlineKeyboardMarkup | None
    view = await services.approvals.view_if_allowed(
        person, callback_data.id, callback_data.list_page, t
    )
    if view is None:
        return
    if isinstance(view, JoinPage):
        text, markup = list_view(t, view)
    else:
        text, markup = view.text, join_markup(callback_data.id, view)
    await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


@router.callback_query(JoinCb.filter(F.action == JoinAction.LIST))
async def on_list(
    callback: CallbackQuery,
    callback_data: JoinCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Not staff (any more): NotStaff, answered as /tickets does (handlers/worklist.py).
    page = await services.approvals.pending_page(person, max(callback_data.list_page - 1, 0), t)
    await callback.answer()
    if isinstance(callback.message, Message):
        text, markup = list_view(t, page)
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


def list_view(t: Translator, page: JoinPage) -> tuple[str, InlineKeyboardMarkup]:
    if not page.total:
        text = t("jr-list-empty")
    else:
        title = t("jr-list", total=page.total, page=page.page + 1, pages=page.pages)
        text = "\n".join([title, "", *page.lines])
    builder = InlineKeyboardBuilder()
    # Two buttons per request, numbered like its line: ✅ 3 · ❌ 3.
    for number, request in enumerate(page.requests, start=page.first):
        for action in (JoinAction.APPROVE, JoinAction.DECLINE):
            key = "jr-btn-approve-n" if action is JoinAction.APPROVE else "jr-btn-decline-n"
            builder.button(
                text=t(key, index=str(number)),
                callback_data=JoinCb(action=action, id=request.id, list_page=page.page + 1),
            )
    nav = pager(page.page, page.pages, lambda n: JoinCb(action=JoinAction.LIST, list_page=n + 1))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    builder.button(text=t("jr-btn-tickets"), callback_data=ListCb(flt=ListFilter.OPEN))
    builder.adjust(*([2] * len(page.requests)), len(nav) or 1, 1)
    return text, builder.as_markup()


# ----------------------------------------------------------------------------- refusals


@router.error(
    ExceptionTypeFilter(InputRefused),
    OnMessage(StateFilter(RequestFlow.flat), Is(F.text), Is(~F.text.startswith("/"))),
)
async def on_flat_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """A flat number out of shape: asked again, with Send (without a flat) still there."""
    error = event.exception
    assert isinstance(error, InputRefused)
    building_id = int((await state.get_data()).get("building_id", 0))
    await tell(
        event.update, bot, t(error.key, **error.args_), reply_markup=send_markup(t, building_id)
    )


@router.error(
    ExceptionTypeFilter(ServiceError),
    OnMessage(StateFilter(RequestFlow.flat), Is(F.text), Is(~F.text.startswith("/"))),
)
@router.error(
    ExceptionTypeFilter(ServiceError), OnPress(JoinCb.filter(F.action == JoinAction.SEND))
)
async def on_request_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """Any other refusal of the request is final: the flat step ends with it."""
    error = event.exception
    assert isinstance(error, ServiceError)
    await state.clear()
    await tell(event.update, bot, t(error.key, **error.args_))


@router.error(ExceptionTypeFilter(JoinStale), OnPress(JoinCb.filter(F.action == JoinAction.CANCEL)))
async def on_cancel_stale(
    event: ErrorEvent, callback: CallbackQuery, bot: Bot, t: Translator
) -> None:
    """The request was decided before the resident withdrew it: its Withdraw goes."""
    error = event.exception
    assert isinstance(error, JoinStale)
    await tell(event.update, bot, t(error.key, **error.args_))
    await drop_buttons(callback)


_DECIDE = JoinCb.filter(F.action.in_({JoinAction.APPROVE, JoinAction.DECLINE}))


@router.error(ExceptionTypeFilter(JoinStale), OnPress(_DECIDE))
async def on_decided_before(
    event: ErrorEvent,
    callback: CallbackQuery,
    callback_data: JoinCb,
    bot: Bot,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """Someone else decided first: the pressed copy shows the request as it is now."""
    error = event.exception
    assert isinstance(error, JoinStale)
    await tell(event.update, bot, t(error.key, **error.args_))
    await _show_again(callback, callback_data, t, person, services)


@router.error(ExceptionTypeFilter(JoinNoAccess), OnPress(_DECIDE))
async def on_decide_no_access(
    event: ErrorEvent,
    callback: CallbackQuery,
    callback_data: JoinCb,
    bot: Bot,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """The presser no longer decides for this building: the copy loses what it showed."""
    error = event.exception
    assert isinstance(error, JoinNoAccess)
    await tell(event.update, bot, t(error.key, **error.args_))
    await _show_no_access(callback, callback_data, person, services)
