"""Last in the tree: whatever no other handler took."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from handlers.filters import Is
from handlers.step_hints import step_hint
from handlers.ticketing import SkipCb, drop_buttons

router = Router(name="fallback")


@router.callback_query(SkipCb.filter())
async def on_spent_skip(callback: CallbackQuery, t: Translator) -> None:
    """Skip on a step that is over (its note or comment was sent, or it was cancelled): the
    steps that wait take their own Skip before this router."""
    await callback.answer(t("step-skip-spent"), show_alert=True)
    await drop_buttons(callback)


@router.callback_query()
async def on_unknown_button(callback: CallbackQuery, t: Translator) -> None:
    """A button from an older version of the bot, or forged data: answer, so it stops spinning,
    and change nothing."""
    await callback.answer(t("button-stale"), show_alert=True)


@router.message(Is(F.text.startswith("/")))
async def on_unknown_command(message: Message, t: Translator) -> None:
    await message.answer(t("unknown-command"))


@router.message()
async def on_anything(message: Message, state: FSMContext, t: Translator) -> None:
    """In the middle of a flow, a message its step cannot take (a word where a button is
    awaited, a sticker): what the step waits for, and it goes on waiting."""
    await message.answer(await step_hint(state, t) or t("fallback"))
