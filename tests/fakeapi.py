"""A local fake Telegram Bot API server (aiohttp.web) for end-to-end tests and benchmarks.

aiogram's AiohttpSession POSTs every method to ``{base}/bot{token}/{method}`` as form data
(urlencoded, or multipart when uploading). Top-level non-string values (ints, bools and nested
objects such as ``reply_markup`` or ``media``) arrive JSON-encoded, strings arrive raw, ``None``
is omitted, and uploads are separate parts referenced as ``attach://<key>``. The bot's session
(telegram/session.py) sends a request without files as one ``application/json`` body, which
Telegram accepts too; its string values are decoded as form values are, so a call's params are
the same either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partialmethod
from typing import Any, Self

from aiohttp import web

from tests.fakelimits import FloodRules

JSON = dict[str, Any]
BOT_ID = 424242
ANSWER_LIMIT = 200  # answerCallbackQuery's text
# Bot API parameters that are plain strings and must never be JSON-decoded.
STRING_PARAMS = frozenset(
    ("text", "caption", "parse_mode", "callback_query_id", "url", "data", "inline_message_id")
    + ("secret_token", "title", "description", "short_description", "name", "address", "emoji")
    + ("business_connection_id", "language_code", "photo", "document", "voice", "audio", "video")
    + ("file_id",)
)


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


Files = dict[str, UploadedFile]


@dataclass
class ApiCall:
    method: str  # canonical spelling, e.g. "sendMessage"
    params: JSON  # JSON-encoded values (reply_markup, chat_id, ...) are decoded
    time: float  # time.monotonic() when the request arrived
    files: Files = field(default_factory=dict)
    status: int = 200
    response: JSON = field(default_factory=dict)
    content_type: str = ""  # how the parameters came: form data or JSON

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Fault:
    method: str
    response: JSON
    times: int
    chat_id: int | str | None


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def chat_of_update(update: JSON) -> object:
    """The chat an update came from (None for one without a chat)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        event = update.get(kind)
        if isinstance(event, dict):
            if kind == "callback_query":
                event = event.get("message") or {}
            chat = event.get("chat") if isinstance(event, dict) else None
            if isinstance(chat, dict):
                return chat.get("id")
    return None


def error_response(status: int, description: str, retry_after: int | None = None) -> JSON:
    """Telegram's exact error shape."""
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def _decode(key: str, value: Any) -> Any:
    value = value.decode() if isinstance(value, bytes) else value
    if not isinstance(value, str) or key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


# Telegram's HTML parse mode (the Bot API reference, "HTML style"): these tags only;
# every other "<" and a tag left open are refused ("can't parse entities"), as Telegram does.
HTML_TAGS = frozenset(
    ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a")
    + ("tg-emoji", "code", "pre", "blockquote")
)
_HTML_TAG = re.compile(r"<(/?)([a-z-]*)((?:\s[^<>]*)?)>", re.IGNORECASE)


def _html_visible(text: str) -> str:
    """The text Telegram shows for ``text`` in HTML parse mode; ApiError where it refuses."""
    visible: list[str] = []
    open_tags: list[str] = []
    position = 0
    while (start := text.find("<", position)) >= 0:
        visible.append(text[position:start])
        tag = _HTML_TAG.match(text, start)
        offset = len(text[:start].encode())
        if tag is None or tag.group(2).lower() not in HTML_TAGS:
            name = tag.group(2) if tag else text[start + 1 : start + 10]
            raise ApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte '
                f"offset {offset}",
            )
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if closing:
            if not open_tags or open_tags[-1] != name:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{offset}, expected "</{open_tags[-1] if open_tags else ""}>", found '
                    f'"</{name}>"',
                )
            open_tags.pop()
        else:
            open_tags.append(name)
        position = tag.end()
    visible.append(text[position:])
    if open_tags:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start "
            f'tag "{open_tags[-1]}"',
        )
    return html.unescape("".join(visible))


def _visible_len(text: str, parse_mode: Any) -> int:
    """The length Telegram checks: UTF-16 code units of the text after entity parsing."""
    html_mode = str(parse_mode).lower() == "html"
    visible = _html_visible(text) if html_mode else text
    return len(visible.encode("utf-16-le")) // 2


