"""Coordinators (and admins): /staff CODE lists a building's heads and deputies with a button to
remove each; removing asks first. The service checks on every press that the presser
coordinates the building now and that the person still holds the role."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, ExceptionTypeFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.revoke import StaffMember
from bot.text import TEXT_LIMIT, cut
from handlers.filters import OnPress
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.paging import page_of
from handlers.telling import tell
from handlers.ticketing import drop_buttons, edit_quietly, pager
from storage.models import Building, Person, Role

router = Router(name="removal")


class StaffStep(StrEnum):
    ASK = "a"
    YES = "y"
    NO = "n"


class StaffCb(CallbackData, prefix="st1"):
    step: StaffStep
    person_id: CallbackInt
    building_id: CallbackInt
    role: Role


class StaffPageCb(CallbackData, prefix="sp1"):
    """A page of /staff's list."""

    building_id: CallbackInt
    page: CallbackInt


# A page of the list: a building's staff has no upper bound (a deputy for every stairwell), and
# ten names of Telegram's longest (64 emoji each, twice) stay far below a message's 4096 units.
STAFF_PER_PAGE = 10


def staff_view(
    t: Translator, building: Building, members: Sequence[StaffMember], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the building's heads and deputies, a Remove button each, ‹ › to turn it."""
    shown, page, pages = page_of(members, page, STAFF_PER_PAGE)
    builder = InlineKeyboardBuilder()
    lines = [t("staff-list", building=building.name)]
    for member in shown:
        lines.append(t("staff-line", name=member.name, role=member.role.value))
        builder.button(
            text=t("staff-remove", name=member.name, role=member.role.value),
            callback_data=StaffCb(
                step=StaffStep.ASK,
                person_id=member.person_id,
                building_id=building.id,
                role=member.role,
            ),
        )
    nav = pager(page, pages, lambda n: StaffPageCb(building_id=building.id, page=n))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    builder.adjust(*([1] * len(shown)), len(nav) or 1)
    if pages > 1:
        lines.append(t("staff-page", page=page + 1, pages=pages, count=len(members)))
    return cut("\n".join(lines), TEXT_LIMIT), builder.as_markup()


@router.message(Command("staff"))
async def cmd_staff(
    message: Message, command: CommandObject, t: Translator, person: Person, services: Services
) -> None:
    code = (command.args or "").strip() or None
    building, members = await services.revoke.building_staff(person, code)
    if not members:
        await message.answer(t("staff-none", building=building.name))
        return
    text, markup = staff_view(t, building, members, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(StaffPageCb.filter())
async def on_staff_page(
    callback: CallbackQuery,
    callback_data: StaffPageCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """‹ ›: the list as it is now (a page past its end, after removals, shows the last one);
    the service checks the presser still coordinates the building."""
    building, members = await services.revoke.building_staff_by_id(
        person, callback_data.building_id
    )
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if not members:
        await edit_quietly(callback.message.edit_text(t("staff-none", building=building.name)))
        return
    text, markup = staff_view(t, building, members, callback_data.page)
    await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


def _confirm(callback_data: StaffCb, t: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for step, label in ((StaffStep.YES, "staff-yes"), (StaffStep.NO, "staff-no")):
        builder.button(text=t(label), callback_data=callback_data.model_copy(update={"step": step}))
    return builder.as_markup()


@router.callback_query(StaffCb.filter(F.step == StaffStep.ASK))
async def on_remove_ask(
    callback: CallbackQuery,
    callback_data: StaffCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    building, members = await services.revoke.building_staff_by_id(
        person, callback_data.building_id
    )
    member = next(
        (
            m
            for m in members
            if (m.person_id, m.role) == (callback_data.person_id, callback_data.role)
        ),
        None,
    )
    if member is None:
        await callback.answer(t("staff-gone"), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(
            t("staff-confirm", name=member.name, role=member.role.value, building=building.name),
            reply_markup=_confirm(callback_data, t),
        )


@router.callback_query(StaffCb.filter(F.step == StaffStep.NO))
async def on_remove_no(callback: CallbackQuery, t: Translator) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_text(t("staff-kept")))


@router.callback_query(StaffCb.filter(F.step == StaffStep.YES))
async def on_remove_yes(
    callback: CallbackQuery,
    callback_data: StaffCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    revoked = await services.revoke.remove(
        person, callback_data.person_id, callback_data.building_id, callback_data.role
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        text = t(
            "staff-removed",
            name=revoked.name,
            role=revoked.role.value,
            building=revoked.place,
            handed=revoked.handed_over,
        )
        await edit_quietly(callback.message.edit_text(text))


@router.error(ExceptionTypeFilter(ServiceError), OnPress(StaffCb.filter(F.step == StaffStep.YES)))
async def on_remove_refused(
    event: ErrorEvent, callback: CallbackQuery, bot: Bot, t: Translator
) -> None:
    """Removing was refused (removed already, or no longer theirs to remove): the question's
    buttons go with the answer, as nothing they offer can happen now."""
    error = event.exception
    assert isinstance(error, ServiceError)
    await tell(event.update, bot, t(error.key, **error.args_))
    await drop_buttons(callback)
