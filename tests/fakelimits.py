"""Telegram's flood control, for the fake Bot API server (tests/fakeapi.py): about one message a
second per private chat with short bursts tolerated, 20 a minute per group, 30 a second overall
for notifications. Past them: a 429 "Too Many Requests: retry after N", as Telegram answers.
Messages and edits count; callback answers, chat actions and the rest do not.

The overall limit is Telegram's limit on broadcasting (many people notified at once): a message
to a person who wrote to the bot within ``answer_window`` seconds (``wrote()``, told by the fake
when it hands out that person's update) is an answer, limited by its chat's rule only.

A chat's rule is a bucket measured where requests arrive, with ``slack`` seconds of tolerance:
a sender that keeps the rule where its requests leave must not be refused because two of them
travelled a few milliseconds differently (Telegram is no stricter than that either)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

COUNTED = ("send", "copyMessage", "forwardMessage", "editMessage")
NOT_COUNTED = frozenset({"sendChatAction"})


@dataclass
class FloodRules:
    per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    slack: float = 0.5
    answer_window: float = 60.0
    _wrote: dict[int | str, float] = field(default_factory=dict)  # chat: when it last wrote
    _overall: deque[float] = field(default_factory=deque)
    _chats: dict[int | str, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    _groups: dict[int | str, deque[float]] = field(default_factory=dict)

    @staticmethod
    def counts(method: str) -> bool:
        return method.startswith(COUNTED) and method not in NOT_COUNTED

    def wrote(self, chat_id: object, now: float) -> None:
        """The person (or group) of ``chat_id`` sent the bot an update at ``now``."""
        if isinstance(chat_id, int | str):
            self._wrote[chat_id] = now

    def refuse(self, method: str, chat_id: object, now: float) -> int | None:
        """None if the request may go (and it is counted), else the retry_after to answer."""
        if not self.counts(method):
            return None
        chat = chat_id if isinstance(chat_id, int | str) else None
        answer = chat is not None and now - self._wrote.get(chat, -math.inf) <= self.answer_window
        while self._overall and self._overall[0] <= now - 1.0:
            self._overall.popleft()
        if not answer and len(self._overall) >= self.per_second:
            return _seconds(self._overall[0] + 1.0 - now)
        if chat is not None and (isinstance(chat, str) or chat < 0):
            sent = self._groups.setdefault(chat, deque())
            while sent and sent[0] <= now - 60.0:
                sent.popleft()
            if len(sent) >= self.group_per_minute:
                return _seconds(sent[0] + 60.0 - now)
            sent.append(now)
        elif chat is not None:
            tokens, at = self._chats.get(chat, (float(self.chat_burst), now))
            tokens = min(float(self.chat_burst), tokens + (now - at) * self.chat_per_second)
            if tokens < 1 - self.slack * self.chat_per_second:
                return _seconds((1 - tokens) / self.chat_per_second)
            self._chats[chat] = (tokens - 1, now)
        if not answer:
            self._overall.append(now)
        return None


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
