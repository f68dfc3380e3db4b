"""Drive the bot like a user, in process: updates go through ``Dispatcher.feed_update``; every Bot
API call lands in a fake session that answers like Telegram and records the call.
(The idea of aiogram's own tests/mocked_bot.py, which the wheel does not ship.)"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetMe,
    SendMediaGroup,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)

BOT_ID = 424242
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024  # UTF-16 code units, as Telegram counts them
ANSWER_LIMIT = 200  # answerCallbackQuery's text ("0-200 characters"), counted the same way
DATA_LIMIT = 64  # a button's callback_data, in bytes (BUTTON_DATA_INVALID past it, or empty)
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Louzhang", "username": "louzhang_test_bot"}


class FakeSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.errors: list[tuple[str, int, str, int | None]] = []
        self.blocked: set[int] = set()
        # Calls Telegram would refuse as malformed (too long, bad buttons), with the reason: a
        # test that drives hostile content asserts it stays empty.
        self.refused: list[tuple[TelegramMethod[Any], str]] = []
        self._ids = itertools.count(1000)

    def fail(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        """The next call of ``method`` (aiogram class name, e.g. "SendMessage") fails."""
        self.errors.append((method, status, description, retry_after))

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        self.requests.append(method)
        name = type(method).__name__
        chat_id = getattr(method, "chat_id", None)
        for index, (failing, status, description, retry_after) in enumerate(self.errors):
            if failing == name:
                del self.errors[index]
                return self._answer(bot, method, _error(status, description, retry_after))
        if chat_id in self.blocked and name.startswith(("Send", "Edit", "Copy")):
            return self._answer(bot, method, _error(403, "Forbidden: bot was blocked by the user"))
        refusal = length_refusal(method)
        if refusal is not None:
            self.refused.append((method, refusal))
            return self._answer(bot, method, _error(400, refusal))
        return self._answer(bot, method, {"ok": True, "result": self._result(method)})

    def _answer(
        self, bot: Bot, method: TelegramMethod[TelegramType], body: dict[str, Any]
    ) -> TelegramType:
        status = body.get("error_code", 200)
        response = self.check_response(bot, method, status, json.dumps(body))
        # Only an ok answer gets here (check_response raises otherwise), and its result is the
        # method's own type, as in aiogram's AiohttpSession.make_request.
        return cast(TelegramType, response.result)

    def _result(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return BOT_USER
        returning = getattr(method, "__returning__", None)
        if returning is bool:
            return True
        if "Message" in str(returning) and hasattr(method, "chat_id"):
            message: dict[str, Any] = {
                "message_id": getattr(method, "message_id", None) or next(self._ids),
                "date": int(time.time()),
                "chat": {"id": method.chat_id, "type": "private"},
                "from": BOT_USER,
            }
            text = getattr(method, "text", None)
            if text:
                message["text"] = text
            if hasattr(method, "photo"):
                message["photo"] = [
                    {"file_id": "photo1", "file_unique_id": "u1", "width": 100, "height": 100}
                ]
                caption = getattr(method, "caption")  # noqa: B009 (every Send* with a photo has one)
                if caption:
                    message["caption"] = caption
            markup = getattr(method, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup):
                message["reply_markup"] = markup.model_dump(mode="json", exclude_none=True)
            return message
        return True


def telegram_date(seconds: float | None = None) -> datetime:
    """A message's date as aiogram reads Telegram's: whole seconds since the epoch, in UTC (the
    current time unless given)."""
    return datetime.fromtimestamp(int(time.time() if seconds is None else seconds), UTC)


def utf16_len(text: str) -> int:
    """Telegram's count (written out here, not imported from the code under test)."""
    return len(text.encode("utf-16-le")) // 2


