"""Staff lists and availability: /tickets (the open tickets of one's buildings, filtered and
paged, each opening its card; "all" pages from ticket to ticket, Newer / Older), /away and
/back."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, ExceptionTypeFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.config import Config
from bot.i18n import Translator
from bot.services import Clock, Services
from bot.services.errors import NotStaff
from bot.services.ticket_lists import Keyset, TicketPage
from handlers.filters import OnMessage
from handlers.join_keyboards import list_button
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.report.flow import draft_reminder, with_reminder
from handlers.telling import tell
from handlers.ticketing import add_ticket_buttons, edit_quietly, pager
from storage.models import Person
from storage.rows import ListedTicket

router = Router(name="worklist")
MAX_AWAY_DAYS = 365
_DAYS = re.compile(r"^(\d{1,3})\s*(d|days?|天)?$", re.IGNORECASE)


class ListFilter(StrEnum):
    OPEN = "open"
    NEW = "new"
    TAKEN = "taken"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    ALL = "all"


class ListCb(CallbackData, prefix="tl2"):
    flt: ListFilter
    page: CallbackInt = 0
    # "all" goes on from a ticket (its id; 0: by page number from the newest) towards the older
    # or the newer ones. A button in the old format ("tl1") is answered as out of date.
    after: CallbackInt = 0
    newer: bool = False


# ----------------------------------------------------------------------------- /tickets


def _list(
    t: Translator, flt: ListFilter, page: TicketPage[ListedTicket], joins: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    name = t("tk-filter-" + flt.value)
    if not page.total:
        text = t("tk-list-empty", filter=name)
    elif page.capped:
        text = t("tk-list-many", filter=name, total=page.total, page=page.page + 1)
    else:
        text = t("tk-list", filter=name, total=page.total, page=page.page + 1, pages=page.pages)
    builder = InlineKeyboardBuilder()
    add_ticket_buttons(builder, page.tickets)
    for option in ListFilter:
        label = t("tk-filter-" + option.value)
        builder.button(
            text=f"• {label}" if option is flt else label, callback_data=ListCb(flt=option)
        )
    nav = _nav(t, flt, page)
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    if joins:  # neighbours waiting for approval (handlers/joins.py)
        label, data = list_button(t, joins)
        builder.button(text=label, callback_data=data)
    builder.adjust(*([1] * len(page.tickets)), 3, 3, *([len(nav)] if nav else []), 1)
    return text, builder.as_markup()


def _nav(
    t: Translator, flt: ListFilter, page: TicketPage[ListedTicket]
) -> list[tuple[str, CallbackData]]:
    if not page.keyset:
        return pager(page.page, page.pages, lambda n: ListCb(flt=flt, page=n))
    # From ticket to ticket: Newer from the page's first, Older from its last.
    nav: list[tuple[str, CallbackData]] = []
    if page.newer and page.tickets:
        first = page.tickets[0].id
        nav.append((t("tk-newer"), ListCb(flt=flt, page=page.page - 1, after=first, newer=True)))
    if page.older and page.tickets:
        last = page.tickets[-1].id
        nav.append((t("tk-older"), ListCb(flt=flt, page=page.page + 1, after=last)))
    return nav


@router.message(Command("tickets"))
async def cmd_tickets(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    reminder = await draft_reminder(state, t)
    if reminder is None:
        await state.clear()  # a half-written report is kept: the answer says how to go back
    arg = (command.args or "").strip().lower()
    flt = ListFilter(arg) if arg in {f.value for f in ListFilter} else ListFilter.OPEN
    page = await services.ticket_lists.staff_tickets(person, flt.value, 0)  # NotStaff: on_not_staff
    text, markup = _list(t, flt, page, await services.approvals.pending_count(person))
    await message.answer(with_reminder(text, reminder), reply_markup=markup)


@router.callback_query(ListCb.filter())
async def on_list(
    callback: CallbackQuery,
    callback_data: ListCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    keyset = Keyset(callback_data.after, callback_data.newer) if callback_data.after else None
    page = await services.ticket_lists.staff_tickets(
        person, callback_data.flt.value, callback_data.page, keyset
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        joins = await services.approvals.pending_count(person)
        text, markup = _list(t, callback_data.flt, page, joins)
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


# ----------------------------------------------------------------------------- away


def away_until(arg: str, now: datetime, zone: ZoneInfo) -> datetime:
    """``3``, ``3 days``, ``3天`` → three days from now; ``2026-12-01`` → the end of that day
    in the community's time zone. Raises ValueError for anything else."""
    days = _DAYS.match(arg)
    if days is not None:
        count = int(days.group(1))
        if not 1 <= count <= MAX_AWAY_DAYS:
            raise ValueError(arg)
        return now + timedelta(days=count)
    return datetime.combine(date.fromisoformat(arg.replace("/", "-")), time(23, 59), zone)


@router.message(Command("away"))
async def cmd_away(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
    config: Config,
    clock: Clock,
) -> None:
    zone = ZoneInfo(config.timezone)
    arg = (command.args or "").strip()
    try:
        until = away_until(arg, clock(), zone) if arg else None
    except ValueError:
        await message.answer(t("tk-away-usage"))
        return
    until = await services.availability.set_away(person, until)
    if not arg:
        await message.answer(t("tk-away-open"))
        return
    await message.answer(
        t("tk-away-until", until=until.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
    )


@router.message(Command("back"))
async def cmd_back(message: Message, t: Translator, person: Person, services: Services) -> None:
    if not await services.availability.is_staff(person):
        await message.answer(t("tk-staff-only"))
        return
    await services.availability.back(person)
    await message.answer(t("tk-back"))


# ----------------------------------------------------------------------------- refusals


@router.error(ExceptionTypeFilter(NotStaff), OnMessage(Command("tickets")))
async def on_tickets_not_staff(
    event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator
) -> None:
    """/tickets from a resident, in the middle of a report: the answer says how to go back."""
    reminder = await draft_reminder(state, t)
    await tell(event.update, bot, with_reminder(t("tk-staff-only"), reminder))


@router.error(ExceptionTypeFilter(NotStaff))
async def on_not_staff(event: ErrorEvent, bot: Bot, t: Translator) -> None:
    """A staff list or /away asked by someone without a staff role: said as such (not the
    generic "not allowed"), here and for the join requests' list (handlers/joins.py)."""
    await tell(event.update, bot, t("tk-staff-only"))
