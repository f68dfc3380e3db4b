"""Configuration: a frozen object built from a mapping (the process environment in production,
a plain dict in tests). python-dotenv is called once, in ``bot.__main__.main``."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url

from bot.i18n import SUPPORTED_LANGUAGES

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///louzhang.db"
# Behind a reverse proxy on the same machine: nothing else reaches the bot's web server.
DEFAULT_WEB_HOST, DEFAULT_WEB_PORT = "127.0.0.1", 8080
DEFAULT_WECHAT_API_URL = "https://api.weixin.qq.com"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
# The only ports Telegram posts webhook updates to.
WEBHOOK_PORTS = (443, 80, 88, 8443)
_Getter = Callable[[str], str | None]


# Files of the zone database that name no zone: "localtime" is whatever the server's own zone is
# (a community's times would move with the machine), "posixrules" and "Factory" are technical.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (Asia/Shanghai, UTC) the machine knows."""
    if name in NOT_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class ConfigError(ValueError):
    """A missing or malformed setting. The message names the key and what is expected and
    never contains the value of a secret."""


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Config:
    bot_token: Secret | None = None
    # Not in repr: a PostgreSQL URL may carry a password.
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    telegram_api_url: str | None = None
    bot_username: str | None = None
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    default_language: str = "zh-hans"
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    invite_ttl_days: int = 7
    outbox_poll_seconds: float = 1.0
    # Sent and failed notifications (their texts) are deleted this long after; counts stay.
    outbox_retention_days: int = 30
    max_tickets_per_day: int = 10
    delivery_per_second: float = 30.0
    delivery_private_per_second: float = 1.0
    delivery_private_burst: int = 3
    delivery_group_per_minute: int = 20
    redis_url: Secret | None = None
    shutdown_flush_seconds: float = 10.0
    flood_messages_per_minute: int = 30
    instance_id: str | None = None
    # Every SQL statement with its parameters in the log: personal data. Debugging only.
    sql_echo: bool = False
    # Set: Telegram posts updates to this public HTTPS URL instead of the bot polling.
    webhook_url: str | None = None
    # Where the bot's web server (web/server.py) listens: WEB_LISTEN (alias WEBHOOK_LISTEN).
    web_host: str = DEFAULT_WEB_HOST
    web_port: int = DEFAULT_WEB_PORT
    # WEB_LISTEN=off: no web server at all (no console, no /healthz); polling mode only.
    web_enabled: bool = True
    # The console's public base URL, for the sign-in links /web sends (WEB_BASE_URL); None:
    # derived from WEB_LISTEN (see ``console_base``).
    web_base_url: str | None = None
    # Where the console keeps photos and voice notes it fetched from Telegram (MEDIA_CACHE_DIR);
    # None: ``media-cache`` beside the SQLite file (see ``media_cache``).
    media_cache_dir: str | None = None
    # Who runs this deployment, told to the browsers' push services with every Web Push
    # (WEB_PUSH_SUBJECT, a mailto: or https: URL); None: WEB_BASE_URL when it is https.
    web_push_subject: str | None = None
    # WEB_PUSH_ALLOW_HTTP=1: a browser's push endpoint may be plain http (a local push service
    # in tests). Off: only https endpoints are kept, so a page cannot make the server post to
    # any address of the inside network.
    web_push_allow_http: bool = False
    # The WeChat door (wechat/): on only with the account's app id, app secret and callback
    # token; the EncodingAESKey reads callbacks in safe mode.
    wechat_app_id: str | None = None
    wechat_app_secret: Secret | None = None
    wechat_token: Secret | None = None
    wechat_aes_key: Secret | None = None
    # The template message sent when the person's 48-hour window is closed (none: not sent).
    wechat_template_id: str | None = None
    wechat_api_url: str = DEFAULT_WECHAT_API_URL

    @property
    def wechat_enabled(self) -> bool:
        return self.wechat_app_id is not None

    @property
    def media_cache(self) -> Path:
        """The console's media cache: MEDIA_CACHE_DIR, else beside the database file (the data
        directory), else (PostgreSQL) in the working directory."""
        if self.media_cache_dir is not None:
            return Path(self.media_cache_dir)
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(str(url.database)).parent / "media-cache"
        return Path("media-cache")

    @property
    def telegram_enabled(self) -> bool:
        """The Telegram door runs only with a token; without one the web door and the console
        still serve the same database."""
        return self.bot_token is not None

    @property
    def public_base(self) -> str | None:
        """WEB_BASE_URL when other machines can open it (not a loopback address): only such a
        link belongs in a printed QR code."""
        if self.web_base_url is None:
            return None
        host = (urlsplit(self.web_base_url).hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return None
        try:
            return None if ip_address(host).is_loopback else self.web_base_url
        except ValueError:
            return self.web_base_url  # a name, not an address

    @property
    def console_base(self) -> str:
        """The base URL people open the console at, without a trailing slash."""
        if self.web_base_url is not None:
            return self.web_base_url
        host = f"[{self.web_host}]" if ":" in self.web_host else self.web_host
        return f"http://{host}:{self.web_port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        def get(key: str) -> str | None:
            value = environ.get(key)
            return value.strip() if value is not None and value.strip() else None

        token = get("BOT_TOKEN")
        if token is not None and not _TOKEN_RE.match(token):
            raise ConfigError(
                "BOT_TOKEN is malformed: expected the token BotFather gave you, "
                "like 123456789:AAE..."
            )

        api_url = get("TELEGRAM_API_URL")
        if api_url is not None:
            if not re.match(r"^https?://[^\s/]+", api_url):
                raise ConfigError(
                    "TELEGRAM_API_URL is malformed: expected an http(s) base URL such as "
                    "http://127.0.0.1:8081"
                )
            api_url = api_url.rstrip("/")

        username = get("BOT_USERNAME")
        if username is not None:
            username = username.removeprefix("@")
            if not _USERNAME_RE.match(username):
                raise ConfigError(
                    "BOT_USERNAME is malformed: expected the bot's username, e.g. louzhang_bot"
                )

        admin_ids: set[int] = set()
        for part in (get("ADMIN_IDS") or "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not re.fullmatch(r"-?\d+", part, re.ASCII):
                raise ConfigError(
                    "ADMIN_IDS is malformed: expected Telegram user ids separated by commas, "
                    "e.g. 12345,67890"
                )
            admin_ids.add(int(part))

        language = (get("DEFAULT_LANGUAGE") or "zh-hans").lower()
        if language not in SUPPORTED_LANGUAGES:
            raise ConfigError(
                f"DEFAULT_LANGUAGE is malformed: expected one of {', '.join(SUPPORTED_LANGUAGES)}"
            )

        timezone = get("TIMEZONE") or "Asia/Shanghai"
        if not is_time_zone(timezone):
            raise ConfigError(
                "TIMEZONE is malformed: expected an IANA time zone such as Asia/Shanghai"
            )

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in logging.getLevelNamesMapping():
            raise ConfigError(
                "LOG_LEVEL is malformed: expected DEBUG, INFO, WARNING, ERROR or CRITICAL"
            )

        web_listen = _web_listen(get)
        webhook_url = _webhook_url(get)
        if web_listen is None and webhook_url is not None:
            raise ConfigError(
                "WEB_LISTEN is off but WEBHOOK_URL is set: webhook mode needs the web server "
                "(set WEB_LISTEN to host:port, or unset WEBHOOK_URL to poll)"
            )
        web_host, web_port = web_listen or (DEFAULT_WEB_HOST, DEFAULT_WEB_PORT)
        return cls(
            bot_token=Secret(token) if token else None,
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            telegram_api_url=api_url,
            bot_username=username,
            admin_ids=frozenset(admin_ids),
            default_language=language,
            timezone=timezone,
            log_level=log_level,
            invite_ttl_days=_positive_int(get, "INVITE_TTL_DAYS", 7),
            outbox_poll_seconds=_positive_float(get, "OUTBOX_POLL_SECONDS", 1.0),
            outbox_retention_days=_positive_int(get, "OUTBOX_RETENTION_DAYS", 30),
            max_tickets_per_day=_positive_int(get, "MAX_TICKETS_PER_DAY", 10),
            delivery_per_second=_positive_float(get, "DELIVERY_PER_SECOND", 30.0),
            delivery_private_per_second=_positive_float(get, "DELIVERY_PRIVATE_PER_SECOND", 1.0),
            delivery_private_burst=_positive_int(get, "DELIVERY_PRIVATE_BURST", 3),
            delivery_group_per_minute=_positive_int(get, "DELIVERY_GROUP_PER_MINUTE", 20),
            redis_url=_redis_url(get),
            shutdown_flush_seconds=_positive_float(get, "SHUTDOWN_FLUSH_SECONDS", 10.0),
            flood_messages_per_minute=_positive_int(get, "FLOOD_MESSAGES_PER_MINUTE", 30),
            instance_id=_instance_id(get),
            sql_echo=_switch(get, "SQL_ECHO"),
            webhook_url=webhook_url,
            web_host=web_host,
            web_port=web_port,
            web_enabled=web_listen is not None,
            web_base_url=_web_base_url(get),
            media_cache_dir=get("MEDIA_CACHE_DIR"),
            web_push_subject=_push_subject(get),
            web_push_allow_http=_switch(get, "WEB_PUSH_ALLOW_HTTP"),
            **_wechat(get),
        )

    def require_a_door(self) -> None:
        """``run`` serves at least one door: Telegram (BOT_TOKEN) or the web (WEB_LISTEN), and
        Telegram's settings only with Telegram. (The other subcommands run without either.)"""
        if self.bot_token is None and self.webhook_url is not None:
            raise ConfigError(
                "WEBHOOK_URL is set but BOT_TOKEN is missing: webhook mode is the Telegram "
                "door's (set BOT_TOKEN, or unset WEBHOOK_URL to run the web door alone)"
            )
        if self.bot_token is None and not self.web_enabled:
            raise ConfigError(
                "BOT_TOKEN is missing and WEB_LISTEN is off: nothing would run (set BOT_TOKEN "
                "for the Telegram door, or WEB_LISTEN for the web door and the console)"
            )

    def require_token(self) -> Secret:
        if self.bot_token is None:
            raise ConfigError(
                "BOT_TOKEN is missing: set it in the environment or in .env "
                "(get one from @BotFather; see config.example.env)"
            )
        return self.bot_token


WECHAT_REQUIRED = ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN")


def _wechat(get: _Getter) -> dict[str, Any]:
    """The WeChat door's settings. The door is on with all three required ones, off with none;
    half a configuration is a mistake worth stopping for, not a door that silently stays shut.
    The optional ones are read (and checked) either way."""
    aes = get("WECHAT_AES_KEY")
    if aes is not None and not re.fullmatch(r"[A-Za-z0-9]{43}", aes):
        raise ConfigError("WECHAT_AES_KEY is malformed: expected the 43-character EncodingAESKey")
    api = get("WECHAT_API_URL") or DEFAULT_WECHAT_API_URL
    if not re.match(r"^https?://[^/\s]+", api):
        raise ConfigError("WECHAT_API_URL is malformed: expected https://api.weixin.qq.com")
    optional: dict[str, Any] = {
        "wechat_aes_key": Secret(aes) if aes else None,
        "wechat_template_id": get("WECHAT_TEMPLATE_ID"),
        "wechat_api_url": api.rstrip("/"),
    }
    given = [key for key in WECHAT_REQUIRED if get(key) is not None]
    if not given:
        return optional
    missing = [key for key in WECHAT_REQUIRED if key not in given]
    if missing:
        raise ConfigError(
            f"{missing[0]} is missing: the WeChat door needs {', '.join(WECHAT_REQUIRED)}"
        )
    return {
        **optional,
        "wechat_app_id": get("WECHAT_APP_ID"),
        "wechat_app_secret": Secret(str(get("WECHAT_APP_SECRET"))),
        "wechat_token": Secret(str(get("WECHAT_TOKEN"))),
    }


def _redis_url(get: _Getter) -> Secret | None:
    # A secret: a Redis URL may carry a password.
    raw = get("REDIS_URL")
    if raw is None:
        return None
    if not re.match(r"^(redis|rediss|unix)://", raw):
        raise ConfigError("REDIS_URL is malformed: expected redis://host:6379/0")
    return Secret(raw)


def _webhook_url(get: _Getter) -> str | None:
    raw = get("WEBHOOK_URL")
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port or 443
    except ValueError:
        parts, port = urlsplit(""), 0
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            "WEBHOOK_URL is malformed: expected the public https:// URL Telegram posts updates "
            "to, e.g. https://bot.example.org/telegram"
        )
    if port not in WEBHOOK_PORTS or parts.query or parts.fragment:
        raise ConfigError(
            "WEBHOOK_URL is malformed: Telegram posts only to ports 443, 80, 88 or 8443, "
            "to a URL without ?query or #fragment"
        )
    return raw


def _push_subject(get: _Getter) -> str | None:
    raw = get("WEB_PUSH_SUBJECT")
    if raw is None:
        return None
    if not (raw.startswith("mailto:") and "@" in raw) and not raw.startswith("https://"):
        raise ConfigError(
            "WEB_PUSH_SUBJECT is malformed: expected a mailto: address or an https:// URL, "
            "e.g. mailto:office@example.org"
        )
    return raw


def _web_base_url(get: _Getter) -> str | None:
    raw = get("WEB_BASE_URL")
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            "WEB_BASE_URL is malformed: expected the console's public http(s):// base URL, "
            "e.g. https://office.example.org"
        )
    return raw.rstrip("/")