def length_refusal(method: TelegramMethod[Any]) -> str | None:
    """What Telegram answers (400) for a text or caption too long, counted in UTF-16 units, a
    callback answer past 200 units, or a button whose callback_data is empty or past 64 bytes."""
    if isinstance(method, SendMessage | EditMessageText):
        assert method.text is not None, "an edit without text (the bot never sends one)"
        if not method.text.strip():
            return "Bad Request: message text is empty"
        if utf16_len(method.text) > TEXT_LIMIT:
            return "Bad Request: message is too long"
    if isinstance(method, AnswerCallbackQuery) and utf16_len(method.text or "") > ANSWER_LIMIT:
        return "Bad Request: MESSAGE_TOO_LONG"
    captions = [getattr(method, "caption", None)]
    if isinstance(method, SendMediaGroup):
        captions += [getattr(item, "caption", None) for item in method.media]
    for caption in captions:
        if isinstance(caption, str) and utf16_len(caption) > CAPTION_LIMIT:
            return "Bad Request: message caption is too long"
    markup = getattr(method, "reply_markup", None)
    if isinstance(markup, InlineKeyboardMarkup):
        for button in itertools.chain.from_iterable(markup.inline_keyboard):
            data = button.callback_data
            if data is not None and not 1 <= len(data.encode()) <= DATA_LIMIT:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def _error(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


@dataclass
class Sent:
    """One call the bot made, with easy access to what a user would see."""

    method: TelegramMethod[Any]

    @property
    def text(self) -> str:
        return str(getattr(self.method, "text", None) or getattr(self.method, "caption", "") or "")

    @property
    def chat_id(self) -> int | str:
        """The chat the call went to (a call to none fails the test)."""
        chat_id: int | str | None = getattr(self.method, "chat_id", None)
        assert chat_id is not None, f"{type(self.method).__name__} went to no chat"
        return chat_id

    @property
    def buttons(self) -> list[str]:
        markup = getattr(self.method, "reply_markup", None)
        if not isinstance(markup, InlineKeyboardMarkup):
            return []
        return [b.text for row in markup.inline_keyboard for b in row]

    def button_data(self, text: str) -> str:
        markup = getattr(self.method, "reply_markup", None)
        assert isinstance(markup, InlineKeyboardMarkup), f"no buttons on {self.text!r}"
        for row in markup.inline_keyboard:
            for button in row:
                if button.text == text and button.callback_data:
                    return button.callback_data
        raise AssertionError(f"no button {text!r} in {self.buttons}")


class BotClient:
    """``await client.send(user, "/start")`` → the calls the bot made while handling it."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, session: FakeSession) -> None:
        self.dp = dispatcher
        self.bot = bot
        self.session = session
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    def user(self, user_id: int, language: str = "zh-hans", name: str = "User") -> User:
        return User(
            id=user_id, is_bot=False, first_name=f"{name} {user_id}", language_code=language
        )

    async def feed(self, **update: Any) -> list[Sent]:
        before = len(self.session.requests)
        await self.dp.feed_update(self.bot, Update(update_id=next(self._update_ids), **update))
        return [Sent(m) for m in self.session.requests[before:]]

    def message(self, user: User, text: str | None = None, **extra: Any) -> Message:
        entities = None
        if text and text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        return Message(
            message_id=next(self._message_ids),
            date=telegram_date(),
            chat=Chat(id=user.id, type="private"),
            from_user=user,
            text=text,
            entities=entities,
            **extra,
        )

    async def send(self, user: User, text: str | None = None, **extra: Any) -> list[Sent]:
        return await self.feed(message=self.message(user, text, **extra))

    async def click(self, user: User, sent: Sent, button: str) -> list[Sent]:
        return await self.press(user, sent, sent.button_data(button))

    async def press(self, user: User, sent: Sent, data: str) -> list[Sent]:
        chat_id = getattr(sent.method, "chat_id", user.id)
        message = Message(
            message_id=getattr(sent.method, "message_id", None) or 1,
            date=telegram_date(),
            chat=Chat(id=chat_id, type="private"),
            from_user=User.model_validate({k: v for k, v in BOT_USER.items() if k != "username"}),
            text=sent.text or "…",
        )
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=user,
            chat_instance="ci",
            message=message,
            data=data,
        )
        return await self.feed(callback_query=query)


def texts(sent: list[Sent]) -> list[str]:
    return [s.text for s in sent if s.text]


def only(sent: list[Sent], method: str = "SendMessage") -> Sent:
    matches = [s for s in sent if type(s.method).__name__ == method]
    assert len(matches) == 1, (
        f"expected one {method}, got {[type(s.method).__name__ for s in sent]}"
    )
    return matches[0]


def asked(sent: list[Sent]) -> Sent:
    """The one message a step shows: a new message, or (after a press of a question's button)
    the pressed message edited into the next question; either way exactly one, and its buttons
    are pressed on that message (an edit keeps its message id)."""
    matches = [s for s in sent if isinstance(s.method, SendMessage | EditMessageText)]
    assert len(matches) == 1, (
        f"expected one new or edited message, got {[type(s.method).__name__ for s in sent]}"
    )
    return matches[0]
