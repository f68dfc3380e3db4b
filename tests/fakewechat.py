"""A local fake of WeChat's API for the WeChat door's tests (an aiohttp app on port 0), and a
driver that posts callbacks signed as WeChat signs them.

The fake imitates: the access token (fetched with the app id and secret, counted, refused
once invalidated), the customer-service text with the 48-hour rule (45015 after the person's
last message is 48 hours old, as the driver tells it), and the template message. It does not
imitate: the count limits within the window (45047), the daily quotas,
media, QR codes, menus, or WeChat's own retries (the driver repeats a post instead)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from wechat.protocol import SafeMode, signature

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # an EncodingAESKey's 43 characters
APP_ID = "wx-test-app"
APP_SECRET = "test-app-secret"
TOKEN = "test-callback-token"
ACCOUNT = "gh_test_account"


@dataclass
class FakeWeChat:
    clock: Callable[[], datetime]
    tokens: list[str] = field(default_factory=list)
    last_message: dict[str, datetime] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (openid, content)
    templates: list[dict[str, Any]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # errcodes answered to sends

    def wrote(self, openid: str) -> None:
        """The person sent something: the 48-hour window opens (again)."""
        self.last_message[openid] = self.clock()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom)
        app.router.add_post("/cgi-bin/message/template/send", self.template)
        return app

    async def token(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("appid"), query.get("secret")) != (APP_ID, APP_SECRET):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
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
        self.texts.append((openid, body["text"]["content"]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def template(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.templates.append(await request.json())
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

    async def text(self, openid: str, content: str, msg_id: int) -> tuple[int, str]:
        return await self.post(
            {
                "ToUserName": ACCOUNT,
                "FromUserName": openid,
                "CreateTime": str(msg_id),
                "MsgType": "text",
                "Content": content,
                "MsgId": str(msg_id),
            }
        )
