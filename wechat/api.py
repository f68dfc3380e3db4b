"""WeChat's API as the door calls it: the access token (fetched with the app secret, kept in
the database for every process of the deployment, renewed when it expires or WeChat says it is
no longer valid) and the two sends. The token and the secret appear in no log line: a request
is logged by its path only.

Each fetch of a token ends the one before (WeChat's rule), so the processes of a deployment
fetch once between them: the one that takes the lease (a compare-and-set on a row beside the
token) fetches; the others read the database until the new token is there. A lease whose
holder died lapses (LEASE); a process that waited LEASE_WAIT fetches itself."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.exc import IntegrityError

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.secrets import SecretRepository

log = logging.getLogger(__name__)
TOKEN_NAME = "wechat_access_token"
LEASE_NAME = "wechat_token_lease"
LEASE = timedelta(seconds=30)  # a fetch takes a second; a lease this old was its holder's last
LEASE_WAIT = 10.0  # seconds another process waits for the lease holder's token at most
WAIT_STEP = 0.1  # seconds between two reads of the database while waiting
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
        lease_wait: float = LEASE_WAIT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.db = db
        self.clock = clock
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        # One fetch at a time in this process: callers waiting for it read the token it kept.
        self._fetching = asyncio.Lock()
        self.lease_wait = lease_wait

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _kept(self) -> str | None:
        async with self.db.session() as session:
            stored = await SecretRepository(session).get(TOKEN_NAME)
        if stored:
            kept = json.loads(stored)
            if datetime.fromisoformat(kept["expires"]) - MARGIN > self.clock():
                return str(kept["token"])
        return None

    async def token(self, *, renew: bool = False, refused: str | None = None) -> str:
        """The kept token, or a new one. ``renew``: WeChat refused ``refused``; a token kept
        since (another caller renewed it meanwhile) is taken instead of fetching again."""
        if not renew:
            kept = await self._kept()
            if kept is not None:
                return kept
        async with self._fetching:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.lease_wait
            waited = False
            while True:
                kept = await self._kept()
                if kept is not None and (not renew or kept != refused):
                    return kept
                if await self._lease():
                    # The holder before may have kept its token and freed the lease between
                    # the two reads: then that token is the one.
                    kept = await self._kept()
                    if kept is None or (renew and kept == refused):
                        return await self._fetch()
                    async with self.db.session() as session:
                        await self._release(SecretRepository(session))
                        await session.commit()
                    return kept
                if loop.time() >= deadline:
                    log.warning("wechat: no token from the process fetching it; fetching here")
                    return await self._fetch()
                if not waited:
                    log.info("wechat: another process is fetching the access token; waiting")
                    waited = True
                await asyncio.sleep(WAIT_STEP)

    async def _lease(self) -> bool:
        """Whether this process is the one to fetch now (no other holds a live lease)."""
        now = self.clock()
        async with self.db.session() as session:
            secrets = SecretRepository(session)
            held = await secrets.get(LEASE_NAME)
            if held is not None and datetime.fromisoformat(json.loads(held)["until"]) > now:
                return False
            taken = json.dumps({"until": (now + LEASE).isoformat()})
            try:
                if held is None:
                    await secrets.add(LEASE_NAME, taken, now)
                elif not await secrets.swap(LEASE_NAME, held, taken, now):
                    return False
                await session.commit()
            except IntegrityError:
                return False  # another process added the lease first
        return True

    async def _release(self, secrets: SecretRepository) -> None:
        now = self.clock()
        await secrets.put(LEASE_NAME, json.dumps({"until": now.isoformat()}), now)

    async def _fetch(self) -> str:
        now = self.clock()
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        try:
            url = f"{self.base_url}/cgi-bin/token"
            async with self._http().get(url, params=params) as response:
                answer = await response.json(content_type=None)
            if "access_token" not in answer:
                raise WeChatError(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
        except BaseException:
            # The others need not wait for a token that will not come.
            async with self.db.session() as session:
                await self._release(SecretRepository(session))
                await session.commit()
            raise
        token = str(answer["access_token"])
        expires = now + timedelta(seconds=int(answer.get("expires_in", 7200)))
        async with self.db.session() as session:
            value = json.dumps({"token": token, "expires": expires.isoformat()})
            secrets = SecretRepository(session)
            await secrets.put(TOKEN_NAME, value, now)
            await self._release(secrets)
            await session.commit()
        log.info("wechat: a new access token, valid until %s", expires.isoformat())
        return token

    async def call(self, path: str, body: dict[str, Any]) -> None:
        """POSTs ``body`` to ``path``; raises WeChatError for a non-zero errcode. A token WeChat
        no longer takes is renewed once and the call made again."""
        await self._answer(path, body)

    async def _answer(
        self, path: str, body: dict[str, Any] | None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The JSON answer of a POST (``body``) or GET (None) to ``path``."""
        token = ""
        for attempt in range(2):
            token = await self.token(renew=attempt > 0, refused=token)
            url = f"{self.base_url}{path}"
            query = {**(params or {}), "access_token": token}
            if body is None:
                request = self._http().get(url, params=query)
            else:
                data = json.dumps(body, ensure_ascii=False).encode()
                request = self._http().post(url, params=query, data=data)
            async with request as response:
                answer: dict[str, Any] = await response.json(content_type=None)
            code = int(answer.get("errcode", 0))
            if code in STALE_TOKEN and attempt == 0:
                continue
            if code != 0:
                raise WeChatError(code, str(answer.get("errmsg", "")))
            return answer
        raise AssertionError("unreachable")

    async def send_image(self, openid: str, media_id: str) -> None:
        await self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}},
        )

    async def upload_image(self, data: bytes) -> str:
        """A temporary media (3 days) of a JPEG to send; its media id."""
        token = ""
        for attempt in range(2):
            token = await self.token(renew=attempt > 0, refused=token)
            form = aiohttp.FormData()
            form.add_field("media", data, filename="photo.jpg", content_type="image/jpeg")
            url = f"{self.base_url}/cgi-bin/media/upload"
            params = {"access_token": token, "type": "image"}
            async with self._http().post(url, params=params, data=form) as response:
                answer = await response.json(content_type=None)
            code = int(answer.get("errcode", 0))
            if code in STALE_TOKEN and attempt == 0:
                continue
            if code != 0 or "media_id" not in answer:
                raise WeChatError(code or -1, str(answer.get("errmsg", "")))
            return str(answer["media_id"])
        raise AssertionError("unreachable")

    async def send_menu(
        self, openid: str, head: str, choices: list[tuple[str, str]], tail: str = ""
    ) -> None:
        """A customer-service ``msgmenu``: ``head``, then the choices (id, words) the person
        taps; a tap comes back as a text whose ``bizmsgmenuid`` is the id."""
        await self.call(
            "/cgi-bin/message/custom/send",
            {
                "touser": openid,
                "msgtype": "msgmenu",
                "msgmenu": {
                    "head_content": head,
                    "list": [{"id": key, "content": words} for key, words in choices],
                    "tail_content": tail,
                },
            },
        )

    async def media(self, media_id: str, limit: int) -> tuple[str, bytes]:
        """A person's picture or voice (its type and bytes), read up to ``limit`` bytes;
        WeChatError when WeChat answers with an error instead (an unknown or expired id)."""
        token = await self.token()
        url = f"{self.base_url}/cgi-bin/media/get"
        params = {"access_token": token, "media_id": media_id}
        async with self._http().get(url, params=params) as response:
            kind = response.content_type
            data = await response.content.read(limit + 1)
        if kind in ("application/json", "text/plain"):
            answer = json.loads(data or b"{}")
            raise WeChatError(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
        return kind, data

    async def qrcode(self, scene: str, expire_seconds: int | None = None) -> str:
        """A parametric QR code's content (the URL its picture encodes) for ``scene``:
        permanent when ``expire_seconds`` is None, else temporary."""
        body: dict[str, Any] = {
            "action_name": "QR_LIMIT_STR_SCENE" if expire_seconds is None else "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}},
        }
        if expire_seconds is not None:
            body["expire_seconds"] = expire_seconds
        answer = await self._answer("/cgi-bin/qrcode/create", body)
        return str(answer["url"])

    async def create_menu(self, buttons: list[dict[str, Any]]) -> None:
        await self.call("/cgi-bin/menu/create", {"button": buttons})

    async def web_openid(self, code: str) -> str:
        """The OpenID of the person whose web authorisation (snsapi_base) gave ``code``."""
        params = {
            "appid": self.app_id,
            "secret": self._secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        url = f"{self.base_url}/sns/oauth2/access_token"
        async with self._http().get(url, params=params) as response:
            answer = await response.json(content_type=None)
        if "openid" not in answer:
            raise WeChatError(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
        return str(answer["openid"])

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
