"""Building votes in chat: /flat (a resident claims their flat), /flats (the head approves or
declines claims), /vote (an owner casts or changes a ballot; an organiser sees turnout and
results and opens a new vote: building, question, options, rule, duration, confirm)."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command, ExceptionTypeFilter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.services import Services
from bot.services.choice_numbers import choice_number
from bot.services.errors import NotStaff, ServiceError
from bot.services.flat_claims import WaitingClaim
from bot.services.links import start_link
from bot.services.vote_rule_book import choice_value
from bot.services.vote_view import labels, render_progress, render_result, rule_line, rule_text
from bot.services.votes import Ballotable, OrganiserGone
from handlers.filters import OnMessage, OnPress
from handlers.keyboard_builder import InlineKeyboardBuilder
from handlers.keyboards import CallbackInt
from handlers.paging import keyset_page, page_of
from handlers.ticketing import (
    FreeInput,
    ask_again_or_end,
    drop_buttons,
    edit_quietly,
    end_flow,
    pager,
    read_text,
)
from storage.models import Person, Role, VoteStatus

router = Router(name="votes")

DAYS = (3, 7, 14)


class FlatAction(enum.StrEnum):
    APPROVE = "a"
    DECLINE = "d"


class FlatCb(CallbackData, prefix="fl1"):
    action: FlatAction
    id: CallbackInt


class FlatPageCb(CallbackData, prefix="fp1"):
    """/flats' Show more: the claims after claim ``after``."""

    after: CallbackInt


class BallotCb(CallbackData, prefix="bl1"):
    vote: CallbackInt
    flat: CallbackInt
    choice: CallbackInt


class VoteAction(enum.StrEnum):
    NEW = "new"
    YESNO = "yn"
    RULE = "rule"
    RULE_PAGE = "rulep"  # value: the page
    DAYS = "days"
    OPEN = "open"
    ELECTION = "elect"
    INVITE = "invite"


class VoteCb(CallbackData, prefix="vo1"):
    action: VoteAction
    value: str = ""

    def number(self) -> int | None:
        """The value as the id or the days it stands for; None for anything the bot never
        puts there (a word, "²", more digits than an id has): forged or garbled data."""
        return choice_number(self.value, digits=9)


class FlatFlow(StatesGroup):
    flat = State()


class VoteFlow(StatesGroup):
    building = State()
    question = State()
    options = State()
    candidates = State()
    rule = State()
    days = State()
    confirm = State()


async def bot_username(bot: Bot) -> str:
    return (await bot.me()).username or ""


def _button(text: str, data: CallbackData) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=text, callback_data=data)
    return builder.as_markup()


# ----------------------------------------------------------------------- flats and claims


@router.message(Command("flat"))
async def cmd_flat(message: Message, state: FSMContext, t: Translator) -> None:
    await state.set_state(FlatFlow.flat)
    await message.answer(t("flat-own-ask"))


