"""``python -m bot``: run the bot and the set-up commands."""

from __future__ import annotations

# First, before anything imports aiogram: its Bot API models are built on first use.
import telegram.lazy_models  # noqa: F401  (installs itself: telegram/lazy_models.py)

# isort: split
import argparse
import asyncio
import json
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import load_dotenv
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot import cli_documents, cli_votes
from bot.config import Config, ConfigError
from bot.i18n import Translations
from bot.logs import configure_logging
from bot.open311_cli import add_open311_parser, open311_key
from bot.services import Services
from bot.services.community import BuildingRow, parse_buildings_csv
from bot.services.errors import ServiceError
from bot.services.links import start_link, web_twin
from bot.services.setting_errors import InvalidSetting, UnknownSetting
from bot.services.settings_view import render_text
from bot.startup import StartupError, open_database, probe_redis
from storage.db import PRIVATE_FILE, Database
from storage.models import Role
from telegram.startup import ask_telegram

if TYPE_CHECKING:
    from wechat.api import WeChatApi

UPDATES_IN_HAND = 64
log = logging.getLogger("bot")


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="louzhang-bot: the building-head system of a residential community.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="run the bot (the default)",
        description="Create and migrate the database if needed, then run the doors: Telegram "
        "(with BOT_TOKEN) beside the web door and the office console (WEB_LISTEN). Without "
        "BOT_TOKEN an empty database gets the example community.",
    )
    commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Apply every pending database migration and exit.",
    )
    imp = commands.add_parser(
        "import-buildings",
        help="create or update buildings from a CSV file",
        description="Read a CSV file with the header community,code,name,address; create missing "
        "communities, create or update buildings by code (idempotent) and print one join link "
        "per building.",
    )
    imp.add_argument("file", type=Path, metavar="FILE")
    link = commands.add_parser(
        "join-link",
        help="print a building's join link",
        description="Print the join link of one building.",
    )
    link.add_argument("code", metavar="BUILDING_CODE")
    link.add_argument("--community", metavar="NAME", help="needed when codes repeat")
    invite = commands.add_parser(
        "invite",
        help="print a one-time invitation link for a head, deputy or coordinator",
        description="Print a one-time invitation link. ROLE is head, deputy or coordinator; "
        "TARGET is a building code, or a community name for a coordinator of a whole community.",
    )
    invite.add_argument("role", choices=["head", "deputy", "coordinator"], metavar="ROLE")
    invite.add_argument("target", metavar="TARGET")
    invite.add_argument("--community", metavar="NAME", help="needed when codes repeat")
    revoke = commands.add_parser(
        "revoke",
        help="take a role away from a head, deputy or coordinator",
        description="Remove PERSON as ROLE (head, deputy or coordinator) of TARGET: a building "
        "code, or a community name for a coordinator of a whole community. PERSON is the "
        "person's numeric Telegram user id (the bot's log shows it as user=…; a wrong one prints "
        "who holds the role there, with their ids). Someone without Telegram (the office of "
        "this computer, a head only in WeChat) is shown there as #ID: give --person ID instead "
        "of PERSON. Their cards lose their buttons, the open "
        "tickets they owned or held go to the next person (deputy, coordinators, admins), and "
        "they and the building's remaining staff are told. To remove an administrator, take "
        "their id out of ADMIN_IDS and restart the bot.",
    )
    revoke.add_argument("role", choices=["head", "deputy", "coordinator"], metavar="ROLE")
    revoke.add_argument("person", type=_telegram_id, metavar="PERSON", nargs="?")
    revoke.add_argument(
        "--person",
        dest="person_id",
        type=_person_id,
        metavar="ID",
        help="the person's id in the database (#ID in the list of holders), instead of PERSON",
    )
    revoke.add_argument("target", metavar="TARGET")
    revoke.add_argument("--community", metavar="NAME", help="needed when codes repeat")
    settings = commands.add_parser(
        "settings",
        help="show or change a community's settings (quiet hours, reminders, digest hour, …)",
        description="Print every setting of a community with its effective value (VALUE in "
        "JSON; defaults and invalid stored values are marked). With KEY=VALUE pairs, change "
        "them first (VALUE is JSON, or plain text: quiet_hours=22:00-08:00, "
        "nudge_backoff_hours=[2,6,24], timezone=Europe/Berlin; KEY= returns to the default). "
        "A value the schema refuses is named in one line (exit 2) and nothing is changed.",
    )
    settings.add_argument("community", metavar="COMMUNITY")
    settings.add_argument("changes", nargs="*", metavar="KEY=VALUE")
    settings.add_argument(
        "--explain",
        action="store_true",
        help="say above each setting what it means (in DEFAULT_LANGUAGE)",
    )
    backup = commands.add_parser(
        "backup",
        help="copy the SQLite database consistently, even while the bot runs",
        description="Write a consistent copy of the SQLite database to FILE using SQLite's "
        "online backup (safe while the bot is running). For PostgreSQL use pg_dump.",
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    console_link = commands.add_parser(
        "console-link",
        help="print a one-time office console sign-in link (no Telegram needed)",
        description="Print a one-time link (10 minutes) that signs a browser in to the office "
        "console as the office of this computer: a coordinator of COMMUNITY (default: the "
        "first community by name) with no messenger contact. The role is made on first use and "
        "kept; the link is the only secret printed.",
    )
    console_link.add_argument("community", nargs="?", metavar="COMMUNITY")
    commands.add_parser(
        "outbox",
        help="show delivery state: pending / failed counts",
        description="Print pending, failed and sent outbox counts (rows purged after "
        "OUTBOX_RETENTION_DAYS included) and the oldest pending message.",
    )
    add_open311_parser(commands)
    cli_documents.add_parsers(commands)
    cli_votes.add_parsers(commands)
    from wechat import cli as wechat_cli  # the WeChat door's commands

    wechat_cli.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The .env of the directory the operator starts in (a bare load_dotenv() would search from
    # this file's directory, i.e. the source tree or site-packages, not the working directory).
    load_dotenv(Path.cwd() / ".env")
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env(os.environ)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    configure_logging(config)
    command = args.command or "run"
    try:
        if command == "run":
            config.require_a_door()
        if command == "import-buildings":
            args.rows = _read_rows(args.file)
        return asyncio.run(_dispatch(command, args, config))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    except (UsageError, StartupError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    except ServiceError as error:
        text = Translations(default="en").get("en", error.key, **error.args_)
        print(f"error: {text}", file=sys.stderr)  # noqa: T201
        # A refused setting is a usage error, like a malformed configuration key.
        return 2 if isinstance(error, InvalidSetting | UnknownSetting) else 1
    except KeyboardInterrupt:
        return 130
    except SQLAlchemyError as error:
        # An unreachable server, a locked file, a schema from a foreign version: one line.
        first = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()[0]
        print(f"error: the database at DATABASE_URL failed: {first}", file=sys.stderr)  # noqa: T201
        return 1
    except BrokenPipeError:
        # Output piped into something that stopped reading (| head): the work is committed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


async def _dispatch(command: str, args: argparse.Namespace, config: Config) -> int:
    db = await open_database(config)
    try:
        if command == "run":
            await _run(config, db)
        elif command == "import-buildings":
            await _import(config, db, args.rows)
        elif command == "join-link":
            services = Services.create(config, db, Translations(default=config.default_language))
            join_link = await _join_links(config)
            _, payload = await services.community.join_payload(args.code, args.community)
            _out(join_link(payload))
        elif command == "invite":
            # The username first: with Telegram out of reach no invitation is written that
            # nobody could be given. Invitations are accepted only in the Telegram door.
            if not (config.bot_username or config.telegram_enabled):
                raise ConfigError(
                    "invitations are opened in Telegram: set BOT_TOKEN (or BOT_USERNAME) first; "
                    "without Telegram, console-link signs the office in"
                )
            username = await _bot_username(config)
            services = Services.create(config, db, Translations(default=config.default_language))
            issued = await services.community.invite(
                Role(args.role), args.target, community=args.community
            )
            place = (
                f"{issued.building} ({issued.community})" if issued.building else issued.community
            )
            _out(start_link(username, issued.payload))
            _out(
                f"# one-time link: {issued.role.value} of {place}, "
                f"valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC",
                err=True,
            )
        elif command == "revoke":
            services = Services.create(config, db, Translations(default=config.default_language))
            if (args.person is None) == (args.person_id is None):
                raise UsageError("revoke: give PERSON (a Telegram user id) or --person ID")
            revoked = await services.revoke.revoke(
                Role(args.role),
                args.person,
                args.target,
                community=args.community,
                person_id=args.person_id,
            )
            who = args.person if args.person_id is None else f"#{args.person_id}"
            _out(
                f"{revoked.name} ({who}) is no longer {revoked.role.value} of "
                f"{revoked.place} ({revoked.community}); {revoked.handed_over} open ticket(s) "
                "handed over. The running bot delivers the notices."
            )
        elif command == "console-link":
            await _console_link(config, db, args.community)
        elif command == "outbox":
            await _outbox(config, db)
        elif command == "settings":
            translations = Translations(default=config.default_language)
            services = Services.create(config, db, translations)
            view = await services.community.settings(args.community, _parse_changes(args.changes))
            t = translations.bind(config.default_language) if args.explain else None
            for line in render_text(view, t):
                _out(line)
        elif command == "open311-key":
            return await open311_key(config, db, args)
        elif command == "backup":
            pages = await asyncio.to_thread(backup_sqlite, db, args.file)
            _out(f"backup written to {args.file} ({pages} pages)")
        elif command in cli_votes.COMMANDS:
            return await cli_votes.run(command, args, config, db)
        elif command in cli_documents.COMMANDS:
            return await cli_documents.run(command, args, config, db, _bot_username)
        elif command.startswith("wechat-"):
            from wechat import cli as wechat_cli

            return await wechat_cli.run(command, args, config, db)
        return 0
    finally:
        await db.close()


async def _run(config: Config, db: Database) -> None:
    from aiohttp import web

    from bot.app import create_bot, create_dispatcher
    from telegram.budget import budget_of
    from telegram.files import TelegramFiles
    from telegram.webhook import leave_webhook, serve_webhook
    from web.console import console_setup
    from web.door import door_setup
    from web.open311 import open311_setup
    from web.server import HEALTH_CHECKS, WebServer, create_web_app, start_listening

    if not config.telegram_enabled:
        from bot.web_only import run_web_only

        await run_web_only(config, db, _wechat_door)
        return
    await probe_redis(config)
    bot = create_bot(config)
    try:
        await ask_telegram(config, bot)
    except StartupError:
        await bot.session.close()
        raise
    dispatcher = create_dispatcher(config, db)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def on_signal(signum: signal.Signals) -> None:
        # First SIGTERM/SIGINT: stop taking updates and shut down gracefully (in-flight
        # handlers finish, the outbox is flushed). A second one: exit at once.
        if stopping.is_set():
            log.warning("second %s: exiting now", signum.name)
            os._exit(128 + signum)
        stopping.set()
        log.info("%s: stopping (send it again to exit at once)", signum.name)
        if not config.webhook_url:
            loop.create_task(dispatcher.stop_polling())

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    # Every HTTP part of the bot on one server, in either mode: the console, Open311 and the
    # residents' door (the posters' /b/<token> pages).
    services = dispatcher["services"]

    async def username() -> str:
        return (await bot.me()).username or ""

    setups = [
        # Photos and voice notes on the ticket page come from Telegram through the bot.
        console_setup(
            config, services, dispatcher["clock"], TelegramFiles(bot), ask_username=username
        ),
        open311_setup(services.open311),
        # A notice's photos on its page come from Telegram too.
        door_setup(config, services, dispatcher["clock"], files=TelegramFiles(bot)),
    ]
    wechat_api = _wechat_door(config, db, dispatcher, setups, TelegramFiles(bot))
    server: WebServer | None = None
    try:
        if config.webhook_url:
            await serve_webhook(
                config, db, bot, dispatcher, stopping, in_hand=UPDATES_IN_HAND, setups=setups
            )
            return
        await leave_webhook(bot)
        if config.web_enabled:

            def probes(app: web.Application) -> None:
                app.setdefault(HEALTH_CHECKS, {})["database"] = db.ping

            app = create_web_app(dispatcher["translations"], [probes, *setups])
            server = WebServer(app, config.web_host, config.web_port)
            address = await start_listening(server)
            # WEB_BASE_URL when set (behind a proxy), else where it listens (port 0 resolved).
            log.info("office console: %s/console", config.web_base_url or address)
            log.info(
                "residents' door: %s/b/<a building's join token>", config.web_base_url or address
            )
        else:
            log.info("web server off (WEB_LISTEN=off): no office console, no /healthz")
        log.info("polling mode: the bot asks Telegram for updates (WEBHOOK_URL is unset)")
        await dispatcher.start_polling(
            bot,
            allowed_updates=dispatcher.resolve_used_update_types(),
            handle_signals=False,
            # A backlog (after downtime) is taken up a batch at a time, not as thousands of
            # handlers queueing at once for the database.
            tasks_concurrency_limit=UPDATES_IN_HAND,
        )
    finally:
        if server is not None:
            await server.stop()
        await budget_of(bot).close()  # the shared limits' Redis connection
        await bot.session.close()
        if wechat_api is not None:
            await wechat_api.close()


def _wechat_door(
    config: Config, db: Database, dispatcher: Any, setups: list[Any], files: Any = None
) -> WeChatApi | None:
    """The WeChat door, when its settings are there: its callback on the web server and its
    sender in the delivery worker. The start-up line says whether it is on. Its modules are
    imported only when it is on (the callback's cryptography is ~8 MB)."""
    if not config.wechat_enabled:
        if config.telegram_enabled:  # without Telegram the start-up says only what runs
            log.info("WeChat door off (WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN unset)")
        return None
    from wechat import wechat_setup
    from wechat.api import WeChatApi  # noqa: F811 (the name of the annotation, at run time)
    from wechat.oauth import wechat_oauth_setup
    from wechat.protocol import SafeMode
    from wechat.sender import WeChatSender

    assert config.wechat_app_id and config.wechat_app_secret and config.wechat_token
    services = dispatcher["services"]
    clock = dispatcher["clock"]
    api = WeChatApi(
        config.wechat_api_url, config.wechat_app_id, config.wechat_app_secret.get(), db, clock
    )
    aes_key = config.wechat_aes_key
    safe = None if aes_key is None else SafeMode(aes_key.get(), config.wechat_app_id)
    setups.append(wechat_setup(services.wechat, config.wechat_token.get(), safe, api))
    sender = WeChatSender(
        api,
        config,
        db,
        dispatcher["translations"],
        clock,
        cards=services.ticket_cards,
        files=files,
        board=services.notice_board,
        ballots=services.door_ballots,
        activities=services.door_activities,
    )
    dispatcher["door_senders"] = [sender]
    dispatcher["wechat_qr"] = api.qrcode  # an activity's check-in QR for WeChat too

    def offer_posters(app: Any) -> None:
        """The console's Buildings page prints WeChat posters too."""
        from web.console.guard import WECHAT_QR

        app[WECHAT_QR] = api.qrcode

    setups.append(offer_posters)
    setups.append(wechat_oauth_setup(services.wechat, api, config.console_base, services.console))
    modes = "plain and safe mode" if safe else "plain mode"
    log.info("WeChat door on: %s/wechat (%s)", config.console_base, modes)
    return api


def _telegram_id(value: str) -> int:
    if not value.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a Telegram user id (a number)")
    return int(value)


def _person_id(value: str) -> int:
    if not (value.lstrip("#").isdigit() and len(value) < 12):
        raise argparse.ArgumentTypeError(f"{value!r} is not a person's id (a number)")
    return int(value.lstrip("#"))


def _read_rows(path: Path) -> list[BuildingRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    return parse_buildings_csv(text)


async def _import(config: Config, db: Database, rows: list[BuildingRow]) -> None:
    join_link = await _join_links(config)  # first: no import whose links cannot be printed
    services = Services.create(config, db, Translations(default=config.default_language))
    report = await services.community.import_buildings(rows)
    for building in report.buildings:
        _out(
            f"{building.community}\t{building.code}\t{building.name}\t{join_link(building.payload)}"
        )
    _out(
        f"# {report.count('created')} created, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged; new communities: "
        f"{', '.join(report.communities_created) or 'none'}",
        err=True,
    )


async def _console_link(config: Config, db: Database, community: str | None) -> None:
    from bot.services.clock import system_clock
    from bot.services.local_office import LocalOffice

    translations = Translations(default=config.default_language)
    services = Services.create(config, db, translations)
    office = LocalOffice(
        config, db, translations, system_clock, services.community, services.console
    )
    signed = await office.sign_in(community)
    _out(signed.url)
    _out(f"# one-time link: the office of this computer, coordinator of {signed.community}; "
         "valid 10 minutes", err=True)  # fmt: skip


async def _outbox(config: Config, db: Database) -> None:
    from storage.repositories import OutboxRepository
    from storage.repositories.outbox_retention import OutboxRetentionRepository

    async with db.session() as session:
        stats = await OutboxRepository(session).stats()
        purged = await OutboxRetentionRepository(session).purged()
    # Purged rows still count: their texts are gone, not the fact that they went.
    _out(f"pending: {stats.pending}")
    _out(f"failed: {stats.failed + purged.failed}")
    _out(f"sent: {stats.sent + purged.sent}")
    _out(
        f"purged: {purged.sent} sent, {purged.failed} failed (older than "
        f"{config.outbox_retention_days} days; counted above, their texts deleted)"
    )
    oldest = stats.oldest_pending
    if oldest is not None:
        _out(
            f"oldest pending: #{oldest.id} to chat {oldest.address}, created "
            f"{oldest.created_at:%Y-%m-%d %H:%M:%S} UTC, attempts {oldest.attempts}, "
            f"last error: {oldest.last_error or '-'}"
        )


def _parse_changes(pairs: Sequence[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{pair!r}: expected KEY=VALUE")
        if raw == "":
            changes[key] = None
            continue
        try:
            changes[key] = json.loads(raw)
        except json.JSONDecodeError:
            changes[key] = raw  # plain text, e.g. 22:00-08:00
    return changes


def backup_sqlite(db: Database, target: Path) -> int:
    """SQLite's online backup API: a consistent snapshot while writers carry on
    . Returns the number of pages copied."""
    if not db.is_sqlite or not db.url.database:
        raise UsageError("backup works on the SQLite database; for PostgreSQL use pg_dump")
    try:
        # Created private (a copy of the residents' data) and only if new, in one step.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        raise UsageError(f"{target} exists; choose a new file name") from None
    except OSError as error:
        raise UsageError(f"cannot create {target}: {error.strerror}") from None
    source = sqlite3.connect(db.url.database)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
            pages = destination.execute("PRAGMA page_count").fetchone()[0]
        finally:
            destination.close()
    except BaseException:
        target.unlink(missing_ok=True)  # no half-written copy left to block the next try
        raise
    finally:
        source.close()
    return int(pages)


async def _join_links(config: Config) -> Callable[[str], str]:
    """How a building's join link is printed: the Telegram deep link when there is a Telegram
    door (its username, asked when unset: with Telegram out of reach this stops first), else
    the poster's web twin, the page the no-token run serves (a t.me link without a username
    would open nothing)."""
    if config.bot_username or config.telegram_enabled:
        username = await _bot_username(config)
        return partial(start_link, username)
    return partial(web_twin, config.public_base or config.console_base)


async def _bot_username(config: Config) -> str:
    if config.bot_username:
        return config.bot_username
    if config.bot_token is None:
        raise ConfigError(
            "BOT_USERNAME is missing: set it, or set BOT_TOKEN so the bot can ask Telegram"
        )
    from bot.app import create_bot

    bot = create_bot(config)
    try:
        me = await ask_telegram(config, bot)
    except StartupError as error:
        raise StartupError(error.setting, f"{error.cause}; or set BOT_USERNAME") from None
    finally:
        await bot.session.close()
    return me.username or ""


def _out(line: str, *, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout)  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())