class FakeBotAPI:
    """The fake server; ``api_<method>`` members implement methods (names case-insensitive)."""

    def __init__(
        self, *, username: str = "louzhang_test_bot", max_poll_timeout: float = 1.0, port: int = 0
    ) -> None:
        self.username, self.max_poll_timeout, self.port = username, max_poll_timeout, port
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int | str, int], JSON] = {}  # (chat_id, message_id) -> Message
        self.blocked_chats: set[int] = set()
        # Telegram's limits, enforced when set (FloodRules()): a 429 past them.
        self.limits: FloodRules | None = None
        # Requests to these chats hang until unstall() (then fail with 502): a request in
        # flight when the bot dies or stops. What hung is in ``stalled``.
        self.stalled_chats: set[int | str] = set()
        self.stalled: list[tuple[str, JSON]] = []
        self._unstalled = asyncio.Event()
        self.fault_hook: Callable[[str, JSON], JSON | None] | None = None
        # setWebhook's settings: the URL, and the secret token and update kinds it was given.
        self.webhook_url = ""
        self.webhook: JSON = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}  # (scope JSON, language) -> list
        self._pending: list[JSON] = []
        self._faults: list[_Fault] = []
        self._names: dict[int, str] = {}
        # Files the bot may fetch (getFile, then GET /file/bot<token>/<file_path>): by file id.
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []  # the file paths downloaded, in order
        self._update_ids, self._message_ids, self._seq = (itertools.count(n) for n in (1001, 1, 1))
        self._updates_event, self._calls_event = asyncio.Event(), asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        names = [n[4:] for n in dir(self) if n.startswith("api_")]
        self._methods = {n.lower(): (n, getattr(self, f"api_{n}")) for n in names}

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        self._wake_updates()
        self.unstall()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://127.0.0.1:{self.port}"

    def push_update(self, update: JSON) -> int:
        update_id = next(self._update_ids)
        self._pending.append({**update, "update_id": update_id})
        self._wake_updates()
        return update_id

    def message_update(
        self, user_id: int, text: str | None, *, first_name: str = "User",
        language_code: str = "zh-hans", reply_to: int | None = None, **extra: Any,
    ) -> JSON:  # fmt: skip
        """A private-chat ``message`` update; ``extra`` is merged into the Message dict."""
        self._names[user_id] = first_name
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        msg = self._message(user_id, {**user, "language_code": language_code})
        if text is not None:
            msg["text"] = text
            command = text.split(maxsplit=1)[0] if text.strip() else ""
            if command.startswith("/") and len(command) > 1:
                length = len(command.encode("utf-16-le")) // 2
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            msg["reply_to_message"] = self._stored(user_id, reply_to)
        msg.update(extra)
        return {"message": msg}

    def callback_update(
        self, user_id: int, data: str, message_id: int, chat_id: int | None = None,
        language_code: str = "zh-hans",
    ) -> JSON:  # fmt: skip
        """A ``callback_query`` update for a button on message ``message_id``."""
        name = self._names.get(user_id, "User")
        user = {"id": user_id, "is_bot": False, "first_name": name, "language_code": language_code}
        chat = user_id if chat_id is None else chat_id
        query: JSON = {"id": str(4 * 10**12 + next(self._seq)), "from": user, "data": data}
        query["chat_instance"], query["message"] = str(-chat), self._stored(chat, message_id)
        return {"callback_query": query}

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Text/caption of each successful send*/edit* call, in order, exactly as sent."""
        return [
            str(c.params.get("text", c.params.get("caption")))
            for c in self.calls
            if c.ok and c.method.startswith(("send", "edit"))
            and ("text" in c.params or "caption" in c.params)
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]  # fmt: skip

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 60.0,  # noqa: ASYNC109 (a deadline for a busy machine, not a pause)
    ) -> ApiCall:
        """First call of ``method`` matching ``predicate``, already made or arriving later."""
        loop = asyncio.get_running_loop()
        deadline, index = loop.time() + timeout, 0
        while True:
            for call in self.calls[min(index, len(self.calls)) :]:
                if call.method.lower() == method.lower() and (predicate is None or predicate(call)):
                    return call
            index = len(self.calls)
            if (remaining := deadline - loop.time()) <= 0:
                raise TimeoutError(f"no matching {method} call within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calls_event.wait(), remaining)

    def clear(self) -> None:
        self.calls.clear()

    def fail(
        self, method: str, *, status: int, description: str, retry_after: int | None = None,
        times: int = 1, chat_id: int | str | None = None,
    ) -> None:  # fmt: skip
        """Answer the next ``times`` calls of ``method`` (optionally only to ``chat_id``) with an
        error instead of success."""
        response = error_response(status, description, retry_after)
        self._faults.append(_Fault(method.lower(), response, times, chat_id))

    def unstall(self, *chat_ids: int | str) -> None:
        """Requests to these chats (all, if none given) no longer hang."""
        self.stalled_chats.difference_update(chat_ids or set(self.stalled_chats))
        self._unstalled.set()
        self._unstalled = asyncio.Event()

    def _take_fault(self, method: str, params: JSON) -> JSON | None:
        for fault in self._faults:
            if fault.method == method.lower() and fault.chat_id in (None, params.get("chat_id")):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault.response
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        received = time.monotonic()
        raw: dict[str, Any] = dict(request.query)
        files: Files = {}
        if request.content_type == "application/json" and request.can_read_body:
            raw.update(await request.json())
        elif request.can_read_body:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
        params = {key: _decode(key, value) for key, value in raw.items()}
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        status, body = await self._respond(method, handler, params, files)
        self.calls.append(
            ApiCall(method, params, received, files, status, body, request.content_type)
        )
        self._calls_event.set()
        self._calls_event = asyncio.Event()
        return web.json_response(body, status=status)

    async def _respond(
        self, method: str, handler: Callable[[JSON, Files], Any] | None, p: JSON, files: Files
    ) -> tuple[int, JSON]:
        body = self._take_fault(method, p)
        if body is None and self.fault_hook is not None:
            body = self.fault_hook(method, p)
        if body is not None:
            return (200 if body.get("ok") else int(body.get("error_code", 400))), body
        if handler is None:
            return 404, error_response(404, "Not Found: method not found")
        chat = p.get("chat_id")
        if method.startswith(("send", "copy", "forward", "edit")) and chat in self.stalled_chats:
            self.stalled.append((method, p))
            while chat in self.stalled_chats and not self._closing:
                await self._unstalled.wait()
            return 502, error_response(502, "Bad Gateway")
        if self.limits is not None:
            retry_after = self.limits.refuse(method, chat, time.monotonic())
            if retry_after is not None:
                text = f"Too Many Requests: retry after {retry_after}"
                return 429, error_response(429, text, retry_after)
        if method.startswith(("send", "copy", "forward", "edit")) and (
            p.get("chat_id") in self.blocked_chats
        ):
            return 403, error_response(403, "Forbidden: bot was blocked by the user")
        try:
            result = handler(p, files)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            return exc.status, error_response(exc.status, exc.description)
        except (KeyError, TypeError, ValueError) as exc:
            return 400, error_response(400, f"Bad Request: invalid parameters ({exc!r})")
        return 200, {"ok": True, "result": result}

    def _wake_updates(self) -> None:
        self._updates_event.set()
        self._updates_event = asyncio.Event()

    def _true(self, p: JSON, files: Files) -> bool:
        return True

    api_close = api_logOut = _true

    def api_answerCallbackQuery(self, p: JSON, files: Files) -> bool:
        # "0-200 characters", counted as Telegram counts text: UTF-16 units.
        if _visible_len(str(p.get("text", "")), None) > ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def api_getMe(self, p: JSON, files: Files) -> JSON:
        flags = ("can_join_groups", "can_read_all_group_messages", "supports_inline_queries")
        return {**self.bot_user(), **dict.fromkeys(flags, False), "can_join_groups": True}

    async def api_getUpdates(self, p: JSON, files: Files) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset, limit = int(p.get("offset", 0)), min(max(int(p.get("limit", 100)), 1), 100)
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(p.get("timeout", 0)), self.max_poll_timeout)
        while not self._pending and not self._closing:
            if (remaining := deadline - loop.time()) <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), remaining)
        served = self._pending[:limit]
        if self.limits is not None:  # what the bot sends these chats now are answers
            for update in served:
                self.limits.wrote(chat_of_update(update), time.monotonic())
        return served

    def api_setWebhook(self, p: JSON, files: Files) -> bool:
        url = str(p.get("url", ""))
        if url and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        self.webhook = {key: p[key] for key in ("secret_token", "allowed_updates") if key in p}
        return True

    def api_deleteWebhook(self, p: JSON, files: Files) -> bool:
        self.webhook_url, self.webhook = "", {}
        if p.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def api_getWebhookInfo(self, p: JSON, files: Files) -> JSON:
        info: JSON = {"url": self.webhook_url, "has_custom_certificate": False}
        if "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return {**info, "pending_update_count": len(self._pending)}

    def api_setMyCommands(self, p: JSON, files: Files) -> bool:
        if "commands" in p:
            self.commands[self._cmd_key(p)] = p["commands"]
        else:
            self.commands.pop(self._cmd_key(p), None)
        return True

    api_deleteMyCommands = api_setMyCommands

    def api_getMyCommands(self, p: JSON, files: Files) -> list[JSON]:
        return self.commands.get(self._cmd_key(p), [])

    def api_getChat(self, p: JSON, files: Files) -> JSON:
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        accepted = dict.fromkeys((*gifts, "gifts_from_channels"), True)
        extra = {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": accepted}
        return {**self._chat(p["chat_id"]), **extra}

    def api_getFile(self, p: JSON, files: Files) -> JSON:
        file_id = str(p["file_id"])
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        data = self.files[file_id]
        path = f"files/{list(self.files).index(file_id)}.bin"
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                "file_size": len(data), "file_path": path}  # fmt: skip

    async def _download(self, request: web.Request) -> web.Response:
        """The Bot API's file endpoint: the bytes of a file getFile named."""
        path = request.match_info["path"]
        self.downloads.append(path)
        for index, data in enumerate(self.files.values()):
            if path == f"files/{index}.bin":
                return web.Response(body=data)
        return web.json_response(error_response(404, "Not Found"), status=404)

    def api_deleteMessage(self, p: JSON, files: Files) -> bool:
        self.messages.pop((p["chat_id"], int(p["message_id"])), None)
        return True

    def api_sendMessage(self, p: JSON, files: Files) -> JSON:
        entities = {"entities": p["entities"]} if "entities" in p else {}
        return self._send(p, text=self._text(p, "text"), **entities)

    def _send_file(self, kind: str, p: JSON, files: Files) -> JSON:
        meta = self._file(kind, p[kind], files)
        if kind == "voice":
            meta["duration"] = int(p.get("duration", 1))
        return self._send(p, **{kind: meta})

    api_sendPhoto = partialmethod(_send_file, "photo")
    api_sendDocument = partialmethod(_send_file, "document")
    api_sendVoice = partialmethod(_send_file, "voice")

    def api_sendLocation(self, p: JSON, files: Files) -> JSON:
        return self._send(p, location={"latitude": p["latitude"], "longitude": p["longitude"]})

    def api_sendMediaGroup(self, p: JSON, files: Files) -> list[JSON]:
        group = {"media_group_id": str(10**17 + next(self._seq))}
        return [
            self._send({**item, "chat_id": p["chat_id"]}, **group,
                       **{item["type"]: self._file(item["type"], item["media"], files)})
            for item in p["media"]
        ]  # fmt: skip

    def api_copyMessage(self, p: JSON, files: Files) -> JSON:
        source = self._stored(p["from_chat_id"], int(p["message_id"]))
        skip = {"message_id", "date", "chat", "from", "reply_markup", "edit_date", "caption"}
        content = {k: v for k, v in source.items() if k not in skip}
        if "caption" not in p and "caption" in source:
            content["caption"] = source["caption"]
        return {"message_id": self._send(p, **content)["message_id"]}

    def _edit(self, key: str, p: JSON, files: Files) -> JSON | bool:
        changes = {key: self._text(p, key)} if key else {}
        if "inline_message_id" in p:
            return True
        ref = (p["chat_id"], int(p["message_id"]))
        before = self._stored(*ref)
        msg = {**before, **changes, "edit_date": int(time.time())}
        msg.pop("reply_markup", None)  # editing without reply_markup removes the keyboard
        if (markup := self._markup(p)) is not None:
            msg["reply_markup"] = markup
        same = all(before.get(k) == msg.get(k) for k in ("text", "caption", "reply_markup"))
        if same and ref in self.messages:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a content and reply markup of the current message",
            )
        self.messages[ref] = msg
        return msg

    api_editMessageText = partialmethod(_edit, "text")
    api_editMessageCaption = partialmethod(_edit, "caption")
    api_editMessageReplyMarkup = partialmethod(_edit, "")

    def bot_user(self) -> JSON:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Louzhang", "username": self.username}

    def _chat(self, chat_id: int | str) -> JSON:
        if isinstance(chat_id, int) and chat_id > 0:
            name = self._names.get(chat_id, "User")
            return {"id": chat_id, "type": "private", "first_name": name}
        numeric = chat_id if isinstance(chat_id, int) else -(10**12) - 1  # "@username"
        return {"id": numeric, "type": "supergroup", "title": str(chat_id)}

    def _message(self, chat_id: int | str, sender: JSON, message_id: int | None = None) -> JSON:
        mid = next(self._message_ids) if message_id is None else message_id
        chat = self._chat(chat_id)
        msg: JSON = {"message_id": mid, "date": int(time.time()), "chat": chat, "from": sender}
        if message_id is None:
            self.messages[(chat_id, mid)] = msg
        return msg

    def _stored(self, chat_id: int | str, message_id: int) -> JSON:
        """A known message (without its reply_to_message), or a placeholder sent by the bot."""
        msg = self.messages.get((chat_id, message_id))
        msg = msg or self._message(chat_id, self.bot_user(), message_id)
        return {k: v for k, v in msg.items() if k != "reply_to_message"}

    @staticmethod
    def _text(p: JSON, key: str) -> str:
        text, limit = str(p.get(key, "")), 4096 if key == "text" else 1024
        if key == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _visible_len(text, p.get("parse_mode")) > limit:
            what = "message is" if key == "text" else "message caption is"
            raise ApiError(400, f"Bad Request: {what} too long")
        return text

    @staticmethod
    def _markup(p: JSON) -> JSON | None:
        """The inline keyboard (the only markup Telegram echoes back), validated."""
        markup = p.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for button in itertools.chain.from_iterable(markup["inline_keyboard"]):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _cmd_key(p: JSON) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code", ""))

    def _send(self, p: JSON, **content: Any) -> JSON:
        if p.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if "caption" in p:
            content["caption"] = self._text(p, "caption")
        if (markup := self._markup(p)) is not None:
            content["reply_markup"] = markup
        msg = self._message(p["chat_id"], self.bot_user())
        if isinstance(reply := p.get("reply_parameters"), dict) and "message_id" in reply:
            msg["reply_to_message"] = self._stored(p["chat_id"], int(reply["message_id"]))
        msg.update(content)
        return msg

    def _file(self, kind: str, ref: Any, files: Files) -> Any:
        """File metadata for an uploaded ``attach://key`` part, a URL, or a reused file_id."""
        upload = files.get(ref[9:]) if str(ref).startswith("attach://") else None
        reuse = isinstance(ref, str) and not ref.startswith(("attach://", "http"))
        file_id = ref if reuse else f"fake-{kind}-{next(self._seq)}"
        meta: JSON = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        meta["file_size"] = len(upload.data) if upload else 2048
        if kind == "photo":
            small = {**meta, "file_id": f"{file_id}-s", "file_unique_id": f"u-{file_id}-s"}
            return [{**small, "width": 90, "height": 90}, {**meta, "width": 1280, "height": 960}]
        if kind == "document" and upload is not None:
            return {**meta, "file_name": upload.filename, "mime_type": upload.content_type}
        return meta
