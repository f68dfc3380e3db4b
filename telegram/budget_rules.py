"""What counts against Telegram's limits (telegram/budget.py): the kind of each Bot API method, and
how many messages a call is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from aiogram.methods import TelegramMethod


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


class Kind(Enum):
    MESSAGE = "message"  # a slot of the chat and of the overall window
    EDIT = "edit"  # the same rule as a message
    CALLBACK = "callback"  # no slot; answered once; 429 waited out
    FREE = "free"  # not limited


NOT_MESSAGES = frozenset({"sendChatAction"})
RULES: tuple[tuple[tuple[str, ...], Kind], ...] = (
    (("answerCallbackQuery",), Kind.CALLBACK),
    (("send", "copyMessage", "forwardMessage"), Kind.MESSAGE),
    (("editMessage", "stopMessageLiveLocation", "stopPoll"), Kind.EDIT),
)


def kind_of(method: TelegramMethod[Any]) -> Kind:
    name = str(method.__api_method__)
    if name in NOT_MESSAGES:
        return Kind.FREE
    return next((kind for prefixes, kind in RULES if name.startswith(prefixes)), Kind.FREE)


def weight_of(method: TelegramMethod[Any]) -> int:
    """How many messages a call is: an album is one per item."""
    items = getattr(method, "media", None)
    if isinstance(items, list):
        return max(1, len(items))
    ids = getattr(method, "message_ids", None)
    return max(1, len(ids)) if isinstance(ids, list) else 1
