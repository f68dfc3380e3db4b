"""handlers/presses.py: a press is offered only to the routers that have a handler for its
button's prefix, in the tree's order, and the routers it skips could not have taken it."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, User

import handlers
from bot.services.policy import Action
from handlers import fallback, report, tickets
from handlers.keyboards import TicketCb
from handlers.presses import PressRoutedRouter
from tests.test_callbacks import callback_classes


def press(data: str | None) -> CallbackQuery:
    user = User(id=1, is_bot=False, first_name="A")
    return CallbackQuery(id="1", from_user=user, chat_instance="ci", data=data)


def prefixes_of(router: Router) -> set[str] | None:
    """The prefixes the router's handlers filter on; None if one of them takes any press."""
    found: set[str] = set()
    for each in router.chain_tail:
        for handler in each.observers["callback_query"].handlers:
            bound = [
                f.callback.callback_data.__prefix__
                for f in handler.filters or ()
                if isinstance(f.callback, CallbackQueryFilter)
            ]
            if not bound:
                return None
            found.update(bound)
    return found


def test_a_press_skips_only_the_routers_that_cannot_take_it() -> None:
    root = handlers.build_router()
    assert isinstance(root, PressRoutedRouter)
    for cls in callback_classes():
        entered = root.routers_for(press(f"{cls.__prefix__}:x"))
        expected = [
            r for r in root.sub_routers if (p := prefixes_of(r)) is None or cls.__prefix__ in p
        ]
        assert list(entered) == expected, cls
    card = root.routers_for(press(TicketCb(action=Action.TAKE, ticket_id=1).pack()))
    assert tickets.router in card and report.router not in card
    assert card[-1] is fallback.router  # its catch-all answers an unknown or outdated button
    assert root.routers_for(press("nothing:1")) == (fallback.router,)
    assert root.routers_for(press(None)) == (fallback.router,)
    for forged in range(1000):  # forged data keeps no entry of its own
        assert root.routers_for(press(f"x{forged}:1")) == (fallback.router,)
    assert len(root._entered) <= len(callback_classes()) + 1
