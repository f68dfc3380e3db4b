"""What a step that waits for a button says to a message it cannot take (a typed word, a
sticker, a photo): which question its buttons answer, so the person knows what to press, and
the step keeps waiting. One table for every flow: the catch-all (handlers/fallback.py) and the
report's leftovers read it by the conversation's state. A step that takes typed words answers
what it cannot read itself."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext

from bot.i18n import Translator
from handlers.activities import ActivityFlow
from handlers.notices import NoticeFlow
from handlers.report.flow import ReportFlow
from handlers.votes import VoteFlow

# A waiting step's state → the key of its question, in a few words.
BUTTON_STEPS: dict[str | None, str] = {
    ReportFlow.building.state: "step-q-report-building",
    ReportFlow.category.state: "step-q-report-category",
    ReportFlow.metoo.state: "step-q-report-metoo",
    ReportFlow.privacy.state: "step-q-report-privacy",
    ReportFlow.summary.state: "step-q-report-summary",
    ReportFlow.offer.state: "step-q-report-offer",
    NoticeFlow.targets.state: "step-q-notice-targets",
    NoticeFlow.urgent.state: "step-q-notice-urgent",
    NoticeFlow.confirm.state: "step-q-notice-confirm",
    ActivityFlow.targets.state: "step-q-activity-targets",
    ActivityFlow.confirm.state: "step-q-activity-confirm",
    VoteFlow.rule.state: "step-q-vote-rule",
    VoteFlow.days.state: "step-q-vote-days",
    VoteFlow.confirm.state: "step-q-vote-confirm",
}


async def step_hint(state: FSMContext, t: Translator) -> str | None:
    """The hint for the step in progress; None outside any flow."""
    current = await state.get_state()
    if current is None:
        return None
    key = BUTTON_STEPS.get(current)
    if key is None:
        return t("step-waiting")  # a step of an older version, still stored
    return t("step-buttons", question=t(key))
