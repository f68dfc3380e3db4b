"""The report's questions, and which one comes next: each ``ask_*`` sends one question and
sets the state that waits for its answer. No router here; the handlers call these.

``intro`` is what the bot has to say about the previous answer ("Location added."): it goes
on top of the next question, so the resident gets one message, not two back to back
(Telegram allows about one message a second in a chat). For the same reason a question that
follows a press of a button takes the pressed question's place (``pressed``, see ``say``)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.i18n import Translator
from bot.services import Services
from bot.services.cards import category_label, category_name
from bot.services.ticket_core import MAX_MEDIA
from bot.text import cut, fits
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.paging import page_of
from handlers.report.flow import BuildingPageCb, ReportFlow, Step, button
from handlers.ticketing import edit_quietly, pager
from storage.models import Person
from storage.repositories.people import BuildingRole

BUILDINGS_PER_PAGE = 8
SUMMARY_PREVIEW = 1000  # UTF-16 units of the description on the summary


async def begin(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    prefill: dict[str, Any],
    intro: str = "",
    *,
    pressed: bool = False,
) -> None:
    buildings = await services.reporting.resident_buildings(person)
    if not buildings:
        await state.clear()
        await say(message, with_intro(intro, t("report-join-first")), pressed=pressed)
        return
    await state.set_data(
        {
            "media": [],
            "show_name": True,
            "show_phone": False,
            # Makes Send idempotent: the same draft sent twice files one ticket.
            "draft_key": secrets.token_hex(8),
            **prefill,
        }
    )
    if len(buildings) == 1:
        await state.update_data(building_id=buildings[0].building_id)
        await ask_category(message, state, t, services, intro, pressed=pressed)
        return
    await state.set_state(ReportFlow.building)
    text, markup = building_page(t, buildings, 0)
    await say(message, with_intro(intro, text), markup, pressed=pressed)


def building_page(
    t: Translator, buildings: Sequence[BuildingRole], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the building picker: a resident of many buildings (a coordinator who joined
    them all) pages through them instead of getting one keyboard of hundreds of buttons."""
    shown, page, pages = page_of(buildings, page, BUILDINGS_PER_PAGE)
    builder = InlineKeyboardBuilder()
    for b in shown:
        button(
            builder, f"{b.building_name} ({b.community_name})", Step.BUILDING, str(b.building_id)
        )
    nav = pager(page, pages, lambda n: BuildingPageCb(page=n))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    builder.adjust(*([1] * len(shown)), len(nav) or 1)
    if pages == 1:
        return t("report-which-building"), builder.as_markup()
    return t("report-which-building-page", page=page + 1, pages=pages), builder.as_markup()


async def ask_category(
    message: Message,
    state: FSMContext,
    t: Translator,
    services: Services,
    intro: str = "",
    *,
    pressed: bool = False,
) -> None:
    data = await state.get_data()
    builder = InlineKeyboardBuilder()
    for category in await services.reporting.categories(int(data["building_id"])):
        button(builder, category_label(t, category, category.code), Step.CATEGORY, category.code)
    builder.adjust(2)
    await state.set_state(ReportFlow.category)
    text = with_intro(intro, t("report-which-category"))
    await say(message, text, builder.as_markup(), pressed=pressed)


async def after_category(
    message: Message, state: FSMContext, t: Translator, intro: str = "", *, pressed: bool = False
) -> None:
    data = await state.get_data()
    if data.get("editing"):
        await show_summary(message, state, t, pressed=pressed)  # it names the category
    elif data.get("description") or data.get("media"):
        # Described already ("report this?").
        await ask_location(message, state, t, intro, pressed=pressed)
    else:
        await ask_description(message, state, t, intro, pressed=pressed)


async def ask_description(
    message: Message, state: FSMContext, t: Translator, intro: str = "", *, pressed: bool = False
) -> None:
    await state.update_data(description="", media=[], album=None)
    await state.set_state(ReportFlow.description)
    await say(message, with_intro(intro, t("report-describe", max=MAX_MEDIA)), pressed=pressed)


