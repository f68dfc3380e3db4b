"""A local fake of WeChat's API for the WeChat door's tests (an aiohttp app on port 0), and a
driver that posts callbacks signed as WeChat signs them.

The fake imitates: the access token (fetched with the app id and secret, counted, refused
once invalidated), customer-service messages (text and ``msgmenu``) with the 48-hour rule
(45015 after the person's last message is 48 hours old, as the driver tells it), a count
rule (45047 after ``per_message`` sends since the person's last message) and a length rule
(45002 for a text, or a msgmenu's words, over 2048 UTF-8 bytes), the template message
(47003 for a field over 200 bytes), media get (40007 for an unknown id) and upload,
``qrcode/create``, ``menu/create`` and the web authorisation's code exchange
(``sns/oauth2/access_token``, a code used once).
A test may hold the token's answer (``token_gate``) to see two door instances fetch it once.
It does not imitate: the daily quotas, a media id's 3-day life, the QR code's picture
(``showqrcode``), the menu's own validation beyond its shape, or WeChat's own retries (the
driver repeats a post instead)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_request import FileField

from wechat.protocol import SafeMode, signature

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # an EncodingAESKey's 43 characters
APP_ID = "wx-test-app"
APP_SECRET = "test-app-secret"
TOKEN = "test-callback-token"
ACCOUNT = "gh_test_account"
# The MsgId of the number that answers a report's category question: after the report's own.
REPORT_CHOICE = 1_000_000
TEXT_BYTES = 2048  # the longest customer-service text WeChat takes, in UTF-8 bytes
FIELD_BYTES = 200  # the longest template field the door sends, in UTF-8 bytes


@dataclass
class FakeWeChat:
    clock: Callable[[], datetime]
    tokens: list[str] = field(default_factory=list)
    last_message: dict[str, datetime] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (openid, content)
    templates: list[dict[str, Any]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # errcodes answered to sends
    menus: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (openid, msgmenu)
    per_message: int = 5  # customer-service sends allowed per message of the person
    since_message: dict[str, int] = field(default_factory=dict)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (type, bytes)
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (openid, picture) sent
    qrcodes: list[dict[str, Any]] = field(default_factory=list)
    custom_menus: list[dict[str, Any]] = field(default_factory=list)
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code -> openid
    token_requests: int = 0  # requests for a token, answered or not yet
    token_gate: asyncio.Event | None = None  # when set: a token is answered once it is set

    def wrote(self, openid: str) -> None:
        """The person sent something: the 48-hour window opens (again)."""
        self.last_message[openid] = self.clock()
        self.since_message[openid] = 0

    def photo(self, data: bytes, kind: str = "image/jpeg") -> str:
        """A picture a person sent: WeChat keeps it under a media id for the account."""
        media_id = f"MEDIA-{len(self.media) + 1}"
        self.media[media_id] = (kind, data)
        return media_id

    def authorised(self, openid: str) -> str:
        """The person agreed on WeChat's authorise page: the code WeChat appends to the
        redirect, good for one exchange."""
        code = f"CODE-{len(self.oauth_codes) + 1}"
        self.oauth_codes[code] = openid
        return code

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom)
        app.router.add_post("/cgi-bin/message/template/send", self.template)
        app.router.add_get("/cgi-bin/media/get", self.media_get)
        app.router.add_post("/cgi-bin/media/upload", self.media_upload)
        app.router.add_post("/cgi-bin/qrcode/create", self.qrcode)
        app.router.add_post("/cgi-bin/menu/create", self.menu)
        app.router.add_get("/sns/oauth2/access_token", self.oauth)
        return app

    async def token(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("appid"), query.get("secret")) != (APP_ID, APP_SECRET):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.token_requests += 1
        if self.token_gate is not None:
            await self.token_gate.wait()
        self.tokens.append(f"ACCESS-{len(self.tokens) + 1}")
        return web.json_response({"access_token": self.tokens[-1], "expires_in": 7200})

    def _valid(self, request: web.Request) -> bool:
        return bool(self.tokens) and request.query.get("access_token") == self.tokens[-1]

    async def custom(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        openid = body["touser"]
        last = self.last_message.get(openid)
        if last is None or self.clock() - last >= timedelta(hours=48):
            self.refused.append(45015)
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        if self.since_message.get(openid, 0) >= self.per_message:
            self.refused.append(45047)
            return web.json_response({"errcode": 45047, "errmsg": "out of response count limit"})
        words = {"text": body.get("text"), "msgmenu": body.get("msgmenu")}.get(body["msgtype"])
        said = (words or {}).get("content") or ""
        if body["msgtype"] == "msgmenu":  # the head, the choices' words and the tail together
            menu = body["msgmenu"]
            said = menu["head_content"] + menu.get("tail_content", "")
            said += "".join(item["id"] + item["content"] for item in menu["list"])
        if len(said.encode()) > TEXT_BYTES:
            self.refused.append(45002)
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        self.since_message[openid] = self.since_message.get(openid, 0) + 1
        if body["msgtype"] == "image":
            media_id = body["image"]["media_id"]
            if media_id not in self.media:
                return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
            self.images.append((openid, self.media[media_id][1]))
        elif body["msgtype"] == "msgmenu":
            menu = body["msgmenu"]
            self.menus.append((openid, menu))
            self.texts.append((openid, menu["head_content"]))
        else:
            self.texts.append((openid, body["text"]["content"]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def media_get(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        found = self.media.get(request.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=found[1], content_type=found[0])

    async def media_upload(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        form = await request.post()
        part = form.get("media")
        if not isinstance(part, FileField):
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        data = part.file.read()
        kind = request.query.get("type", "image")
        self.uploads.append((kind, data))
        media_id = self.photo(data, part.content_type)
        return web.json_response({"type": kind, "media_id": media_id, "created_at": 1})

    async def qrcode(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        scene = body.get("action_info", {}).get("scene", {}).get("scene_str", "")
        if body.get("action_name") not in ("QR_STR_SCENE", "QR_LIMIT_STR_SCENE") or not (
            1 <= len(scene) <= 64
        ):
            return web.json_response({"errcode": 40053, "errmsg": "invalid action info"})
        self.qrcodes.append(body)
        number = len(self.qrcodes)
        answer: dict[str, Any] = {
            "ticket": f"QR-TICKET-{number}",
            "url": f"http://weixin.qq.com/q/fake{number}",
        }
        if body["action_name"] == "QR_STR_SCENE":
            answer["expire_seconds"] = int(body.get("expire_seconds", 60))
        return web.json_response(answer)

    async def menu(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        buttons = body.get("button", [])
        if not 1 <= len(buttons) <= 3:
            return web.json_response({"errcode": 40016, "errmsg": "invalid button size"})
        self.custom_menus.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def oauth(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("appid"), query.get("secret")) != (APP_ID, APP_SECRET):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        openid = self.oauth_codes.pop(query.get("code", ""), None)
        if openid is None or query.get("grant_type") != "authorization_code":
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        return web.json_response(
            {
                "access_token": "WEB-ACCESS",
                "expires_in": 7200,
                "refresh_token": "WEB-REFRESH",
                "openid": openid,
                "scope": "snsapi_base",
            }
        )

    async def template(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        for key, value in body["data"].items():
            if len(value["value"].encode()) > FIELD_BYTES:
                self.refused.append(47003)
                return web.json_response(
                    {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value"}
                )
        self.templates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)})


async def serve(fake: FakeWeChat) -> AsyncIterator[str]:
    """The fake on port 0; yields its base URL."""
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def xml(fields: dict[str, str]) -> bytes:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>".encode()


class Driver:
    """Posts callbacks to the door as WeChat does: signed with the Token, in plain mode."""

    def __init__(self, http: TestClient[web.Request, web.Application], fake: FakeWeChat) -> None:
        self.http = http
        self.fake = fake
        self.nonce = 0

    def query(self, token: str = TOKEN) -> dict[str, str]:
        self.nonce += 1
        timestamp, nonce = str(int(time.time())), str(self.nonce)
        return {
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": signature(token, timestamp, nonce),
        }

    async def post(self, fields: dict[str, str], token: str = TOKEN) -> tuple[int, str]:
        response = await self.http.post("/wechat", params=self.query(token), data=xml(fields))
        if response.status == 200:
            self.fake.wrote(fields["FromUserName"])
        return response.status, await response.text()

    async def post_encrypted(
        self, fields: dict[str, str], safe: SafeMode, token: str = TOKEN
    ) -> tuple[int, str]:
        """Safe mode: the message encrypted inside an outer XML, signed with the message
        signature (over the encrypted text as well) beside the plain one."""
        encrypted = safe.encrypt(xml(fields))
        query = self.query(token)
        query["encrypt_type"] = "aes"
        query["msg_signature"] = signature(token, query["timestamp"], query["nonce"], encrypted)
        outer = xml({"ToUserName": ACCOUNT, "Encrypt": encrypted})
        response = await self.http.post("/wechat", params=query, data=outer)
        if response.status == 200:
            self.fake.wrote(fields["FromUserName"])
        return response.status, await response.text()

    async def subscribe(self, openid: str, scene: str, created: int) -> tuple[int, str]:
        return await self.post(
            {
                "ToUserName": ACCOUNT,
                "FromUserName": openid,
                "CreateTime": str(created),
                "MsgType": "event",
                "Event": "subscribe",
                "EventKey": f"qrscene_{scene}",
            }
        )

    async def scan(self, openid: str, scene: str, created: int) -> tuple[int, str]:
        """A follower scans a parametric QR code: WeChat's SCAN event, the scene unprefixed."""
        return await self.post(
            {
                "ToUserName": ACCOUNT,
                "FromUserName": openid,
                "CreateTime": str(created),
                "MsgType": "event",
                "Event": "SCAN",
                "EventKey": scene,
            }
        )

    async def text(
        self, openid: str, content: str, msg_id: int, *, menu_id: str = ""
    ) -> tuple[int, str]:
        """A text; ``menu_id``: the person tapped a choice of a ``msgmenu`` (WeChat sends the
        choice's words as the text and its id as ``bizmsgmenuid``)."""
        fields = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": str(msg_id),
            "MsgType": "text",
            "Content": content,
            "MsgId": str(msg_id),
        }
        if menu_id:
            fields["bizmsgmenuid"] = menu_id
        return await self.post(fields)

    async def report(
        self, openid: str, words: str, msg_id: int, *, category: int = 1
    ) -> tuple[int, str]:
        """A report: the words, then the kind of problem, answered by its number (the door asks
        with a msgmenu; typing the number is the same answer, and needs no delivery between)."""
        status = await self.text(openid, words, msg_id)
        if status != (200, "success"):
            return status
        return await self.text(openid, str(category), REPORT_CHOICE + msg_id)

    async def choose(self, openid: str, label: str, msg_id: int) -> tuple[int, str]:
        """Taps the choice ``label`` (a prefix is enough) of the newest menu sent to
        ``openid``."""
        menu = next(m for to, m in reversed(self.fake.menus) if to == openid)
        item = next(i for i in menu["list"] if i["content"].startswith(label))
        return await self.text(openid, item["content"], msg_id, menu_id=item["id"])

    async def click(self, openid: str, key: str, created: int) -> tuple[int, str]:
        """A tap on a button of the account's custom menu."""
        return await self.post(
            {
                "ToUserName": ACCOUNT,
                "FromUserName": openid,
                "CreateTime": str(created),
                "MsgType": "event",
                "Event": "CLICK",
                "EventKey": key,
            }
        )

    async def voice(self, openid: str, msg_id: int, heard: str = "") -> tuple[int, str]:
        """A voice message; ``heard``: WeChat's transcript (sent when the account turned on
        voice recognition)."""
        fields = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": str(msg_id),
            "MsgType": "voice",
            "MediaId": self.fake.photo(b"#!AMR\n", "audio/amr"),
            "Format": "amr",
            "MsgId": str(msg_id),
        }
        if heard:
            fields["Recognition"] = heard
        return await self.post(fields)

    async def image(self, openid: str, data: bytes, msg_id: int) -> tuple[int, str]:
        media_id = self.fake.photo(data)
        return await self.post(
            {
                "ToUserName": ACCOUNT,
                "FromUserName": openid,
                "CreateTime": str(msg_id),
                "MsgType": "image",
                "PicUrl": f"http://mmbiz.qpic.cn/fake/{media_id}",
                "MediaId": media_id,
                "MsgId": str(msg_id),
            }
        )
