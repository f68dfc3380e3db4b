"""The callback URL on the web server: ``GET /wechat`` is WeChat's check of the server (the
signature, then ``echostr`` echoed), ``POST /wechat`` a message or event. A request whose
signature does not hold is refused (403) before anything is read into the database. A message
is recorded as seen and acknowledged with "success" at once; it is handled in a background
task, whose answers go through the outbox like every other notification."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.services.wechat_door import Incoming, WeChatDoorService
from web.server import Setup
from wechat.protocol import MAX_BODY, BadMessage, SafeMode, parse, signed

log = logging.getLogger(__name__)
PATH = "/wechat"
TASKS = web.AppKey("wechat_tasks", set)


def wechat_setup(service: WeChatDoorService, token: str, safe: SafeMode | None = None) -> Setup:
    def setup(app: web.Application) -> None:
        door = WeChatCallback(service, token, safe)
        app[TASKS] = door.tasks
        app.router.add_get(PATH, door.verify)
        app.router.add_post(PATH, door.receive)
        app.on_cleanup.append(door.finish)

    return setup


def incoming(fields: dict[str, str]) -> tuple[str, Incoming]:
    """The callback's key (a message's MsgId; an event's sender, time and kind) and what it
    means for the door."""
    openid = fields.get("FromUserName", "")
    kind = fields.get("MsgType", "")
    if kind == "event":
        event = fields.get("Event", "").lower()
        key = f"event:{openid}:{fields.get('CreateTime', '')}:{event}"
        return key, Incoming(openid, event, scene=fields.get("EventKey", ""))
    msg_id = fields.get("MsgId", "")
    key = f"msg:{msg_id}" if msg_id else f"msg:{openid}:{fields.get('CreateTime', '')}"
    return key, Incoming(openid, kind, text=fields.get("Content", ""), msg_id=msg_id)


class WeChatCallback:
    def __init__(
        self, service: WeChatDoorService, token: str, safe: SafeMode | None = None
    ) -> None:
        self.service = service
        self.token = token
        self.safe = safe
        self.tasks: set[asyncio.Task[None]] = set()

    def _signed(self, request: web.Request) -> bool:
        query = request.query
        return signed(
            self.token,
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("signature", ""),
        )

    async def verify(self, request: web.Request) -> web.Response:
        if not self._signed(request):
            log.info("wechat: unsigned check from %s refused", request.remote)
            raise web.HTTPForbidden(text="forbidden")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        if not self._signed(request):
            log.info("wechat: unsigned callback from %s refused", request.remote)
            raise web.HTTPForbidden(text="forbidden")
        mode = request.query.get("encrypt_type", "raw")
        if mode not in ("raw", "aes") or (mode == "aes" and self.safe is None):
            log.warning("wechat: an encrypted callback, and no WECHAT_AES_KEY to read it")
            raise web.HTTPNotImplemented(text="set WECHAT_AES_KEY for safe mode")
        if (request.content_length or 0) > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY, actual_size=request.content_length or 0
            )
        try:
            fields = parse(await request.read())
            if mode == "aes":
                fields = self._decrypted(request, fields)
        except BadMessage:
            raise web.HTTPBadRequest(text="not a WeChat message") from None
        key, message = incoming(fields)
        if not message.openid:
            raise web.HTTPBadRequest(text="not a WeChat message")
        if await self.service.first_time(key):
            task = asyncio.create_task(self._handle(message), name="wechat-callback")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return web.Response(text="success")

    def _decrypted(self, request: web.Request, outer: dict[str, str]) -> dict[str, str]:
        """Safe mode: the message signature covers the encrypted text too; then the message
        inside, for this account only."""
        assert self.safe is not None
        encrypted = outer.get("Encrypt", "")
        query = request.query
        if not encrypted or not signed(
            self.token,
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("msg_signature", ""),
            encrypted,
        ):
            raise web.HTTPForbidden(text="forbidden")
        return parse(self.safe.decrypt(encrypted))

    async def _handle(self, message: Incoming) -> None:
        try:
            await self.service.handle(message)
        except Exception:
            log.exception("wechat: a %s callback could not be handled", message.kind)

    async def finish(self, app: web.Application) -> None:
        """On shutdown: the callbacks in hand are handled to the end."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)