async def after_description(
    message: Message, state: FSMContext, t: Translator, *, pressed: bool = False
) -> None:
    data = await state.get_data()
    if data.get("editing"):
        await show_summary(message, state, t, pressed=pressed)
    elif data.get("latitude") is not None:
        # The report began with a location ("report this?").
        await ask_privacy(message, state, t, pressed=pressed)
    else:
        await ask_location(message, state, t, pressed=pressed)


async def ask_location(
    message: Message, state: FSMContext, t: Translator, intro: str = "", *, pressed: bool = False
) -> None:
    await state.set_state(ReportFlow.location)
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("report-send-location"), request_location=True)],
            [KeyboardButton(text=t("report-skip"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await say(message, with_intro(intro, t("report-location")), keyboard, pressed=pressed)


async def after_location(
    message: Message, state: FSMContext, t: Translator, intro: str = ""
) -> None:
    if (await state.get_data()).get("editing"):
        await show_summary(message, state, t, intro)
    else:
        await ask_privacy(message, state, t, intro)


def privacy_keyboard(t: Translator, data: dict[str, Any]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    yes, no = t("yes-mark"), t("no-mark")
    button(builder, t("report-show-name", mark=yes if data.get("show_name") else no), Step.NAME)
    button(builder, t("report-show-phone", mark=yes if data.get("show_phone") else no), Step.PHONE)
    if not data.get("private"):
        share = yes if data.get("share_description") else no
        button(builder, t("report-share-description", mark=share), Step.SHARE)
    button(builder, t("report-continue"), Step.PRIVACY_DONE)
    builder.adjust(1)
    return builder.as_markup()


async def ask_privacy(
    message: Message, state: FSMContext, t: Translator, intro: str = "", *, pressed: bool = False
) -> None:
    await state.set_state(ReportFlow.privacy)
    markup = privacy_keyboard(t, await state.get_data())
    await say(message, with_intro(intro, t("report-privacy")), markup, pressed=pressed)


async def show_summary(
    message: Message, state: FSMContext, t: Translator, intro: str = "", *, pressed: bool = False
) -> None:
    data = await state.get_data()
    await state.update_data(editing=False)
    await state.set_state(ReportFlow.summary)
    media = data.get("media", [])
    photos = sum(1 for m in media if m["type"] == "photo")
    voices = len(media) - photos
    yes, no = t("yes-word"), t("no-word")
    # The description is the resident's own text: shown after the Fluent part (a long text in a
    # placeable would print "{???}"), its beginning only, so the summary stays one message.
    description = str(data.get("description") or "—")
    lines = [
        t(
            "report-summary",
            category=data.get("category_name") or category_name(t, None, str(data.get("category"))),
            photos=photos,
            voices=voices,
            location=yes if data.get("latitude") is not None else no,
            name=yes if data.get("show_name") else no,
            phone=yes if data.get("show_phone") else no,
        )
    ]
    if not data.get("private"):
        share = yes if data.get("share_description") else no
        lines.append(t("report-summary-share", share=share))
    lines += [t("report-summary-description"), cut(description, SUMMARY_PREVIEW)]
    if not fits(description, SUMMARY_PREVIEW):
        lines.append(t("report-summary-cut"))
    text = "\n".join(lines)
    builder = InlineKeyboardBuilder()
    button(builder, t("report-send"), Step.SEND)
    button(builder, t("report-edit"), Step.EDIT)
    button(builder, t("report-cancel"), Step.CANCEL)
    builder.adjust(1, 2)
    await say(message, with_intro(intro, text), builder.as_markup(), pressed=pressed)


def with_intro(intro: str, question: str) -> str:
    return f"{intro}\n\n{question}" if intro else question


async def say(
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
    *,
    pressed: bool = False,
) -> None:
    """The next question. ``pressed``: ``message`` is the question whose button was just
    pressed, and the next one takes its place: one message in the chat instead of two (its
    keyboard edited away, then a new question), which Telegram's one message a second per chat
    lets through twice as fast, and a shorter chat to read. A keyboard under the text field
    cannot come with an edit, and a question that can no longer be edited (deleted, too old)
    is asked anew."""
    if pressed and not isinstance(markup, ReplyKeyboardMarkup):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "not modified" in error.message.lower():
                return
    elif pressed:
        await edit_quietly(message.edit_reply_markup(reply_markup=None))
    await message.answer(text, reply_markup=markup)
