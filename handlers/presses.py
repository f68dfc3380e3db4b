"""The root of the router tree, which hands a button press only to the feature routers that have
a handler for its kind of button.

aiogram offers every press to each router in turn, and each router checks each of its handlers'
filters (a state, then the button's CallbackData) until one passes: a card's Take went through
six routers and 17 handlers before reaching the tickets router, and a press of a later feature's
button through up to ~100. Every handler of ours that takes presses filters on one CallbackData
class (``TicketCb.filter(...)``), and such a filter passes only if the press's data begins with
that class's prefix. So a router none of whose handlers (nor its sub-routers') names the
press's prefix cannot take it, and is skipped without being entered; the others are offered the
press in the same order as before, with the same filters. A router with a handler that takes
other presses too (no CallbackData filter: the fallback's catch-all), or with outer middleware
of its own for presses, is always entered."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, TelegramObject

PRESS = "callback_query"
SEPARATOR = ":"  # aiogram's default; a CallbackData with another is entered for every press


class PressRoutedRouter(Router):
    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        # The tree is complete before the first update (build_router); a press's prefix maps to
        # the sub-routers that may take it, worked out on its first press. Only the prefixes of
        # the tree's buttons are kept: any other (forged data) is None's, no data at all.
        self._entered: dict[str | None, tuple[Router, ...]] = {}
        self._known: frozenset[str] | None = None

    async def _propagate_event(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        **kwargs: Any,
    ) -> Any:
        own = self.observers[PRESS]
        if update_type != PRESS or own.handlers or own._handler.filters:
            return await super()._propagate_event(observer, update_type, event, **kwargs)
        # What Router._propagate_event does when the router itself has no handler and no filter
        # for presses: offer the press to the sub-routers in turn, until one takes it.
        response: Any = UNHANDLED
        for router in self.routers_for(event):
            response = await router.propagate_event(update_type=update_type, event=event, **kwargs)
            if response is not UNHANDLED:
                break
        return response

    def routers_for(self, event: TelegramObject) -> tuple[Router, ...]:
        data = event.data if isinstance(event, CallbackQuery) else None
        prefix = data.split(SEPARATOR, 1)[0] if data else None
        routers = self._entered.get(prefix)
        if routers is None:
            if self._known is None:
                self._known = frozenset(_prefixes(self))
            key = prefix if prefix in self._known else None
            routers = self._entered.get(key)
            if routers is None:
                routers = tuple(r for r in self.sub_routers if _may_take(r, key))
                self._entered[key] = routers
        return routers


def _prefixes(root: Router) -> set[str]:
    return {
        f.callback.callback_data.__prefix__
        for router in root.chain_tail
        for handler in router.observers[PRESS].handlers
        for f in handler.filters or ()
        if isinstance(f.callback, CallbackQueryFilter)
    }


def _may_take(router: Router, prefix: str | None) -> bool:
    """Whether a press with this prefix (None: no data) could pass a handler of the router or
    of its sub-routers (or meets the router's outer middleware, which runs on entering)."""
    for each in router.chain_tail:
        observer = each.observers[PRESS]
        if len(observer.outer_middleware):
            return True
        for handler in observer.handlers:
            bound = [
                f.callback
                for f in handler.filters or ()
                if isinstance(f.callback, CallbackQueryFilter)
            ]
            if not bound:
                return True
            for only in bound:
                callback_data = only.callback_data
                if callback_data.__separator__ != SEPARATOR or callback_data.__prefix__ == prefix:
                    return True
    return False