def _web_listen(get: _Getter) -> tuple[str, int] | None:
    """WEB_LISTEN, or its other name WEBHOOK_LISTEN (one server serves both); None: off."""
    raw, alias = get("WEB_LISTEN"), get("WEBHOOK_LISTEN")
    if raw is not None and alias is not None and raw != alias:
        raise ConfigError(
            "WEBHOOK_LISTEN is another name for WEB_LISTEN: set one of them, not two addresses"
        )
    value = raw or alias
    if value is None:
        return DEFAULT_WEB_HOST, DEFAULT_WEB_PORT
    if value.lower() == "off":
        return None
    key = "WEB_LISTEN" if raw is not None else "WEBHOOK_LISTEN"
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not (port.isascii() and port.isdigit()) or int(port) > 65535:
        raise ConfigError(f"{key} is malformed: expected host:port, e.g. 127.0.0.1:8080")
    return host, int(port)


def _instance_id(get: _Getter) -> str | None:
    raw = get("INSTANCE_ID")
    if raw is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", raw, re.ASCII):
        raise ConfigError(
            "INSTANCE_ID is malformed: expected up to 100 letters, digits, '.', '_' or '-'"
        )
    return raw


def _switch(get: _Getter, key: str) -> bool:
    raw = (get(key) or "0").lower()
    if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise ConfigError(f"{key} is malformed: expected 1 (on) or 0 (off)")
    return raw in ("1", "true", "yes", "on")


def _positive_int(get: _Getter, key: str, default: int) -> int:
    raw = get(key)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) <= 0:
        raise ConfigError(f"{key} is malformed: expected a positive whole number")
    return int(raw)


def _positive_float(get: _Getter, key: str, default: float) -> float:
    raw = get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{key} is malformed: expected a positive number")
    return value
