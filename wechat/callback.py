"""The callback URL on the web server: ``GET /wechat`` is WeChat's check of the server (the
signature, then ``echostr`` echoed), ``POST /wechat`` a message or event. A request whose
signature does not hold, or was made more than a few minutes from now (a replay), is refused
(403) before anything is read into the database. A message
is recorded as seen and acknowledged with "success" at once; it is handled in a background
task, whose answers go through the outbox like every other notification."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time

import aiohttp
from aiohttp import web

from bot.services.web_photos import MAX_UPLOAD
from bot.services.wechat_door import UNREAD, Incoming, WeChatDoorService
from web.server import Setup
from wechat.api import WeChatApi, WeChatError
from wechat.protocol import MAX_BODY, BadMessage, SafeMode, parse, signed

log = logging.getLogger(__name__)
PATH = "/wechat"
# How far a callback's signed time may be from this server's: WeChat signs as it posts, and
# retries within seconds; the rest is the two clocks' difference.
FRESH = 300.0
TASKS = web.AppKey("wechat_tasks", set)


def wechat_setup(
    service: WeChatDoorService,
    token: str,
    safe: SafeMode | None = None,
    api: WeChatApi | None = None,
) -> Setup:
    def setup(app: web.Application) -> None:
        door = WeChatCallback(service, token, safe, api)
        app[TASKS] = door.tasks
        app.router.add_get(PATH, door.verify)
        app.router.add_post(PATH, door.receive)
        app.on_cleanup.append(door.finish)

    return setup


def fresh(timestamp: str, now: float) -> bool:
    """Whether a callback signed at ``timestamp`` (seconds, as WeChat writes it) is one of
    now rather than a replay of an old one."""
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    return abs(now - signed_at) <= FRESH


def incoming(fields: dict[str, str]) -> tuple[str, Incoming]:
    """The callback's key (a message's MsgId; an event's sender, time, kind and key) and what it
    means for the door."""
    openid = fields.get("FromUserName", "")
    kind = fields.get("MsgType", "")
    if kind == "event":
        event = fields.get("Event", "").lower()
        # Two buttons tapped in one second are two events (a retry repeats its EventKey); the
        # key's digest keeps the row's key short.
        scene = hashlib.sha1(fields.get("EventKey", "").encode()).hexdigest()[:12]  # noqa: S324
        key = f"event:{openid}:{fields.get('CreateTime', '')}:{event}:{scene}"
        return key, Incoming(openid, event, scene=fields.get("EventKey", ""))
    msg_id = fields.get("MsgId", "")
    key = f"msg:{msg_id}" if msg_id else f"msg:{openid}:{fields.get('CreateTime', '')}"
    if kind == "voice":
        # WeChat's own transcript (the account's "voice recognition" switch) is the text; the
        # recording itself (AMR or Speex) plays in no browser and no Telegram client as it is.
        heard = fields.get("Recognition", "").strip()
        if heard:
            return key, Incoming(openid, "text", text=heard, msg_id=msg_id)
    if kind not in ("text", "image", "voice"):
        # A video, a location, a link, a file…: a message all the same, answered (type it or
        # send a photo). Named apart from the events, one of which is "location" too (the
        # position WeChat reports by itself when the account asks for it).
        kind = UNREAD
    return key, Incoming(
        openid,
        kind,
        text=fields.get("Content", ""),
        msg_id=msg_id,
        menu=fields.get("bizmsgmenuid", ""),
        scene=fields.get("MediaId", "") if kind == "image" else "",
    )


class WeChatCallback:
    def __init__(
        self,
        service: WeChatDoorService,
        token: str,
        safe: SafeMode | None = None,
        api: WeChatApi | None = None,
    ) -> None:
        self.service = service
        self.token = token
        self.safe = safe
        self.api = api
        self.tasks: set[asyncio.Task[None]] = set()
        # One person's callbacks are handled in the order they came (a photo, then the text it
        # belongs to, arrive within a second): a lock per OpenID, fair (first come, first in).
        self._people: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # lock, users

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
        if not fresh(request.query.get("timestamp", ""), time.time()):
            # In plain mode the signature covers the time and the nonce, not the message: a
            # signed address seen once (a proxy's log) would carry any message, any day.
            log.info("wechat: a callback signed at another time from %s refused", request.remote)
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
        openid = message.openid
        lock, users = self._people.setdefault(openid, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                if message.kind == "image":
                    message = await self._fetched(message)
                await self.service.handle(message)
        except Exception:
            log.exception("wechat: a %s callback could not be handled", message.kind)
        finally:
            users[0] -= 1
            if not users[0]:
                del self._people[openid]

    async def _fetched(self, message: Incoming) -> Incoming:
        """An image's bytes from WeChat's media API (its MediaId travels as the scene); none
        when WeChat has no such media or it is too big (the service refuses it in words)."""
        if self.api is None or not message.scene:
            return dataclasses.replace(message, scene="")
        try:
            kind, data = await self.api.media(message.scene, MAX_UPLOAD)
        except (WeChatError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("wechat: an image could not be fetched: %s", error)
            return dataclasses.replace(message, scene="")
        ok = kind.startswith("image/") and len(data) <= MAX_UPLOAD
        return dataclasses.replace(message, scene="", media=data if ok else None)

    async def finish(self, app: web.Application) -> None:
        """On shutdown: the callbacks in hand are handled to the end."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)
