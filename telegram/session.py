"""The bot's HTTP session: aiogram's AiohttpSession, with a lighter request body.

aiogram posts every method as form data: each top-level field prepared and JSON-encoded on
its own, then the whole form URL-encoded (about 0.17 ms of CPU for a message with a keyboard,
a quarter of the call's cost on the bot's side; 0.03 ms as one JSON body). The Bot API accepts
the same parameters as one ``application/json`` body for any request without a file upload,
so a request without files is sent so:
the same fields, prepared by aiogram's own ``prepare_value`` rules (defaults filled in, ``None``
left out, dates as Unix time), encoded once. A request with an upload goes as aiogram sends it
(multipart form data).

Telegram's answer is read as aiogram reads it (``check_response``, every error as before).

Depends on aiogram's session internals, pinned by tests/test_session.py: the ``_dumps_json``
parameter of ``BaseSession.prepare_value`` (values other than plain JSON ones: defaults, dates,
files, enums), and ``AiohttpSession``'s ``create_session``, ``api`` and ``timeout``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

__all__ = ["JsonSession"]

_JSON_HEADERS = {"Content-Type": "application/json"}
# Values JSON takes as they are (bool is an int); everything else as aiogram prepares it.
_PLAIN = frozenset((str, int, float, bool))


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
