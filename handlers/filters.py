"""Filters shared by the feature routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.utils.magic_filter import MagicFilter


class Is(Filter):
    """``Is(F.text)``: a magic filter checked on the event loop. aiogram runs a bare F-filter,
    like any plain function, in a worker thread (``asyncio.to_thread``) every time an update
    reaches it; the hand-over costs far more than the check."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)
