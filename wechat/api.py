"""WeChat's API as the door calls it: the access token (fetched with the app secret, kept in
the database for every process of the deployment, renewed when it expires or WeChat says it is
no longer valid) and the two sends. The token and the secret appear in no log line: a request
is logged by its path only."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.secrets import SecretRepository

log = logging.getLogger(__name__)
TOKEN_NAME = "wechat_access_token"
MARGIN = timedelta(minutes=5)  # a token this close to its end is renewed first
STALE_TOKEN = {40001, 40014, 42001}  # invalid or expired access token


class WeChatError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"WeChat error {code}: {message}")
        self.code = code


class WeChatApi:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        db: Database,
        clock: Clock,
        *,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.db = db
        self.clock = clock
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def token(self, *, renew: bool = False) -> str:
        now = self.clock()
        if not renew:
            async with self.db.session() as session:
                stored = await SecretRepository(session).get(TOKEN_NAME)
            if stored:
                kept = json.loads(stored)
                if datetime.fromisoformat(kept["expires"]) - MARGIN > now:
                    return str(kept["token"])
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        async with self._http().get(f"{self.base_url}/cgi-bin/token", params=params) as response:
            answer = await response.json(content_type=None)
        if "access_token" not in answer:
            raise WeChatError(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
        token = str(answer["access_token"])
        expires = now + timedelta(seconds=int(answer.get("expires_in", 7200)))
        async with self.db.session() as session:
            value = json.dumps({"token": token, "expires": expires.isoformat()})
            await SecretRepository(session).put(TOKEN_NAME, value, now)
            await session.commit()
        log.info("wechat: a new access token, valid until %s", expires.isoformat())
        return token

    async def call(self, path: str, body: dict[str, Any]) -> None:
        """POSTs ``body`` to ``path``; raises WeChatError for a non-zero errcode. A token WeChat
        no longer takes is renewed once and the call made again."""
        for attempt in range(2):
            token = await self.token(renew=attempt > 0)
            url = f"{self.base_url}{path}"
            data = json.dumps(body, ensure_ascii=False).encode()
            async with self._http().post(
                url, params={"access_token": token}, data=data
            ) as response:
                answer = await response.json(content_type=None)
            code = int(answer.get("errcode", 0))
            if code in STALE_TOKEN and attempt == 0:
                continue
            if code != 0:
                raise WeChatError(code, str(answer.get("errmsg", "")))
            return

    async def send_text(self, openid: str, text: str) -> None:
        await self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def send_template(
        self, openid: str, template_id: str, url: str, data: dict[str, str]
    ) -> None:
        await self.call(
            "/cgi-bin/message/template/send",
            {
                "touser": openid,
                "template_id": template_id,
                "url": url,
                "data": {key: {"value": value} for key, value in data.items()},
            },
        )
