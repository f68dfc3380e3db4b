"""The points bank in chat. Everyone: ``/points`` (balance, the last ten entries, the
catalogue with a button per item) → an item → Confirm: the request goes to the office. The
office (coordinators, admins): Approve / Deny under each request, then Handed over;
``/catalogue`` to list, add, restock, reprice, withdraw items; ``/ranking [year]`` for the
year-end ranking as a spreadsheet. Every id is checked by the service against the person's
current roles; refusals go through the one error handler."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import Config
from bot.i18n import Translator
from bot.services import Services
from bot.services.access import Coverage
from bot.services.errors import ServiceError
from bot.services.points_ranking import ranking_file
from bot.services.points_view import MAX_OFFERED, item_line, statement_text
from handlers.answers import answer_long
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.points_keyboards import PointsCb, PointsStep
from handlers.ticketing import edit_quietly
from storage.models import Person, RewardItem

router = Router(name="points")


def _markup(rows: list[tuple[str, PointsStep, int]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, step, id_ in rows:
        builder.button(text=label, callback_data=PointsCb(step=step, id=id_))
    builder.adjust(1)
    return builder.as_markup()


@router.message(Command("points"))
async def cmd_points(
    message: Message, t: Translator, person: Person, services: Services, config: Config
) -> None:
    statement = await services.points.statement(person)
    text = statement_text(t, statement, ZoneInfo(config.timezone))
    offered = [i for i in statement.catalogue if i.stock > 0][:MAX_OFFERED]
    rows = [
        (t("points-btn-redeem", name=i.name, price=i.price), PointsStep.REDEEM, i.id)
        for i in offered
    ]
    # A catalogue of many items (names up to 100 units) is longer than one message.
    await answer_long(message, text, reply_markup=_markup(rows) if rows else None)


# The "Redeem …?" messages whose Confirm made a request, with its number: kept apart from the
# conversation in progress (an FSM destiny of their own), the newest few.
CONFIRMED = "points-confirmed"
KEPT_CONFIRMED = 20
# The "Redeem …?" messages with the price each names, the newest few, likewise.
QUOTED = "points-quoted"


def _quoted(state: FSMContext) -> FSMContext:
    return FSMContext(state.storage, replace(state.key, destiny=QUOTED))


@router.callback_query(PointsCb.filter(F.step == PointsStep.REDEEM))
async def on_redeem(
    callback: CallbackQuery,
    callback_data: PointsCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    item = await services.redemptions.item_for(person, callback_data.id)
    markup = _markup(
        [
            (t("points-btn-confirm"), PointsStep.CONFIRM, item.id),
            (t("points-btn-cancel"), PointsStep.CANCEL, 0),
        ]
    )
    if isinstance(callback.message, Message):
        sent = await callback.message.answer(
            t("points-ask-confirm", item=item.name, price=item.price), reply_markup=markup
        )
        # The price it names, for its Confirm: a reprice meanwhile is not confirmed unseen.
        quoted = _quoted(state)
        prices: dict[str, int] = dict((await quoted.get_data()).get("prices", {}))
        prices[str(sent.message_id)] = item.price
        await quoted.set_data({"prices": dict(list(prices.items())[-KEPT_CONFIRMED:])})


@router.callback_query(PointsCb.filter(F.step == PointsStep.CONFIRM))
async def on_confirm(
    callback: CallbackQuery,
    callback_data: PointsCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """One request per "Redeem …?" message: a double tap sends two presses of its Confirm
    before the message changes, and the second is told the first one's number."""
    confirmed = FSMContext(state.storage, replace(state.key, destiny=CONFIRMED))
    asked = str(callback.message.message_id) if callback.message is not None else ""
    done: dict[str, int] = dict((await confirmed.get_data()).get("requests", {}))
    if asked in done:
        await callback.answer(t("points-requested", number=str(done[asked])))
        return
    price = (await _quoted(state).get_data()).get("prices", {}).get(asked)
    redemption = await services.redemptions.request(person, callback_data.id, price)
    if asked:
        done[asked] = redemption.id
        await confirmed.set_data({"requests": dict(list(done.items())[-KEPT_CONFIRMED:])})
    if isinstance(callback.message, Message):
        await edit_quietly(
            callback.message.edit_text(t("points-requested", number=str(redemption.id)))
        )


@router.callback_query(PointsCb.filter(F.step == PointsStep.CANCEL))
async def on_cancel(callback: CallbackQuery, t: Translator) -> None:
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_text(t("points-cancelled")))


