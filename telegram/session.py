"""The bot's HTTP session: aiogram's AiohttpSession, with a lighter request body and a lighter
reading of the message the bot just sent.

aiogram posts every method as form data: each top-level field prepared and JSON-encoded on
its own, then the whole form URL-encoded (about 0.17 ms of CPU for a message with a keyboard,
a quarter of the call's cost on the bot's side; 0.03 ms as one JSON body). The Bot API accepts
the same parameters as one ``application/json`` body for any request without a file upload,
so a request without files is sent so:
the same fields, prepared by aiogram's own ``prepare_value`` rules (defaults filled in, ``None``
left out, dates as Unix time), encoded once. A request with an upload goes as aiogram sends it
(multipart form data).

Telegram's answer is read as aiogram reads it (``check_response``, every error as before),
with one exception. The answer to a message the bot sends or edits (the methods in ``ECHOING``)
is that whole message, and it repeats what the request itself carried: the inline keyboard, the
text's or caption's entities, the link preview options. Read into aiogram's models those copies
are most of the answer's cost (a card's answer: a model for every button). The bot reads only
``message_id`` and ``chat.id`` of such a result (the card remembered, the prompt to retire), so
a successful answer to one of those methods is read without those fields (``ECHOED``):
``reply_markup``, ``entities``, ``caption_entities`` and ``link_preview_options`` of its result
are None; everything else (id, chat, date, sender, text, caption, photo…) is read as before,
an upload's answer too. Any other answer (an error, a refusal, a result that is not a message,
any other method: getUpdates above all, whose messages the handlers read whole) is aiogram's own
reading. Code that comes to read one of those fields of what a send or edit returns takes that
method out of ``ECHOING``.

Depends on aiogram's session internals, pinned by tests/test_session.py: the ``_dumps_json``
parameter of ``BaseSession.prepare_value`` (values other than plain JSON ones: defaults, dates,
files, enums), ``AiohttpSession``'s ``create_session``, ``api`` and ``timeout``, and
``BaseSession.check_response`` (an answer read whole, and every error).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    Response,
    SendDocument,
    SendLocation,
    SendMessage,
    SendPhoto,
    SendVoice,
)
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

__all__ = ["ECHOED", "ECHOING", "JsonSession"]

_JSON_HEADERS = {"Content-Type": "application/json"}
# Values JSON takes as they are (bool is an int); everything else as aiogram prepares it.
_PLAIN = frozenset((str, int, float, bool))
# The bot's sends and edits of a message: their result is the message, read for its ids only.
ECHOING: frozenset[type[TelegramMethod[Any]]] = frozenset(
    (SendMessage, SendPhoto, SendDocument, SendVoice, SendLocation)
    + (EditMessageText, EditMessageReplyMarkup)
)
# What such a result repeats of its request: left unread.
ECHOED = ("reply_markup", "entities", "caption_entities", "link_preview_options")


class JsonSession(AiohttpSession):
    """AiohttpSession that sends a request without files as one JSON body."""

    def request_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The request's JSON body, or None when it uploads a file (then it goes as form
        data). The fields of aiogram's form, each as aiogram prepares it; one it would leave
        out (None, an empty string) is left out."""
        files: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        # The method's own fields as model_dump gives them (by name, extras last), read
        # directly: pydantic's dump of a method costs ~20 us even when nearly every field is
        # None; a nested object is still dumped by pydantic (below).
        values: Iterable[tuple[str, Any]] = method.__dict__.items()
        if method.__pydantic_extra__:
            values = [*values, *method.__pydantic_extra__.items()]
        for key, value in values:
            if value is None:
                continue
            prepared = self._plain(value, bot, files)
            if prepared is None or prepared == "":
                continue
            fields[key] = prepared
        if files:
            return None
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()

    def _plain(self, value: Any, bot: Bot, files: dict[str, Any]) -> Any:
        """``value`` as aiogram puts it inside a JSON-encoded field (``prepare_value`` with
        ``_dumps_json=False``): None inside dicts and lists left out, defaults filled in,
        Telegram objects dumped by pydantic."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is dict:
            return {
                key: prepared
                for key, item in value.items()
                if (prepared := self._plain(item, bot, files)) is not None
            }
        if kind is list:
            items = (self._plain(item, bot, files) for item in value)
            return [prepared for prepared in items if prepared is not None]
        if kind is Default:  # what the bot was given as its default for this parameter
            return self._plain(bot.default[value.name], bot, files)
        if isinstance(value, TelegramObject):
            # (Its None fields left out by pydantic: they would be left out here anyway.)
            return self._plain(value.model_dump(warnings=False, exclude_none=True), bot, files)
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        """aiogram's reading of the answer; a message sent or edited (``ECHOING``) without
        what it repeats of the request (``ECHOED``)."""
        if type(method) in ECHOING and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                answer = self.json_loads(content)
            except Exception:  # noqa: BLE001 (aiogram's reading below says what is wrong)
                answer = None
            result = answer.get("result") if type(answer) is dict else None
            if type(result) is dict and answer.get("ok") is True:
                for key in ECHOED:
                    result.pop(key, None)
                response_type = Response[method.__returning__]  # type: ignore[name-defined]
                try:
                    return cast(
                        Response[TelegramType],
                        response_type.model_validate(answer, context={"bot": bot}),
                    )
                except ValidationError:
                    pass  # aiogram's reading below raises its error
        return super().check_response(bot, method, status_code, content)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        body = self.request_body(bot, method)
        if body is None:  # an upload: multipart form data, as aiogram sends it
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON_HEADERS,
                # (as aiohttp reads a number: the whole request's limit)
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)
