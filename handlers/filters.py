"""Filters shared by the feature routers."""

from __future__ import annotations

from typing import Any

from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Filter
from aiogram.types import ErrorEvent, TelegramObject
from aiogram.utils.magic_filter import MagicFilter


class Is(Filter):
    """``Is(F.text)``: a magic filter checked on the event loop. aiogram runs a bare F-filter,
    like any plain function, in a worker thread (``asyncio.to_thread``) every time an update
    reaches it; the hand-over costs far more than the check."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


class _Failed(Filter):
    """For an error handler (``@router.error(ExceptionTypeFilter(X), OnPress(...))``): the update
    that failed is of this kind and passes ``filters``, the same ones the failing handler had. An
    update's error reaches every router's error handlers, so this is what keeps a router's special
    case to the updates of its own handlers. The event goes in as ``callback`` or ``message``
    (with what the filters add, such as ``callback_data``), as an ordinary handler gets it."""

    kind: str

    def __init__(self, *filters: Filter) -> None:
        self.filters = [FilterObject(f) for f in filters]

    async def __call__(self, event: ErrorEvent, **data: Any) -> bool | dict[str, Any]:
        inner = getattr(event.update, self.kind)
        if inner is None:
            return False
        added: dict[str, Any] = {}
        for check in self.filters:
            result = await check.call(inner, **{**data, **added})
            if not result:
                return False
            if isinstance(result, dict):
                added.update(result)
        return {**added, self.name: inner}

    @property
    def name(self) -> str:
        return "callback" if self.kind == "callback_query" else self.kind


class OnPress(_Failed):
    """The failed update was a press of a button these filters take."""

    kind = "callback_query"


class OnMessage(_Failed):
    """The failed update was a message these filters take."""

    kind = "message"
