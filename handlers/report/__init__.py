"""The resident's report: building → category → (same problem?) → description → location →
privacy → summary → send. The draft lives in the FSM storage (the database), so a restart
loses nothing; /cancel leaves at any step.

One router per part: entry (start, building, category, me too), steps (description,
location, privacy), summary (send, edit, cancel), offer ("report this?"); the hint for
whatever fits no step comes last."""

from __future__ import annotations

from aiogram import Router

from handlers.report import entry, offer, replies, steps, summary
from handlers.report.flow import BuildingPageCb, ReportCb, ReportFlow, Step
from handlers.report.offer import offer_router

router = Router(name="report")
# A reply to a ticket's message first: it is not the step's answer.
router.include_routers(
    replies.router,
    entry.router,
    steps.router,
    summary.router,
    offer.router,
    summary.leftovers,
)

__all__ = ["BuildingPageCb", "ReportCb", "ReportFlow", "Step", "offer_router", "router"]
