"""Config.from_env: defaults, every key, malformed values, and the token never showing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import DEFAULT_DATABASE_URL, Config, ConfigError, Secret

TOKEN = "123456789:AAE_secret-part-of-the-token-0123456789"
SECRET_PART = TOKEN.split(":")[1]
REDIS_URL = "redis://:redis-password-42@cache:6379/0"


def test_defaults_from_an_empty_environment() -> None:
    config = Config.from_env({})
    assert config == Config()
    assert config.bot_token is None
    assert config.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///louzhang.db"
    assert config.telegram_api_url is None
    assert config.bot_username is None
    assert config.admin_ids == frozenset()
    assert config.default_language == "zh-hans"
    assert config.timezone == "Asia/Shanghai"
    assert config.log_level == "INFO"
    assert config.invite_ttl_days == 7
    assert config.outbox_poll_seconds == 1.0


def test_blank_values_count_as_unset() -> None:
    keys = ["BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_URL", "BOT_USERNAME", "ADMIN_IDS"]
    keys += ["DEFAULT_LANGUAGE", "TIMEZONE", "LOG_LEVEL", "INVITE_TTL_DAYS", "OUTBOX_POLL_SECONDS"]
    assert Config.from_env(dict.fromkeys(keys, "  ")) == Config()


@pytest.mark.parametrize(
    ("environ", "field", "expected"),
    [
        ({"BOT_TOKEN": TOKEN}, "bot_token", Secret(TOKEN)),
        ({"BOT_TOKEN": f"  {TOKEN}\n"}, "bot_token", Secret(TOKEN)),
        (
            {"DATABASE_URL": "postgresql+asyncpg://bot@db:5432/louzhang"},
            "database_url",
            "postgresql+asyncpg://bot@db:5432/louzhang",
        ),
        (
            {"TELEGRAM_API_URL": "http://127.0.0.1:8081"},
            "telegram_api_url",
            "http://127.0.0.1:8081",
        ),
        (
            {"TELEGRAM_API_URL": "https://api.example.org/"},
            "telegram_api_url",
            "https://api.example.org",
        ),
        (
            {"TELEGRAM_API_URL": "http://127.0.0.1:8081///"},
            "telegram_api_url",
            "http://127.0.0.1:8081",
        ),
        ({"BOT_USERNAME": "louzhang_bot"}, "bot_username", "louzhang_bot"),
        ({"BOT_USERNAME": "@louzhang_bot"}, "bot_username", "louzhang_bot"),
        ({"ADMIN_IDS": "12345"}, "admin_ids", frozenset({12345})),
        ({"ADMIN_IDS": "12345, 67890"}, "admin_ids", frozenset({12345, 67890})),
        ({"ADMIN_IDS": "1;2,,3 ,"}, "admin_ids", frozenset({1, 2, 3})),
        ({"ADMIN_IDS": "-100200"}, "admin_ids", frozenset({-100200})),
        ({"DEFAULT_LANGUAGE": "en"}, "default_language", "en"),
        ({"DEFAULT_LANGUAGE": "EN"}, "default_language", "en"),
        ({"DEFAULT_LANGUAGE": "zh-Hans"}, "default_language", "zh-hans"),
        ({"TIMEZONE": "Europe/Berlin"}, "timezone", "Europe/Berlin"),
        ({"TIMEZONE": "UTC"}, "timezone", "UTC"),
        ({"LOG_LEVEL": "debug"}, "log_level", "DEBUG"),
        ({"LOG_LEVEL": "Warning"}, "log_level", "WARNING"),
        ({"INVITE_TTL_DAYS": "30"}, "invite_ttl_days", 30),
        ({"OUTBOX_POLL_SECONDS": "0.25"}, "outbox_poll_seconds", 0.25),
        ({"OUTBOX_POLL_SECONDS": "5"}, "outbox_poll_seconds", 5.0),
        ({"MAX_TICKETS_PER_DAY": "3"}, "max_tickets_per_day", 3),
        ({"FLOOD_MESSAGES_PER_MINUTE": "60"}, "flood_messages_per_minute", 60),
        ({"SHUTDOWN_FLUSH_SECONDS": "2.5"}, "shutdown_flush_seconds", 2.5),
        ({"DELIVERY_PER_SECOND": "25"}, "delivery_per_second", 25.0),
        ({"DELIVERY_PRIVATE_PER_SECOND": "0.5"}, "delivery_private_per_second", 0.5),
        ({"DELIVERY_PRIVATE_BURST": "1"}, "delivery_private_burst", 1),
        ({"DELIVERY_GROUP_PER_MINUTE": "10"}, "delivery_group_per_minute", 10),
        ({"REDIS_URL": REDIS_URL}, "redis_url", Secret(REDIS_URL)),
        ({"INSTANCE_ID": "bot-1.prod"}, "instance_id", "bot-1.prod"),
        ({"OUTBOX_RETENTION_DAYS": "90"}, "outbox_retention_days", 90),
        ({"SQL_ECHO": "1"}, "sql_echo", True),
        (
            {"WEBHOOK_URL": "https://bot.example.org/telegram"},
            "webhook_url",
            "https://bot.example.org/telegram",
        ),
        (
            {"WEBHOOK_URL": "https://bot.example.org:8443/tg"},
            "webhook_url",
            "https://bot.example.org:8443/tg",
        ),
        ({"WEB_LISTEN": "0.0.0.0:8080"}, "web_host", "0.0.0.0"),
        ({"WEB_LISTEN": "127.0.0.1:9000"}, "web_port", 9000),
        ({"WEBHOOK_LISTEN": "127.0.0.1:9000"}, "web_port", 9000),
        ({"WEB_LISTEN": "127.0.0.1:9000", "WEBHOOK_LISTEN": "127.0.0.1:9000"}, "web_port", 9000),
        ({"WEB_LISTEN": "[::1]:8080"}, "web_host", "::1"),
        ({"WEB_LISTEN": "off"}, "web_enabled", False),
        (
            {"WEB_BASE_URL": "https://office.example.org/"},
            "web_base_url",
            "https://office.example.org",
        ),
        (
            {"MEDIA_CACHE_DIR": "/var/lib/louzhang/media"},
            "media_cache_dir",
            "/var/lib/louzhang/media",
        ),
        (
            {"WEB_PUSH_SUBJECT": "mailto:office@example.org"},
            "web_push_subject",
            "mailto:office@example.org",
        ),
        ({"WEB_PUSH_ALLOW_HTTP": "1"}, "web_push_allow_http", True),
        ({"WECHAT_AES_KEY": "a" * 43}, "wechat_aes_key", Secret("a" * 43)),
        ({"WECHAT_TEMPLATE_ID": "tpl-1"}, "wechat_template_id", "tpl-1"),
        ({"WECHAT_API_URL": "http://127.0.0.1:9/"}, "wechat_api_url", "http://127.0.0.1:9"),
    ],
)
def test_every_key_is_parsed(environ: dict[str, str], field: str, expected: Any) -> None:
    config = Config.from_env(environ)
    assert getattr(config, field) == expected
    # Nothing else moved away from its default.
    others = {name: getattr(config, name) for name in Config.__dataclass_fields__ if name != field}
    assert others == {
        name: getattr(Config(), name) for name in Config.__dataclass_fields__ if name != field
    }


def test_the_parse_table_covers_every_setting() -> None:
    """A new setting must be added to the table above (and to its malformed values)."""
    marker = test_every_key_is_parsed.pytestmark[0]
    covered = {field for _, field, _ in marker.args[1]}
    # The WeChat door's three are set together (tests/test_wechat.py parses them).
    covered |= {"wechat_app_id", "wechat_app_secret", "wechat_token"}
    assert covered == set(Config.__dataclass_fields__)


def test_the_media_cache_is_beside_the_database_unless_set() -> None:
    beside = Config.from_env({"DATABASE_URL": "sqlite+aiosqlite:////srv/bot/louzhang.db"})
    assert str(beside.media_cache) == "/srv/bot/media-cache"
    assert str(Config().media_cache) == "media-cache"  # louzhang.db in the working directory
    postgres = Config.from_env({"DATABASE_URL": "postgresql+asyncpg://bot@db/louzhang"})
    assert str(postgres.media_cache) == "media-cache"
    chosen = Config.from_env({"MEDIA_CACHE_DIR": "/var/cache/louzhang"})
    assert str(chosen.media_cache) == "/var/cache/louzhang"


def test_the_token_is_a_secret_holding_the_value() -> None:
    config = Config.from_env({"BOT_TOKEN": TOKEN})
    assert isinstance(config.bot_token, Secret)
    assert config.require_token().get() == TOKEN


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("BOT_TOKEN", "not-a-token"),
        ("BOT_TOKEN", "123456:short"),
        ("BOT_TOKEN", f"{TOKEN} trailing"),
        ("BOT_TOKEN", f"abc:{SECRET_PART}"),
        ("TELEGRAM_API_URL", "127.0.0.1:8081"),
        ("TELEGRAM_API_URL", "ftp://example.org"),
        ("TELEGRAM_API_URL", "http:///nohost"),
        ("BOT_USERNAME", "@"),
        ("BOT_USERNAME", "1bot"),
        ("BOT_USERNAME", "bad name"),
        ("BOT_USERNAME", "x" * 40),
        ("ADMIN_IDS", "12345,abc"),
        ("ADMIN_IDS", "1.5"),
        ("ADMIN_IDS", "-"),
        ("DEFAULT_LANGUAGE", "ru"),
        ("DEFAULT_LANGUAGE", "zh-CN"),
        ("TIMEZONE", "Mars/Olympus"),
        ("TIMEZONE", "../../etc/passwd"),
        ("TIMEZONE", "localtime"),  # the server's own zone, whatever it is: not a zone
        ("LOG_LEVEL", "LOUD"),
        ("INVITE_TTL_DAYS", "0"),
        ("INVITE_TTL_DAYS", "-3"),
        ("INVITE_TTL_DAYS", "1.5"),
        ("INVITE_TTL_DAYS", "seven"),
        ("OUTBOX_POLL_SECONDS", "0"),
        ("OUTBOX_POLL_SECONDS", "-1"),
        ("OUTBOX_POLL_SECONDS", "soon"),
        ("MAX_TICKETS_PER_DAY", "0"),
        ("MAX_TICKETS_PER_DAY", "ten"),
        ("FLOOD_MESSAGES_PER_MINUTE", "-30"),
        ("SHUTDOWN_FLUSH_SECONDS", "0"),
        ("DELIVERY_PER_SECOND", "0"),
        ("DELIVERY_GROUP_PER_MINUTE", "many"),
        ("REDIS_URL", "http://cache:6379/0"),
        ("REDIS_URL", "cache:6379"),
        ("INSTANCE_ID", "two words"),
        ("INSTANCE_ID", "x" * 101),
        ("OUTBOX_RETENTION_DAYS", "0"),
        ("SQL_ECHO", "loud"),
        ("WEB_PUSH_ALLOW_HTTP", "loud"),
        ("WEB_PUSH_SUBJECT", "office@example.org"),
        ("WEB_PUSH_SUBJECT", "http://office.example.org"),
        ("WECHAT_AES_KEY", "too-short"),
        ("WECHAT_API_URL", "api.weixin.qq.com"),
        # Telegram posts to https only, on four ports.
        ("WEBHOOK_URL", "http://bot.example.org/telegram"),
        ("WEBHOOK_URL", "bot.example.org/telegram"),
        ("WEBHOOK_URL", "https:///telegram"),
        ("WEBHOOK_URL", "https://bot.example.org:8080/telegram"),
        ("WEBHOOK_URL", "https://bot.example.org:99999/"),
        ("WEBHOOK_URL", "https://bot.example.org/telegram?key=1"),
        ("WEB_LISTEN", "8080"),
        ("WEB_LISTEN", "localhost:http"),
        ("WEB_LISTEN", "127.0.0.1:70000"),
        ("WEBHOOK_LISTEN", ":8080"),
        ("WEB_BASE_URL", "office.example.org"),
        ("WEB_BASE_URL", "ftp://office.example.org"),
        ("WEB_BASE_URL", "https://office.example.org/?x=1"),
        # Values that once reached int() or the worker unchecked.
        ("INVITE_TTL_DAYS", "²"),
        ("ADMIN_IDS", "--5"),
        ("OUTBOX_POLL_SECONDS", "nan"),
        ("OUTBOX_POLL_SECONDS", "inf"),
    ],
)
def test_malformed_values_name_the_key_and_hide_the_secret(key: str, value: str) -> None:
    environ = {"BOT_TOKEN": TOKEN, key: value}
    with pytest.raises(ConfigError) as raised:
        Config.from_env(environ)
    message = str(raised.value)
    assert message.startswith(f"{key} ")
    assert SECRET_PART not in message
    assert TOKEN not in repr(raised.value)
    if key in ("BOT_TOKEN", "REDIS_URL"):
        # A malformed secret may still be a real one with a typo: never echo it.
        assert value not in message
    if key == "BOT_TOKEN":
        assert value.split(":")[-1] not in message


def test_the_console_address_comes_from_web_listen_unless_given() -> None:
    assert Config.from_env({}).console_base == "http://127.0.0.1:8080"
    assert Config.from_env({"WEB_LISTEN": "[::1]:9000"}).console_base == "http://[::1]:9000"
    given = Config.from_env({"WEB_BASE_URL": "https://office.example.org/desk/"})
    assert given.console_base == "https://office.example.org/desk"


def test_the_web_server_cannot_be_off_in_webhook_mode() -> None:
    with pytest.raises(ConfigError, match="^WEB_LISTEN is off but WEBHOOK_URL is set"):
        Config.from_env({"WEB_LISTEN": "off", "WEBHOOK_URL": "https://bot.example.org/tg"})


def test_two_different_listen_addresses_are_refused() -> None:
    with pytest.raises(ConfigError, match="^WEBHOOK_LISTEN is another name for WEB_LISTEN"):
        Config.from_env({"WEB_LISTEN": "127.0.0.1:8080", "WEBHOOK_LISTEN": "127.0.0.1:9090"})


def test_repr_and_str_never_show_the_token() -> None:
    config = Config.from_env(
        {"BOT_TOKEN": TOKEN, "BOT_USERNAME": "louzhang_bot", "REDIS_URL": REDIS_URL}
    )
    for shown in (repr(config), str(config), f"{config}", f"{config!r}", repr(config.bot_token)):
        assert SECRET_PART not in shown
        assert "123456789" not in shown
        assert "redis-password-42" not in shown
    assert "louzhang_bot" in repr(config)  # the repr is still useful
    assert str(config.bot_token) == repr(config.bot_token) == "Secret('**********')"


def test_repr_never_shows_the_database_password() -> None:
    config = Config.from_env({"DATABASE_URL": "postgresql+asyncpg://bot:hunter2@db/louzhang"})
    assert config.database_url.endswith("bot:hunter2@db/louzhang")
    assert "hunter2" not in repr(config)


def test_require_token_without_a_token() -> None:
    config = Config.from_env({"BOT_USERNAME": "louzhang_bot"})
    with pytest.raises(ConfigError, match=r"^BOT_TOKEN is missing"):
        config.require_token()


def test_config_is_frozen() -> None:
    config = Config.from_env({})
    with pytest.raises(AttributeError):
        config.log_level = "DEBUG"  # type: ignore[misc]


def test_without_a_token_the_web_door_runs_alone() -> None:
    config = Config.from_env({})
    assert config.bot_token is None and not config.telegram_enabled
    config.require_a_door()  # the web door and the console: something to run
    assert Config.from_env({"BOT_TOKEN": TOKEN}).telegram_enabled


def test_webhook_mode_without_a_token_is_refused_at_run() -> None:
    config = Config.from_env({"WEBHOOK_URL": "https://bot.example.org/tg"})
    with pytest.raises(
        ConfigError, match="^WEBHOOK_URL is set but BOT_TOKEN is missing"
    ) as refused:
        config.require_a_door()
    assert "unset WEBHOOK_URL" in str(refused.value)
    Config.from_env(
        {"WEBHOOK_URL": "https://bot.example.org/tg", "BOT_TOKEN": TOKEN}
    ).require_a_door()


def test_no_token_and_no_web_server_is_nothing_to_run() -> None:
    config = Config.from_env({"WEB_LISTEN": "off"})
    with pytest.raises(ConfigError, match="^BOT_TOKEN is missing and WEB_LISTEN is off"):
        config.require_a_door()
    Config.from_env({"WEB_LISTEN": "off", "BOT_TOKEN": TOKEN}).require_a_door()


@pytest.mark.parametrize(
    ("base", "public"),
    [
        (None, None),
        ("https://louzhang.example.org", "https://louzhang.example.org"),
        ("http://192.168.1.20:8080", "http://192.168.1.20:8080"),
        ("http://127.0.0.1:8080", None),
        ("http://localhost:8080", None),
        ("http://[::1]:8080", None),
        ("http://office.localhost", None),
    ],
)
def test_only_a_base_url_others_can_open_goes_on_a_poster(
    base: str | None, public: str | None
) -> None:
    config = Config.from_env({"WEB_BASE_URL": base} if base else {})
    assert config.public_base == public