# ----------------------------------------------------------------------------- the office


@router.callback_query(PointsCb.filter(F.step == PointsStep.APPROVE))
async def on_approve(
    callback: CallbackQuery,
    callback_data: PointsCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    decided = await services.redemptions.approve(person, callback_data.id)
    if isinstance(callback.message, Message):
        text = t(
            "points-office-approved",
            number=str(decided.redemption.id),
            item=decided.item.name,
            stock=decided.item.stock,
        )
        markup = _markup([(t("points-btn-handed"), PointsStep.HANDED, decided.redemption.id)])
        await edit_quietly(callback.message.edit_text(text, reply_markup=markup))


@router.callback_query(PointsCb.filter(F.step == PointsStep.DENY))
async def on_deny(
    callback: CallbackQuery,
    callback_data: PointsCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    decided = await services.redemptions.deny(person, callback_data.id)
    if isinstance(callback.message, Message):
        text = t("points-office-denied", number=str(decided.redemption.id), item=decided.item.name)
        await edit_quietly(callback.message.edit_text(text))


@router.callback_query(PointsCb.filter(F.step == PointsStep.HANDED))
async def on_handed(
    callback: CallbackQuery,
    callback_data: PointsCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    decided = await services.redemptions.handed_over(person, callback_data.id)
    if isinstance(callback.message, Message):
        text = t("points-office-handed", number=str(decided.redemption.id), item=decided.item.name)
        await edit_quietly(callback.message.edit_text(text))


@router.message(Command("catalogue"))
async def cmd_catalogue(
    message: Message, command: CommandObject, t: Translator, person: Person, services: Services
) -> None:
    """``/catalogue`` lists; ``add PRICE STOCK NAME``, ``stock ID N``, ``price ID N``,
    ``off ID``, ``on ID`` change it."""
    office = services.catalogue
    cover = await office.coverage_of(person)
    community_id = await office.office_community(cover)  # refuses a resident or a head
    words = (command.args or "").split(maxsplit=3)
    verb = words[0].lower() if words else ""
    numbers = [int(w) for w in words[1:3] if w.isascii() and w.isdigit() and len(w) <= 9]
    if verb == "add" and len(words) == 4 and len(numbers) == 2:
        item = await office.add_item(cover, community_id, words[3], numbers[0], numbers[1])
        await message.answer(t("points-item-added", id=str(item.id), line=item_line(t, item)))
        return
    arity = 1 if verb in ("off", "on") else 2
    if verb in ("stock", "price", "off", "on") and len(words) == arity + 1 == len(numbers) + 1:
        item = await _change(services, cover, verb, numbers)
        active = str(item.active).lower()
        line = item_line(t, item)
        await message.answer(t("points-item-changed", id=str(item.id), line=line, active=active))
        return
    if verb:
        raise ServiceError("points-catalogue-usage")
    items = await office.catalogue(cover, community_id)
    lines = [t("points-office-catalogue-title")]
    lines += [
        t("points-office-item", id=str(i.id), line=item_line(t, i), active=str(i.active).lower())
        for i in items
    ] or [t("points-catalogue-empty")]
    lines += ["", t("points-catalogue-usage")]
    await answer_long(message, "\n".join(lines))


async def _change(services: Services, cover: Coverage, verb: str, numbers: list[int]) -> RewardItem:
    office, item_id = services.catalogue, numbers[0]
    if verb == "stock":
        return await office.change_item(cover, item_id, stock=numbers[1])
    if verb == "price":
        return await office.change_item(cover, item_id, price=numbers[1])
    return await office.change_item(cover, item_id, active=verb == "on")


@router.message(Command("ranking"))
async def cmd_ranking(
    message: Message,
    command: CommandObject,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    args = (command.args or "").strip()
    if args and not (args.isascii() and args.isdigit() and len(args) == 4):
        raise ServiceError("points-bad-year", year=args[:10])
    ranking = await services.ranking.for_person(person, int(args) if args else None)
    # openpyxl is imported and the file written in a thread: the bot keeps answering.
    body = await asyncio.to_thread(ranking_file, t, ranking, "xlsx")
    name = f"ranking-{ranking.year}.xlsx"
    await message.answer_document(
        BufferedInputFile(body, filename=name),
        caption=t(
            "points-ranking-caption",
            year=str(ranking.year),
            count=len(ranking.lines),
            community=ranking.community.name,
        ),
    )