@router.message(StateFilter(FlatFlow.flat), FreeInput())
async def on_flat(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    typed = await read_text(message, t)
    if typed is None:
        return
    flat = await services.flats.claim(person, typed)
    await state.clear()
    await message.answer(t("flat-claim-sent", flat=flat.code))


@router.error(ExceptionTypeFilter(ServiceError), OnMessage(StateFilter(FlatFlow.flat), FreeInput()))
async def on_claim_refused(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """A number out of shape or not on the list (InputRefused) is asked again; any other
    refusal ("already yours", "already waiting") is final: the step ends with it, so the
    resident's next words are not read as a flat number."""
    await ask_again_or_end(event, state, bot, t)


# Cards a page: the claims of a new building's whole stairwell come at once, and a card each
# sent in one go would hit Telegram's per-chat pace long before the end of the list.
CLAIMS_PER_PAGE = 5


async def send_claims(
    message: Message, t: Translator, claims: Sequence[WaitingClaim], after: int
) -> None:
    """A page of claims, a card each with its Confirm owner / Decline; where more are waiting,
    a last message whose button shows the claims after this page's last."""
    for claim, flat, building, name in claims:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=t("flat-btn-approve"), callback_data=FlatCb(action=FlatAction.APPROVE, id=claim.id)
        )
        builder.button(
            text=t("flat-btn-decline"), callback_data=FlatCb(action=FlatAction.DECLINE, id=claim.id)
        )
        await message.answer(
            t("flat-claim-card", name=name, flat=flat.code, building=building.name),
            reply_markup=builder.as_markup(),
        )
    if after:
        builder = InlineKeyboardBuilder()
        builder.button(text=t("flat-btn-more"), callback_data=FlatPageCb(after=after))
        await message.answer(t("flat-claims-more"), reply_markup=builder.as_markup())


@router.message(Command("flats"))
async def cmd_flats(message: Message, t: Translator, person: Person, services: Services) -> None:
    waiting = await services.flats.pending_claims(person, limit=CLAIMS_PER_PAGE + 1)
    if not waiting:
        await message.answer(t("flat-claims-none"))
        return
    claims, after = keyset_page(waiting, CLAIMS_PER_PAGE, lambda row: row[0].id)
    await send_claims(message, t, claims, after)


@router.callback_query(FlatPageCb.filter())
async def on_claims_page(
    callback: CallbackQuery,
    callback_data: FlatPageCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """Show more: the claims after the last one shown; none left (decided meanwhile, a stale or
    forged button) is said on the button, which goes."""
    waiting = await services.flats.pending_claims(
        person, after=callback_data.after, limit=CLAIMS_PER_PAGE + 1
    )
    if not isinstance(callback.message, Message):  # too old for the bot to reach: /flats anew
        await callback.answer(t("button-stale"), show_alert=True)
        return
    await drop_buttons(callback)
    if not waiting:
        await callback.answer(t("flat-claims-no-more"))
        return
    await callback.answer()
    claims, after = keyset_page(waiting, CLAIMS_PER_PAGE, lambda row: row[0].id)
    await send_claims(callback.message, t, claims, after)


@router.callback_query(FlatCb.filter())
async def on_claim(
    callback: CallbackQuery,
    callback_data: FlatCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    approve = callback_data.action is FlatAction.APPROVE
    claim = await services.flats.decide_claim(person, callback_data.id, approve)
    await callback.answer()
    if isinstance(callback.message, Message):
        key = "flat-claim-done-approved" if approve else "flat-claim-done-declined"
        await edit_quietly(callback.message.edit_text(t(key, id=claim.id)))


# --------------------------------------------------------------------------------- ballots


def ballot_text(t: Translator, item: Ballotable) -> str:
    lines = [
        t(
            "vote-ballot",
            building=item.building.name,
            flat=item.flat.code,
            question=item.vote.question,
        ),
        rule_line(t, item.vote),
    ]
    if item.choice is not None:
        lines.append(t("vote-ballot-current", option=labels(t, item.vote)[item.choice]))
    return "\n".join(lines)


def ballot_markup(t: Translator, item: Ballotable) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, option in enumerate(labels(t, item.vote)):
        mark = "✓ " if index == item.choice else ""
        data = BallotCb(vote=item.vote.id, flat=item.flat.id, choice=index)
        builder.button(text=f"{mark}{option}", callback_data=data)
    builder.adjust(1)
    return builder.as_markup()


@router.message(Command("vote"))
async def cmd_vote(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await state.clear()
    ballots = await services.votes.ballotable(person)
    for item in ballots:
        await message.answer(ballot_text(t, item), reply_markup=ballot_markup(t, item))
    overview = await services.votes.overview(person)
    if overview is None:
        if not ballots:
            await message.answer(t("vote-none"))
        return
    for vote, building, figures in overview:
        show = render_result if vote.status is VoteStatus.CLOSED else render_progress
        markup = None
        if await services.elections.may_invite(person, vote):
            name = vote.options[figures["winner"]]
            data = VoteCb(action=VoteAction.INVITE, value=str(vote.id))
            markup = _button(t("vote-btn-invite", name=name), data)
        await message.answer(show(t, vote, building, figures), reply_markup=markup)
    await message.answer(
        t("vote-organiser", count=len(overview)),
        reply_markup=_button(t("vote-btn-new"), VoteCb(action=VoteAction.NEW)),
    )


@router.callback_query(BallotCb.filter())
async def on_ballot(
    callback: CallbackQuery,
    callback_data: BallotCb,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    cast = await services.votes.cast(
        person, callback_data.vote, callback_data.flat, callback_data.choice
    )
    await callback.answer()
    item = Ballotable(
        cast.vote, cast.flat, await services.votes.building_of(cast.vote), callback_data.choice
    )
    if isinstance(callback.message, Message):
        await edit_quietly(
            callback.message.edit_text(ballot_text(t, item), reply_markup=ballot_markup(t, item))
        )
        key = "vote-receipt-changed" if cast.changed else "vote-receipt"
        await callback.message.answer(
            t(
                key,
                flat=cast.flat.code,
                receipt=cast.receipt,
                option=labels(t, cast.vote)[callback_data.choice],
            )
        )


# ------------------------------------------------------------------------ opening a vote


@router.callback_query(VoteCb.filter(F.action == VoteAction.NEW))
async def on_new(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    buildings = await services.votes.staff_buildings(person)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    await state.clear()
    if len(buildings) == 1:
        await state.update_data(building=buildings[0].id, building_name=buildings[0].name)
        await state.set_state(VoteFlow.question)
        await callback.message.answer(t("vote-ask-question", building=buildings[0].name))
        return
    await state.set_state(VoteFlow.building)
    await callback.message.answer(t("vote-ask-building"))


async def still_organiser(state: FSMContext, person: Person, services: Services) -> None:
    """Each step after the building: the organiser may have been removed meanwhile (as head,
    deputy or coordinator); then the steps end (``on_organiser_gone``), nothing is opened."""
    await services.votes.check_organiser(person, int((await state.get_data())["building"]))


@router.error(ExceptionTypeFilter(OrganiserGone, NotStaff), OnMessage(StateFilter(VoteFlow)))
@router.error(ExceptionTypeFilter(OrganiserGone, NotStaff), OnPress(StateFilter(VoteFlow)))
async def on_organiser_gone(event: ErrorEvent, state: FSMContext, bot: Bot, t: Translator) -> None:
    """Not a step to answer again: the flow ends, its buttons go, and the person reads why."""
    await end_flow(event, state, bot, t("vote-organiser-gone"))


@router.message(StateFilter(VoteFlow.building), FreeInput())
async def on_building(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    typed = await read_text(message, t)
    if typed is None:
        return
    building = await services.votes.building_for(person, typed)
    await state.update_data(building=building.id, building_name=building.name)
    await state.set_state(VoteFlow.question)
    await message.answer(t("vote-ask-question", building=building.name))


@router.message(StateFilter(VoteFlow.question), FreeInput())
async def on_question(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    typed = await read_text(message, t)
    if typed is None:
        return
    await still_organiser(state, person, services)
    services.votes.check_question(typed)
    await state.update_data(question=typed.strip())
    await state.set_state(VoteFlow.options)
    builder = InlineKeyboardBuilder()
    builder.button(text=t("vote-btn-yesno"), callback_data=VoteCb(action=VoteAction.YESNO))
    builder.button(text=t("vote-btn-election"), callback_data=VoteCb(action=VoteAction.ELECTION))
    builder.adjust(1)
    await message.answer(t("vote-ask-options"), reply_markup=builder.as_markup())


# Buttons a page of the rule step: the office may define any number of rules, a keyboard
# holds about a hundred buttons.
RULES_PER_PAGE = 10


async def _rule_markup(
    t: Translator, person: Person, services: Services, building_id: int, page: int
) -> InlineKeyboardMarkup:
    """A page of the rules: the presets, then the community's own active rules by the office's
    names; ‹ › to turn (the page a wish, clamped to the pages there are now)."""
    own = await services.vote_rules.offered(person, building_id)
    choices = [(t(f"vote-btn-{rule}"), rule) for rule in ("major", "ordinary")]
    choices += [(t("vote-btn-custom", name=row.name), choice_value(row)) for row in own]
    shown, page, pages = page_of(choices, page, RULES_PER_PAGE)
    builder = InlineKeyboardBuilder()
    for label, value in shown:
        builder.button(text=label, callback_data=VoteCb(action=VoteAction.RULE, value=value))
    nav = pager(page, pages, lambda n: VoteCb(action=VoteAction.RULE_PAGE, value=str(n)))
    for label, data in nav:
        builder.button(text=label, callback_data=data)
    builder.adjust(*([1] * len(shown)), len(nav) or 1)
    return builder.as_markup()


async def _ask_rule(
    message: Message,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
    options: list[str],
    yes_no: bool = False,
) -> None:
    await state.update_data(options=options, yes_no=yes_no)
    building_id = int((await state.get_data())["building"])
    markup = await _rule_markup(t, person, services, building_id, 0)
    await state.set_state(VoteFlow.rule)
    await message.answer(t("vote-ask-rule"), reply_markup=markup)


@router.callback_query(StateFilter(VoteFlow.rule), VoteCb.filter(F.action == VoteAction.RULE_PAGE))
async def on_rule_page(
    callback: CallbackQuery,
    callback_data: VoteCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    """‹ ›: another page of the rules; a word where the page goes (forged) shows the first."""
    building_id = int((await state.get_data())["building"])
    page = callback_data.number() or 0
    markup = await _rule_markup(t, person, services, building_id, page)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=markup))


@router.message(StateFilter(VoteFlow.options), FreeInput())
async def on_options(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    typed = await read_text(message, t)
    if typed is None:
        return
    await still_organiser(state, person, services)
    options = services.votes.check_options(typed.splitlines())
    await _ask_rule(message, state, t, person, services, options)


@router.callback_query(StateFilter(VoteFlow.options), VoteCb.filter(F.action == VoteAction.YESNO))
async def on_yesno(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await still_organiser(state, person, services)
    await callback.answer()
    if isinstance(callback.message, Message):
        yes_no = [t("vote-yes"), t("vote-no")]
        await _ask_rule(callback.message, state, t, person, services, yes_no, yes_no=True)


@router.callback_query(
    StateFilter(VoteFlow.options), VoteCb.filter(F.action == VoteAction.ELECTION)
)
async def on_election(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await still_organiser(state, person, services)
    await callback.answer()
    if isinstance(callback.message, Message):
        await state.set_state(VoteFlow.candidates)
        await callback.message.answer(t("vote-ask-candidates"))


@router.message(StateFilter(VoteFlow.candidates), FreeInput())
async def on_candidates(
    message: Message, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    typed = await read_text(message, t)
    if typed is None:
        return
    await still_organiser(state, person, services)
    building_id = int((await state.get_data())["building"])
    names, ids = await services.elections.match_candidates(person, building_id, typed.splitlines())
    await state.update_data(candidates=ids)
    await _ask_rule(message, state, t, person, services, names)


@router.callback_query(StateFilter(VoteFlow.rule), VoteCb.filter(F.action == VoteAction.RULE))
async def on_rule(
    callback: CallbackQuery,
    callback_data: VoteCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    # Another community's rule, a retired one or a forged value is refused here (and again
    # when the vote opens: the office may retire it meanwhile); the step stays where it was.
    await still_organiser(state, person, services)
    building_id = int((await state.get_data())["building"])
    chosen = await services.vote_rules.choose(person, building_id, callback_data.value)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    await state.update_data(rule=callback_data.value, rule_text=rule_text(t, chosen.rule))
    await state.set_state(VoteFlow.days)
    builder = InlineKeyboardBuilder()
    for days in DAYS:
        builder.button(
            text=t("vote-btn-days", days=days),
            callback_data=VoteCb(action=VoteAction.DAYS, value=str(days)),
        )
    await callback.message.answer(t("vote-ask-days"), reply_markup=builder.as_markup())


@router.callback_query(StateFilter(VoteFlow.days), VoteCb.filter(F.action == VoteAction.DAYS))
async def on_days(
    callback: CallbackQuery,
    callback_data: VoteCb,
    state: FSMContext,
    t: Translator,
    person: Person,
    services: Services,
) -> None:
    days = callback_data.number()
    if days not in DAYS:
        await on_stale_step(callback, t)
        return
    await still_organiser(state, person, services)
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    data = await state.get_data()
    reach = await services.votes.reach(int(data["building"]))
    await state.update_data(days=days)
    await state.set_state(VoteFlow.confirm)
    text = t(
        "vote-summary",
        building=data["building_name"],
        question=data["question"],
        options=" / ".join(data["options"]),
        rule=data["rule_text"],
        days=days,
        flats=reach.flats,
        owners=reach.owners,
        residents=reach.residents,
    )
    await callback.message.answer(
        text, reply_markup=_button(t("vote-btn-open"), VoteCb(action=VoteAction.OPEN))
    )


@router.callback_query(StateFilter(VoteFlow.confirm), VoteCb.filter(F.action == VoteAction.OPEN))
async def on_open(
    callback: CallbackQuery, state: FSMContext, t: Translator, person: Person, services: Services
) -> None:
    await still_organiser(state, person, services)
    data = await state.get_data()
    vote = await services.votes.open_vote(
        person,
        int(data["building"]),
        data["question"],
        data["options"],
        data["rule"],
        int(data["days"]),
        data.get("candidates"),
        yes_no=bool(data.get("yes_no")),
    )
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(t("vote-opened-organiser", id=vote.id))


@router.callback_query(VoteCb.filter(F.action == VoteAction.INVITE))
async def on_invite(
    callback: CallbackQuery,
    callback_data: VoteCb,
    t: Translator,
    person: Person,
    services: Services,
    bot: Bot,
) -> None:
    """The elected head gets a one-time head invitation for the building (the same link as
    /invite head), straight from the coordinator's press."""
    vote_id = callback_data.number()
    if vote_id is None:
        await on_stale_step(callback, t)
        return
    building, _ = await services.elections.elected(person, vote_id)
    issued = await services.staff.invite(person, Role.HEAD, building.code)
    link = start_link(await bot_username(bot), issued.payload)
    name = await services.elections.send_invitation(person, vote_id, link)
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_quietly(callback.message.edit_reply_markup(reply_markup=None))
        await callback.message.answer(t("vote-invited", name=name, building=building.name))


@router.callback_query(VoteCb.filter())
async def on_stale_step(callback: CallbackQuery, t: Translator) -> None:
    """A step's button pressed after the flow ended or moved on."""
    await callback.answer(t("button-stale"), show_alert=True)
